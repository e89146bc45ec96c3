"""The scalar engine: `Value` nodes, the derivative rule of every operation, and backprop.

Each operation does three things in one place: compute its forward value, name the rule
that turns the output's gradient into its operands' gradients, and record both on a new
node. Rules are written only with arithmetic, so the same rule runs on floats (plain
backprop, no new nodes) and on Values (``create_graph=True``: the gradient becomes a
differentiable graph, which is how second derivatives work).
"""

from __future__ import annotations

import linecache
import math
import numbers
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, Protocol, TypeGuard, TypeVar, overload

# A rule gets (upstream gradient, output, *operands), all floats or all Values, and
# returns one gradient contribution per operand.
Rule = Callable[..., tuple[Any, ...]]
G = TypeVar("G", float, "Value")


class AnomalyError(RuntimeError):
    """Raised inside `detect_anomaly()` when backprop produces a NaN or an infinity."""


class Value:
    """A scalar in a computation graph: its value, its gradient, and how it was made.

    >>> x = Value(3.0, label="x")
    >>> y = x * x + 1
    >>> y.backward()
    >>> y.data, x.grad
    (10.0, 6.0)
    """

    # Operands live in two slots, not a tuple: one GC-tracked object per node, not two,
    # halves what Python's cyclic garbage collector has to scan in a big graph.
    # Unary: _a = x, _b = None. Binary: _a, _b. sum: _a = tuple of terms, _b = _NARY.
    # dot: _a = tuple of weights (then the bias, if any), _b = tuple of inputs; these
    # tuples are shared, not copied (a neuron's parameters, a layer's inputs).
    __slots__ = ("_a", "_b", "_pending", "_rule", "data", "grad", "label", "op")
    __array_ufunc__ = None  # numpy scalars defer to Value's reflected operators

    data: float
    grad: float
    label: str
    op: str
    _a: Any
    _b: Any

    def __init__(self, data: float, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__} {label!r}")
        self.data = data if type(data) is float else _as_float(data)
        self.grad = 0.0
        self.label = label
        self.op = ""
        self._a = self._b = None
        self._rule: Rule | None = None
        self._pending: Any = 0.0  # this backward pass's gradient, before it is pushed on

    @property
    def parents(self) -> tuple[Value, ...]:
        """The operands this node was computed from, in order (``x * x`` lists x twice)."""
        a, b = self._a, self._b
        if a is None:
            return ()
        if b is None:
            return (a,)
        if b is _NARY:
            return tuple(a)  # the same tuple, not a copy
        if type(b) is tuple:  # dot: weights, inputs, then the bias
            n = len(b)
            return (*a[:n], *b, *a[n:])
        return (a, b)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        op = f", op={self.op!r}" if self.op else ""
        return f"Value({self.data!r}, grad={self.grad!r}{label}{op})"

    # ---- arithmetic: forward value + rule --------------------------------------------

    def __add__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            if not _is_real(other):
                return NotImplemented
            other = _node(float(other))
        return _node(self.data + other.data, "+", _d_add, self, other)

    def __sub__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            if not _is_real(other):
                return NotImplemented
            other = _node(float(other))
        return _node(self.data - other.data, "-", _d_sub, self, other)

    def __mul__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            if not _is_real(other):
                return NotImplemented
            other = _node(float(other))
        return _node(self.data * other.data, "*", _d_mul, self, other)

    def __truediv__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            if not _is_real(other):
                return NotImplemented
            other = _node(float(other))
        if other.data == 0.0:
            raise ZeroDivisionError(f"division: divisor is zero ({self.data!r} / {other.data!r})")
        return _node(self.data / other.data, "/", _d_div, self, other)

    def __pow__(self, exponent: Value | float) -> Value:
        if isinstance(exponent, Value):
            if not self.data > 0.0:
                raise ValueError(
                    f"pow: with a Value exponent the base must be > 0, got base {self.data!r}"
                )
            data = _power(self.data, exponent.data)
            return _node(data, "**", _d_pow, self, exponent)
        if not _is_real(exponent):
            return NotImplemented
        n = float(exponent)
        rule, op = _constant_power_rule(n)
        return _node(_power(self.data, n), op, rule, self)

    def __neg__(self) -> Value:
        return _node(-self.data, "neg", _d_neg, self)

    def __radd__(self, other: float) -> Value:
        return _lift(other, "+") + self

    def __rsub__(self, other: float) -> Value:
        return _lift(other, "-") - self

    def __rmul__(self, other: float) -> Value:
        return _lift(other, "*") * self

    def __rtruediv__(self, other: float) -> Value:
        return _lift(other, "/") / self

    def __rpow__(self, base: float) -> Value:
        return _lift(base, "**") ** self

    # ---- elementwise functions (defined below, as functions) -------------------------

    def exp(self) -> Value:
        """e to the power of this value."""
        return exp(self)

    def log(self) -> Value:
        """Natural logarithm; the value must be > 0."""
        return log(self)

    def sqrt(self) -> Value:
        """Square root; the value must be >= 0."""
        return sqrt(self)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return tanh(self)

    def sigmoid(self) -> Value:
        """Logistic sigmoid 1 / (1 + e^-x), computed without overflow."""
        return sigmoid(self)

    def relu(self) -> Value:
        """max(0, x); its derivative at 0 is taken as 0."""
        return relu(self)

    def abs(self) -> Value:
        """|x|; its derivative at 0 is taken as 0."""
        return abs_(self)

    def __abs__(self) -> Value:
        return abs_(self)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter display: the graph once `autograd_mini.render` is loaded, else the repr."""
        if _display_hook is None:
            return {"text/plain": repr(self)}
        return _display_hook(self, include, exclude)

    # ---- backprop --------------------------------------------------------------------

    def backward(self) -> None:
        """Add d(self)/d(node) to ``node.grad`` for every node this value depends on.

        Gradients accumulate across calls and across fan-out, as in PyTorch; reset them
        with `zero_grad`. For gradients that are themselves differentiable, see
        `gradients(..., create_graph=True)`.
        """
        order = topological_order(self)
        self._pending = 1.0
        _backprop_floats(order, accumulate=True)

    def zero_grad(self) -> None:
        """Set ``grad`` to 0.0 on this value and every node it depends on."""
        for node in topological_order(self):
            node.grad = 0.0


_new_value = object.__new__

# Filled in by autograd_mini.render, so notebooks draw a Value as its graph while the
# engine itself knows nothing of rendering.
_display_hook: Callable[[Value, Any, Any], dict[str, str]] | None = None


def _node(
    data: float, op: str = "", rule: Rule | None = None, a: Any = None, b: Any = None
) -> Value:
    """Make a node without checking its inputs: the fast path every operation takes.

    ``a`` and ``b`` are the operands (see ``Value.__slots__``); a leaf has neither.
    """
    out: Value = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out.op = op
    out._a = a
    out._b = b
    out._rule = _anomaly_checked(rule, op) if _anomaly_depth and rule else rule
    out._pending = 0.0
    return out


class _NaryMarker:
    """The ``_b`` of a `sum` node, whose ``_a`` holds the tuple of all its terms."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "_NARY"


