"""The tape's kernels: a group is the nodes of one level and one operation, run as a
handful of numpy calls over a (group size, batch) array.

`make_group` chooses the kernel for a group of nodes: a dense layer (`W @ X`), a dot or a
sum over many terms, or any operation of the rule table element by element.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autograd_mini._engine import Op, Value, ops
from autograd_mini._tape_rows import Array, Rows


class Group:
    """Nodes of one depth and operation whose values fill rows ``out`` of one buffer."""

    __slots__ = ("argument", "batched", "depth", "op", "operands", "out", "size", "trains")

    def __init__(self, op: str, depth: int, size: int, out: slice, batched: bool) -> None:
        self.op = op
        self.depth = depth
        self.size = size
        self.out = out
        self.batched = batched
        self.operands: list[Rows] = []
        self.trains = True  # does any of its nodes depend on a parameter?
        self.argument: int | None = None  # a dense layer reading one argument as it is

    def forward(self, batched: Array, shared: Array, inputs: Sequence[Array]) -> Any:
        """Compute the group's values into its rows; return what `backward` needs.

        ``inputs``: each argument's batch as (values, B) rows, read where `argument` says."""
        raise NotImplementedError

    def always_written(self) -> list[Rows]:
        """The operands whose gradient every backward pass of the group writes, even one
        for the parameters only: those a parameter's gradient flows through."""
        return [rows for rows in self.operands if rows.trains]

    def backward(
        self,
        g: Array,
        out: Array,
        saved: Any,
        grad_batched: Array,
        grad_shared: Array,
        only_params: bool,
    ) -> None:
        """Push the group's gradient ``g`` into its operands' gradients (with
        ``only_params``, only into operands a parameter's gradient flows through)."""
        raise NotImplementedError


class _Elementwise(Group):
    """Any operation, operand by operand: the rule table's forward on arrays, and its
    partials, run on arrays, times the upstream gradient."""

    __slots__ = ("entry", "function")

    def __init__(self, entry: Op, *args: Any) -> None:
        super().__init__(*args)
        self.entry = entry
        self.function: Callable[..., Any] = entry.array_forward or entry.forward

    def forward(self, batched: Array, shared: Array, inputs: Sequence[Array]) -> Any:
        args = [rows.gather(batched, shared) for rows in self.operands]
        if self.entry.domain is not None:
            self._check_domain(args, (self.size, (batched if self.batched else shared).shape[1]))
        try:
            result: Array = self.function(*args)
        except TypeError as error:
            raise NotImplementedError(
                f"tape: the forward of {self.op!r} does not take numpy arrays ({error}); "
                f"give am.defop an array_forward= to batch it"
            ) from None
        (batched if self.batched else shared)[self.out] = result
        return args

    def always_written(self) -> list[Rows]:
        partials = self.entry.partials if self.entry.arity is not None else ()
        return [
            rows
            for rows, d in zip(self.operands, partials)
            if rows.trains and rows.value is None and d is not None
        ]

    def _check_domain(self, args: list[Any], shape: tuple[int, int]) -> None:
        """Raise the engine's own domain error, naming the example, for the first example
        whose operands are outside the operation's domain."""
        entry = self.entry
        assert entry.domain is not None
        valid = np.asarray(entry.domain(*args))
        if valid.all():
            return
        valid = np.broadcast_to(valid, shape)
        full = [np.broadcast_to(a, valid.shape) for a in args]
        node, example = np.argwhere(~valid)[0].tolist()
        error = entry.domain_error(*[float(a[node, example]) for a in full])
        where = f", example {example}" if self.batched else ""
        raise type(error)(f"tape: forward of {self.op!r} (level {self.depth}{where}): {error}")

    def backward(
        self,
        g: Array,
        out: Array,
        saved: Any,
        grad_batched: Array,
        grad_shared: Array,
        only_params: bool,
    ) -> None:
        try:
            partials = self.entry.local(out, saved)
        except FloatingPointError as error:
            where = self._example_dividing_by_zero(out, saved)
            raise ZeroDivisionError(
                f"tape: backward of {self.op!r} (level {self.depth}{where}): {error}"
            ) from None
        for rows, d in zip(self.operands, partials):
            if d is None or (only_params and not rows.trains):
                continue
            view = rows.into(grad_batched, grad_shared, g.shape[1])
            if view is None:
                rows.add(grad_batched, grad_shared, g * d)  # g has the group's full shape
            else:
                np.multiply(g, d, out=view)

    def _example_dividing_by_zero(self, out: Array, saved: list[Any]) -> str:
        """``", example k"`` for the first example whose partials divide by zero."""
        if not self.batched:
            return ""
        for b in range(out.shape[1]):
            args = [a[:, b : b + 1] if np.shape(a)[-1:] > (1,) else a for a in saved]
            try:
                self.entry.local(out[:, b : b + 1], args)
            except FloatingPointError:
                return f", example {b}"
        return ""


