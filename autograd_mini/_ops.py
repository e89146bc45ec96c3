"""The rule table: every operation the engine knows, each one entry, built-ins and users' alike.

An entry (`Op`) holds the operation's name, its forward function, one local partial
derivative per operand (∂out/∂operand, a function of the output and the operands, or a
constant), its domain check and how it prints. Everything else reads the table: backprop
multiplies the partials by the upstream gradient, forward mode by the tangents, the tape
runs them on arrays, the renderer and the explorer show them as numbers and, run on
symbols, as formulas. The partials are written with the library's own operations, so the
same partial runs on floats, on Values (gradients of gradients), on numpy arrays and on
symbols.

"Where is the derivative of tanh?": ``am.ops["tanh"]``, or the ``defop("tanh", ...)``
line below.

>>> import autograd_mini as am
>>> am.ops["tanh"].formulas()
['1 − out²']
>>> am.ops["/"].formulas()
['1/b', '−out/b']
"""

from __future__ import annotations

import inspect
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, overload

from autograd_mini._symbolic import Symbol, call, formula, is_symbolic, number
from autograd_mini._value import NARY, Value, as_float, constant, data_of, is_real, new_node

if TYPE_CHECKING:  # the engine itself never imports numpy: it meets arrays only as operands
    import numpy as np
    import numpy.typing as npt

Partial = Callable[..., Any] | float | None
INF = math.inf
NAN = math.nan

# How backprop's float loop treats an operation's node (see `autograd_mini._graph`).
UNARY_PATH, BINARY_PATH, CONSTANT_PATH, POWER_PATH, SUM_PATH, DOT_PATH = range(6)
NARY_PATH, RECORDED_PATH = 6, 7


class Op:
    """One operation of the rule table (see the module docstring); read it, don't build it:
    `defop` makes entries."""

    __slots__ = (
        "arity",
        "array_forward",
        "domain",
        "domain_error",
        "forward",
        "name",
        "operand_names",
        "partials",
        "path",
        "symbol",
    )
    __module__ = "autograd_mini"

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        partials: tuple[Partial, ...],
        *,
        arity: int | None,
        array_forward: Callable[..., Any] | None,
        domain: Callable[..., Any] | None,
        domain_error: Callable[..., Exception],
        symbol: str,
        operand_names: tuple[str, ...],
    ) -> None:
        self.name = name
        self.forward = forward  # on floats
        self.partials: tuple[Any, ...] = partials  # n-ary: one partial(out, operands, i)
        self.arity = arity  # None: any number of operands
        self.array_forward = array_forward  # on numpy arrays; None: `forward` itself
        self.domain = domain  # True where the operands are valid (floats or arrays)
        self.domain_error = domain_error  # the error for operands outside the domain
        self.symbol = symbol  # a format for `str.format`, one {} per operand
        self.operand_names = operand_names
        kinds = {callable(p) for p in partials if p is not None}
        if arity == 1 and kinds == {True}:
            self.path = UNARY_PATH
        elif arity == 2 and kinds == {True}:
            self.path = BINARY_PATH if partials[1] is not None else POWER_PATH
        elif arity == 2 and kinds == {False}:
            self.path = CONSTANT_PATH
        else:  # n-ary, or constant and computed partials mixed: the general branch
            self.path = NARY_PATH

    def __repr__(self) -> str:
        return f"<op {self.name!r}: {', '.join(self.formulas())}>"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_op_named, (self.name,))  # pickled by name, like a function

    def local(self, out: Any, operands: Sequence[Any]) -> list[Any]:
        """∂out/∂operand for each operand, evaluated on whatever ``out`` and ``operands``
        are: floats, Values, numpy arrays or symbols."""
        if self.arity is None:
            (d,) = self.partials
            if not callable(d):
                return [d] * len(operands)
            return [d(out, operands, i) for i in range(len(operands))]
        return [d(out, *operands) if callable(d) else d for d in self.partials]  # None stays

    def names(self, n: int) -> list[str]:
        """The names its operands print with, for ``n`` operands."""
        if self.arity is not None:
            return list(self.operand_names)
        if self.name == "dot":
            k = n // 2
            extra = ["b"] if n % 2 else []
            return [f"w{i + 1}" for i in range(k)] + [f"x{i + 1}" for i in range(k)] + extra
        return [f"t{i + 1}" for i in range(n)]

    def formulas(self, n: int = 2) -> list[str]:
        """Each partial as a formula: the partials run on symbols (``1 − out²`` for tanh).

        ``n`` is the number of operands of an n-ary operation (ignored for the others).
        """
        names = self.names(n)
        return [formula(d) for d in self.local(Symbol("out"), [Symbol(s) for s in names])]


