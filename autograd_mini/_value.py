"""The `Value` node: a number, its gradient, and the operation and operands that made it.

A node knows nothing of calculus: its operation is an entry of the rule table
(`autograd_mini._ops`), and backprop (`autograd_mini._graph`) reads the partial
derivatives from there. This module also holds the two modes that change how nodes are
made: `no_grad` (no graph is recorded) and `detect_anomaly` (each node remembers the
line that made it, and backprop checks every gradient).
"""

from __future__ import annotations

import gc
import linecache
import numbers
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeGuard

if TYPE_CHECKING:
    from autograd_mini._ops import Op


class AnomalyError(RuntimeError):
    """Raised inside `detect_anomaly()` when backprop produces a NaN or an infinity, or a
    derivative cannot be computed; the message names the operation and where it was made."""

    __module__ = "autograd_mini"


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
    # Unary: _a = x, _b = None. Binary: _a, _b. sum, max: _a = tuple of terms, _b = NARY.
    # dot: _a = tuple of weights (then the bias, if any), _b = tuple of inputs; these
    # tuples are shared, not copied (a neuron's parameters, a layer's inputs). _seen holds
    # the mark of the last `topological_order` walk that placed the node.
    __slots__ = ("_a", "_b", "_rule", "_seen", "data", "grad", "label")
    __module__ = "autograd_mini"
    __array_ufunc__ = None  # numpy scalars defer to Value's reflected operators

    data: float
    grad: float
    label: str
    _rule: Op | None  # the rule-table entry of the operation that made it
    _a: Any
    _b: Any

    def __init__(self, data: float, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__} {label!r}")
        self.data = data if type(data) is float else as_float(data, "Value")
        self.grad = 0.0
        self.label = label
        self._rule = None
        self._a = self._b = None
        self._seen: object = None

    @property
    def op(self) -> str:
        """The name of the operation that made this node ("" for a leaf)."""
        return "" if self._rule is None else self._rule.name

    @property
    def parents(self) -> tuple[Value, ...]:
        """The operands this node was computed from, in order (``x * x`` lists x twice)."""
        a, b = self._a, self._b
        if a is None:
            return ()
        if b is None:
            return (a,)
        if b is NARY:
            return tuple(a)  # the same tuple, not a copy
        if type(b) is tuple:  # dot: weights, inputs, then the bias
            n = len(b)
            return (*a[:n], *b, *a[n:])
        return (a, b)

    @property
    def origin(self) -> str | None:
        """The line of user code that made this node, when made under `detect_anomaly`."""
        return getattr(self._rule, "origin", None)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        op = f", op={self.op!r}" if self._rule is not None else ""
        return f"Value({self.data!r}, grad={self.grad!r}{label}{op})"

    # ---- copies and pickles: the graph is saved flat, so any depth works -------------

    def __reduce__(self) -> tuple[Any, ...]:
        return _graph.reduce_graph(self)

    def __copy__(self) -> Value:
        """A new node with the same value, gradient, label, operation and operands."""
        out: Value = _new_value(type(self))
        out.data, out.grad, out.label, out._seen = self.data, self.grad, self.label, None
        out._rule, out._a, out._b = self._rule, self._a, self._b
        return out

    # ---- arithmetic: each builds one node of a rule-table operation ------------------

    # `+`, `-` and `*` write `new_node` out (the call would be a sixth of their cost): the
    # node's fields, then the slow path when a mode is on.

    def __add__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            if not is_real(other):
                return NotImplemented
            other = constant(other)
        out: Value = _new_value(Value)
        out.data = self.data + other.data
        out.grad = 0.0
        out.label = ""
        out._seen = None
        if _modes:
            return _moded(out, _ops.ADD, self, other)
        out._rule = _ops.ADD
        out._a = self
        out._b = other
        return out

    def __sub__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            if not is_real(other):
                return NotImplemented
            other = constant(other)
        out: Value = _new_value(Value)
        out.data = self.data - other.data
        out.grad = 0.0
        out.label = ""
        out._seen = None
        if _modes:
            return _moded(out, _ops.SUB, self, other)
        out._rule = _ops.SUB
        out._a = self
        out._b = other
        return out

    def __mul__(self, other: Value | float) -> Value:
        if not isinstance(other, Value):
            if not is_real(other):
                return NotImplemented
            other = constant(other)
        out: Value = _new_value(Value)
        out.data = self.data * other.data
        out.grad = 0.0
        out.label = ""
        out._seen = None
        if _modes:
            return _moded(out, _ops.MUL, self, other)
        out._rule = _ops.MUL
        out._a = self
        out._b = other
        return out

    def __truediv__(self, other: Value | float) -> Value:
        out: Value = _ops.div(self, other)
        return out

    def __pow__(self, exponent: Value | float) -> Value:
        if type(exponent) is float or type(exponent) is int:  # x ** 2: half the generic cost
            n = constant(exponent)
            base, power, op = self.data, n.data, _ops.POWER
            if op.domain is not None and not op.domain(base, power):
                raise op.domain_error(base, power)
            return new_node(op.forward(base, power), op, self, n)
        if isinstance(exponent, Value):
            out: Value = _ops.pow_(self, exponent)
        elif is_real(exponent):
            out = _ops.power(self, exponent)
        else:
            return NotImplemented
        return out

    def __neg__(self) -> Value:
        out: Value = _ops.neg(self)
        return out

    def __radd__(self, other: float) -> Value:
        return lift(other, "+") + self

    def __rsub__(self, other: float) -> Value:
        return lift(other, "-") - self

    def __rmul__(self, other: float) -> Value:
        return lift(other, "*") * self

    def __rtruediv__(self, other: float) -> Value:
        return lift(other, "/") / self

    def __rpow__(self, base: float) -> Value:
        return lift(base, "**") ** self

    # ---- elementwise functions (entries of the rule table) ---------------------------

    def exp(self) -> Value:
        """e to the power of this value (inf past about 709)."""
        return _ops.exp(self)

    def log(self) -> Value:
        """Natural logarithm; the value must be > 0."""
        return _ops.log(self)

    def sqrt(self) -> Value:
        """Square root; the value must be >= 0."""
        return _ops.sqrt(self)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return _ops.tanh(self)

    def sigmoid(self) -> Value:
        """Logistic sigmoid 1 / (1 + e^-x), computed without overflow."""
        return _ops.sigmoid(self)

    def relu(self) -> Value:
        """max(0, x); its derivative at 0 is taken as 0."""
        return _ops.relu(self)

    def abs(self) -> Value:
        """|x|; its derivative at 0 is taken as 0."""
        return _ops.abs_(self)

    def __abs__(self) -> Value:
        return _ops.abs_(self)

    def detach(self) -> Value:
        """A new leaf with this value (and label): gradients do not flow through it."""
        return Value(self.data, self.label)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter display: the graph once `autograd_mini.render` is loaded, else the repr."""
        if display_hook is None:
            return {"text/plain": repr(self)}
        return display_hook(self, include, exclude)

    # ---- backprop --------------------------------------------------------------------

    def backward(self, gradient: float = 1.0) -> None:
        """Add ``gradient`` · d(self)/d(node) to ``node.grad`` for every node this value
        depends on (``gradient`` is the upstream seed, 1.0 by default).

        Gradients accumulate across calls and across fan-out, as in PyTorch; reset them
        with `zero_grad`. If backprop raises, every ``.grad`` is left as it was. For
        gradients that are themselves differentiable, see `gradients(...,
        create_graph=True)`.
        """
        _graph.backward(self, as_float(gradient, "backward: gradient"))

    def zero_grad(self) -> None:
        """Set ``grad`` to 0.0 on this value and every node it depends on."""
        for node in _graph.topological_order(self):
            node.grad = 0.0


_new_value = object.__new__

# Filled in by autograd_mini.render (through `set_display_hook`), so notebooks draw a
# Value as its graph while the engine itself knows nothing of rendering.
display_hook: Callable[[Value, Any, Any], dict[str, str]] | None = None


def set_display_hook(hook: Callable[[Value, Any, Any], dict[str, str]]) -> None:
    """Make ``hook(value, include, exclude)`` the Jupyter display of every Value."""
    global display_hook
    display_hook = hook


class _NaryMarker:
    """The ``_b`` of a `sum` or `max` node, whose ``_a`` holds the tuple of its terms.

    One instance exists; copies and pickles give that instance back.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "NARY"

    def __reduce__(self) -> str:
        return "NARY"  # pickled as a reference to this module's NARY