class _Sum(Group):
    """``sum`` nodes of n terms each, all batched or all shared: one (k, n, B) reduction.

    The rule table's ∂sum/∂term is 1: every term gets the upstream gradient, here one
    broadcast of g over the n terms instead of n separate arrays.
    """

    __slots__ = ()

    def forward(self, batched: Array, shared: Array, inputs: Sequence[Array]) -> Any:
        terms = self.operands[0].gather(batched, shared)
        (batched if self.batched else shared)[self.out] = terms.sum(axis=1)

    def backward(
        self,
        g: Array,
        out: Array,
        saved: Any,
        grad_batched: Array,
        grad_shared: Array,
        only_params: bool,
    ) -> None:
        self.operands[0].add(grad_batched, grad_shared, g[:, None, :])


def _add_bias(group: Group, z: Array, batched: Array, shared: Array) -> None:
    """z += b for the ``dot`` nodes of ``group`` that have a bias (a third operand)."""
    if len(group.operands) == 3:
        z += group.operands[2].gather(batched, shared)


def _push_to_bias(group: Group, g: Array, grads: tuple[Array, Array], only_params: bool) -> None:
    """The bias of w·x + b gets the upstream gradient itself (∂dot/∂b = 1)."""
    if len(group.operands) == 3:
        bias = group.operands[2]
        if bias.trains or not only_params:
            bias.add(*grads, g)


class _Dot(Group):
    """``dot`` nodes w·x (+ b) with n pairs, each side all batched or all shared.

    The rule table's partials give w_i the gradient g·x_i and x_i the gradient g·w_i; here
    those are two broadcast products over (k, n, B) arrays instead of 2n (k, B) arrays.
    """

    __slots__ = ()

    def forward(self, batched: Array, shared: Array, inputs: Sequence[Array]) -> Any:
        w, x = (rows.gather(batched, shared) for rows in self.operands[:2])
        z = (w * x).sum(axis=1)
        _add_bias(self, z, batched, shared)
        (batched if self.batched else shared)[self.out] = z
        return w, x

    def backward(
        self,
        g: Array,
        out: Array,
        saved: Any,
        grad_batched: Array,
        grad_shared: Array,
        only_params: bool,
    ) -> None:
        w, x = saved
        rows_w, rows_x = self.operands[:2]
        _push_to_bias(self, g, (grad_batched, grad_shared), only_params)
        if rows_w.trains or not only_params:
            rows_w.add(grad_batched, grad_shared, g[:, None, :] * x)
        if rows_x.trains or not only_params:
            rows_x.add(grad_batched, grad_shared, g[:, None, :] * w)


class _Dense(Group):
    """A dense layer's ``dot`` nodes: shared weights W (k, n) against the same n batched
    inputs X (n, B), so the forward is W @ X (+ b) and the backward two matrix products
    (the sums over i of dot's g·x_i and g·w_i, taken by BLAS)."""

    __slots__ = ()

    def forward(self, batched: Array, shared: Array, inputs: Sequence[Array]) -> Any:
        rows_w, rows_x = self.operands[:2]
        w = shared[rows_w.index, 0].reshape(rows_w.shape)
        x = batched[rows_x.index] if self.argument is None else inputs[self.argument]
        z = batched[self.out]
        np.matmul(w, x, out=z)
        _add_bias(self, z, batched, shared)
        return w, x

    def backward(
        self,
        g: Array,
        out: Array,
        saved: Any,
        grad_batched: Array,
        grad_shared: Array,
        only_params: bool,
    ) -> None:
        w, x = saved
        rows_w, rows_x = self.operands[:2]
        _push_to_bias(self, g, (grad_batched, grad_shared), only_params)
        if rows_x.trains or not only_params:
            # One node's w.T @ g is an outer product: a broadcast product beats BLAS there.
            product = np.matmul if len(w) > 1 else np.multiply
            view = rows_x.into(grad_batched, grad_shared, g.shape[1])
            if view is None:
                rows_x.add(grad_batched, grad_shared, product(w.T, g))
            else:
                product(w.T, g, out=view)
        if not rows_w.trains and only_params:
            return
        if grad_shared.shape[1] == 1:  # summed over the batch: one matrix product
            view = rows_w.into(grad_batched, grad_shared, 1)
            if view is None:
                rows_w.add(grad_batched, grad_shared, (g @ x.T)[:, :, None])
            else:
                np.matmul(g, x.T, out=view[:, :, 0])
        else:  # per example: the outer products themselves
            rows_w.add(grad_batched, grad_shared, g[:, None, :] * x[None, :, :])


