"""Per-edge facts about a node's operation, for the backprop explorer (temporary).

A stand-in for the public rule table (``am.ops``) being written elsewhere: it keeps the
three names and signatures the explorer reads, and reads today's engine underneath.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from autograd_mini._engine import (
    Value,
    _exp,
    _log,
    _power,
    _relu,
    _sigmoid,
    _sqrt,
)


def local_derivatives(node: Value) -> list[float | None]:
    """∂node/∂parent for each of node.parents (in that order), as floats; None where undefined."""
    parents = node.parents
    if node._rule is None:
        return []
    try:
        return [float(d) for d in node._rule(1.0, node.data, *[p.data for p in parents])]
    except ArithmeticError:
        return [None] * len(parents)


_UNARY = {
    "tanh": "1 − out²",
    "sigmoid": "out·(1 − out)",
    "exp": "out",
    "log": "1/x",
    "sqrt": "0.5/out",
    "relu": "step(x)",
    "abs": "sign(x)",
    "neg": "−1",
    "identity": "1",
}
_BINARY = {
    "+": ("1", "1"),
    "-": ("1", "−1"),
    "*": ("b", "a"),
    "/": ("1/b", "−out/b"),
    "**": ("b·a^(b − 1)", "out·ln a"),
}


def derivative_formulas(node: Value) -> list[str]:
    """∂node/∂parent for each parent as plain-text formulas in terms of out, x (unary) or a, b (binary), e.g. '1 − out²', 'b', '−out/b'."""  # noqa: E501
    op, n = node.op, len(node.parents)
    if op in _UNARY:
        return [_UNARY[op]]
    if op in _BINARY:
        return list(_BINARY[op])
    if op.startswith("**"):  # x ** n for a fixed n
        exponent = float(op[2:])
        return [f"{op[2:]}·x^{exponent - 1:g}" if exponent != 2.0 else "2·x"]
    if op == "sum":
        return ["1"] * n
    if op == "dot":
        k = n // 2
        return [f"x{i + 1}" for i in range(k)] + [f"w{i + 1}" for i in range(k)] + ["1"] * (n % 2)
    return [op] * n


_FORWARD: dict[str, Callable[..., float]] = {
    "tanh": math.tanh,
    "sigmoid": _sigmoid,
    "exp": _exp,
    "log": _log,
    "sqrt": _sqrt,
    "relu": _relu,
    "abs": abs,
    "neg": lambda x: -x,
    "identity": float,
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": _power,
    "sum": lambda *terms: math.fsum(terms),
}


def _dot(*operands: float) -> float:
    """w·x (+ b) from w_1..w_n, x_1..x_n (, b), the order of a dot node's parents."""
    n = len(operands) // 2
    total = math.fsum(w * x for w, x in zip(operands[:n], operands[n : 2 * n]))
    return total + operands[-1] if len(operands) % 2 else total


def forward_of(node: Value) -> Callable[..., float] | None:
    """The op's forward on floats, called with the parents' data in order; None if unknown."""
    op = node.op
    if op == "dot":
        return _dot
    if op.startswith("**") and len(op) > 2:
        exponent = float(op[2:])
        return lambda x: _power(x, exponent)
    return _FORWARD.get(op)