_NARY = _NaryMarker()


def _is_real(x: object) -> TypeGuard[float]:
    """True for int, float and numpy real scalars; False for bool, complex, str, ..."""
    t = type(x)
    return t is float or t is int or (isinstance(x, numbers.Real) and t is not bool)


def _as_float(x: object) -> float:
    if type(x) is float:
        return x
    if _is_real(x):
        return float(x)
    raise TypeError(
        f"Value needs a real number (int, float or numpy real scalar), got {type(x).__name__} {x!r}"
    )


def _lift(x: object, op: str) -> Value:
    """Wrap a plain number met on the left of an operator."""
    if not _is_real(x):
        raise TypeError(f"unsupported operand for {op}: {type(x).__name__} {x!r} and Value")
    return _node(float(x))


def _data(x: Any) -> Any:
    """The number inside a Value; anything else as it is (float, numpy array)."""
    return x.data if isinstance(x, Value) else x


def _step(x: Any) -> Any:
    """1.0 where x > 0, else 0.0 (never a node: the derivative of a step is 0)."""
    return (_data(x) > 0) * 1.0


def _ln(x: Any) -> Any:
    """Natural log of a Value, a number, or an array (through its array-API namespace)."""
    if isinstance(x, Value) or _is_real(x):
        return log(x)
    return x.__array_namespace__().log(x)


def _sign(x: Any) -> Any:
    """-1.0, 0.0 or 1.0 (never a node)."""
    d = _data(x)
    return (d > 0) * 1.0 - (d < 0) * 1.0


