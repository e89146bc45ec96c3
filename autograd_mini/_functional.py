"""Function transforms: `grad` and `value_and_grad`, in the style of JAX.

They differentiate plain Python functions written with Value operators and the
autograd_mini functions. Called on numbers they return floats. Inside another
transformed function they return Values built with ``create_graph=True``, so
``grad(grad(f))`` is the second derivative.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from autograd_mini._engine import Value, _identity, _is_real, gradients

# How many transformed functions are running. Inside one, a gradient must stay a Value
# graph even when its own arguments are plain numbers: ``f`` may close over an outer
# Value, as in ``grad(lambda x: x * grad(lambda y: x * y)(2.0))``.
_depth = 0


def value_and_grad(
    f: Callable[..., Any], argnums: int | tuple[int, ...] = 0
) -> Callable[..., tuple[Any, Any]]:
    """Make a function returning ``(f(*args), df/d args[argnums])``.

    >>> value_and_grad(lambda x, y: x * y, argnums=(0, 1))(3.0, 4.0)
    (12.0, (4.0, 3.0))
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
        global _depth
        nested = _depth > 0 or any(isinstance(a, Value) for a in args)
        inputs = {position: _as_input(args[position], position) for position in positions}
        call_args = [inputs.get(i, arg) for i, arg in enumerate(args)]
        _depth += 1
        try:
            output = f(*call_args)
        finally:
            _depth -= 1
        if isinstance(output, Value):
            grads = gradients(output, list(inputs.values()), create_graph=nested)
        elif _is_real(output):  # f does not depend on its inputs at all
            grads = [0.0] * len(positions)
        else:
            raise TypeError(
                f"{_name(f)} must return a Value or a number to be differentiated, "
                f"got {type(output).__name__}"
            )
        value = output if nested or not isinstance(output, Value) else output.data
        return value, grads[0] if isinstance(argnums, int) else tuple(grads)

    return wrapped


def grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """Make a function returning the derivative of ``f`` with respect to ``args[argnums]``.

    >>> import autograd_mini as am
    >>> d_tanh = grad(am.tanh)
    >>> round(d_tanh(0.5), 6), round(grad(d_tanh)(0.5), 6)   # tanh' and tanh''
    (0.786448, -0.726862)
    """
    value_and_grad_f = value_and_grad(f, argnums)

    @functools.wraps(f)
    def wrapped(*args: Any) -> Any:
        return value_and_grad_f(*args)[1]

    return wrapped


def _check_argnums(argnums: int | tuple[int, ...]) -> tuple[int, ...]:
    positions = (argnums,) if isinstance(argnums, int) else argnums
    if (
        not isinstance(positions, tuple)
        or not positions
        or not all(isinstance(p, int) and not isinstance(p, bool) and p >= 0 for p in positions)
    ):
        raise TypeError(f"argnums must be a non-negative int or a tuple of them, got {argnums!r}")
    return positions


def _as_input(arg: Any, position: int) -> Value:
    """A fresh node to differentiate with respect to.

    A Value from an enclosing `grad` is wrapped in an identity node, so this derivative
    counts only the paths through this argument, not other uses of the outer Value.
    """
    if isinstance(arg, Value):
        return _identity(arg)
    if _is_real(arg):
        return Value(arg)
    raise TypeError(f"argument {position} must be a real number, got {type(arg).__name__} {arg!r}")


def _name(f: Callable[..., Any]) -> str:
    return getattr(f, "__name__", repr(f))