class Recorded(Op):
    """An entry as a node made under `detect_anomaly` holds it: the same operation plus the
    user line that made the node, and backprop checks every gradient it produces."""

    __slots__ = ("op", "origin")

    def __init__(self, op: Op, origin: str) -> None:
        for field in Op.__slots__:
            setattr(self, field, getattr(op, field))
        self.op = op
        self.origin = origin
        self.path = RECORDED_PATH

    def __reduce__(self) -> tuple[Any, ...]:
        return self.op.__reduce__()  # where it was made is not part of the graph


_table: dict[str, Op] = {}

ops: Mapping[str, Op] = MappingProxyType(_table)
"""Every operation by name, read-only: ``ops["tanh"].partials``, ``ops["*"].formulas()``."""


def _op_named(name: str) -> Op:
    """The entry called ``name``, for unpickling (a user op must be registered first)."""
    try:
        return _table[name]
    except KeyError:
        raise ValueError(
            f"no operation {name!r} is registered: define it with am.defop before loading "
            f"a graph that uses it"
        ) from None


# ---- registration: the one path for built-in and user operations ---------------------


def defop(
    name: str,
    forward: Callable[..., Any],  # floats to a float; may take arrays too (the tape's batch)
    *partials: Partial,
    array_forward: Callable[..., Any] | None = None,
    domain: Callable[..., Any] | None = None,
    domain_error: Callable[..., Exception] | None = None,
    symbol: str | None = None,
    nary: bool = False,
) -> Any:
    """Register the operation ``name`` and return a function that applies it.

    ``forward`` computes the value from the operands' values. Each of ``partials`` is
    ∂out/∂operand for one operand, as ``partial(out, *operands)``, a constant, or None
    for an operand that is a setting of the operation rather than an input (no gradient
    flows to it; ``x ** n`` treats its exponent so):
    written with Value operations (``am.sigmoid``, ``*``, ...) it runs on floats, on
    Values (higher-order gradients), on arrays (the tape) and on symbols (formulas).
    ``domain(*operands)`` is true where the operands are valid (written with comparisons
    and ``&``/``|`` it works on arrays too); outside it the operation raises
    ``domain_error(*operands)`` (by default a ValueError naming the operation and the
    operands). NaN operands should count as valid: NaN propagates. ``array_forward``
    replaces ``forward`` on numpy arrays; ``symbol`` is how it prints
    (``"softplus({})"``). With ``nary=True`` the function takes one iterable of operands
    and there is one partial, ``partial(out, operands, i)``.

    The returned function takes Values (giving a Value node) or numbers (giving a float).

    >>> import math, autograd_mini as am
    >>> cube = am.defop("cube_doc", lambda x: x**3, lambda out, x: 3 * x * x)
    >>> x = am.Value(2.0)
    >>> y = cube(x)
    >>> y.backward()
    >>> y.data, x.grad, am.ops["cube_doc"].formulas()
    (8.0, 12.0, ['3·x²'])
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"defop: name must be a non-empty str, got {name!r}")
    if name in _table:
        raise ValueError(f"defop: an operation named {name!r} is already registered")
    if not callable(forward):
        raise TypeError(f"defop {name!r}: forward must be callable, got {forward!r}")
    for i, d in enumerate(partials):
        if not callable(d) and not is_real(d) and d is not None:
            raise TypeError(
                f"defop {name!r}: partial {i} must be a function (out, *operands), a "
                f"number, or None (an operand that is not differentiated), got {d!r}"
            )
    arity = None if nary else _arity(forward) or len(partials)
    if nary and len(partials) != 1:
        raise ValueError(
            f"defop {name!r}: an n-ary operation takes one partial (out, operands, i), "
            f"got {len(partials)}"
        )
    if arity == 0:
        raise ValueError(f"defop {name!r}: give one partial derivative per operand, got none")
    if arity is not None and len(partials) != arity:
        raise ValueError(
            f"defop {name!r}: forward takes {arity} operand(s) but {len(partials)} "
            f"partial(s) were given (one per operand)"
        )
    names = _operand_names(partials, arity)
    op = Op(
        name,
        forward,
        tuple(float(d) if is_real(d) else d for d in partials),
        arity=arity,
        array_forward=array_forward,
        domain=domain,
        domain_error=domain_error or _outside(name),
        symbol=symbol or f"{name}({', '.join(['{}'] * (arity or 1))})",
        operand_names=names,
    )
    _table[name] = op
    return _function(op)


def _arity(forward: Callable[..., Any]) -> int | None:
    """How many operands ``forward`` takes, or None when Python cannot tell."""
    try:
        parameters = list(inspect.signature(forward).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return None
    required = [p for p in parameters if p.default is inspect.Parameter.empty]
    return len(required) or None


def _operand_names(partials: tuple[Partial, ...], arity: int | None) -> tuple[str, ...]:
    """What the operands are called in formulas: the names a partial gives them (``x`` in
    ``lambda out, x: ...``), else x for one operand, a and b for two, x1, x2, ... beyond."""
    for d in partials:
        if callable(d) and arity is not None:
            try:
                names = list(inspect.signature(d).parameters)[1:]
            except (TypeError, ValueError):
                break
            if len(names) == arity:
                return tuple(names)
            break
    if arity == 1:
        return ("x",)
    if arity == 2:
        return ("a", "b")
    return tuple(f"x{i + 1}" for i in range(arity or 0))


def _function(op: Op) -> Any:
    """The public function of ``op``: a Value gives a node, numbers give a float, and
    arrays and symbols give the operation on arrays and the formula."""
    forward, domain = op.forward, op.domain
    function: Callable[..., Any]
    if op.arity == 1:

        def unary(x: Any) -> Any:
            if isinstance(x, Value):
                xd = x.data
                if domain is not None and not domain(xd):
                    raise op.domain_error(xd)
                return new_node(forward(xd), op, x)
            return _apply_other(op, (x,))

        function = unary
    elif op.arity is None:

        def nary(operands: Iterable[Any]) -> Any:
            values = tuple(operands)
            if not values:
                raise ValueError(f"{op.name}: needs at least one operand")
            return _many(op, values)

        function = nary
    elif op.arity == 2:

        def binary(a: Any, b: Any) -> Any:
            if isinstance(a, Value):
                if not isinstance(b, Value):
                    b = _lifted(b, op)
            elif isinstance(b, Value):
                a = _lifted(a, op)
            else:
                return _apply_other(op, (a, b))
            x, y = a.data, b.data
            if domain is not None and not domain(x, y):
                raise op.domain_error(x, y)
            return new_node(forward(x, y), op, a, b)

        function = binary
    else:

        def fixed(*operands: Any) -> Any:
            if len(operands) != op.arity:
                raise TypeError(f"{op.name}: takes {op.arity} operands, got {len(operands)}")
            return _many(op, operands)

        function = fixed
    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = (
        f"The operation {op.name!r} (see ``am.ops[{op.name!r}]``): a Value gives a Value "
        f"node, numbers give a float."
    )
    return function


def _many(op: Op, operands: tuple[Any, ...]) -> Any:
    """``op`` of any number of operands: a node, its operands in one tuple, when any is a
    Value (numbers become constants); else the operation on numbers, arrays or symbols."""
    if not any(isinstance(v, Value) for v in operands):
        return _apply_other(op, operands)
    nodes = tuple([v if isinstance(v, Value) else _lifted(v, op) for v in operands])
    datas = [v.data for v in nodes]
    if op.domain is not None and not op.domain(*datas):
        raise op.domain_error(*datas)
    return new_node(op.forward(*datas), op, nodes, NARY)


def _lifted(x: object, op: Op) -> Value:
    if not is_real(x):
        raise TypeError(
            f"{op.name}: expected a Value or a real number, got {type(x).__name__} {x!r}"
        )
    return constant(x)


def _apply_other(op: Op, operands: Sequence[Any]) -> Any:
    """``op`` on numbers (a float), on symbols (a formula) or on arrays (an array)."""
    if all(is_real(x) for x in operands):
        floats = [as_float(x, op.name) for x in operands]
        if op.domain is not None and not op.domain(*floats):
            raise op.domain_error(*floats)
        return op.forward(*floats)
    if any(is_symbolic(x) for x in operands):
        symbols = [x if is_symbolic(x) else number(x) for x in operands]
        return call(op.symbol, *symbols, function=op)
    if any(hasattr(x, "__array_namespace__") for x in operands):
        return (op.array_forward or op.forward)(*operands)
    bad = next(x for x in operands if not is_real(x))
    raise TypeError(
        f"{op.name}: expected a Value or a real number, got {type(bad).__name__} {bad!r}"
    )


class UnaryFunction(Protocol):
    """The type of a unary operation's function: Value in, Value out; number in, float
    out; an array (or a formula) in, the same kind out."""

    @overload
    def __call__(self, x: Value) -> Value: ...
    @overload
    def __call__(self, x: float | np.floating[Any] | np.integer[Any]) -> float: ...
    @overload
    def __call__(self, x: Symbol) -> Symbol: ...
    @overload
    def __call__(self, x: npt.NDArray[Any]) -> npt.NDArray[Any]: ...
    def __call__(self, x: Any) -> Any: ...


class BinaryFunction(Protocol):
    """The type of a two-operand operation's function (`xlogy`): a Value among the
    operands gives a Value node, two numbers a float, arrays or formulas the same kind."""

    @overload
    def __call__(self, a: Value, b: Value | float) -> Value: ...
    @overload
    def __call__(self, a: float, b: Value) -> Value: ...
    @overload
    def __call__(self, a: float, b: float) -> float: ...
    @overload
    def __call__(self, a: Any, b: Any) -> Any: ...
    def __call__(self, a: Any, b: Any) -> Any: ...


class NaryFunction(Protocol):
    """The type of a many-operand operation's function (`sum`, `max`): Values give a Value
    node, numbers alone a float; a mix of both (a node), arrays or formulas give Any."""

    @overload
    def __call__(self, operands: Iterable[Value]) -> Value: ...
    @overload
    def __call__(self, operands: Iterable[float]) -> float: ...
    @overload
    def __call__(self, operands: Iterable[Any]) -> Any: ...
    def __call__(self, operands: Iterable[Any]) -> Any: ...


# ---- helpers the partials use: they work on floats, Values, arrays and symbols --------


def _step(x: Any) -> Any:
    """The derivative of relu: 1 where x > 0, 0 where x <= 0, NaN at NaN (never a node)."""
    if type(x) is float:  # backprop's own case first: it is the hot one
        return 1.0 if x > 0.0 else 0.0 if x <= 0.0 else NAN
    d = data_of(x)
    if is_symbolic(d):
        return d > 0
    if type(d) is float:
        return 1.0 if d > 0.0 else 0.0 if d <= 0.0 else NAN
    xp = d.__array_namespace__()
    step = xp.asarray(d > 0, dtype=xp.float64)
    step[xp.isnan(d)] = xp.nan  # a masked write: where() costs a branch per element
    return step


def _sign(x: Any) -> Any:
    """The derivative of |x|: −1, 0 or 1, NaN at NaN (never a node)."""
    d = data_of(x)
    if is_symbolic(d):
        return call("sign({})", d, function=_sign)
    if type(d) is float:
        return 1.0 if d > 0.0 else -1.0 if d < 0.0 else 0.0 if d == 0.0 else NAN
    xp = d.__array_namespace__()
    return xp.where(xp.isnan(d), d, (d > 0) * 1.0 - (d < 0) * 1.0)


def _first_max(out: Any, terms: Sequence[Any], i: int) -> Any:
    """∂ max/∂ term i: 1 for the first term equal to the max, else 0 (never a node)."""
    if is_symbolic(out):
        return call(
            "[{} is the max]",
            terms[i],
            *terms,
            function=lambda t, *ts: _first_max(_max(*ts), ts, i),
        )
    m = data_of(out)
    values = [data_of(t) for t in terms]
    if type(m) is float:
        first = next((k for k, v in enumerate(values) if v == m), None)
        if first is None:  # a NaN among the terms: the max is NaN, and so is its derivative
            return NAN
        return 1.0 if first == i else 0.0
    hit = values[i] == m
    for earlier in values[:i]:
        hit = hit & (earlier != m)
    return hit * 1.0


# ---- forward functions on floats: overflow gives ±inf, NaN propagates --------------


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def _power(base: float, exponent: float) -> float:
    """base ** exponent on floats; an overflow gives ±inf like every other operation."""
    try:
        result: float = base**exponent
    except OverflowError:
        odd = float(exponent).is_integer() and int(exponent) % 2 == 1
        return -INF if base < 0.0 and odd else INF
    return result


def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = _exp(x)  # x < 0, so e <= 1 and nothing overflows (NaN stays NaN)
    return e / (1.0 + e)


def _relu(x: float) -> float:
    return 0.0 if x <= 0.0 else x  # NaN is not <= 0, so relu(NaN) is NaN


def _sum(*terms: float) -> float:
    """The terms added left to right, as ``t1 + t2 + ...`` (overflow gives ±inf)."""
    total = terms[0] if terms else 0.0
    for term in terms[1:]:
        total += term
    return total


def _max(*terms: float) -> float:
    for t in terms:
        if t != t:
            return t  # NaN propagates
    return max(terms)


def _dot(*operands: float) -> float:
    n = len(operands) // 2  # w_1..w_n, x_1..x_n, and the bias when the count is odd
    return _sum(*[operands[i] * operands[n + i] for i in range(n)], *operands[2 * n :])


def _xlogy(x: float, y: float) -> float:
    return 0.0 if x == 0.0 and y == y else x * math.log(y)


def _log_or_zero(y: Any) -> Any:
    """ln y where y > 0; 0 at y = 0, the one point of xlogy's domain where ln y is not
    finite (x is 0 there: the term is absent); NaN below 0 and at NaN."""
    d = data_of(y)
    if is_symbolic(d):
        return call("ln({})", d, function=_log_or_zero)
    if type(d) is float:
        if d > 0.0:
            return log(y)
        return 0.0 if d == 0.0 else NAN
    xp = _xp(d)
    inside = d > 0
    return xp.where(inside, xp.log(xp.where(inside, d, 1.0)), xp.where(d == 0, 0.0, NAN))


def _ratio(x: Any, y: Any) -> Any:
    """x / y, and 0 where x is 0 (so 0/0 is 0: the term x·ln y is absent there)."""
    d = data_of(x)
    if is_symbolic(d):  # the formula x/y, which computes as this very function
        return call("{}/{}", d, y if is_symbolic(y) else number(y), function=_ratio)
    if type(d) is float:
        return x / y if d != 0.0 else 0.0
    xp = _xp(d)
    return xp.where(d == 0, 0.0, x / xp.where(d == 0, 1.0, y))


def _xlogy_error(x: float, y: float) -> Exception:
    return ValueError(f"xlogy: y must be > 0 where x is not 0, got x = {x!r}, y = {y!r}")


# ---- forward functions on arrays (numpy, through the array API: no import here) --------


def _xp(x: Any) -> Any:
    return x.__array_namespace__()


def _array_sigmoid(x: Any) -> Any:
    """The overflow-free sigmoid on arrays: both branches share e = exp(−|x|)."""
    xp = _xp(x)
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _array_relu(x: Any) -> Any:
    # maximum propagates NaN and, unlike where(), takes no branch per element (which
    # mispredicts on mixed signs); adding 0.0 makes a -0.0 from maximum relu's 0.0.
    out = _xp(x).maximum(x, 0.0)
    out += 0.0
    return out


def _array_xlogy(x: Any, y: Any) -> Any:
    xp = _xp(x) if hasattr(x, "__array_namespace__") else _xp(y)
    return xp.where(x == 0, 0.0, x * xp.log(xp.where(x == 0, 1.0, y)))


def _array_sum(*terms: Any) -> Any:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _array_max(*terms: Any) -> Any:
    """max over terms that are arrays or numbers (a constant such as the 0 of a hinge)."""
    xp = _xp(next(t for t in terms if hasattr(t, "__array_namespace__")))
    total = terms[0]
    for term in terms[1:]:
        total = xp.maximum(total, term)  # NaN propagates, as in the float forward
    return total


def _array_dot(*operands: Any) -> Any:
    n = len(operands) // 2
    return _array_sum(*[operands[i] * operands[n + i] for i in range(n)], *operands[2 * n :])


# ---- domains: a predicate for floats and arrays, and the error naming op and operand ----


def _outside(name: str) -> Callable[..., Exception]:
    def error(*operands: float) -> Exception:
        return ValueError(f"{name}: operand(s) {list(operands)} are outside its domain")

    return error


def _log_error(x: float) -> Exception:
    return ValueError(f"log: operand must be > 0, got {x!r}")


def _sqrt_error(x: float) -> Exception:
    return ValueError(f"sqrt: operand must be >= 0, got {x!r}")


def _div_error(a: float, b: float) -> Exception:
    return ZeroDivisionError(f"division: divisor is zero ({a!r} / {b!r})")


def _power_valid(base: Any, exponent: Any) -> Any:
    """0 to a negative power and a negative base to a fractional power are not real."""
    if isinstance(exponent, float) and exponent >= 0.0 and exponent.is_integer():
        return True  # one number such as x ** 2's, first: every base is valid
    whole = (exponent % 1 == 0) | (exponent - exponent != 0)  # ±inf and NaN count as whole
    return ((base != 0) | (exponent >= 0)) & ((base >= 0) | (base != base) | whole)


def _power_error(base: float, exponent: float) -> Exception:
    if base == 0.0:
        return ZeroDivisionError(f"pow: 0.0 cannot be raised to the negative power {exponent!r}")
    return ValueError(
        f"pow: negative base {base!r} with non-integer exponent {exponent!r} is not real"
    )


def _pow_error(base: float, exponent: float) -> Exception:
    return ValueError(f"pow: with a Value exponent the base must be > 0, got base {base!r}")


def _constant_power_partial(out: Any, x: Any, n: Any) -> Any:
    """∂(x^n)/∂x = n·x^(n − 1), with the exponent a number (0 for x^0, even at x = 0)."""
    n = data_of(n)
    if type(n) is float and n == 0.0:
        return 0.0
    return n * _raised(x, n - 1.0)


def _raised(base: Any, exponent: Any) -> Any:
    """base ** exponent in a partial: on floats an overflow gives ±inf (`_power`), as
    everywhere else, instead of Python's OverflowError."""
    if type(base) is float and type(exponent) is float:
        return _power(base, exponent)
    return base**exponent