def _power(base: float, exponent: float) -> float:
    """base ** exponent on floats, with errors that name the operands."""
    if base == 0.0 and exponent < 0.0:
        raise ZeroDivisionError(f"pow: 0.0 cannot be raised to the negative power {exponent!r}")
    if base < 0.0 and not exponent.is_integer():
        raise ValueError(
            f"pow: negative base {base!r} with non-integer exponent {exponent!r} is not real"
        )
    try:
        result: float = base**exponent
    except OverflowError:
        raise OverflowError(f"pow: {base!r} ** {exponent!r} overflows a float") from None
    return result


# ---- derivative rules: d(out)/d(operand) times the upstream gradient g ---------------
# Each returns one contribution per operand. Written with arithmetic only, so they run
# on floats (first order) and on Values (create_graph=True, for higher orders).


def _d_add(g: G, out: G, a: G, b: G) -> tuple[G, G]:
    return g, g


def _d_sub(g: G, out: G, a: G, b: G) -> tuple[G, G]:
    return g, -g


def _d_mul(g: G, out: G, a: G, b: G) -> tuple[G, G]:
    return g * b, g * a


def _d_div(g: G, out: G, a: G, b: G) -> tuple[G, G]:
    return g / b, -g * out / b  # d(a/b)/db = -a/b**2 = -out/b


def _d_pow(g: G, out: G, a: G, b: G) -> tuple[G, G]:
    return g * b * a ** (b - 1), g * out * _ln(a)  # d(a**b)/db = a**b * ln a


def _d_neg(g: G, out: G, x: G) -> tuple[G]:
    return (-g,)


@lru_cache(maxsize=256)
def _constant_power_rule(n: float) -> tuple[Rule, str]:
    """The rule and op name of x ** n for a fixed number n (cached: x**2 is common).

    The op name holds n exactly (``**2``, ``**-0.5``, ``**0.1111111111111111``), so
    ``float(op[2:])`` gives the exponent back.
    """

    def _d_power(g: G, out: G, x: G) -> tuple[G | float]:
        if n == 0.0:
            return (0.0,)
        return (g * n * x ** (n - 1.0),)

    short = f"{n:g}"
    return _d_power, "**" + (short if float(short) == n else repr(n))


def _d_exp(g: G, out: G, x: G) -> tuple[G]:
    return (g * out,)


def _d_log(g: G, out: G, x: G) -> tuple[G]:
    return (g / x,)


def _d_sqrt(g: G, out: G, x: G) -> tuple[G]:
    return (g * 0.5 / out,)


def _d_tanh(g: G, out: G, x: G) -> tuple[G]:
    return (g * (1.0 - out * out),)


def _d_sigmoid(g: G, out: G, x: G) -> tuple[G]:
    return (g * out * (1.0 - out),)


def _d_relu(g: G, out: G, x: G) -> tuple[G]:
    return (g * _step(x),)


def _d_abs(g: G, out: G, x: G) -> tuple[G]:
    return (g * _sign(x),)


def _d_identity(g: G, out: G, x: G) -> tuple[G]:
    return (g,)


def _d_sum(g: G, out: G, *terms: G) -> tuple[G, ...]:
    return (g,) * len(terms)


def _d_dot(g: G, out: G, *operands: G) -> tuple[G, ...]:
    # operands: w_1..w_n, x_1..x_n, then the bias b if there is one (an odd count).
    # d(w·x + b)/dw_i = x_i, d/dx_i = w_i, d/db = 1.
    n = len(operands) // 2
    contributions = [g * x for x in operands[n : 2 * n]] + [g * w for w in operands[:n]]
    if len(operands) % 2:
        contributions.append(g)
    return tuple(contributions)


# ---- elementwise functions: a Value gives a Value, a number gives a float -------------


def _float_arg(x: object, op: str) -> float:
    if _is_real(x):
        return float(x)
    raise TypeError(f"{op}: expected a Value or a real number, got {type(x).__name__} {x!r}")


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        raise OverflowError(f"exp: result overflows a float for operand {x!r}") from None


def _log(x: float) -> float:
    if not x > 0.0 and not math.isnan(x):
        raise ValueError(f"log: operand must be > 0, got {x!r}")
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0.0:
        raise ValueError(f"sqrt: operand must be >= 0, got {x!r}")
    return math.sqrt(x)


