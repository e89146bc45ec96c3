"""Tools for testing gradients, in this project or in yours: hypothesis strategies and a
PyTorch oracle.

``operands(op)`` draws reals inside an operation's domain; ``expressions()`` draws random
computation graphs together with input values, ready for `autograd_mini.gradcheck`::

    from hypothesis import given
    from autograd_mini import gradcheck
    from autograd_mini.testing import expressions

    @given(expressions())
    def test_backprop_matches_finite_differences(expr):
        assert gradcheck(expr, expr.values)

``torch_replay(y)`` replays a recorded graph in PyTorch and ``assert_matches_torch(y)``
compares backprop with it: an oracle that needs PyTorch (imported on first use only).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - exercised only without hypothesis
    raise ImportError(
        "autograd_mini.testing needs hypothesis: pip install 'autograd-mini[testing]'"
    ) from error

from autograd_mini._engine import (
    Value,
    abs_,
    exp,
    gradients,
    log,
    ops,
    relu,
    sigmoid,
    sqrt,
    tanh,
    topological_order,
)

if TYPE_CHECKING:
    from torch import Tensor

__all__ = [
    "TORCH_OPS",
    "Expression",
    "assert_matches_torch",
    "expressions",
    "operands",
    "torch_replay",
]

# Where each operation is smooth and well conditioned: (low, high, smallest |x| allowed).
_DOMAINS: dict[str, tuple[float, float, float]] = {
    "add": (-10.0, 10.0, 0.0),
    "sub": (-10.0, 10.0, 0.0),
    "mul": (-10.0, 10.0, 0.0),
    "div": (-10.0, 10.0, 0.1),
    "neg": (-10.0, 10.0, 0.0),
    "pow": (0.1, 10.0, 0.0),
    "exp": (-30.0, 30.0, 0.0),
    "log": (1e-2, 1e3, 0.0),
    "sqrt": (1e-2, 1e3, 0.0),
    "tanh": (-10.0, 10.0, 0.0),
    "sigmoid": (-30.0, 30.0, 0.0),
    "relu": (-10.0, 10.0, 1e-3),
    "abs": (-10.0, 10.0, 1e-3),
}


def operands(op: str) -> st.SearchStrategy[float]:
    """Finite floats inside ``op``'s domain, away from kinks and poles.

    ``op`` is one of: add sub mul div neg pow exp log sqrt tanh sigmoid relu abs (for
    ``div`` the values suit the divisor, for ``pow`` the base).
    """
    if op not in _DOMAINS:
        raise ValueError(f"operands: unknown operation {op!r}; choose from {sorted(_DOMAINS)}")
    low, high, gap = _DOMAINS[op]
    reals = st.floats(low, high, allow_nan=False, allow_infinity=False)
    return reals.filter(lambda x: abs(x) >= gap) if gap else reals


# An expression tree: ("leaf", name) | ("const", number) | (op, child, ...).
Tree = tuple[Any, ...]

_SMOOTH_UNARY = ("neg", "exp", "log", "sqrt", "tanh", "sigmoid", "square", "cube", "rsqrt")
_KINKED_UNARY = ("relu", "abs")
_BINARY = ("+", "-", "*", "/", "**")


@dataclass(frozen=True)
class Expression:
    """A random function of named inputs, with the input values it was drawn with.

    Call it with one number or Value per name (in ``names`` order); ``str()`` gives the
    formula in the syntax of the ``autograd-mini`` command line.
    """

    tree: Tree
    names: tuple[str, ...]
    values: tuple[float, ...]

    def __call__(self, *args: Value | float) -> Value:
        if len(args) != len(self.names):
            raise TypeError(f"expression of {self.names} takes {len(self.names)} arguments")
        result = _evaluate(self.tree, dict(zip(self.names, args)))
        return result if isinstance(result, Value) else Value(result)

    def __str__(self) -> str:
        return _format(self.tree)

    @property
    def __name__(self) -> str:  # gradcheck and error messages name the function
        return f"expression {self}"


def expressions(
    names: Sequence[str] = ("x", "y", "z"),
    *,
    max_depth: int = 4,
    smooth: bool = True,
    values: st.SearchStrategy[float] | None = None,
) -> st.SearchStrategy[Expression]:
    """Random computation graphs over ``names`` with input values drawn from ``values``
    (default: floats in [-2, 2]).

    Every operation is kept inside its domain by construction: ``log`` and ``sqrt`` act on
    ``u**2 + 1``, ``/`` divides by ``v**2 + 1``, a Value exponent raises ``u**2 + 1``.
    Inputs reuse the same names, so fan-out (one input used many times) is common.
    Draws whose values overflow or grow beyond 1e6 are rejected. ``smooth=False`` adds
    ``relu`` and ``abs``, whose kinks finite differences cannot check: use it for tests
    that do not compare against finite differences.
    """
    if not names or len(set(names)) != len(names):
        raise ValueError(f"expressions: names must be distinct and non-empty, got {names!r}")
    unary = _SMOOTH_UNARY + (() if smooth else _KINKED_UNARY)
    leaves = st.one_of(
        st.sampled_from([("leaf", name) for name in names]),
        st.sampled_from([("const", c) for c in (-3.0, -0.5, 0.5, 2.0)]),
    )

    def extend(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
        return st.one_of(
            st.tuples(st.sampled_from(unary), children),
            st.tuples(st.sampled_from(_BINARY), children, children),
        )

    trees = st.recursive(leaves, extend, max_leaves=2**max_depth)
    value_strategy = values if values is not None else st.floats(-2.0, 2.0)

    @st.composite
    def draw(draw_: st.DrawFn) -> Expression:
        tree = draw_(trees.filter(lambda t: _depth(t) <= max_depth and _uses_a_name(t)))
        drawn = tuple(draw_(value_strategy) for _ in names)
        expression = Expression(tree, tuple(names), drawn)
        try:
            result = expression(*drawn).data
        except (ArithmeticError, ValueError):
            result = float("inf")
        assume(abs(result) <= 1e6)
        return expression

    return draw()


def _depth(tree: Tree) -> int:
    if tree[0] in ("leaf", "const"):
        return 0
    return 1 + max(_depth(child) for child in tree[1:])


def _uses_a_name(tree: Tree) -> bool:
    if tree[0] == "leaf":
        return True
    return tree[0] != "const" and any(_uses_a_name(child) for child in tree[1:])


def _evaluate(tree: Tree, env: dict[str, Value | float]) -> Value | float:
    """The tree's value, computed with autograd_mini operations on ``env``."""
    op = tree[0]
    if op == "leaf":
        return env[tree[1]]
    if op == "const":
        return float(tree[1])
    args = [_evaluate(child, env) for child in tree[1:]]
    if len(args) == 2:
        a, b = args
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / (b * b + 1.0)
        return (a * a + 1.0) ** b  # "**": a Value exponent on a positive base
    (a,) = args
    unary: dict[str, Any] = {
        "neg": lambda u: -u,
        "exp": exp,
        "log": lambda u: log(u * u + 1.0),
        "sqrt": lambda u: sqrt(u * u + 1.0),
        "tanh": tanh,
        "sigmoid": sigmoid,
        "square": lambda u: u**2,
        "cube": lambda u: u**3,
        "rsqrt": lambda u: (u * u + 1.0) ** -0.5,
        "relu": relu,
        "abs": abs_,
    }
    return unary[op](a)  # type: ignore[no-any-return]


