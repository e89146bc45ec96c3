"""Walking the graph, written once: the topological order, and the passes that read the
rule table along it (backprop on floats and on Values, forward-mode tangents), plus
copying a graph flat so that a graph of any depth pickles.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, overload

from autograd_mini import _ops, _value

if TYPE_CHECKING:
    from autograd_mini._value import Value


def topological_order(*roots: Value) -> list[Value]:
    """Every node the roots depend on, each once, parents before the nodes made from them.

    Iterative (no recursion), so a chain of any depth works. The stack holds the nodes
    themselves, a node twice when its operands are pending, so a deep walk makes no
    object per node for Python's garbage collector to rescan; a leaf operand, or one
    already in order, is placed without going through the stack. A placed node carries
    this walk's mark in its ``_seen`` slot (cheaper than a set; `graph_lock` keeps two
    threads' walks from mixing their marks). An operand tuple that many `dot` nodes share
    (a neuron's weights, a layer's inputs) is walked only once.

    >>> import autograd_mini as am
    >>> x = am.Value(1.0, label="x")
    >>> [v.label or v.op for v in topological_order(x * x + 1)]
    ['x', '*', '', '+']
    """
    with graph_lock:
        return _walk(roots)


# Held by every walk and every backprop pass: a model's parameters shared by graphs that
# several threads backprop at once get each pass's whole gradient, once, and the marks of
# one walk are never overwritten by another. Re-entrant, so a partial may backprop too.
graph_lock = threading.RLock()


def _walk(roots: tuple[Value, ...]) -> list[Value]:
    """`topological_order`'s walk, under `graph_lock`."""
    nary = _value.NARY
    order: list[Value] = []
    seen = object()  # this walk's mark in `_seen`: the node is in `order`
    done_tuples: set[int] = set()  # ids of dot operand tuples whose nodes are all in `order`
    stack: list[Any] = list(reversed(roots))
    push, pop, extend, place = stack.append, stack.pop, stack.extend, order.append  # hot
    while stack:
        node = pop()
        if node is _OPERANDS_DONE:  # the node under the marker can follow its operands
            node = pop()
            node._seen = seen
            place(node)
            continue
        if node is _TUPLES_DONE:  # the same for a dot that walked its operand tuples
            node = pop()
            node._seen = seen
            place(node)
            done_tuples.add(id(node._a))
            done_tuples.add(id(node._b))
            continue
        if node._seen is seen:
            continue
        a, b = node._a, node._b  # `node.parents`, inlined: this is hot
        if a is None:  # a leaf has no operands to wait for
            node._seen = seen
            place(node)
            continue
        # Operands are placed left to right; a leaf is placed at once, and an operation
        # still pending is walked first, with the node and the operands after it stacked.
        if b is None:
            if a._seen is not seen:
                if a._a is not None:
                    push(node)
                    push(_OPERANDS_DONE)
                    push(a)
                    continue
                a._seen = seen
                place(a)
        elif b is nary:
            push(node)
            push(_OPERANDS_DONE)
            extend([p for p in reversed(a) if p._seen is not seen])
            continue
        elif type(b) is tuple:  # a dot: skip a tuple another dot has already put in order
            walk_a, walk_b = id(a) not in done_tuples, id(b) not in done_tuples
            push(node)
            push(_TUPLES_DONE if walk_a or walk_b else _OPERANDS_DONE)
            if walk_b:
                extend([p for p in reversed(b) if p._seen is not seen])
            if walk_a:
                extend([p for p in reversed(a) if p._seen is not seen])
            continue
        else:
            if a._seen is not seen:
                if a._a is not None:
                    push(node)
                    push(_OPERANDS_DONE)
                    if b._seen is not seen:
                        push(b)
                    push(a)
                    continue
                a._seen = seen
                place(a)
            if b._seen is not seen:
                if b._a is not None:
                    push(node)
                    push(_OPERANDS_DONE)
                    push(b)
                    continue
                b._seen = seen
                place(b)
        node._seen = seen  # every operand is in order already
        place(node)
    return order


