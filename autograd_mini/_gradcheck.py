"""Gradient checking: backprop against central finite differences, as a public API.

Use it on your own functions: ``gradcheck(f, [1.0, 2.0])`` returns True or raises
`GradcheckError` listing every input whose analytic and numeric derivatives disagree.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autograd_mini._engine import (
    Value,
    forward_of,
    gradients,
    is_real,
    local_derivatives,
    topological_order,
)

Function = Callable[..., Value]


class GradcheckError(AssertionError):
    """Backprop and finite differences disagree; the message lists each mismatch, and
    each operation whose own partial derivative disagrees with its forward function."""

    __module__ = "autograd_mini"


@dataclass(frozen=True)
class _Mismatch:
    what: str  # e.g. "d f/d x[1]" or "d² f/d x[0] d x[1]"
    analytic: float
    numeric: float

    def line(self) -> str:
        error = abs(self.analytic - self.numeric) / max(abs(self.numeric), 1e-300)
        return (
            f"  {self.what}: analytic {self.analytic!r}, numeric {self.numeric!r}, "
            f"relative error {error:.3g}"
        )


def gradcheck(
    f: Function,
    inputs: Sequence[float],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    fast_mode: bool = False,
    order: int = 1,
    seed: int | None = 0,
) -> bool:
    """Check backprop's gradient of ``f`` at ``inputs`` against central differences.

    ``f`` takes one Value per input, positionally, and returns a Value. A derivative
    passes when ``|analytic - numeric| <= atol + rtol * |numeric|``. ``fast_mode`` checks
    one random direction instead of every input (one backward pass, two evaluations), for
    functions of many inputs. ``order=2`` also checks every second derivative (the
    gradient of each gradient) against differences of the analytic gradient.

    >>> gradcheck(lambda x, y: (x * y).tanh(), [0.3, -1.2])
    True
    >>> gradcheck(lambda x: x * x.data, [3.0])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    autograd_mini.GradcheckError: gradcheck of <lambda> at [3.0]: 1 derivative(s) ...
      d f/d x[0]: analytic 3.0, numeric 6.0..., relative error 0.5
    """
    point = _check_inputs(inputs)
    if order not in (1, 2):
        raise ValueError(f"gradcheck: order must be 1 or 2, got {order!r}")
    if not eps > 0.0:
        raise ValueError(f"gradcheck: eps must be > 0, got {eps!r}")
    check = _Comparison(point, eps, atol, rtol, fast_mode, random.Random(seed))
    mismatches = _check_first_order(f, check)
    if order == 2:
        mismatches += _check_second_order(f, check)
    if mismatches:
        lines = "\n".join(m.line() for m in mismatches)
        culprits = partial_mismatches(_call(f, [Value(v) for v in point]), eps, atol, rtol)
        blame = "".join(f"\n  {m.line().strip()}" for m in culprits)
        if culprits:
            blame = "\nthe operations whose partial derivative disagrees with its forward:" + blame
        raise GradcheckError(
            f"gradcheck of {_name(f)} at {point}: {len(mismatches)} derivative(s) disagree "
            f"(atol={atol}, rtol={rtol}, eps={eps}):\n{lines}{blame}"
        )
    return True


def partial_mismatches(
    output: Value, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3
) -> list[_Mismatch]:
    """Each edge of ``output``'s graph whose partial derivative, from the rule table,
    disagrees with a central difference of its operation's forward at the operands: how
    a wrong partial (in a user's `am.defop`, say) is pinned to its operation."""
    found = []
    for node in topological_order(output):
        forward = forward_of(node)
        if forward is None:
            continue
        operands = [p.data for p in node.parents]
        for i, analytic in enumerate(local_derivatives(node)):
            numeric = _edge_difference(forward, operands, i, eps)
            if analytic is None or numeric is None:
                continue
            if not abs(analytic - numeric) <= atol + rtol * abs(numeric):
                what = f"op {node.op!r}: ∂out/∂operand {i} at {operands}"
                found.append(_Mismatch(what, analytic, numeric))
    return found


def _edge_difference(
    forward: Callable[..., float], operands: list[float], i: int, eps: float
) -> float | None:
    """(f(.., x_i + eps, ..) − f(.., x_i − eps, ..)) / 2 eps; None outside the domain."""
    plus, minus = list(operands), list(operands)
    plus[i] += eps
    minus[i] -= eps
    try:
        return (forward(*plus) - forward(*minus)) / (2.0 * eps)
    except (ArithmeticError, ValueError):
        return None


def gradgradcheck(
    f: Function,
    inputs: Sequence[float],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    fast_mode: bool = False,
    seed: int | None = 0,
) -> bool:
    """`gradcheck` with ``order=2``: first and second derivatives (PyTorch's name).

    >>> gradgradcheck(lambda x: x.exp() * x, [0.5])
    True
    """
    return gradcheck(
        f, inputs, eps=eps, atol=atol, rtol=rtol, fast_mode=fast_mode, order=2, seed=seed
    )


@dataclass(frozen=True)
class _Comparison:
    """Where and how strictly derivatives are compared with central differences."""

    point: list[float]
    eps: float
    atol: float
    rtol: float
    fast_mode: bool
    rng: random.Random

    def mismatches(
        self, analytic: list[float], evaluate: Callable[[list[float]], float], name: str
    ) -> list[_Mismatch]:
        """Analytic derivatives of ``evaluate`` at the point against central differences:
        each coordinate, or (fast mode) one random unit direction."""
        n = len(self.point)
        if self.fast_mode:
            direction = _random_unit_vector(n, self.rng)
            numeric = _central_difference(evaluate, self.point, direction, self.eps)
            along = math.fsum(a * u for a, u in zip(analytic, direction))
            pairs = [(f"{name} along a random direction", along, numeric)]
        else:
            pairs = []
            for i in range(n):
                unit = [1.0 if j == i else 0.0 for j in range(n)]
                numeric = _central_difference(evaluate, self.point, unit, self.eps)
                pairs.append((f"{name}[{i}]", analytic[i], numeric))
        return [
            _Mismatch(what, a, numeric)
            for what, a, numeric in pairs
            if not abs(a - numeric) <= self.atol + self.rtol * abs(numeric)  # catches NaN too
        ]


def _check_first_order(f: Function, check: _Comparison) -> list[_Mismatch]:
    def evaluate(values: list[float]) -> float:
        return _call(f, [Value(v) for v in values]).data

    return check.mismatches(_analytic_gradient(f, check.point), evaluate, "d f/d x")


def _check_second_order(f: Function, check: _Comparison) -> list[_Mismatch]:
    """Row i of the Hessian by backprop through the gradient graph, against central
    differences of the (first-order) analytic gradient's component i."""
    leaves = [Value(v) for v in check.point]
    first = gradients(_call(f, leaves), leaves, create_graph=True)
    mismatches: list[_Mismatch] = []
    for i, d_i in enumerate(first):
        row = gradients(d_i, leaves) if isinstance(d_i, Value) else [0.0] * len(leaves)

        def component(values: list[float], i: int = i) -> float:
            return _analytic_gradient(f, values)[i]

        mismatches += check.mismatches(row, component, f"d²f/d x[{i}] d x")
    return mismatches


def _central_difference(
    evaluate: Callable[[list[float]], float], point: list[float], direction: list[float], eps: float
) -> float:
    plus = [x + eps * u for x, u in zip(point, direction)]
    minus = [x - eps * u for x, u in zip(point, direction)]
    return (evaluate(plus) - evaluate(minus)) / (2.0 * eps)


def _analytic_gradient(f: Function, values: list[float]) -> list[float]:
    leaves = [Value(v) for v in values]
    return gradients(_call(f, leaves), leaves)


def _random_unit_vector(n: int, rng: random.Random) -> list[float]:
    while True:
        vector = [rng.gauss(0.0, 1.0) for _ in range(n)]
        norm = math.sqrt(math.fsum(v * v for v in vector))
        if norm > 1e-12:
            return [v / norm for v in vector]


def _call(f: Function, leaves: list[Value]) -> Value:
    output = f(*leaves)
    if not isinstance(output, Value):
        raise TypeError(
            f"gradcheck: {_name(f)} must return a Value, got {type(output).__name__} {output!r}"
        )
    return output


def _check_inputs(inputs: Sequence[float]) -> list[float]:
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence):
        raise TypeError(f"gradcheck: inputs must be a sequence of numbers, got {inputs!r}")
    if not inputs:
        raise ValueError("gradcheck: inputs is empty; give one number per argument of f")
    for i, x in enumerate(inputs):
        if not is_real(x) or not math.isfinite(x):
            raise ValueError(f"gradcheck: inputs[{i}] must be a finite real number, got {x!r}")
    return [float(x) for x in inputs]


def _name(f: Callable[..., object]) -> str:
    return getattr(f, "__name__", repr(f))