def _format(tree: Tree) -> str:
    op: str = tree[0]
    if op == "leaf":
        return str(tree[1])
    if op == "const":
        return f"({tree[1]!r})" if tree[1] < 0 else repr(tree[1])
    parts = [_format(child) for child in tree[1:]]
    if len(parts) == 2:
        a, b = parts
        templates = {
            "+": "({a} + {b})",
            "-": "({a} - {b})",
            "*": "({a} * {b})",
            "/": "({a} / ({b}**2 + 1))",
            "**": "(({a}**2 + 1) ** {b})",
        }
        return templates[op].format(a=a, b=b)
    (a,) = parts
    templates = {
        "neg": "(-{a})",
        "log": "log({a}**2 + 1)",
        "sqrt": "sqrt({a}**2 + 1)",
        "square": "({a}**2)",
        "cube": "({a}**3)",
        "rsqrt": "(({a}**2 + 1) ** -0.5)",
    }
    return templates.get(op, op + "({a})").format(a=a)


# ---- the PyTorch oracle: replay a recorded graph with torch's float64 operations ----------


def _torch_sum(*terms: Tensor) -> Tensor:
    import torch

    return torch.stack(terms).sum() if terms else torch.zeros((), dtype=torch.float64)


def _torch_max(*terms: Tensor) -> Tensor:
    """max with its gradient to the first arg-max, as the rule table's: torch.max along a
    dimension returns the first index of the maximum (the full reduction would split it)."""
    import torch

    return torch.max(torch.stack(terms), dim=0).values