def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # x < 0, so e <= 1 and nothing overflows
    return e / (1.0 + e)


def _relu(x: float) -> float:
    return x if x > 0.0 else 0.0


def _unary(name: str, forward: Callable[[float], float], rule: Rule, doc: str) -> Any:
    """Build the public function `name`: forward on floats, a node on Values."""

    @overload
    def function(x: Value) -> Value: ...
    @overload
    def function(x: float) -> float: ...
    def function(x: Value | float) -> Value | float:
        if isinstance(x, Value):
            return _node(forward(x.data), name, rule, x)
        return forward(_float_arg(x, name))

    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc + " A Value gives a Value (a node); a number gives a float."
    return function


class _UnaryFunction(Protocol):
    """The type of the functions made by `_unary`: Value in, Value out; number in, float out."""

    @overload
    def __call__(self, x: Value) -> Value: ...
    @overload
    def __call__(self, x: float) -> float: ...
    def __call__(self, x: Value | float) -> Value | float: ...


exp: _UnaryFunction = _unary("exp", _exp, _d_exp, "e ** x; OverflowError past about x = 709.")
log: _UnaryFunction = _unary("log", _log, _d_log, "Natural logarithm; ValueError unless x > 0.")
sqrt: _UnaryFunction = _unary("sqrt", _sqrt, _d_sqrt, "Square root; ValueError for x < 0.")
tanh: _UnaryFunction = _unary("tanh", math.tanh, _d_tanh, "Hyperbolic tangent.")
sigmoid: _UnaryFunction = _unary(
    "sigmoid", _sigmoid, _d_sigmoid, "Logistic sigmoid 1 / (1 + e ** -x), which never overflows."
)
relu: _UnaryFunction = _unary(
    "relu", _relu, _d_relu, "max(0, x); its derivative at 0 is 0, as in PyTorch."
)
abs_: _UnaryFunction = _unary("abs", abs, _d_abs, "|x|; its derivative at 0 is 0, as in PyTorch.")
_identity: _UnaryFunction = _unary("identity", float, _d_identity, "x itself, as a new node.")


def _as_values(terms: Iterable[Value | float], op: str) -> tuple[Value, ...]:
    """The terms as a tuple of Values, numbers wrapped as constants."""
    values = tuple(terms)
    if [v for v in values if type(v) is not Value]:
        return tuple([v if isinstance(v, Value) else _node(_float_arg(v, op)) for v in values])
    return values  # type: ignore[return-value]


def sum_(terms: Iterable[Value | float]) -> Value:
    """The sum of many terms as one node (n edges, not n - 1 additions).

    >>> import autograd_mini as am
    >>> am.sum([Value(1.0), 2.0, Value(3.0)]).data
    6.0
    """
    parents = _as_values(terms, "sum")
    return _node(math.fsum([p.data for p in parents]), "sum", _d_sum, parents, _NARY)


def dot(
    weights: Sequence[Value | float],
    inputs: Sequence[Value | float],
    bias: Value | float | None = None,
) -> Value:
    """w_1 x_1 + ... + w_n x_n, plus ``bias`` if given, as one node: a neuron's weighted
    input z, the way PyTorch's ``linear`` is one operation rather than a product and a sum.

    >>> import autograd_mini as am
    >>> am.dot([Value(2.0), Value(3.0)], [1.0, -1.0]).data
    -1.0
    >>> am.dot([Value(2.0), Value(3.0)], [1.0, -1.0], bias=0.5).data
    -0.5
    """
    if len(weights) != len(inputs):
        raise ValueError(
            f"dot: the two sequences differ in length ({len(weights)} and {len(inputs)})"
        )
    n = len(weights)
    extra = () if bias is None else (bias,)
    operands = _as_values((*weights, *inputs, *extra), "dot")
    return _dot((*operands[:n], *operands[2 * n :]), operands[n : 2 * n])


def _dot(params: tuple[Value, ...], inputs: tuple[Value, ...]) -> Value:
    """`dot` unchecked, for `nn`: ``params`` holds the n weights and then, if there is
    one, the bias; ``inputs`` the n inputs. The node keeps both tuples as they are, so
    every example shares its neuron's ``params`` and a layer's neurons share ``inputs``."""
    data = math.fsum([w.data * x.data for w, x in zip(params, inputs)])
    if len(params) > len(inputs):
        data += params[-1].data
    return _node(data, "dot", _d_dot, params, inputs)


