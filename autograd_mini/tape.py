"""The batched tape: trace a scalar graph once, then run it on a whole batch with numpy.

`trace` calls a function once on Values, records the graph it builds as flat index
arrays, and returns a `Tape`. The tape evaluates that graph for a batch of examples, in
one pass each way: forward values, per-example gradients of every input (like JAX's
``vmap(grad(f))``) and batch-summed, averaged or per-example gradients of the shared
parameters.

It runs level by level (the dynamic batching of TensorFlow Fold): the nodes of equal
depth and operation form a group, and each group is a handful of vectorised numpy calls
over a (group size, batch) array. So the number of numpy calls grows with the graph's
depth, not its size: a dense layer of neurons is one matrix product. The backward pass
runs the rule table's partial derivatives on those arrays (the calculus is written once,
in `autograd_mini._ops`), and its forward functions on arrays.

>>> import autograd_mini as am
>>> w = am.Value(2.0, label="w")
>>> tape = am.trace(lambda x: (w * x).tanh(), 0.5, params=[w])
>>> tape
Tape(inputs=[()], outputs=1, params=1, nodes=4, levels=2, groups=2)
>>> tape.forward([0.0, 0.25]).round(6).tolist()
[0.0, 0.462117]
>>> grads = tape.grad([0.0, 0.25], reduction="sum")
>>> grads.inputs[0].round(6).tolist()     # d tanh(w x) / dx for each example
[2.0, 1.572895]
>>> grads.params.round(6).tolist()        # d/dw, summed over the batch
[0.196612]

What cannot be traced: the tape replays the graph that one example built. If the
function takes a different path for other data (a Python ``if`` on ``x.data``, a list
indexed by a label, ``max`` of some values), the tape silently keeps the first path. Pass
labels as one-hot vectors, and call `Tape.check` on a few other examples to compare the
tape with a fresh scalar run. A number read from ``x.data`` during tracing becomes a
constant. What is detected: a batch with the wrong number of arguments or the wrong
shape, and inputs that the result does not use (often a sign of the above).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from autograd_mini._engine import Op, Value, gradients, ops, sum_, topological_order

Array = npt.NDArray[np.float64]
Reduction = Literal["mean", "sum", "none"]

__all__ = ["Tape", "TapeGradients", "trace"]


# ---- the operations come from the rule table -------------------------------------------


def _op_of(node: Value) -> Op:
    """The rule-table entry of a node, checked to be one the tape can run."""
    op = ops.get(node.op)
    if op is None:
        raise NotImplementedError(f"trace: the tape has no batched form of operation {node.op!r}")
    return op


# ---- where a group's operand lives -----------------------------------------------------


class _Rows:
    """One operand of a group: rows of the batched or the shared buffer, as a slice when
    they are consecutive (a free view), else as an index array, viewed as ``shape``."""

    __slots__ = ("batched", "index", "shape", "trains", "unique")

    def __init__(
        self, rows: Sequence[int], shape: tuple[int, ...], batched: bool, trains: bool = True
    ) -> None:
        self.batched = batched
        self.shape = shape
        self.trains = trains  # does a parameter's gradient flow through these rows?
        self.unique = len(set(rows)) == len(rows)
        start = rows[0] if rows else 0
        if list(rows) == list(range(start, start + len(rows))):
            self.index: slice | npt.NDArray[np.intp] = slice(start, start + len(rows))
        else:
            self.index = np.asarray(rows, dtype=np.intp)

    def gather(self, batched: Array, shared: Array) -> Array:
        """The operand's values, shape ``(*shape, width)``: width B, or 1 if shared."""
        buffer = batched if self.batched else shared
        values = buffer[self.index]
        if len(self.shape) == 1:
            return values
        return values.reshape(*self.shape, buffer.shape[1])

    def add(self, grad_batched: Array, grad_shared: Array, contribution: Any) -> None:
        """Add a gradient contribution of shape ``(*shape, width)`` into the operand's rows;
        a shared operand's contribution is summed over the batch unless kept per example."""
        target = grad_batched if self.batched else grad_shared
        width = target.shape[1]
        c = np.asarray(contribution)
        if width == 1 and c.shape[-1] != 1:  # a shared operand: sum over the batch
            c = c.sum(axis=-1, keepdims=True)
        if isinstance(self.index, slice):
            view = target[self.index]
            if len(self.shape) > 1:
                view = view.reshape(*self.shape, width)
            view += c
            return
        c = np.broadcast_to(c, (*self.shape, width)).reshape(-1, width)
        if self.unique:
            target[self.index] += c
        else:
            np.add.at(target, self.index, c)


