"""Symbols: the rule table's partial derivatives, run on names instead of numbers, print
themselves as formulas (``1 − out²`` for tanh). No derivative text is written by hand.

>>> out, x = Symbol("out"), Symbol("x")
>>> str(1.0 - out * out), str(out * (1.0 - out)), str(-out / x)
('1 − out²', 'out·(1 − out)', '−out/x')
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

# Binding strength of each form, loosest first: a child looser than its parent gets
# parentheses.
_SUM, _PRODUCT, _PREFIX, _POWER, _ATOM = range(5)
_SUPERSCRIPTS = str.maketrans("0123456789-.", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻·")


class Symbol:
    """A formula: a name, a number, or an operation applied to formulas.

    Arithmetic with numbers and other symbols builds bigger formulas, folding the
    trivial cases (``1·x`` is ``x``, ``x·x`` is ``x²``) so printed rules read as math.
    """

    __slots__ = ("args", "function", "kind", "text")

    def __init__(
        self,
        text: str,
        kind: str = "name",
        args: tuple[Symbol, ...] = (),
        function: Callable[..., float] | None = None,
    ) -> None:
        self.text = text  # a name, a number's text, an operator, or a function's format
        self.kind = kind  # "name", "number", "+", "-", "*", "/", "**", "neg", "call"
        self.args = args
        self.function = function  # for "call": what it computes on floats

    def evaluate(self, **values: float) -> float:
        """The formula's number with each name given a value: ``(1 − out²)(out=0.5)``.

        >>> (1.0 - Symbol("out") * Symbol("out")).evaluate(out=0.5)
        0.75
        """
        kind, args = self.kind, [a.evaluate(**values) for a in self.args]
        if kind == "name":
            if self.text not in values:
                raise KeyError(f"no value for {self.text!r} in {sorted(values)}")
            return float(values[self.text])
        if kind == "number":
            return float(self.text)
        if kind == "call":
            if self.function is None:
                raise ValueError(f"the formula {self!s} has no function to evaluate")
            return self.function(*args)
        if kind == "neg":
            return -args[0]
        return float(_ARITHMETIC[kind](*args))

    def __repr__(self) -> str:
        return f"Symbol({str(self)!r})"

    def __str__(self) -> str:
        return _show(self)

    # ---- arithmetic folds the trivial cases ------------------------------------------

    def __add__(self, other: object) -> Symbol:
        b = _lift(other)
        if _is_number(b, 0.0):
            return self
        if _is_number(self, 0.0):
            return b
        if b.kind == "neg":
            return self - b.args[0]
        return Symbol("+", "+", (self, b))

    def __radd__(self, other: object) -> Symbol:
        return _lift(other) + self

    def __sub__(self, other: object) -> Symbol:
        b = _lift(other)
        if _is_number(b, 0.0):
            return self
        if _is_number(self, 0.0):
            return -b
        return Symbol("-", "-", (self, b))

    def __rsub__(self, other: object) -> Symbol:
        return _lift(other) - self

    def __mul__(self, other: object) -> Symbol:
        b = _lift(other)
        if _is_number(self, 0.0) or _is_number(b, 0.0):
            return _number(0.0)
        if _is_number(b, 1.0):
            return self
        if _is_number(self, 1.0):
            return b
        if _is_number(b, -1.0):
            return -self
        if _is_number(self, -1.0):
            return -b
        if self.kind == "neg":
            return -(self.args[0] * b)
        if b.kind == "neg":
            return -(self * b.args[0])
        if _same(self, b):
            return self ** _number(2.0)
        if self.kind == "*" and self.args[0].kind == "number" and _same(self.args[1], b):
            return self.args[0] * b ** _number(2.0)  # (k·x)·x = k·x²
        if b.kind == "number" and self.kind != "number":  # numbers first: 2·x, not x·2
            return Symbol("*", "*", (b, self))
        return Symbol("*", "*", (self, b))

    def __rmul__(self, other: object) -> Symbol:
        return _lift(other) * self

    def __truediv__(self, other: object) -> Symbol:
        b = _lift(other)
        if _is_number(b, 1.0):
            return self
        if self.kind == "neg":
            return -(self.args[0] / b)
        return Symbol("/", "/", (self, b))

    def __rtruediv__(self, other: object) -> Symbol:
        return _lift(other) / self

    def __pow__(self, other: object) -> Symbol:
        b = _lift(other)
        if _is_number(b, 1.0):
            return self
        if _is_number(b, 0.0):
            return _number(1.0)
        return Symbol("**", "**", (self, b))

    def __rpow__(self, other: object) -> Symbol:
        return _lift(other) ** self

    def __neg__(self) -> Symbol:
        if self.kind == "neg":
            return self.args[0]
        if self.kind == "number":
            return _number(-float(self.text))
        return Symbol("neg", "neg", (self,))

    # A comparison gives an indicator formula such as [x > 0]: the derivative of a step.
    def __gt__(self, other: object) -> Symbol:
        return _indicator(self, ">", other)

    def __lt__(self, other: object) -> Symbol:
        return _indicator(self, "<", other)


def call(form: str, *args: Symbol, function: Callable[..., float] | None = None) -> Symbol:
    """A function applied to formulas, printed with ``form`` (``"tanh({})"``, ``"σ({})"``);
    ``function`` computes it on floats, for `Symbol.evaluate`."""
    return Symbol(form, "call", args, function)


_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


def _number(x: float) -> Symbol:
    return Symbol(_number_text(x), "number")


def _number_text(x: float) -> str:
    if math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def _lift(x: object) -> Symbol:
    if isinstance(x, Symbol):
        return x
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise TypeError(f"a formula can combine only with numbers and formulas, got {x!r}")
    return _number(float(x))


def _is_number(s: Symbol, value: float) -> bool:
    return s.kind == "number" and float(s.text) == value


def _same(a: Symbol, b: Symbol) -> bool:
    return a is b or (a.kind == b.kind == "name" and a.text == b.text)


def _indicator(a: Symbol, relation: str, other: object) -> Symbol:
    compare = operator.gt if relation == ">" else operator.lt
    bound = float(_lift(other).evaluate())
    return call(
        f"[{{}} {relation} {_show(_lift(other))}]",
        a,
        function=lambda x: 1.0 if compare(x, bound) else 0.0,
    )


def _strength(s: Symbol) -> int:
    if s.kind in ("+", "-"):
        return _SUM
    if s.kind in ("*", "/"):
        return _PRODUCT
    if s.kind == "neg" or (s.kind == "number" and s.text.startswith("-")):
        return _PREFIX
    if s.kind == "**":
        return _POWER
    return _ATOM


def _wrapped(s: Symbol, weakest: int) -> str:
    """``s`` as text, in parentheses when it binds more loosely than ``weakest``."""
    text = _show(s)
    return f"({text})" if _strength(s) < weakest else text


def _show(s: Symbol) -> str:
    kind, args = s.kind, s.args
    if kind in ("name", "number"):
        return s.text.replace("-", "−")
    if kind == "call":
        return s.text.format(*[_show(a) for a in args])
    if kind == "neg":
        return "−" + _wrapped(args[0], _PRODUCT)  # −out/b reads as −(out/b): the same number
    if kind == "**":
        base, exponent = args
        if exponent.kind == "number" and exponent.text.lstrip("-").replace(".", "").isdigit():
            return _wrapped(base, _ATOM) + exponent.text.translate(_SUPERSCRIPTS)
        return f"{_wrapped(base, _ATOM)}^{_wrapped(exponent, _ATOM)}"
    a, b = args
    if kind == "+":
        return f"{_show(a)} + {_wrapped(b, _SUM)}"
    if kind == "-":
        return f"{_show(a)} − {_wrapped(b, _SUM + 1)}"
    if kind == "*":
        return f"{_wrapped(a, _PRODUCT)}·{_wrapped(b, _PRODUCT)}"
    return f"{_wrapped(a, _PRODUCT)}/{_wrapped(b, _PRODUCT + 1)}"


def formula(x: object) -> str:
    """A partial's result as text: a formula, a constant partial's number (``1``), or
    ``none`` for an operand that is not differentiated (the exponent of ``x ** n``)."""
    return "none" if x is None else str(_lift(x))


def is_symbolic(x: Any) -> bool:
    """True for a formula (the rule table prints its partials with these)."""
    return type(x) is Symbol