# Markers on the stack above a node whose operands are being walked: when one is popped,
# every operand is in the order, and the node is next. After `_TUPLES_DONE`, a dot's
# operand tuples are too (marking them any earlier could skip a tuple still pending).
_OPERANDS_DONE = object()
_TUPLES_DONE = object()


# ---- backprop ---------------------------------------------------------------------------
# A pass accumulates each node's gradient in its ``.grad``, from zero: the gradients that
# earlier passes left (a parameter's, usually zeroed) are set aside first and added back
# at the end, and if a partial fails every ``.grad`` is put back as it was. Success costs
# one look at each node's ``.grad``; nothing is copied unless it is nonzero.


def backward(root: Value, seed: float) -> None:
    """`Value.backward`: add ``seed`` · d(root)/d(node) into every node's ``.grad``, or,
    if a partial fails, change no ``.grad`` at all."""
    with graph_lock:
        order = _walk((root,))
        held = _set_aside(order)
        root.grad = seed
        try:
            _backprop_floats(order)
        except BaseException:
            _put_back(order, held)
            raise
        for node, old in held:
            node.grad = old + node.grad


def accumulate(nodes: Sequence[Value], grads: Iterable[float]) -> None:
    """Add each gradient into its node's ``.grad`` (`Tape.backward`, `Compiled.backward`),
    under `graph_lock`: another thread's backward may be adding into the same parameters."""
    with graph_lock:
        for node, g in zip(nodes, grads):
            node.grad += g


def _set_aside(order: list[Value]) -> list[tuple[Value, float]]:
    """The nodes of ``order`` whose ``.grad`` is nonzero, each with it; their ``.grad``
    becomes 0.0, for a pass to accumulate into."""
    held = [(node, node.grad) for node in order if node.grad]
    for node, _ in held:
        node.grad = 0.0
    return held


def _put_back(order: list[Value], held: list[tuple[Value, float]]) -> None:
    """Every ``.grad`` of ``order`` as it was before `_set_aside` gave ``held``."""
    for node in order:
        node.grad = 0.0
    for node, old in held:
        node.grad = old


def _backprop_floats(order: list[Value]) -> None:
    """Backprop on plain floats: add each node's gradient g times ∂node/∂operand into each
    operand's ``.grad``, with the partials from the rule table.

    Visits nodes from the last back, so each node's gradient is complete when its turn
    comes. This is the hottest loop in the library: ``*`` and ``+`` (the partials b, a
    and 1, 1) and `dot` (w_i gets g·x_i, x_i gets g·w_i, b gets g) are written out, and
    each other kind of node (`Op.path`) has its own branch.
    """
    mul, add = _ops.MUL, _ops.ADD
    unary, constant, binary = _ops.UNARY_PATH, _ops.CONSTANT_PATH, _ops.BINARY_PATH
    power = _ops.POWER_PATH
    sum_path, dot_path = _ops.SUM_PATH, _ops.DOT_PATH
    node = None
    try:
        for node in reversed(order):
            op = node._rule
            if op is None:
                continue
            g = node.grad
            a = node._a
            if op is mul:
                b = node._b
                a.grad += g * b.data
                b.grad += g * a.data
                continue
            if op is add:
                a.grad += g
                node._b.grad += g
                continue
            path = op.path
            if path == unary:
                a.grad += g * op.partials[0](node.data, a.data)
            elif path == dot_path:
                b = node._b
                for w, x in zip(a, b):  # a: weights (then the bias), b: inputs
                    w.grad += g * x.data
                    x.grad += g * w.data
                if len(a) > len(b):
                    a[-1].grad += g
            elif path == binary:
                b = node._b
                da, db = op.partials
                out, x, y = node.data, a.data, b.data
                a.grad += g * da(out, x, y)
                b.grad += g * db(out, x, y)
            elif path == constant:
                da, db = op.partials
                a.grad += g * da
                node._b.grad += g * db
            elif path == power:  # x ** n: only x is differentiated
                a.grad += g * op.partials[0](node.data, a.data, node._b.data)
            elif path == sum_path:
                for term in a:
                    term.grad += g
            else:  # another n-ary operation, or a node made under detect_anomaly
                _push_checked(node, g, [p.data for p in node.parents], node.data)
    except ArithmeticError as error:
        if node is None:
            raise
        raise _backward_error(node, error) from error