# ---- groups: the nodes of one level and one operation ----------------------------------


class _Group:
    """Nodes of one depth and operation whose values fill rows ``out`` of one buffer."""

    __slots__ = ("batched", "depth", "op", "operands", "out", "size", "trains")

    def __init__(self, op: str, depth: int, size: int, out: slice, batched: bool) -> None:
        self.op = op
        self.depth = depth
        self.size = size
        self.out = out
        self.batched = batched
        self.operands: list[_Rows] = []
        self.trains = True  # does any of its nodes depend on a parameter?

    def forward(self, batched: Array, shared: Array) -> Any:
        """Compute the group's values into its rows; return what `backward` needs."""
        raise NotImplementedError

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


class _Elementwise(_Group):
    """Any operation, operand by operand: the rule table's forward on arrays, and its
    partials, run on arrays, times the upstream gradient."""

    __slots__ = ("entry", "function")

    def __init__(self, entry: Op, *args: Any) -> None:
        super().__init__(*args)
        self.entry = entry
        self.function: Callable[..., Any] = entry.array_forward or entry.forward

    def forward(self, batched: Array, shared: Array) -> Any:
        args = [rows.gather(batched, shared) for rows in self.operands]
        if self.entry.domain is not None:
            self._check_domain(args)
        try:
            result: Array = self.function(*args)
        except TypeError as error:
            raise NotImplementedError(
                f"tape: the forward of {self.op!r} does not take numpy arrays ({error}); "
                f"give am.defop an array_forward= to batch it"
            ) from None
        (batched if self.batched else shared)[self.out] = result
        return args

    def _check_domain(self, args: list[Array]) -> None:
        """Raise the engine's own domain error, naming the example, for the first example
        whose operands are outside the operation's domain."""
        entry = self.entry
        assert entry.domain is not None
        valid = np.asarray(entry.domain(*args))
        if valid.all():
            return
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
        for rows, d in zip(self.operands, self.entry.local(out, saved)):
            if d is None or (only_params and not rows.trains):
                continue
            rows.add(grad_batched, grad_shared, np.broadcast_to(g * d, g.shape))


class _Sum(_Group):
    """``sum`` nodes of n terms each, all batched or all shared: one (k, n, B) reduction.

    The rule table's ∂sum/∂term is 1: every term gets the upstream gradient, here one
    broadcast of g over the n terms instead of n separate arrays.
    """

    __slots__ = ()

    def forward(self, batched: Array, shared: Array) -> Any:
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


def _add_bias(group: _Group, z: Array, batched: Array, shared: Array) -> None:
    """z += b for the ``dot`` nodes of ``group`` that have a bias (a third operand)."""
    if len(group.operands) == 3:
        z += group.operands[2].gather(batched, shared)


def _push_to_bias(group: _Group, g: Array, grads: tuple[Array, Array], only_params: bool) -> None:
    """The bias of w·x + b gets the upstream gradient itself (∂dot/∂b = 1)."""
    if len(group.operands) == 3:
        bias = group.operands[2]
        if bias.trains or not only_params:
            bias.add(*grads, g)