# ==== the built-in operations ==========================================================
# Each line: name, forward, then ∂out/∂operand for each operand, as (out, *operands).

# ---- arithmetic ----
add = defop("+", operator.add, 1.0, 1.0, symbol="{} + {}")
sub = defop("-", operator.sub, 1.0, -1.0, symbol="{} − {}")
mul = defop("*", operator.mul, lambda out, a, b: b, lambda out, a, b: a, symbol="{}·{}")
div = defop(
    "/",
    operator.truediv,
    lambda out, a, b: 1.0 / b,
    lambda out, a, b: -out / b,  # d(a/b)/db = −a/b² = −out/b
    domain=lambda a, b: b != 0,
    domain_error=_div_error,
    symbol="{}/{}",
)
power = defop(  # x ** n for a number n: the exponent is a setting, not differentiated
    "**n",
    _power,
    _constant_power_partial,
    None,
    domain=_power_valid,
    domain_error=_power_error,
    symbol="{}^{}",
)
pow_ = defop(  # a ** b with b a Value
    "**",
    _power,
    lambda out, a, b: b * _raised(a, b - 1.0),
    lambda out, a, b: out * log(a),  # d(a^b)/db = a^b · ln a
    domain=lambda a, b: (a > 0) | (a != a),
    domain_error=_pow_error,
    symbol="{}^{}",
)
neg = defop("neg", operator.neg, -1.0, symbol="−{}")

