"""micrograd's `Value` as a subclass of `autograd_mini.Value`.

Each operator is composed the way micrograd composes it (``a - b`` is ``a + (-b)``,
``-a`` is ``a * -1``, ``a / b`` is ``a * b**-1``), so a graph has micrograd's nodes and
the forward pass does micrograd's float operations in micrograd's order: the same inputs
give bit for bit the same data. Gradients are sums of the same terms, added in a fixed
order (micrograd's follows object ids), so they agree to rounding. The nodes themselves
are the engine's (the subclass adds no slots; each result is re-classed), so backprop is
the engine's iterative one and `autograd_mini.render` and `gradients` take these Values
as they are.

>>> x = Value(1.0)
>>> y = (x * 2 + 1).relu()
>>> y.backward()
>>> y, y._op, sorted(c._op for c in y._prev)
(Value(data=3.0, grad=1.0), 'ReLU', ['+'])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from autograd_mini import Value as _EngineValue
from autograd_mini._engine import Constant as _EngineConstant

# micrograd names its ReLU node 'ReLU'; the engine calls it 'relu'. Every other op name
# micrograd produces ('+', '*', '**2', ...) is the same in both.
_MICROGRAD_OPS = {"relu": "ReLU"}

_NO_BACKWARD = (
    "the drop-in has no per-node _backward closure: backward() on the output runs each "
    "operation's derivative rule in one iterative pass; build new operations from +, *, ** "
    "and the engine's functions"
)


def _adopt(node: _EngineValue) -> Value:
    """Make an engine node a micrograd Value: same slots, so only the class changes."""
    node.__class__ = Value
    return cast(Value, node)


def _wrap(other: object) -> _EngineValue:
    """micrograd's ``other if isinstance(other, Value) else Value(other)``, the number a
    `_Constant` (so that `autograd_mini.trace` does not take it for a parameter)."""
    return other if isinstance(other, _EngineValue) else _Constant(cast(float, other))


class Value(_EngineValue):
    """A scalar with micrograd's constructor, attributes and repr.

    ``_children`` and ``_op`` are micrograd's internal arguments; the drop-in makes
    nodes through its operators, so a Value built by hand is always a leaf.

    >>> a, b = Value(2.0), Value(-3.0)
    >>> c = a * b + a
    >>> c.backward()
    >>> a.grad, b.grad, c._op
    (-2.0, 2.0, '+')
    """

    __slots__ = ()

    def __init__(
        self, data: float, _children: tuple[Any, ...] = (), _op: str = "", label: str = ""
    ) -> None:
        if _children or _op:
            raise TypeError(
                "Value(data, _children, _op): the drop-in makes nodes only through its "
                "operators; a node built by hand would have no derivative rule. Compose "
                "the operation from +, *, ** and the engine's functions instead"
            )
        super().__init__(data, label)

    @property
    def _prev(self) -> set[_EngineValue]:
        """The operands this node was made from, as a set (micrograd's ``_prev``); the
        exponent of ``x ** n`` is part of micrograd's op name, not an operand."""
        parents = self.parents
        return set(parents[:1] if self.op == "**n" else parents)

    @property
    def _op(self) -> str:
        """The operation that made this node, under micrograd's name ('' for a leaf):
        ``x ** 2`` is '**2', as micrograd writes ``f'**{other}'``."""
        if self.op == "**n":
            return f"**{self.parents[1].label}"
        return _MICROGRAD_OPS.get(self.op, self.op)

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's per-node closure does not exist here: backprop runs derivative rules."""
        raise AttributeError(_NO_BACKWARD)

    @_backward.setter
    def _backward(self, closure: Callable[[], None]) -> None:
        raise AttributeError(_NO_BACKWARD)

    def __add__(self, other: _EngineValue | float) -> Value:
        return _adopt(_EngineValue.__add__(self, _wrap(other)))

    def __mul__(self, other: _EngineValue | float) -> Value:
        return _adopt(_EngineValue.__mul__(self, _wrap(other)))

    def __pow__(self, other: _EngineValue | float) -> Value:
        if isinstance(other, bool) or not isinstance(other, (int, float)):
            raise TypeError(f"only supporting int/float powers for now, got {type(other).__name__}")
        out = _adopt(_EngineValue.__pow__(self, other))
        exponent = out.parents[1]  # a constant leaf of the engine's; not in _prev
        exponent.__class__ = _Constant
        exponent.label = repr(other)  # as micrograd spells it in the op name (2 or 2.0)
        return out

    def relu(self) -> Value:
        """max(0, x), as micrograd's 'ReLU' node."""
        return _adopt(_EngineValue.relu(self))

    def tanh(self) -> Value:
        """Hyperbolic tangent (micrograd's lecture version has it; 0.1.0 does not)."""
        return _adopt(_EngineValue.tanh(self))

    def exp(self) -> Value:
        """e to the power of this value (as in micrograd's lecture version)."""
        return _adopt(_EngineValue.exp(self))

    def backward(self, gradient: float = 1.0) -> None:
        """Backprop from this value: like micrograd, its own grad is set to 1 (or to
        ``gradient``), not added."""
        self.grad = 0.0
        super().backward(gradient)

    def __neg__(self) -> Value:  # -self
        return self * -1

    def __radd__(self, other: float) -> Value:  # other + self
        return self + other

    def __sub__(self, other: _EngineValue | float) -> Value:  # self - other
        return self + (-other)

    def __rsub__(self, other: float) -> Value:  # other - self
        return other + (-self)

    def __rmul__(self, other: float) -> Value:  # other * self
        return self * other

    def __truediv__(self, other: _EngineValue | float) -> Value:  # self / other
        return self * other**-1

    def __rtruediv__(self, other: float) -> Value:  # other / self
        return other * self**-1

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"


class _Constant(Value, _EngineConstant):
    """A number met in an operation, as micrograd wraps it (a `Value`), and as the engine
    marks it (a `Constant`, not a parameter)."""

    __slots__ = ()