class _Dot(_Group):
    """``dot`` nodes w·x (+ b) with n pairs, each side all batched or all shared.

    The rule table's partials give w_i the gradient g·x_i and x_i the gradient g·w_i; here
    those are two broadcast products over (k, n, B) arrays instead of 2n (k, B) arrays.
    """

    __slots__ = ()

    def forward(self, batched: Array, shared: Array) -> Any:
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


class _Dense(_Group):
    """A dense layer's ``dot`` nodes: shared weights W (k, n) against the same n batched
    inputs X (n, B), so the forward is W @ X (+ b) and the backward two matrix products
    (the sums over i of dot's g·x_i and g·w_i, taken by BLAS)."""

    __slots__ = ()

    def forward(self, batched: Array, shared: Array) -> Any:
        rows_w, rows_x = self.operands[:2]
        w = shared[rows_w.index, 0].reshape(rows_w.shape)
        x = batched[rows_x.index]
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
            rows_x.add(grad_batched, grad_shared, w.T @ g)
        if not rows_w.trains and only_params:
            return
        if grad_shared.shape[1] == 1:  # summed over the batch: one matrix product
            rows_w.add(grad_batched, grad_shared, (g @ x.T)[:, :, None])
        else:  # per example: the outer products themselves
            rows_w.add(grad_batched, grad_shared, g[:, None, :] * x[None, :, :])


# ---- the tape ------------------------------------------------------------------------


@dataclass(frozen=True)
class TapeGradients:
    """What `Tape.grad` returns for a batch of B examples.

    - ``output``: the function's value per example, shape (B,) or (B, outputs).
    - ``inputs``: one array per traced argument, shape (B, *argument shape): the gradient
      of each example's output with respect to that example's input (never reduced).
    - ``params``: gradients of `Tape.params`, in that order: shape (P,) summed or averaged
      over the batch, or (B, P) per example with ``reduction="none"``.
    """

    output: Array
    inputs: tuple[Array, ...]
    params: Array