# ---- traversal, written once: used by backprop, gradients and rendering ---------------


def topological_order(*roots: Value) -> list[Value]:
    """Every node the roots depend on, each once, parents before the nodes made from them.

    Iterative (no recursion), so a chain of any depth works. The stack holds the nodes
    themselves, a node twice when its operands are pending, so a deep walk makes no
    object per node for Python's garbage collector to rescan. An operand tuple that many
    `dot` nodes share (a neuron's weights, a layer's inputs) is walked only once.

    >>> x = Value(1.0, label="x")
    >>> [v.label or v.op for v in topological_order(x * x + 1)]
    ['x', '*', '', '+']
    """
    order: list[Value] = []
    done: set[Value] = set()  # the nodes already in `order`
    done_tuples: set[int] = set()  # ids of dot operand tuples whose nodes are all in `order`
    stack: list[Any] = list(reversed(roots))
    push, pop, extend = stack.append, stack.pop, stack.extend  # bound once: this is hot
    while stack:
        node = pop()
        if node is _OPERANDS_DONE:  # the node under the marker can follow its operands
            node = pop()
            done.add(node)
            order.append(node)
            continue
        if node is _TUPLES_DONE:  # the same for a dot that walked its operand tuples
            node = pop()
            done.add(node)
            order.append(node)
            done_tuples.add(id(node._a))
            done_tuples.add(id(node._b))
            continue
        if node in done:
            continue
        a, b = node._a, node._b  # `node.parents`, inlined: this is hot
        if a is None:  # a leaf has no operands to wait for
            done.add(node)
            order.append(node)
            continue
        push(node)
        # the operands not yet in `order`, pushed last first so the first is walked first
        if b is None:
            push(_OPERANDS_DONE)
            if a not in done:
                push(a)
        elif b is _NARY:
            push(_OPERANDS_DONE)
            extend([p for p in reversed(a) if p not in done])
        elif type(b) is tuple:  # a dot: skip a tuple another dot has already put in order
            walk_a, walk_b = id(a) not in done_tuples, id(b) not in done_tuples
            push(_TUPLES_DONE if walk_a or walk_b else _OPERANDS_DONE)
            if walk_b:
                extend([p for p in reversed(b) if p not in done])
            if walk_a:
                extend([p for p in reversed(a) if p not in done])
        else:
            push(_OPERANDS_DONE)
            if b not in done:
                push(b)
            if a not in done:
                push(a)
    return order


# Markers on the stack above a node whose operands are being walked: when one is popped,
# every operand is in the order, and the node is next. After `_TUPLES_DONE`, a dot's
# operand tuples are too (marking them any earlier could skip a tuple still pending).
_OPERANDS_DONE = object()
_TUPLES_DONE = object()


def _backprop_floats(order: list[Value], *, accumulate: bool) -> None:
    """Backprop on plain floats: push each node's pending gradient into its parents.

    Visits nodes from the last back, so each node's gradient is complete when its turn
    comes. ``accumulate`` adds each node's gradient into ``node.grad`` (what `backward`
    does); without it the gradients stay in ``_pending`` for `gradients` to read. This is
    the hottest loop in the library: unary and binary nodes get their own branches.
    """
    node = None
    try:
        for node in reversed(order):
            g = node._pending
            if accumulate:
                node.grad += g
                node._pending = 0.0
            rule = node._rule
            if rule is None:
                continue
            a, b = node._a, node._b
            if b is None:
                (da,) = rule(g, node.data, a.data)
                a._pending += da
            elif rule is _d_dot:  # `_d_dot` inlined: w_i gets g x_i, x_i g w_i, b g
                for w, x in zip(a, b):  # a: weights (then the bias), b: inputs
                    w._pending += g * x.data
                    x._pending += g * w.data
                if len(a) > len(b):
                    a[-1]._pending += g
            elif b is _NARY or type(b) is tuple:  # a sum, or a dot in anomaly mode
                parents = node.parents
                contributions = rule(g, node.data, *[p.data for p in parents])
                for parent, contribution in zip(parents, contributions):
                    parent._pending += contribution
            else:
                da, db = rule(g, node.data, a.data, b.data)
                a._pending += da
                b._pending += db
    except BaseException as error:
        _clear_pending(order)
        if isinstance(error, ArithmeticError) and node is not None:
            raise _backward_error(node, error) from error
        raise