def _torch_dot(*operands: Tensor) -> Tensor:
    n = len(operands) // 2  # w_1..w_n, x_1..x_n, then the bias if the count is odd
    return _torch_sum(*[operands[i] * operands[n + i] for i in range(n)], *operands[2 * n :])


def _torch_xlogy(x: Tensor, y: Tensor) -> Tensor:
    """torch.xlogy, with no gradient to y where x is 0: torch's ∂/∂y = x/y is NaN at
    x = y = 0, the rule table's is 0 wherever x is 0 (the term x·ln y is absent there)."""
    import torch

    return torch.xlogy(x, torch.where(x == 0, y.detach(), y))


TORCH_OPS: Mapping[str, Callable[..., Tensor]] = MappingProxyType(
    {
        "+": operator.add,
        "-": operator.sub,
        "*": operator.mul,
        "/": operator.truediv,
        "**": operator.pow,
        "**n": operator.pow,  # the exponent arrives as a float: a constant, not differentiated
        "neg": operator.neg,
        "exp": lambda x: x.exp(),
        "log": lambda x: x.log(),
        "sqrt": lambda x: x.sqrt(),
        "tanh": lambda x: x.tanh(),
        "sigmoid": lambda x: x.sigmoid(),
        "relu": lambda x: x.relu(),  # derivative 0 at 0, as the rule table's
        "abs": lambda x: x.abs(),  # derivative 0 at 0, as the rule table's
        "identity": operator.pos,
        "sum": _torch_sum,
        "max": _torch_max,
        "dot": _torch_dot,
        "xlogy": _torch_xlogy,
    }
)
"""The PyTorch counterpart of every built-in operation of `autograd_mini.ops`, by name:
a function of torch tensors (a float for an operand whose partial is None)."""


def _leaves(y: Value) -> list[Value]:
    return [node for node in topological_order(y) if not node.op]


def _wanted(y: object, inputs: Sequence[Value] | None, who: str) -> list[Value]:
    if not isinstance(y, Value):
        raise TypeError(f"{who}: y must be a Value, got {type(y).__name__} {y!r:.80}")
    if inputs is None:
        return _leaves(y)
    if isinstance(inputs, Value) or not isinstance(inputs, Sequence):
        raise TypeError(f"{who}: inputs must be a sequence of Values, got {inputs!r:.80}")
    for i, v in enumerate(inputs):
        if not isinstance(v, Value):
            raise TypeError(f"{who}: inputs[{i}] must be a Value, got {type(v).__name__} {v!r:.80}")
    return list(inputs)


def _counterparts(
    order: list[Value], extra: Mapping[str, Callable[..., Tensor]] | None, who: str
) -> dict[str, Callable[..., Tensor]]:
    """`TORCH_OPS` with ``extra`` on top; every operation of the graph must have one."""
    if extra is not None:
        if not isinstance(extra, Mapping):
            raise TypeError(
                f"{who}: extra must be a mapping of op name to function, got {extra!r:.80}"
            )
        for name, function in extra.items():
            if not callable(function):
                raise TypeError(f"{who}: extra[{name!r}] must be a function, got {function!r:.80}")
    functions = {**TORCH_OPS, **(extra or {})}
    missing = sorted({node.op for node in order if node.op and node.op not in functions})
    if missing:
        names = ", ".join(repr(name) for name in missing)
        raise ValueError(
            f"{who}: no PyTorch counterpart for the operation(s) {names}; pass one as "
            f"extra={{{missing[0]!r}: <a function of torch tensors>}}"
        )
    return functions