NARY = _NaryMarker()

# How many `no_grad` and `detect_anomaly` blocks are open, in all threads: while any is,
# node creation takes its slow path, which asks this thread's own `_ThreadModes`. One
# global read per node is all the two modes cost when off.
_modes = 0
_modes_lock = threading.Lock()  # `_modes += 1` is a read and a write: two threads at once


class _ThreadModes(threading.local):
    """The modes open in this thread: another thread's `no_grad` records nothing here."""

    no_grad = 0
    anomaly = 0


_this_thread = _ThreadModes()


def new_node(data: float, op: Op, a: Any = None, b: Any = None) -> Value:
    """Make the node ``op(a, b)`` with value ``data`` without checking its inputs: the
    fast path every operation takes. ``a`` and ``b`` are the operands (see ``__slots__``)."""
    out: Value = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._seen = None
    if _modes:
        return _moded(out, op, a, b)
    out._rule = op
    out._a = a
    out._b = b
    return out


def _moded(out: Value, op: Op, a: Any, b: Any) -> Value:
    """Finish the node ``out`` under `no_grad` (a leaf) or `detect_anomaly` (its rule
    remembers the user line that made it), if this thread has one of them open."""
    modes = _this_thread
    if modes.no_grad:  # a leaf: nothing to backprop through
        out._rule = out._a = out._b = None
        return out
    out._rule = _ops.Recorded(op, _user_frame()) if modes.anomaly else op
    out._a = a
    out._b = b
    return out