# ---- elementwise functions ----
exp: UnaryFunction = defop(
    "exp", _exp, lambda out, x: out, array_forward=lambda x: _xp(x).exp(x), symbol="exp({})"
)
log: UnaryFunction = defop(
    "log",
    math.log,
    lambda out, x: 1.0 / x,
    array_forward=lambda x: _xp(x).log(x),
    domain=lambda x: (x > 0) | (x != x),
    domain_error=_log_error,
    symbol="ln({})",
)
sqrt: UnaryFunction = defop(
    "sqrt",
    math.sqrt,
    lambda out, x: 1.0 / (2.0 * out),
    array_forward=lambda x: _xp(x).sqrt(x),
    domain=lambda x: (x >= 0) | (x != x),
    domain_error=_sqrt_error,
    symbol="√({})",
)
tanh: UnaryFunction = defop(
    "tanh",
    math.tanh,
    lambda out, x: 1.0 - out * out,
    array_forward=lambda x: _xp(x).tanh(x),
    symbol="tanh({})",
)
sigmoid: UnaryFunction = defop(
    "sigmoid",
    _sigmoid,
    lambda out, x: out * (1.0 - out),
    array_forward=_array_sigmoid,
    symbol="σ({})",
)
relu: UnaryFunction = defop(
    "relu", _relu, lambda out, x: _step(x), array_forward=_array_relu, symbol="relu({})"
)
abs_: UnaryFunction = defop(
    "abs", abs, lambda out, x: _sign(x), array_forward=lambda x: _xp(x).abs(x), symbol="|{}|"
)
identity: UnaryFunction = defop("identity", operator.pos, 1.0, symbol="{}")