def _replay(
    y: Value, wanted: list[Value], extra: Mapping[str, Callable[..., Tensor]] | None, who: str
) -> tuple[float, list[float]]:
    """torch's value of ``y`` and its gradients for ``wanted``, from a float64 replay."""
    try:
        import torch
    except ImportError as error:
        raise ImportError(f"{who} needs PyTorch: pip install torch") from error
    order = topological_order(y)
    functions = _counterparts(order, extra, who)
    tensors: dict[Value, Tensor] = {}
    with torch.enable_grad():
        for node in order:
            if not node.op:
                tensors[node] = torch.tensor(node.data, dtype=torch.float64, requires_grad=True)
                continue
            op, parents = ops[node.op], node.parents
            # an operand whose partial is None is a setting of the operation: a float
            settings = [d is None for d in op.partials] if op.arity else [False] * len(parents)
            operands = [p.data if setting else tensors[p] for p, setting in zip(parents, settings)]
            out = functions[node.op](*operands)
            if not isinstance(out, torch.Tensor):
                raise TypeError(
                    f"{who}: the PyTorch counterpart of {node.op!r} must return a tensor, "
                    f"got {type(out).__name__} {out!r:.80}"
                )
            tensors[node] = out
        result = tensors[y]
        sources = [
            tensors[v]
            if v in tensors
            else torch.tensor(v.data, dtype=torch.float64, requires_grad=True)
            for v in wanted  # a Value outside the graph: unused, so its gradient is 0
        ]
        grads: Sequence[Tensor | None] = [None] * len(sources)
        if result.requires_grad and sources:
            grads = torch.autograd.grad(result, sources, allow_unused=True)
    return result.item(), [0.0 if g is None else g.item() for g in grads]


def torch_replay(
    y: Value,
    inputs: Sequence[Value] | None = None,
    *,
    extra: Mapping[str, Callable[..., Tensor]] | None = None,
) -> list[float]:
    """PyTorch's gradients of ``y`` for ``inputs``, from replaying ``y``'s graph with torch
    float64 operations (`TORCH_OPS`, plus ``extra`` for user operations).

    Returns a list aligned with ``inputs``, by default every leaf of the graph in
    ``am.topological_order(y)`` order (constants included); a Value ``y`` does not depend
    on gets 0.0. Nothing of the graph changes. Needs PyTorch::

        x = am.Value(0.5)
        torch_replay(am.log(1 + am.exp(x)), [x])   # [σ(0.5)], from torch
    """
    who = "torch_replay"
    wanted = _wanted(y, inputs, who)
    return _replay(y, wanted, extra, who)[1]


def assert_matches_torch(
    y: Value,
    inputs: Sequence[Value] | None = None,
    *,
    rtol: float = 1e-10,
    atol: float = 1e-12,
    extra: Mapping[str, Callable[..., Tensor]] | None = None,
) -> None:
    """Check ``y``'s value and its backprop gradients (`am.gradients`, so no ``.grad``
    changes) against `torch_replay`: an oracle independent of finite differences.

    ``inputs`` and ``extra`` are `torch_replay`'s. A number matches when
    |ours − torch's| <= atol + rtol·|torch's| (NaN matches NaN); otherwise AssertionError
    lists each mismatch with the leaf's index, label and value, ours and torch's.
    """
    who = "assert_matches_torch"
    for name, tolerance in (("rtol", rtol), ("atol", atol)):
        if not isinstance(tolerance, int | float) or not tolerance >= 0:
            raise ValueError(f"{who}: {name} must be a number >= 0, got {tolerance!r}")
    wanted = _wanted(y, inputs, who)
    value, theirs = _replay(y, wanted, extra, who)
    ours = gradients(y, wanted)

    def close(a: float, b: float) -> bool:
        return a == b or abs(a - b) <= atol + rtol * abs(b) or (math.isnan(a) and math.isnan(b))

    mismatches = [] if close(y.data, value) else [f"  y itself: ours {y.data!r}, torch {value!r}"]
    for i, (v, a, b) in enumerate(zip(wanted, ours, theirs)):
        if not close(a, b):
            label = f" {v.label!r}" if v.label else ""
            mismatches.append(f"  input {i}{label} (value {v.data!r}): ours {a!r}, torch {b!r}")
    if mismatches:
        raise AssertionError(
            f"{who}: {len(mismatches)} number(s) differ from PyTorch's replay "
            f"(rtol={rtol}, atol={atol}):\n" + "\n".join(mismatches)
        )
