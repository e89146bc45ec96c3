"""Function transforms in the style of JAX: `grad`, `value_and_grad`, `jvp`, `vjp`,
`jacobian` and `hessian`.

They differentiate plain Python functions written with Value operators and the
autograd_mini functions. Called on numbers they return floats. Inside another
transformed function they return Values (``create_graph=True`` for reverse mode, Value
tangents for forward mode), so they compose: ``grad(grad(f))`` is the second derivative,
and `hessian` is forward mode over reverse mode.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from typing import Any, Literal

from autograd_mini._engine import (
    Value,
    gradients,
    identity,
    is_real,
    no_grad,
    sum_,
    tangents,
    topological_order,
)


class _Transforms(threading.local):
    """How many transformed functions are running, in this thread. Inside one, a
    gradient must stay a Value graph even when its own arguments are plain numbers: ``f``
    may close over an outer Value, as in ``grad(lambda x: x * grad(lambda y: x * y)(2.0))``."""

    depth = 0


_running = _Transforms()


def _call(f: Callable[..., Any], args: Sequence[Any]) -> Any:
    """``f(*args)``, counted as running inside a transform."""
    _running.depth += 1
    try:
        return f(*args)
    finally:
        _running.depth -= 1


def value_and_grad(
    f: Callable[..., Any], argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False
) -> Callable[..., tuple[Any, Any]]:
    """Make a function returning ``(f(*args), df/d args[argnums])``.

    A differentiated argument is a number (its derivative is a number) or a list of
    numbers (its gradient is a list). With ``has_aux=True``, ``f`` returns a pair
    ``(output, aux)``: only ``output`` is differentiated, and the result is
    ``((output, aux), gradient)``, as in JAX and ``torch.func``; the Values in ``aux``
    (in lists, tuples and dicts too) come back as numbers, unless this call is nested in
    another transform.

    >>> value_and_grad(lambda x, y: x * y, argnums=(0, 1))(3.0, 4.0)
    (12.0, (4.0, 3.0))
    >>> value_and_grad(lambda v: v[0] * v[1])([3.0, 4.0])
    (12.0, [4.0, 3.0])
    >>> value_and_grad(lambda x: (x * x, {"x": x, "twice": x * 2}), has_aux=True)(3.0)
    ((9.0, {'x': 3.0, 'twice': 6.0}), 6.0)
    """
    positions = _check_argnums(argnums)

    @functools.wraps(f)
    def wrapped(*args: Any) -> tuple[Any, Any]:
        for position in positions:
            if position >= len(args):
                raise TypeError(
                    f"argnums {argnums!r} asks for argument {position}, "
                    f"but {len(args)} argument(s) were given"
                )
        nested = _running.depth > 0 or any(isinstance(a, Value) for a in args)
        inputs = {position: _as_inputs(args[position], position) for position in positions}
        call_args = [inputs.get(i, arg) for i, arg in enumerate(args)]
        leaves = [
            x for given in inputs.values() for x in (given if isinstance(given, list) else [given])
        ]
        output = _call(f, call_args)
        if has_aux:
            if not (isinstance(output, tuple) and len(output) == 2):
                raise TypeError(
                    f"{_name(f)} must return a pair (output, aux) with has_aux=True, "
                    f"got {type(output).__name__}"
                )
            output, aux = output
        if isinstance(output, Value):
            flat = gradients(output, leaves, create_graph=nested)
        elif is_real(output):  # f does not depend on its inputs at all
            flat = [0.0] * len(leaves)
        else:
            raise TypeError(
                f"{_name(f)} must return a Value or a number to be differentiated, "
                f"got {type(output).__name__}"
            )
        grads, k = [], 0
        for given in inputs.values():  # the flat gradients back in the arguments' shapes
            if isinstance(given, list):
                grads.append(flat[k : k + len(given)])
                k += len(given)
            else:
                grads.append(flat[k])
                k += 1
        value = output if nested or not isinstance(output, Value) else output.data
        gradient = grads[0] if isinstance(argnums, int) else tuple(grads)
        if not has_aux:
            return value, gradient
        return (value, aux if nested else _numbers(aux)), gradient

    return wrapped


def grad(
    f: Callable[..., Any], argnums: int | tuple[int, ...] = 0, *, has_aux: bool = False
) -> Callable[..., Any]:
    """Make a function returning the derivative of ``f`` with respect to ``args[argnums]``
    (with ``has_aux=True``, ``f`` returns ``(output, aux)`` and this gives
    ``(gradient, aux)``, as in JAX and ``torch.func``).

    >>> import autograd_mini as am
    >>> d_tanh = grad(am.tanh)
    >>> round(d_tanh(0.5), 6), round(grad(d_tanh)(0.5), 6)   # tanh' and tanh''
    (0.786448, -0.726862)
    """
    value_and_grad_f = value_and_grad(f, argnums, has_aux=has_aux)

    @functools.wraps(f)
    def wrapped(*args: Any) -> Any:
        value, gradient = value_and_grad_f(*args)
        return (gradient, value[1]) if has_aux else gradient

    return wrapped


def jvp(
    f: Callable[..., Any], primals: Sequence[Any], tangents_in: Sequence[Any]
) -> tuple[Any, Any]:
    """Forward mode: ``(f(*primals), J·tangents)``, the directional derivative of ``f`` at
    ``primals`` along ``tangents`` (JAX's ``jax.jvp``), in one forward sweep.

    Each node's tangent is Σ ∂node/∂operand · the operand's tangent, with the partials of
    the rule table (the ones backprop uses). ``f`` may return a Value or a list of them
    (then the value and the tangent are lists).

    >>> jvp(lambda x, y: x * y + x, [3.0, 4.0], [1.0, 0.0])   # ∂/∂x = y + 1
    (15.0, 5.0)
    """
    points, directions = list(primals), list(tangents_in)
    if len(points) != len(directions):
        raise ValueError(
            f"jvp: {len(points)} primal(s) but {len(directions)} tangent(s); give one each"
        )
    nested = _running.depth > 0 or any(isinstance(a, Value) for a in (*points, *directions))
    inputs = [_as_input(p, i) for i, p in enumerate(points)]
    for i, t in enumerate(directions):
        if not (isinstance(t, Value) or is_real(t)):
            raise TypeError(f"jvp: tangent {i} must be a real number, got {type(t).__name__} {t!r}")
    output = _call(f, inputs)
    outputs, single = _outputs(output, f, "jvp")
    seeds: dict[Value, Any] = {}
    for x, t in zip(inputs, directions):
        seeds[x] = seeds[x] + t if x in seeds else (t if nested else float(t))
    order = topological_order(*[o for o in outputs if isinstance(o, Value)])
    tangent = tangents(order, seeds, create_graph=nested)
    values = [o if nested or not isinstance(o, Value) else o.data for o in outputs]
    result = [tangent.get(o, 0.0) if isinstance(o, Value) else 0.0 for o in outputs]
    if not nested:
        result = [r.data if isinstance(r, Value) else float(r) for r in result]
    return (values[0], result[0]) if single else (values, result)


def vjp(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """Reverse mode as a function: ``(f(*primals), vjp_fn)``, where ``vjp_fn(cotangent)``
    gives ``cotangentᵀ·J``, one number per primal (JAX's ``jax.vjp``, ``torch.func.vjp``).

    ``f`` runs once; each call of ``vjp_fn`` is one backward pass over the graph it made,
    so one `vjp` serves any number of cotangents (the rows of a Jacobian, say). The
    cotangent is a number for a Value output, a list of numbers for a list output.

    >>> y, vjp_fn = vjp(lambda x, y: [x * y, x + y], 3.0, 4.0)
    >>> y, vjp_fn([1.0, 0.0]), vjp_fn([0.0, 1.0])
    ([12.0, 7.0], (4.0, 3.0), (1.0, 1.0))
    """
    nested = _running.depth > 0 or any(isinstance(a, Value) for a in primals)
    inputs = [_as_input(p, i) for i, p in enumerate(primals)]
    output = _call(f, inputs)
    outputs, single = _outputs(output, f, "vjp")
    values = [o if nested or not isinstance(o, Value) else o.data for o in outputs]

    def vjp_fn(cotangent: Any) -> tuple[Any, ...]:
        weights = [_cotangent(cotangent, "")] if single else _cotangents(cotangent, len(outputs))
        terms = [w * o for w, o in zip(weights, outputs) if isinstance(o, Value)]
        if not terms:  # f does not depend on its inputs at all
            return tuple(0.0 for _ in inputs)
        total = terms[0] if len(terms) == 1 else sum_(terms)
        return tuple(gradients(total, inputs, create_graph=nested))

    return values[0] if single else values, vjp_fn


def _numbers(aux: Any) -> Any:
    """``aux`` with each Value replaced by its number, through lists, tuples and dicts: at
    the top level a transform returns numbers, as JAX and torch.func return plain values."""
    if isinstance(aux, Value):
        return aux.data
    if isinstance(aux, list):
        return [_numbers(a) for a in aux]
    if isinstance(aux, tuple):
        items = [_numbers(a) for a in aux]
        return type(aux)(*items) if hasattr(aux, "_fields") else tuple(items)  # a namedtuple
    if isinstance(aux, dict):
        return {k: _numbers(a) for k, a in aux.items()}
    return aux


def _cotangents(cotangent: Any, n: int) -> list[Any]:
    """A list output's cotangent, checked: one number (or Value) per output, in a list,
    a tuple or a 1-d numpy array."""
    if not hasattr(cotangent, "__len__") or isinstance(cotangent, str | bytes | Value):
        raise TypeError(
            f"vjp: f returns a list of {n}, so the cotangent must be a list of {n} numbers, "
            f"got {type(cotangent).__name__}"
        )
    items = list(cotangent)
    if len(items) != n:
        raise ValueError(f"vjp: f returns {n} outputs but the cotangent has {len(items)}")
    return [_cotangent(c, f" {i}") for i, c in enumerate(items)]


def _cotangent(c: Any, which: str) -> Any:
    """One output's cotangent, checked: a real number or a Value."""
    if not (isinstance(c, Value) or is_real(c)):
        raise TypeError(
            f"vjp: cotangent{which} must be a real number, got {type(c).__name__} {c!r:.40}"
        )
    return c


def jacobian(
    f: Callable[..., Any],
    argnums: int | tuple[int, ...] = 0,
    *,
    mode: Literal["auto", "forward", "reverse"] = "auto",
) -> Callable[..., Any]:
    """Make a function returning the Jacobian of ``f`` with respect to ``args[argnums]``
    as nested lists: ``J[i][j] = ∂output_i/∂input_j``.

    An argument may be a number or a list of numbers; ``f`` may return a Value or a list.
    The shape follows JAX's: a scalar output and one scalar input give a number, a list
    output gives a list, a list input adds a dimension. ``mode="auto"`` uses forward mode
    (one sweep per input) when there are fewer inputs than outputs, else reverse mode
    (one backward pass per output).

    >>> jacobian(lambda v: [v[0] * v[1], v[0] + v[1]])([2.0, 3.0])
    [[3.0, 2.0], [1.0, 1.0]]
    """
    positions = _check_argnums(argnums)
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"jacobian: mode must be 'auto', 'forward' or 'reverse', got {mode!r}")

    @functools.wraps(f)
    def wrapped(*args: Any) -> Any:
        flat, rebuild = _flatten_args(args, positions)

        def flat_f(*xs: Any) -> Any:
            return f(*rebuild(xs))

        n_in = len(flat)
        probe_outputs, single_out = _probe(flat_f, flat)
        use_forward = mode == "forward" or (mode == "auto" and n_in < probe_outputs)
        if use_forward:
            columns = []
            for j in range(n_in):
                unit = [1.0 if k == j else 0.0 for k in range(n_in)]
                _, column = jvp(flat_f, flat, unit)
                columns.append([column] if single_out else column)
            rows = [[columns[j][i] for j in range(n_in)] for i in range(probe_outputs)]
        else:
            rows = []
            for i in range(probe_outputs):

                def component(*xs: Any, i: int = i) -> Any:
                    out = flat_f(*xs)
                    return out if single_out else out[i]

                row = grad(component, tuple(range(n_in)))(*flat)
                rows.append(list(row))
        return _shape(rows, single_out, args, positions, argnums)

    return wrapped


def hessian(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """Make a function returning the Hessian of a scalar ``f``: the Jacobian of its
    gradient, forward mode over reverse mode (JAX's ``jacfwd(jacrev(f))``).

    >>> hessian(lambda v: v[0] * v[0] * v[1])([2.0, 3.0])
    [[6.0, 4.0], [4.0, 0.0]]
    """
    positions = _check_argnums(argnums)

    @functools.wraps(f)
    def wrapped(*args: Any) -> Any:
        flat, rebuild = _flatten_args(args, positions)

        def gradient(*xs: Any) -> Any:
            return list(grad(lambda *ys: f(*rebuild(ys)), tuple(range(len(xs))))(*xs))

        rows = jacobian(lambda xs: gradient(*xs), mode="forward")(flat)
        if len(flat) == 1 and all(_is_scalar_arg(args[p]) for p in positions):
            return rows[0][0]
        return rows

    return wrapped


def _is_scalar_arg(x: Any) -> bool:
    return isinstance(x, Value) or is_real(x)


def _flatten_args(
    args: tuple[Any, ...], positions: tuple[int, ...]
) -> tuple[list[Any], Callable[[Sequence[Any]], list[Any]]]:
    """The differentiated arguments as one flat list of numbers, and how to put a flat
    list back into the arguments' places (a list argument takes as many as it had)."""
    for position in positions:
        if position >= len(args):
            raise TypeError(
                f"argnums asks for argument {position}, but {len(args)} argument(s) were given"
            )
    sizes: list[int | None] = []
    flat: list[Any] = []
    for position in positions:
        arg = args[position]
        if _is_scalar_arg(arg):
            sizes.append(None)
            flat.append(arg)
        elif isinstance(arg, Sequence) and not isinstance(arg, str | bytes):
            items = list(arg)
            bad = [x for x in items if not _is_scalar_arg(x)]
            if bad:
                raise TypeError(f"argument {position} must hold real numbers, got {bad[0]!r}")
            sizes.append(len(items))
            flat.extend(items)
        else:
            raise TypeError(
                f"argument {position} must be a number or a list of numbers, got {arg!r:.60}"
            )

    def rebuild(xs: Sequence[Any]) -> list[Any]:
        out, k = list(args), 0
        for position, size in zip(positions, sizes):
            if size is None:
                out[position] = xs[k]
                k += 1
            else:
                out[position] = list(xs[k : k + size])
                k += size
        return out

    return flat, rebuild


def _probe(f: Callable[..., Any], flat: list[Any]) -> tuple[int, bool]:
    """How many outputs ``f`` has, and whether it returns a single value."""
    with no_grad():
        output = f(*[x if isinstance(x, Value) else Value(x) for x in flat])
    outputs, single = _outputs(output, f, "jacobian")
    return len(outputs), single


def _outputs(output: Any, f: Callable[..., Any], who: str) -> tuple[list[Any], bool]:
    if isinstance(output, Value) or is_real(output):
        return [output], True
    if isinstance(output, Sequence) and not isinstance(output, str | bytes):
        items = list(output)
        if all(isinstance(o, Value) or is_real(o) for o in items):
            return items, False
    raise TypeError(
        f"{who}: {_name(f)} must return a Value, a number or a list of them, "
        f"got {type(output).__name__}"
    )


def _shape(
    rows: list[list[Any]],
    single_out: bool,
    args: tuple[Any, ...],
    positions: tuple[int, ...],
    argnums: int | tuple[int, ...],
) -> Any:
    """Rows J[i][j] in the shape JAX gives: per output, per argument, per element."""
    per_output = []
    for row in rows:
        parts, k = [], 0
        for position in positions:
            if _is_scalar_arg(args[position]):
                parts.append(row[k])
                k += 1
            else:
                size = len(args[position])
                parts.append(row[k : k + size])
                k += size
        per_output.append(parts[0] if isinstance(argnums, int) else tuple(parts))
    return per_output[0] if single_out else per_output


def _check_argnums(argnums: int | tuple[int, ...]) -> tuple[int, ...]:
    positions = (argnums,) if isinstance(argnums, int) else argnums
    if (
        not isinstance(positions, tuple)
        or not positions
        or not all(isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in positions)
    ):
        raise TypeError(f"argnums must be a non-negative int or a tuple of them, got {argnums!r}")
    return positions


def _as_inputs(arg: Any, position: int) -> Value | list[Value]:
    """`_as_input` for a number, or for each number of a list argument."""
    if isinstance(arg, list | tuple):
        return [_as_input(x, position) for x in arg]
    return _as_input(arg, position)


def _as_input(arg: Any, position: int) -> Value:
    """A fresh node to differentiate with respect to.

    A Value from an enclosing `grad` is wrapped in an identity node, so this derivative
    counts only the paths through this argument, not other uses of the outer Value.
    """
    if isinstance(arg, Value):
        return identity(arg)
    if is_real(arg):
        return Value(arg)
    raise TypeError(f"argument {position} must be a real number, got {type(arg).__name__} {arg!r}")


def _name(f: Callable[..., Any]) -> str:
    return getattr(f, "__name__", repr(f))