# x·ln y, and 0 wherever x is 0 (even at y = 0): cross-entropy's terms without a branch
xlogy: BinaryFunction = defop(
    "xlogy",
    _xlogy,
    lambda out, x, y: _log_or_zero(y),  # ln y (0 at y = 0, where x must be 0)
    lambda out, x, y: _ratio(x, y),  # x / y, and 0 where x = 0
    array_forward=_array_xlogy,
    domain=lambda x, y: (y > 0) | (x == 0) | (x != x) | (y != y),
    domain_error=_xlogy_error,
    symbol="xlogy({}, {})",
)
xlogy.__doc__ = """x · ln y, and 0 wherever x is 0, even at y = 0 (SciPy's and PyTorch's
xlogy): a cross-entropy term with no branch on the target. Its partials are ln y (0 at
y = 0) and x / y (0 where x is 0: there the term is absent).

>>> import autograd_mini as am
>>> am.xlogy(0.0, 0.0), round(am.xlogy(2.0, 3.0), 6)
(0.0, 2.197225)
"""

# ---- n-ary: partial(out, operands, i) ----
sum_: NaryFunction = defop("sum", _sum, 1.0, nary=True, array_forward=_array_sum, symbol="Σ")
sum_.__doc__ = """The sum of many terms as one node (n edges, not n − 1 additions), added
left to right. Numbers among the terms become constants; numbers alone give a float.

>>> import autograd_mini as am
>>> am.sum([am.Value(1.0), 2.0, am.Value(3.0)]).data
6.0
"""
max_: NaryFunction = defop(
    "max", _max, _first_max, nary=True, array_forward=_array_max, symbol="max"
)
max_.__doc__ = """The largest of the terms as one node; its derivative goes to the first
term equal to the max (1 there, 0 elsewhere). The same node for every input, so the
tape evaluates it per example (the stable losses shift by it).

>>> import autograd_mini as am
>>> a, b = am.Value(1.0), am.Value(3.0)
>>> m = am.max([a, b, 2.0])
>>> m.backward()
>>> m.data, a.grad, b.grad
(3.0, 0.0, 1.0)
"""