class Tape:
    """A traced graph that runs on batches with numpy; made by `trace`.

    The parameters' values are read from their Values at every call, so an optimizer
    that updates ``p.data`` is seen by the next call; constants keep their traced value.
    A tape reuses its work arrays from call to call: share one between threads only
    with a lock.
    """

    def __init__(
        self,
        function: Callable[..., Any],
        input_shapes: list[tuple[int, ...]],
        input_rows: list[int],
        params: list[Value],
        shared_leaf_values: Array,
        param_rows: npt.NDArray[np.intp],
        outputs: list[tuple[bool, int]],
        single_output: bool,
        groups: list[_Group],
        sizes: tuple[int, int, int],
    ) -> None:
        self._function = function
        self._explicit_params = True
        self._workspace: dict[int, tuple[Array, Array, Array, Array]] = {}
        self.input_shapes: tuple[tuple[int, ...], ...] = tuple(input_shapes)
        """The shape of one example of each argument; a batch adds a leading axis."""
        self._input_rows = input_rows
        self.params: tuple[Value, ...] = tuple(params)
        """The shared parameters, in the order of `TapeGradients.params`."""
        self._shared_leaf_values = shared_leaf_values
        self._param_rows = param_rows
        self._outputs = outputs
        self._single = single_output
        self._groups = groups
        self._n_batched, self._n_shared, self.nodes = sizes
        self.levels = max((group.depth for group in groups), default=0)
        """The graph's depth: the forward pass runs this many levels."""

    @property
    def n_outputs(self) -> int:
        return len(self._outputs)

    @property
    def n_groups(self) -> int:
        """How many (level, operation) groups run: roughly the numpy calls per pass / 3."""
        return len(self._groups)

    def __repr__(self) -> str:
        return (
            f"Tape(inputs={list(self.input_shapes)}, outputs={self.n_outputs}, "
            f"params={len(self.params)}, nodes={self.nodes}, levels={self.levels}, "
            f"groups={self.n_groups})"
        )

    # ---- running ---------------------------------------------------------------------

    def __call__(self, *batch: Any) -> Array:
        """Same as `forward`."""
        return self.forward(*batch)

    def forward(self, *batch: Any) -> Array:
        """The function's value for every example: shape (B,), or (B, outputs).

        Pass one array per traced argument, each with a leading batch axis.
        """
        batched, shared = self._run_forward(self._batch(batch), keep=False)[:2]
        return self._output(batched, shared)

    def grad(
        self,
        *batch: Any,
        reduction: Reduction = "mean",
        grad_output: Any = None,
        inputs: bool = True,
    ) -> TapeGradients:
        """Values and gradients for a batch, in one pass each way; see `TapeGradients`.

        ``reduction`` says how the parameters' gradients combine over the batch:
        ``"mean"`` (a training step on the mean loss), ``"sum"``, or ``"none"`` (one row
        per example). A function with several outputs needs ``grad_output``, shape
        (B, outputs): the weights of the outputs (a vector-Jacobian product).
        ``inputs=False`` skips the inputs' gradients (``TapeGradients.inputs`` is then
        empty) and every branch of the graph that reaches no parameter: a training step
        needs only the parameters'.
        """
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        arrays = self._batch(batch)
        size = arrays[0].shape[0]
        batched, shared, saved = self._run_forward(arrays, keep=True)
        output = self._output(batched, shared)
        seed = self._seed(grad_output, size)
        per_example = reduction == "none"
        grad_batched, grad_shared = self._run_backward(
            batched, shared, saved, seed, per_example=per_example, only_params=not inputs
        )
        input_grads = tuple(
            np.ascontiguousarray(grad_batched[row : row + math.prod(shape)].T).reshape(size, *shape)
            for shape, row in zip(self.input_shapes, self._input_rows)
            if inputs
        )
        if per_example:
            params = np.ascontiguousarray(grad_shared[self._param_rows].T)
        else:
            params = grad_shared[self._param_rows, 0]
            if reduction == "mean":
                params = params / size
        return TapeGradients(output, input_grads, params)

    def backward(self, *batch: Any, reduction: Literal["mean", "sum"] = "mean") -> Array:
        """Like ``loss.backward()`` for the mean (or sum) of the outputs over the batch:
        add each parameter's gradient into its ``.grad``; return the outputs, shape (B,).

        This is one training step's gradient: follow it with an optimizer's ``step()``.
        """
        if reduction not in ("mean", "sum"):
            raise ValueError(f"backward: reduction must be 'mean' or 'sum', got {reduction!r}")
        grads = self.grad(*batch, reduction=reduction, inputs=False)
        for p, g in zip(self.params, grads.params.tolist()):
            p.grad += g
        return grads.output

    def check(self, *example: Any, rel: float = 1e-9) -> None:
        """Compare the tape with a fresh scalar run of the traced function on one example
        (no batch axis); raise ValueError if outputs or gradients differ.

        A function whose graph depends on the data (a branch, an index by label) traced on
        one example gives a different graph on another: this is how to find out.
        """
        arrays = self._batch(tuple(np.asarray(a, dtype=np.float64)[None] for a in example))
        values = [_nest([Value(v) for v in a.ravel().tolist()], a.shape[1:]) for a in arrays]
        outputs, _ = _as_outputs(self._function(*values))
        total = outputs[0] if len(outputs) == 1 else sum_(outputs)
        # Leaves made while tracing (constants, when params were not named) are new in
        # the fresh run: compare the parameters that the fresh graph uses.
        fresh = set(topological_order(total))
        used = [i for i, p in enumerate(self.params) if self._explicit_params or p in fresh]
        leaves = [v for a in values for v in _flatten(a)] + [self.params[i] for i in used]
        expected_out = np.array([o.data for o in outputs])
        expected_grads = np.array(gradients(total, leaves))
        seed = np.ones((1, self.n_outputs))
        grads = self.grad(*arrays, reduction="sum", grad_output=seed)
        got_grads = np.concatenate([*(g.ravel() for g in grads.inputs), grads.params[used]])
        got_out = grads.output.ravel()
        scale = max(1.0, float(np.abs(expected_grads).max(initial=0.0)))
        same_out = np.allclose(got_out, expected_out, rtol=rel, atol=rel)
        if not same_out or not np.allclose(got_grads, expected_grads, rtol=rel, atol=rel * scale):
            what = "outputs" if not same_out else "gradients"
            raise ValueError(
                f"Tape.check: the tape's {what} differ from a fresh scalar run on this example "
                f"(outputs {got_out.tolist()} vs {expected_out.tolist()}): the function's graph "
                "depends on its data, so it cannot be traced once (see autograd_mini.tape)"
            )

    # ---- internals -------------------------------------------------------------------

    def _batch(self, batch: tuple[Any, ...]) -> list[Array]:
        shapes = self.input_shapes
        if len(batch) != len(shapes):
            raise TypeError(
                f"this tape was traced with {len(shapes)} argument(s) of shapes "
                f"{list(shapes)}; got {len(batch)} batch argument(s)"
            )
        arrays = []
        for i, (arg, shape) in enumerate(zip(batch, shapes)):
            try:
                array = np.asarray(arg, dtype=np.float64)
            except (TypeError, ValueError) as error:
                raise ValueError(f"batch argument {i}: not an array of numbers ({error})") from None
            if array.ndim != len(shape) + 1 or array.shape[1:] != shape:
                expected = ", ".join(["B", *map(str, shape)])
                raise ValueError(
                    f"batch argument {i}: expected shape ({expected}) (a leading batch axis "
                    f"on the traced shape {shape}), got {array.shape}"
                )
            arrays.append(array)
        sizes = {a.shape[0] for a in arrays}
        if len(sizes) > 1:
            raise ValueError(
                f"batch arguments differ in batch size: {[a.shape[0] for a in arrays]}"
            )
        if arrays[0].shape[0] == 0:
            raise ValueError("the batch is empty")
        return arrays

    def _buffers(self, size: int) -> tuple[Array, Array, Array, Array]:
        """Values and gradients for a batch of ``size``, reused from call to call: fresh
        memory costs more than the arithmetic (every page is faulted in on first use)."""
        buffers = self._workspace.get(size)
        if buffers is None:
            if len(self._workspace) >= 4:
                self._workspace.clear()
            nb, ns = self._n_batched, self._n_shared
            buffers = (
                np.empty((nb, size)),
                np.empty((ns, 1)),
                np.empty((nb, size)),
                np.empty((ns, 1)),
            )
            self._workspace[size] = buffers
        return buffers

    def _run_forward(self, arrays: list[Array], *, keep: bool) -> tuple[Array, Array, list[Any]]:
        size = arrays[0].shape[0]
        batched, shared = self._buffers(size)[:2]
        for array, row, shape in zip(arrays, self._input_rows, self.input_shapes):
            n = math.prod(shape)
            batched[row : row + n] = array.reshape(size, n).T
        leaf_values = self._shared_leaf_values
        leaf_values[self._param_rows] = np.array([p.data for p in self.params], dtype=np.float64)
        shared[: len(leaf_values), 0] = leaf_values
        saved: list[Any] = []
        # NaN and overflow follow the engine's policy (they propagate as NaN and ±inf);
        # domain errors are raised by the groups, from the rule table's domain checks.
        with np.errstate(all="ignore"):
            for group in self._groups:
                result = group.forward(batched, shared)
                if keep:
                    saved.append(result)
        return batched, shared, saved

    def _output(self, batched: Array, shared: Array) -> Array:
        size = batched.shape[1]
        columns = [
            batched[row] if is_batched else np.full(size, shared[row, 0])
            for is_batched, row in self._outputs
        ]
        return columns[0].copy() if self._single else np.stack(columns, axis=1)

    def _seed(self, grad_output: Any, size: int) -> Array:
        if grad_output is None:
            if not self._single:
                raise ValueError(
                    f"grad: the function has {self.n_outputs} outputs; pass grad_output of "
                    f"shape (B, {self.n_outputs}) to say how to weight them"
                )
            return np.ones((size, 1))
        seed = np.asarray(grad_output, dtype=np.float64)
        if self._single and seed.shape == (size,):
            seed = seed[:, None]
        if seed.shape != (size, self.n_outputs):
            raise ValueError(
                f"grad_output: expected shape ({size}, {self.n_outputs}), got {seed.shape}"
            )
        return seed

    def _run_backward(
        self,
        batched: Array,
        shared: Array,
        saved: list[Any],
        seed: Array,
        *,
        per_example: bool,
        only_params: bool,
    ) -> tuple[Array, Array]:
        size = batched.shape[1]
        grad_batched, grad_shared = self._buffers(size)[2:]
        grad_batched.fill(0.0)
        if per_example:
            grad_shared = np.zeros((self._n_shared, size))
        else:
            grad_shared.fill(0.0)
        for j, (is_batched, row) in enumerate(self._outputs):
            if is_batched:
                grad_batched[row] += seed[:, j]
            elif per_example:
                grad_shared[row] += seed[:, j]
            else:
                grad_shared[row] += seed[:, j].sum()
        with np.errstate(divide="raise", invalid="ignore", over="ignore", under="ignore"):
            for group, result in zip(reversed(self._groups), reversed(saved)):
                if only_params and not group.trains:
                    continue
                values, grads = (batched, grad_batched) if group.batched else (shared, grad_shared)
                try:
                    group.backward(
                        grads[group.out],
                        values[group.out],
                        result,
                        grad_batched,
                        grad_shared,
                        only_params,
                    )
                except FloatingPointError as error:
                    raise ZeroDivisionError(
                        f"tape: backward of {group.op!r} (level {group.depth}): {error}"
                    ) from None
        return grad_batched, grad_shared