def _push_checked(node: Value, g: Any, operands: list[Any], out: Any) -> None:
    """One node's step through `Op.local`: n-ary operations, and nodes made under
    `detect_anomaly`, whose every contribution is checked."""
    op = node._rule
    assert op is not None
    recorded = op if isinstance(op, _ops.Recorded) else None
    try:
        contributions = [None if d is None else g * d for d in op.local(out, operands)]
    except ArithmeticError as error:
        if recorded is None:
            raise
        raise _value.AnomalyError(
            f"backward of {op.name!r} failed at operands {[_value.data_of(x) for x in operands]}"
            f" ({type(error).__name__}: {error}); the node was created at {recorded.origin}"
        ) from error
    if recorded is not None:
        for index, c in enumerate(contributions):
            if c is None:
                continue
            number = _value.data_of(c)
            if not math.isfinite(number):
                raise _value.AnomalyError(
                    f"backward of {op.name!r} produced {number!r} for its operand {index} "
                    f"(operands {[_value.data_of(x) for x in operands]}, upstream gradient "
                    f"{_value.data_of(g)!r}); the node was created at {recorded.origin}"
                )
    for parent, c in zip(node.parents, contributions):
        if c is None:
            continue
        grad: Any = parent.grad
        is_zero = type(grad) is float and grad == 0.0
        parent.grad = c if is_zero else grad + c


def _backprop_values(order: list[Value]) -> None:
    """Backprop whose gradients are Values (``create_graph=True``): the same partials, fed
    the nodes themselves, build the gradient as a graph that can be differentiated."""
    node = None
    try:
        for node in reversed(order):
            if node._rule is not None:
                _push_checked(node, node.grad, list(node.parents), node)
    except ArithmeticError as error:
        if node is None:
            raise
        raise _backward_error(node, error) from error