def _backprop_values(order: list[Value]) -> None:
    """Backprop whose gradients are Values (``create_graph=True``): the same rules, fed
    the nodes themselves, build the gradient as a graph that can be differentiated."""
    node = None
    try:
        for node in reversed(order):
            rule = node._rule
            if rule is None:
                continue
            parents = node.parents
            contributions = rule(node._pending, node, *parents)
            for parent, contribution in zip(parents, contributions):
                pending = parent._pending
                is_zero = type(pending) is float and pending == 0.0
                parent._pending = contribution if is_zero else pending + contribution
    except BaseException as error:
        _clear_pending(order)
        if isinstance(error, ArithmeticError) and node is not None:
            raise _backward_error(node, error) from error
        raise


def _clear_pending(order: list[Value]) -> None:
    for node in order:
        node._pending = 0.0


def _backward_error(node: Value, error: ArithmeticError) -> ArithmeticError:
    """The same kind of error, saying which operation's derivative failed and where."""
    operands = ", ".join(repr(_data(p)) for p in node.parents)
    return type(error)(f"backward of {node.op!r} at operand(s) {operands}: {error}")


@overload
def gradients(output: Value, inputs: Sequence[Value], *, create_graph: bool = ...) -> list[Any]: ...
@overload
def gradients(output: Value, inputs: Value, *, create_graph: bool = ...) -> Any: ...
def gradients(output: Value, inputs: Value | Sequence[Value], *, create_graph: bool = False) -> Any:
    """d(output)/d(input) for each input, leaving every ``.grad`` untouched.

    Floats by default. With ``create_graph=True`` each gradient is a Value built from the
    graph, so it can be differentiated again (the equivalent of PyTorch's
    ``backward(create_graph=True)`` and ``torch.autograd.grad``). An input the output does
    not depend on gets 0.0.

    >>> x = Value(3.0)
    >>> gradients(x * x * x, x)
    27.0
    >>> dy = gradients(x * x * x, x, create_graph=True)
    >>> gradients(dy, x)
    18.0
    """
    if not isinstance(output, Value):
        raise TypeError(f"gradients: output must be a Value, got {type(output).__name__}")
    single = isinstance(inputs, Value)
    wanted: list[Value] = [inputs] if isinstance(inputs, Value) else list(inputs)
    for x in wanted:
        if not isinstance(x, Value):
            raise TypeError(f"gradients: inputs must be Values, got {type(x).__name__} {x!r}")
    order = topological_order(output)
    output._pending = 1.0
    if create_graph:
        _backprop_values(order)
    else:
        _backprop_floats(order, accumulate=False)
    result = [x._pending for x in wanted]
    _clear_pending(order)
    return result[0] if single else result


# ---- anomaly mode ----------------------------------------------------------------------

_anomaly_depth = 0
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Within this block, nodes remember the user line that made them, and backprop
    raises `AnomalyError` naming that line when an operation's gradient is NaN or inf.

    Outside it nothing is recorded: nodes made here keep checking when used later.
    """
    global _anomaly_depth
    _anomaly_depth += 1
    try:
        yield
    finally:
        _anomaly_depth -= 1


def _user_frame() -> str:
    """'file:line in function: source' for the nearest caller outside this package."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "<unknown>"
    filename, lineno = frame.f_code.co_filename, frame.f_lineno
    source = linecache.getline(filename, lineno).strip()
    return f'File "{filename}", line {lineno}, in {frame.f_code.co_name}: {source}'


def _anomaly_checked(rule: Rule, op: str) -> Rule:
    """Wrap a rule so a non-finite gradient it produces is reported with its origin."""
    origin = _user_frame()

    def checked(g: Any, out: Any, *operands: Any) -> tuple[Any, ...]:
        contributions = rule(g, out, *operands)
        for index, c in enumerate(contributions):
            value = _data(c)
            if not math.isfinite(value):
                raise AnomalyError(
                    f"backward of {op!r} produced {value!r} for its operand {index} "
                    f"(operands {[_data(x) for x in operands]}, upstream gradient {_data(g)!r}); "
                    f"the node was created at {origin}"
                )
        return contributions

    return checked