def make_group(
    key: tuple[Any, ...],
    nodes: list[Value],
    batched: dict[Value, bool],
    trains: dict[Value, bool],
    row: Callable[[Value], int],
) -> Group:
    level, name, arity, kinds = key
    k = len(nodes)
    first = row(nodes[0])
    out = slice(first, first + k)
    is_batched = batched[nodes[0]]
    args = (name, level, k, out, is_batched)

    def column(j: int) -> list[int]:
        return [row(node.parents[j]) for node in nodes]

    def block(start: int, n: int) -> list[int]:  # rows of operands start..start+n, node-major
        return [row(node.parents[start + i]) for node in nodes for i in range(n)]

    def learns(start: int, n: int) -> bool:  # does a parameter's gradient flow there?
        return any(trains[node.parents[start + i]] for node in nodes for i in range(n))

    group: Group
    n = arity // 2
    if name == "sum" and len(set(kinds)) == 1:
        group = _Sum(*args)
        group.operands = [Rows(block(0, arity), (k, arity), kinds[0], learns(0, arity))]
    elif name == "dot" and len(set(kinds[:n])) == 1 and len(set(kinds[n : 2 * n])) == 1:
        w_side, x_side = (n, 0) if kinds[0] and not kinds[n] else (0, n)  # shared side first
        w_rows, x_rows = block(w_side, n), block(x_side, n)
        w_kind, x_kind = kinds[w_side], kinds[x_side]
        w_learns, x_learns = learns(w_side, n), learns(x_side, n)
        first_x = x_rows[:n]
        if not w_kind and x_kind and x_rows == first_x * k:
            group = _Dense(*args)
            group.operands = [
                Rows(w_rows, (k, n), False, w_learns),
                Rows(first_x, (n,), True, x_learns),
            ]
        else:
            group = _Dot(*args)
            group.operands = [
                Rows(w_rows, (k, n), w_kind, w_learns),
                Rows(x_rows, (k, n), x_kind, x_learns),
            ]
        if arity % 2:  # w·x + b: the biases, one per node
            group.operands.append(Rows(column(2 * n), (k,), kinds[2 * n], learns(2 * n, 1)))
    else:
        group = _Elementwise(ops[name], *args)
        values = [_constant(nodes, j, batched, trains) for j in range(arity)]
        if None not in values:  # all constant: keep them as rows, an array to compute on
            values = [None] * arity
        group.operands = [
            Rows(column(j), (k,), kinds[j], learns(j, 1), values[j]) for j in range(arity)
        ]
    group.trains = any(trains[node] for node in nodes)
    return group


def _constant(
    nodes: list[Value], j: int, batched: dict[Value, bool], trains: dict[Value, bool]
) -> float | None:
    """The number that operand ``j`` of every node is, if it is one constant leaf value
    (not a parameter) for the whole group, such as the exponent of ``x ** 2``."""
    leaves = [node.parents[j] for node in nodes]
    if any(p.parents or batched[p] or trains[p] for p in leaves):
        return None
    values = {float(p.data).hex() for p in leaves}  # -0.0 is not 0.0, NaN is itself
    return float.fromhex(values.pop()) if len(values) == 1 else None


def read_inputs_directly(
    groups: list[Group], arguments: list[range], outputs: list[tuple[bool, int]]
) -> list[bool]:
    """For each argument (its batched rows), whether only dense layers read it, all of it
    in order: they then read the caller's array itself (a transposed view, which BLAS
    takes as it is), and the argument is not copied into the batched buffer."""
    direct = []
    for i, rows_of_argument in enumerate(arguments):
        readers = [
            (group, rows)
            for group in groups
            for rows in group.operands
            if rows.batched and any(r in rows_of_argument for r in rows.numbers())
        ]
        whole = slice(rows_of_argument.start, rows_of_argument.stop)
        ok = (
            bool(readers)
            and not any(batched and row in rows_of_argument for batched, row in outputs)
            and all(
                isinstance(group, _Dense) and rows is group.operands[1] and rows.index == whole
                for group, rows in readers
            )
        )
        if ok:
            for group, _ in readers:
                group.argument = i
        direct.append(ok)
    return direct