def _backward_error(node: Value, error: ArithmeticError) -> ArithmeticError:
    """The same kind of error, saying which operation's derivative failed and where."""
    operands = ", ".join(repr(_value.data_of(p)) for p in node.parents)
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

    >>> import autograd_mini as am
    >>> x = am.Value(3.0)
    >>> gradients(x * x * x, x)
    27.0
    >>> dy = gradients(x * x * x, x, create_graph=True)
    >>> gradients(dy, x)
    18.0
    """
    value_type = _value.Value
    if not isinstance(output, value_type):
        raise TypeError(f"gradients: output must be a Value, got {type(output).__name__}")
    single = isinstance(inputs, value_type)
    wanted: list[Value] = [inputs] if isinstance(inputs, value_type) else list(inputs)
    for x in wanted:
        if not isinstance(x, value_type):
            raise TypeError(f"gradients: inputs must be Values, got {type(x).__name__} {x!r}")
    with graph_lock:
        order = _walk((output,))
        mark = output._seen  # the walk's mark: on the nodes of `order`, and only on them
        inside = [x._seen is mark for x in wanted]
        held = _set_aside(order)
        output.grad = 1.0
        try:
            if create_graph:
                _backprop_values(order)
            else:
                _backprop_floats(order)
            result = [x.grad if x_inside else 0.0 for x, x_inside in zip(wanted, inside)]
        finally:
            _put_back(order, held)
    return result[0] if single else result


# ---- forward mode -------------------------------------------------------------------------


def tangents(
    order: list[Value], seeds: dict[Value, Any], *, create_graph: bool = False
) -> dict[Value, Any]:
    """Forward mode along ``order``: each node's tangent is Σ ∂node/∂operand · the
    operand's tangent, with the same partials backprop uses (a scalar op's JVP and VJP
    share its local derivative). With ``create_graph`` the partials run on the nodes
    themselves, so the tangents are Values that can be differentiated again."""
    tangent: dict[Value, Any] = dict(seeds)
    for node in order:
        if node in tangent or node._rule is None:
            continue
        parents = node.parents
        total: Any = 0.0
        incoming = [(tangent[p], i) for i, p in enumerate(parents) if p in tangent]
        if not incoming:
            continue
        if create_graph:
            local = node._rule.local(node, list(parents))
        else:
            local = node._rule.local(node.data, [p.data for p in parents])
        for t, i in incoming:
            if local[i] is None:
                continue
            term = local[i] * t
            total = term if type(total) is float and total == 0.0 else total + term
        tangent[node] = total
    return tangent


# ---- copies and pickles ---------------------------------------------------------------------


def reduce_graph(node: Value) -> tuple[Any, ...]:
    """How `copy` and `pickle` save a node: its leaves as objects (so a parameter stays
    one object) and every other node of its graph as a flat record, so a graph of any
    depth is saved without recursion."""
    if node._a is None:
        return (_leaf, (node.data, node.grad, node.label, type(node)))
    order = topological_order(node)
    index = {id(n): i for i, n in enumerate(order)}
    tuples: dict[int, int] = {}  # shared dot operand tuples, kept shared
    shared: list[list[int]] = []
    records: list[Any] = []
    for n in order:
        if n._a is None:
            records.append(n)
            continue
        a, b = n._a, n._b
        if b is _value.NARY:
            operands: Any = ("nary", [index[id(p)] for p in a])
        elif type(b) is tuple:
            slots = []
            for part in (a, b):
                if id(part) not in tuples:
                    tuples[id(part)] = len(shared)
                    shared.append([index[id(p)] for p in part])
                slots.append(tuples[id(part)])
            operands = ("dot", slots)
        elif b is None:
            operands = ("unary", [index[id(a)]])
        else:
            operands = ("binary", [index[id(a)], index[id(b)]])
        records.append((n._rule, operands, n.data, n.grad, n.label, type(n)))
    return (_rebuild, (records, shared))


def _leaf(data: float, grad: float, label: str, kind: type[Value] | None = None) -> Value:
    """A leaf `reduce_graph` saved, of its own class (a `Constant`, a micrograd Value);
    a pickle from before classes were saved gives a `Value`."""
    out = _of_class(_value.Value(data), kind)
    out.grad, out.label = grad, label
    return out


def _of_class(node: Value, kind: type[Value] | None) -> Value:
    """``node`` made a ``kind``: a Value subclass adds no slots, so only the class changes."""
    if kind is not None:
        node.__class__ = kind
    return node


def _rebuild(records: list[Any], shared: list[list[int]]) -> Value:
    """The graph `reduce_graph` saved; returns its root (the last record)."""
    nodes: list[Value] = []
    tuples: dict[int, tuple[Value, ...]] = {}  # shared operand tuples, rebuilt once each
    for record in records:
        if isinstance(record, _value.Value):
            nodes.append(record)
            continue
        op, (layout, slots), data, grad, label, *kind = record  # no kind: an older pickle
        a: Any
        b: Any
        if layout == "dot":
            for s in slots:
                if s not in tuples:
                    tuples[s] = tuple(nodes[i] for i in shared[s])
            a, b = tuples[slots[0]], tuples[slots[1]]
        elif layout == "nary":
            a, b = tuple(nodes[i] for i in slots), _value.NARY
        elif layout == "unary":
            a, b = nodes[slots[0]], None
        else:
            a, b = nodes[slots[0]], nodes[slots[1]]
        out = _of_class(_value.Value(data), kind[0] if kind else None)
        out.grad, out.label, out._rule, out._a, out._b = grad, label, op, a, b
        nodes.append(out)
    return nodes[-1]