# ---- tracing ---------------------------------------------------------------------------


def _nest(flat: list[Value], shape: tuple[int, ...]) -> Any:
    """Values in the nested-list structure of ``shape`` (a number for shape ())."""
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = math.prod(shape[1:])
    return [_nest(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def _flatten(nested: Any) -> list[Value]:
    if isinstance(nested, Value):
        return [nested]
    return [v for item in nested for v in _flatten(item)]


def _input_values(arg: object, i: int) -> tuple[list[Value], tuple[int, ...]]:
    """Fresh input Values for one example argument, and its shape."""
    try:
        array = np.asarray(arg)
    except ValueError as error:
        raise ValueError(f"trace: example argument {i} is not a regular array ({error})") from None
    if array.dtype.kind not in "iuf":
        hint = (
            " (pass plain numbers: trace makes the input Values)" if array.dtype == object else ""
        )
        raise TypeError(
            f"trace: example argument {i} must be a real number or a (nested) list of them, "
            f"got {type(arg).__name__} {arg!r:.80}{hint}"
        )
    flat = array.ravel().tolist()
    name = f"x{i}"
    labels = [name] if array.ndim == 0 else [f"{name}[{j}]" for j in range(len(flat))]
    return [Value(v, label=label) for v, label in zip(flat, labels)], array.shape


def _as_outputs(result: object) -> tuple[list[Value], bool]:
    if isinstance(result, Value):
        return [result], True
    if isinstance(result, list | tuple) and result and all(isinstance(v, Value) for v in result):
        return list(result), False
    raise TypeError(
        f"trace: the function must return a Value or a non-empty list of Values, got "
        f"{type(result).__name__} {result!r:.80}"
    )


def _shared_params(params: object, order: list[Value], inputs: set[Value]) -> list[Value]:
    if params is None:
        return [v for v in order if not v.parents and v not in inputs]
    if isinstance(params, Value | str) or not isinstance(params, Iterable):
        raise TypeError(f"trace: params must be a list of Values, got {type(params).__name__}")
    result = list(params)
    seen: set[Value] = set()
    for p in result:
        if not isinstance(p, Value):
            raise TypeError(f"trace: params must be Values, got {type(p).__name__} {p!r:.80}")
        if p.parents:
            raise ValueError(f"trace: params must be leaf Values, but {p!r} has parents")
        if p in seen:
            raise ValueError(f"trace: params lists {p!r} more than once")
        seen.add(p)
    return result


def trace(
    f: Callable[..., Any],
    *example_args: Any,
    params: Sequence[Value] | None = None,
    allow_unused: bool = False,
) -> Tape:
    """Run ``f`` once on Values made from ``example_args`` and record its graph as a `Tape`.

    Each example argument is a number or a (nested) list of numbers; ``f`` receives a
    Value or a (nested) list of Values in its place, the per-example inputs, and returns
    a Value or a list of Values. ``params`` are the Values shared by all examples whose
    gradients you want (e.g. ``model.parameters()``): the tape reads their current
    ``.data`` on every call. Any other leaf is a constant, frozen at its traced value.
    Without ``params``, every leaf that is not an input is a parameter.

    An input that the result does not use raises ValueError (its gradient would be
    silently zero: usually the graph depended on the input's value, not on the input);
    ``allow_unused=True`` accepts it.

    >>> import autograd_mini as am
    >>> from autograd_mini.nn import MLP
    >>> model = MLP(3, [4, 1], seed=0)
    >>> tape = am.trace(model, [0.0, 0.0, 0.0], params=model.parameters())
    >>> tape.forward([[1.0, 2.0, 3.0], [0.0, 0.5, -1.0]]).shape
    (2,)
    """
    if not callable(f):
        raise TypeError(f"trace: f must be callable, got {type(f).__name__}")
    if not example_args:
        raise ValueError("trace: give at least one example argument (the per-example inputs)")
    input_lists, shapes = [], []
    for i, arg in enumerate(example_args):
        values, shape = _input_values(arg, i)
        input_lists.append(values)
        shapes.append(shape)
    outputs, single = _as_outputs(
        f(*(_nest(values, shape) for values, shape in zip(input_lists, shapes)))
    )
    order = topological_order(*outputs)
    inputs = {v for values in input_lists for v in values}
    present = set(order)
    unused = [v.label for values in input_lists for v in values if v not in present]
    if unused and not allow_unused:
        raise ValueError(
            f"trace: the result does not depend on input(s) {unused[:8]}"
            f"{' ...' if len(unused) > 8 else ''}; if the graph depends on their values "
            "(a branch or an index), it cannot be traced once. allow_unused=True accepts this"
        )
    shared_params = _shared_params(params, order, inputs)
    tape = _build(f, input_lists, shapes, shared_params, outputs, single, order)
    tape._explicit_params = params is not None
    return tape


def _build(
    f: Callable[..., Any],
    input_lists: list[list[Value]],
    shapes: list[tuple[int, ...]],
    params: list[Value],
    outputs: list[Value],
    single: bool,
    order: list[Value],
) -> Tape:
    """Group the nodes by (depth, operation, operand kinds) and lay out the buffers."""
    inputs = {v for values in input_lists for v in values}
    param_set = set(params)
    batched: dict[Value, bool] = {}
    trains: dict[Value, bool] = {}  # does the node depend on a parameter?
    depth: dict[Value, int] = {}
    groups: dict[tuple[Any, ...], list[Value]] = {}
    for node in order:
        if not node.parents:
            batched[node] = node in inputs
            trains[node] = node in param_set
            depth[node] = 0
            continue
        batched[node] = any(batched[p] for p in node.parents)
        trains[node] = any(trains[p] for p in node.parents)
        depth[node] = 1 + max(depth[p] for p in node.parents)
        kinds = tuple(batched[p] for p in node.parents)
        key = (depth[node], _op_of(node).name, len(node.parents), kinds)
        groups.setdefault(key, []).append(node)
    ordered = sorted(groups.items(), key=lambda item: item[0][0])  # stable: by depth

    # Rows: inputs first, then each group's outputs consecutively (so a group writes a
    # slice); shared leaves in order of first use, so a layer's weights are consecutive.
    batched_row: dict[Value, int] = {}
    input_rows = []
    for values in input_lists:
        input_rows.append(len(batched_row))
        for v in values:
            batched_row[v] = len(batched_row)
    shared_row: dict[Value, int] = {}
    for (_, name, arity, _), nodes in ordered:
        split = arity - 1 if name == "dot" and arity % 2 else arity  # biases after W
        operands = [p for node in nodes for p in node.parents[:split]]
        operands += [node.parents[split] for node in nodes if split < arity]
        for p in operands:
            if not p.parents and not batched[p] and p not in shared_row:
                shared_row[p] = len(shared_row)
    for v in [*params, *outputs]:
        if not v.parents and v not in inputs and v not in shared_row:
            shared_row[v] = len(shared_row)
    leaf_values = np.array([v.data for v in shared_row], dtype=np.float64)
    for (_, _, _, _), nodes in ordered:
        rows = batched_row if batched[nodes[0]] else shared_row
        for node in nodes:
            rows[node] = len(rows)

    def row(v: Value) -> int:
        return batched_row[v] if batched[v] else shared_row[v]

    built = [_make_group(key, nodes, batched, trains, row) for key, nodes in ordered]
    param_rows = np.array([shared_row[p] for p in params], dtype=np.intp)
    output_rows = [(batched[v], row(v)) for v in outputs]
    sizes = (len(batched_row), len(shared_row), len(order))
    return Tape(
        f,
        shapes,
        input_rows,
        params,
        leaf_values,
        param_rows,
        output_rows,
        single,
        built,
        sizes,
    )


def _make_group(
    key: tuple[Any, ...],
    nodes: list[Value],
    batched: dict[Value, bool],
    trains: dict[Value, bool],
    row: Callable[[Value], int],
) -> _Group:
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

    group: _Group
    n = arity // 2
    if name == "sum" and len(set(kinds)) == 1:
        group = _Sum(*args)
        group.operands = [_Rows(block(0, arity), (k, arity), kinds[0], learns(0, arity))]
    elif name == "dot" and len(set(kinds[:n])) == 1 and len(set(kinds[n : 2 * n])) == 1:
        w_side, x_side = (n, 0) if kinds[0] and not kinds[n] else (0, n)  # shared side first
        w_rows, x_rows = block(w_side, n), block(x_side, n)
        w_kind, x_kind = kinds[w_side], kinds[x_side]
        w_learns, x_learns = learns(w_side, n), learns(x_side, n)
        first_x = x_rows[:n]
        if not w_kind and x_kind and x_rows == first_x * k:
            group = _Dense(*args)
            group.operands = [
                _Rows(w_rows, (k, n), False, w_learns),
                _Rows(first_x, (n,), True, x_learns),
            ]
        else:
            group = _Dot(*args)
            group.operands = [
                _Rows(w_rows, (k, n), w_kind, w_learns),
                _Rows(x_rows, (k, n), x_kind, x_learns),
            ]
        if arity % 2:  # w·x + b: the biases, one per node
            group.operands.append(_Rows(column(2 * n), (k,), kinds[2 * n], learns(2 * n, 1)))
    else:
        group = _Elementwise(ops[name], *args)
        group.operands = [_Rows(column(j), (k,), kinds[j], learns(j, 1)) for j in range(arity)]
    group.trains = any(trains[node] for node in nodes)
    return group