@contextmanager
def _mode(name: str) -> Iterator[None]:
    """One `no_grad` or `detect_anomaly` block: open in this thread, counted in `_modes`."""
    global _modes
    with _modes_lock:
        _modes += 1
    setattr(_this_thread, name, getattr(_this_thread, name) + 1)
    try:
        yield
    finally:
        setattr(_this_thread, name, getattr(_this_thread, name) - 1)
        with _modes_lock:
            _modes -= 1


class Constant(Value):
    """A leaf made from a plain number met in an operation: the 3 of ``3 * x``, the 2 of
    ``x ** 2``. A `Value` in every way, except that it is not a parameter: `trace` and
    `compile` without ``params`` write it into the graph as its number."""

    __slots__ = ()


def constant(x: float) -> Value:
    """A `Constant` holding a plain number met in an operation (no checks: the caller's)."""
    out: Value = _new_value(Constant)
    out.data = x if type(x) is float else as_float(x, "constant")
    out.grad = 0.0
    out.label = ""
    out._seen = None
    out._rule = out._a = out._b = None
    return out


def named_constant(x: object, label: str, who: str) -> Value:
    """A `Constant` for a number handed to the library (a loss target, a model input):
    checked (a TypeError naming ``who``), and labelled so a drawn graph says what it is."""
    out = constant(as_float(x, who))
    out.label = label
    return out


def is_real(x: object) -> TypeGuard[float]:
    """True for int, float and numpy real scalars; False for bool, complex, str, ..."""
    t = type(x)
    return t is float or t is int or (isinstance(x, numbers.Real) and t is not bool)


def as_float(x: object, who: str) -> float:
    """``x`` as a float; a TypeError naming ``who`` for anything but a real number.

    An integer too large for a float becomes ±inf, as any other overflow does.
    """
    if type(x) is float:
        return x
    if is_real(x):
        try:
            return float(x)
        except OverflowError:
            return float("inf") if x > 0 else float("-inf")
    raise TypeError(
        f"{who} needs a real number (int, float or numpy real scalar), got {type(x).__name__} {x!r}"
    )


def lift(x: object, op: str) -> Value:
    """Wrap a plain number met on the left of an operator."""
    if not is_real(x):
        raise TypeError(f"unsupported operand for {op}: {type(x).__name__} {x!r} and Value")
    return constant(x)


def data_of(x: Any) -> Any:
    """The number inside a Value; anything else as it is (float, numpy array, formula)."""
    return x.data if isinstance(x, Value) else x


# ---- the two modes -------------------------------------------------------------------


@contextmanager
def no_grad() -> Iterator[None]:
    """Within this block, operations compute values only: every result is a leaf with no
    parents, so nothing is kept for backprop (cheaper, like ``torch.no_grad()``).

    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.data, y.parents
    (4.0, ())

    The block holds in the thread that opened it: other threads keep recording.
    """
    with _mode("no_grad"):
        yield


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Within this block, nodes remember the user line that made them, and backprop
    raises `AnomalyError` naming that line when an operation's gradient is NaN or inf, or
    its derivative raises (a division by zero, say).

    Outside it nothing is recorded: nodes made here keep checking when used later. The
    block holds in the thread that opened it.
    """
    with _mode("anomaly"):
        yield


@contextmanager
def gc_paused() -> Iterator[None]:
    """Within this block Python's cyclic garbage collector does not run; on leaving, even
    on an exception, it is as it was (inside another pause, or with the collector already
    off, this changes nothing).

    Nodes make no reference cycles, so reference counting frees a graph the moment it is
    dropped, and a collection while a graph is being built only rescans it: for a big
    graph that is a third or more of the time. `train.fit` runs every step inside this;
    wrap the steps of a loop you write yourself the same way. Garbage that does form
    cycles (your own objects') waits until the block ends.

    >>> import gc
    >>> import autograd_mini as am
    >>> with am.gc_paused():
    ...     x = am.Value(2.0)
    ...     y = am.sum([x * i for i in range(1000)])
    ...     y.backward()
    ...     print(gc.isenabled(), x.grad)
    False 499500.0
    >>> gc.isenabled()
    True
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


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


# Imported last: the rule table and the traversal build on the names above, and a Value's
# methods reach them only when called.
from autograd_mini import _graph, _ops  # noqa: E402