def _dot_partial(out: Any, operands: Sequence[Any], i: int) -> Any:
    """d(w·x + b)/dw_i = x_i, d/dx_i = w_i, d/db = 1 (operands: w..., x..., then b)."""
    n = len(operands) // 2
    if i < n:
        return operands[n + i]
    if i < 2 * n:
        return operands[i - n]
    return 1.0


defop("dot", _dot, _dot_partial, nary=True, array_forward=_array_dot, symbol="·")


def dot(
    weights: Sequence[Value | float],
    inputs: Sequence[Value | float],
    bias: Value | float | None = None,
) -> Value:
    """w_1 x_1 + ... + w_n x_n, plus ``bias`` if given, as one node: a neuron's weighted
    input z, the way PyTorch's ``linear`` is one operation rather than a product and a sum.

    >>> import autograd_mini as am
    >>> am.dot([am.Value(2.0), am.Value(3.0)], [1.0, -1.0]).data
    -1.0
    >>> am.dot([am.Value(2.0), am.Value(3.0)], [1.0, -1.0], bias=0.5).data
    -0.5
    """
    if len(weights) != len(inputs):
        raise ValueError(
            f"dot: the two sequences differ in length ({len(weights)} and {len(inputs)})"
        )
    n = len(weights)
    extra = () if bias is None else (bias,)
    operands = tuple(
        [v if isinstance(v, Value) else _lifted(v, DOT) for v in (*weights, *inputs, *extra)]
    )
    return dot_node((*operands[:n], *operands[2 * n :]), operands[n : 2 * n])


