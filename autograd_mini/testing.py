"""Hypothesis strategies for property-testing gradients, in this project or in yours.

``operands(op)`` draws reals inside an operation's domain; ``expressions()`` draws random
computation graphs together with input values, ready for `autograd_mini.gradcheck`::

    from hypothesis import given
    from autograd_mini import gradcheck
    from autograd_mini.testing import expressions

    @given(expressions())
    def test_backprop_matches_finite_differences(expr):
        assert gradcheck(expr, expr.values)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

try:
    from hypothesis import assume
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - exercised only without hypothesis
    raise ImportError(
        "autograd_mini.testing needs hypothesis: pip install 'autograd-mini[testing]'"
    ) from error

from autograd_mini._engine import Value, abs_, exp, log, relu, sigmoid, sqrt, tanh

__all__ = ["Expression", "expressions", "operands"]

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
