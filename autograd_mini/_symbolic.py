"""Symbols: the rule table's partial derivatives, run on names instead of numbers, print
themselves as formulas (``1 − out²`` for tanh). No derivative text is written by hand.
`python` prints the same formulas as Python expressions, for `autograd_mini.compiled`.

>>> out, x = Symbol("out"), Symbol("x")
>>> str(1.0 - out * out), str(out * (1.0 - out)), str(-out / x)
('1 − out²', 'out·(1 − out)', '−out/x')
>>> python(1.0 - out * out, lambda f: f.__name__)
'1.0 - out * out'
"""

from __future__ import annotations

import keyword
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
        function: object = None,
    ) -> None:
        self.text = text  # a name, a number's text, an operator, or a function's format
        self.kind = kind  # "name", "number", "+", "-", "*", "/", "**", "neg", "call"
        self.args = args
        self.function = function  # a call's float function or rule-table Op (for `python`)

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
            function = getattr(self.function, "forward", self.function)  # an Op's forward
            if not callable(function):
                raise ValueError(f"the formula {self!s} has no function to evaluate")
            return float(function(*args))
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
        if _same(self, b):  # x·x prints as x², and `python` writes it back as x * x
            return Symbol("*", "**", (self, _number(2.0)))
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


def call(form: str, *args: Symbol, function: object = None) -> Symbol:
    """A function applied to formulas, printed with ``form`` (``"tanh({})"``, ``"σ({})"``).

    ``function`` is what the call computes on floats (a function, or the rule-table `Op`
    whose operation it is), so `python` can write the call as code; without it the
    formula is text only.
    """
    return Symbol(form, "call", args, function)


def number(x: float) -> Symbol:
    """The formula of a number (printed ``2`` for 2.0)."""
    return _number(float(x))


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
    if x == 0.0 and math.copysign(1.0, x) < 0.0:
        return "-0.0"  # not "0": the sign of a zero reaches the results (1/−0 is −inf)
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


def step(x: float, at: float) -> float:
    """[x > at] on floats: 1.0 or 0.0, and NaN at NaN (the derivative of relu, at 0)."""
    return 1.0 if x > at else 0.0 if x <= at else math.nan


def step_below(x: float, at: float) -> float:
    """[x < at] on floats: 1.0 or 0.0, and NaN at NaN."""
    return 1.0 if x < at else 0.0 if x >= at else math.nan


def _indicator(a: Symbol, relation: str, other: object) -> Symbol:
    return call(f"[{{}} {relation} {{}}]", a, _lift(other), function=_INDICATORS[relation])


_INDICATORS = {">": step, "<": step_below}
# Each indicator as a Python expression of {0} (x) and {1} (at): what its function computes.
_PY_INDICATORS = {
    step: "(1.0 if {0} > {1} else 0.0 if {0} <= {1} else nan)",
    step_below: "(1.0 if {0} < {1} else 0.0 if {0} >= {1} else nan)",
}


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


# ---- as Python: the same formulas as expressions, for generated code ------------------

# Binding strength in Python, loosest first; a negative number binds like unary minus.
_PY_SUM, _PY_PRODUCT, _PY_PREFIX, _PY_POWER, _PY_ATOM = range(5)
_PY_OPERATORS = {"+": " + ", "-": " - ", "*": " * ", "/": " / "}


def python(s: Symbol, name_of: Callable[[object], str]) -> str:
    """``s`` as a Python expression: names as they are (each must be an identifier),
    numbers as ``repr(float)`` (``inf`` and ``nan`` as those names), an indicator
    ``[x > at]`` as the conditional expression its function computes, and any other call as
    ``name_of(function)(args)``. Parentheses keep the tree's own grouping, so the
    expression rounds exactly as the formula's operations do on floats.

    A call without a function (text only) raises ValueError.
    """
    return _python(s, name_of)[0]


def _python(s: Symbol, name_of: Callable[[object], str]) -> tuple[str, int]:
    """The expression and how strongly it binds."""
    kind, args = s.kind, s.args
    if kind == "name":
        if not s.text.isidentifier() or keyword.iskeyword(s.text):
            raise ValueError(f"python: the name {s.text!r} is not a Python identifier")
        return s.text, _PY_ATOM
    if kind == "number":
        x = float(s.text)
        if not math.isfinite(x):
            return ("nan" if x != x else "inf" if x > 0 else "-inf"), _PY_PREFIX
        return repr(x), _PY_PREFIX if x < 0 or repr(x).startswith("-") else _PY_ATOM
    if kind == "call":
        if s.function is None:
            raise ValueError(f"python: the formula {_show(s)} names no function to call")
        form = next((f for fn, f in _PY_INDICATORS.items() if fn is s.function), None)
        if form is not None:  # an indicator: the comparison written out, not called
            return form.format(*[_py_wrapped(a, name_of, _PY_SUM) for a in args]), _PY_ATOM
        inner = ", ".join(_python(a, name_of)[0] for a in args)
        return f"{name_of(s.function)}({inner})", _PY_ATOM
    if kind == "neg":
        return "-" + _py_wrapped(args[0], name_of, _PY_PREFIX), _PY_PREFIX
    if kind == "**":
        base, exponent = args
        if s.text == "*":  # x·x folded to x²: written back as the product it is
            operand = _py_wrapped(base, name_of, _PY_POWER)
            return f"{operand} * {operand}", _PY_PRODUCT
        left = _py_wrapped(base, name_of, _PY_ATOM)
        return f"{left} ** {_py_wrapped(exponent, name_of, _PY_ATOM)}", _PY_POWER
    level = _PY_SUM if kind in ("+", "-") else _PY_PRODUCT
    left = _py_wrapped(args[0], name_of, level)
    right = _py_wrapped(args[1], name_of, level + 1)  # a − (b − c), a·(b·c): kept
    return left + _PY_OPERATORS[kind] + right, level


def _py_wrapped(s: Symbol, name_of: Callable[[object], str], weakest: int) -> str:
    text, strength = _python(s, name_of)
    return f"({text})" if strength < weakest else text