def dot_node(params: tuple[Value, ...], inputs: tuple[Value, ...]) -> Value:
    """`dot` unchecked, for `nn`: ``params`` holds the n weights and then, if there is
    one, the bias; ``inputs`` the n inputs. The node keeps both tuples as they are, so
    every example shares its neuron's ``params`` and a layer's neurons share ``inputs``."""
    # `_dot` written out (a neuron's hot path), the same additions in the same order,
    # with no list of terms: w1·x1 + w2·x2 + ... + wn·xn, then + b.
    n = len(inputs)
    if not n:
        return new_node(params[0].data if params else 0.0, DOT, params, inputs)
    data = params[0].data * inputs[0].data
    for w, x in zip(params[1:n], inputs[1:]):
        data += w.data * x.data
    if len(params) > n:
        data += params[n].data
    return new_node(data, DOT, params, inputs)


ACTIVATIONS: Mapping[str, UnaryFunction | None] = MappingProxyType(
    {"sigmoid": sigmoid, "tanh": tanh, "relu": relu, "linear": None}
)
"""The activations a neuron may end with, by name, each the operation of that name
(``"linear"``: none, the weighted input z itself). nn, textbook, render and the command
line all read this one table."""

ADD, SUB, MUL, DIV, NEG, POWER = (_table[name] for name in ("+", "-", "*", "/", "neg", "**n"))
SUM, DOT, MAX = _table["sum"], _table["dot"], _table["max"]
SUM.path, DOT.path = SUM_PATH, DOT_PATH  # backprop's loop has a fast branch for each


# ---- what one node's edges say: read by render, the explorer and gradcheck ----------------


def local_derivatives(node: Value) -> list[float | None]:
    """∂node/∂parent for each of ``node.parents`` (in that order), as floats; None where
    the partial cannot be computed there (``sqrt`` at 0, say)."""
    op = node._rule
    if op is None:
        return []
    try:
        local = op.local(node.data, [p.data for p in node.parents])
        return [None if d is None else float(d) for d in local]
    except (ArithmeticError, ValueError):
        return [None] * len(node.parents)


def derivative_formulas(node: Value) -> list[str]:
    """∂node/∂parent for each parent as a formula in the op's operand names (``1 − out²``
    for tanh, ``b`` and ``a`` for a product, ``n·x^(n − 1)`` with n written out for
    ``x ** n``), from the rule table's partials run on symbols."""
    op = node._rule
    if op is None:
        return []
    n = len(node.parents)
    operands: list[Any] = [Symbol(name) for name in op.names(n)]
    if op.name == "**n":  # the exponent is part of the operation: show its number
        operands[1] = node.parents[1].data
    return [formula(d) for d in op.local(Symbol("out"), operands)]


def forward_of(node: Value) -> Callable[..., float] | None:
    """The float forward function of the node's operation (None for a leaf), taking the
    operands' values positionally, domain check included."""
    return None if node._rule is None else forward_of_op(node._rule)


def forward_of_op(op: Op) -> Callable[..., float]:
    """``op``'s float forward with its domain check, taking the operands positionally."""
    forward, domain = op.forward, op.domain
    if domain is None:
        return forward

    def checked(*operands: float) -> float:
        if not domain(*operands):
            raise op.domain_error(*operands)
        return forward(*operands)

    return checked
