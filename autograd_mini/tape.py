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

The parameters are read from their Values at every call. To train fast, keep them in one
array instead and pass it (as ``torch.func.functional_call`` and JAX take parameters):
reading and updating thousands of Values one by one in Python costs more than the
arithmetic at small batches.

>>> theta = tape.param_array()            # the parameters' values, in tape.params order
>>> theta.tolist()
[2.0]
>>> tape.grad([0.0, 0.25], reduction="sum", params=theta * 2).params.round(6).tolist()
[0.104994]
>>> tape.write_params(theta * 2)          # into the Values: the model holds the result
>>> w.data
4.0

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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from autograd_mini._engine import Value, accumulate, topological_order
from autograd_mini._tape_build import Layout, build
from autograd_mini._tape_rows import Array
from autograd_mini._tracing import (
    as_outputs,
    check_against_scalar,
    input_values,
    nest,
    shared_params,
)

Reduction = Literal["mean", "sum", "none"]

__all__ = ["Tape", "TapeGradients", "trace"]


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
    Or pass them as one array, ``params=theta`` of shape (P,) in `params` order (as
    ``torch.func.functional_call`` and JAX take them): the Values are then neither read
    nor changed, and training updates ``theta`` with numpy. `param_array` and
    `write_params` copy between the two. A tape reuses its work arrays from call to call:
    share one between threads only with a lock.
    """

    def __init__(
        self,
        function: Callable[..., Any],
        input_shapes: list[tuple[int, ...]],
        params: list[Value],
        single_output: bool,
        layout: Layout,
        explicit_params: bool,
    ) -> None:
        self._function = function
        self._explicit_params = explicit_params
        self._workspace: dict[int, tuple[Array, Array, Array, Array]] = {}
        self.input_shapes: tuple[tuple[int, ...], ...] = tuple(input_shapes)
        """The shape of one example of each argument; a batch adds a leading axis."""
        self._input_rows = layout.input_rows
        self._zero_rows = layout.zero_rows
        self._direct_inputs = layout.direct_inputs
        self.params: tuple[Value, ...] = tuple(params)
        """The shared parameters, in the order of `TapeGradients.params`."""
        self._shared_leaf_values = layout.shared_leaf_values
        self._param_rows = layout.param_rows
        self._outputs = layout.outputs
        self._single = single_output
        self._groups = layout.groups
        self._n_batched, self._n_shared = layout.n_batched, layout.n_shared
        self.nodes = layout.nodes
        """How many nodes the traced graph has."""
        self.levels = max((group.depth for group in layout.groups), default=0)
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

    def forward(self, *batch: Any, params: Any = None) -> Array:
        """The function's value for every example: shape (B,), or (B, outputs).

        Pass one array per traced argument, each with a leading batch axis; ``params``, an
        array of shape (P,), replaces the parameters' Values (see `Tape`).
        """
        arrays = self._batch(batch)
        theta = None if params is None else self._theta(params, "forward")
        batched, shared = self._run_forward(arrays, theta)[:2]
        return self._output(batched, shared)

    def grad(
        self,
        *batch: Any,
        reduction: Reduction = "mean",
        grad_output: Any = None,
        inputs: bool = True,
        params: Any = None,
    ) -> TapeGradients:
        """Values and gradients for a batch, in one pass each way; see `TapeGradients`.

        ``reduction`` says how the parameters' gradients combine over the batch:
        ``"mean"`` (a training step on the mean loss), ``"sum"``, or ``"none"`` (one row
        per example). A function with several outputs needs ``grad_output``, shape
        (B, outputs): the weights of the outputs (a vector-Jacobian product).
        ``inputs=False`` skips the inputs' gradients (``TapeGradients.inputs`` is then
        empty) and every branch of the graph that reaches no parameter: a training step
        needs only the parameters'. ``params``, an array of shape (P,), replaces the
        parameters' Values (see `Tape`).
        """
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
        arrays = self._batch(batch)
        theta = None if params is None else self._theta(params, "grad")
        size = arrays[0].shape[0]
        batched, shared, saved = self._run_forward(arrays, theta)
        output = self._output(batched, shared)
        seed = self._seed(grad_output, size)
        per_example = reduction == "none"
        grad_batched, grad_shared = self._run_backward(
            batched, shared, saved, seed, per_example=per_example, only_params=not inputs
        )
        rows = zip(self.input_shapes, self._input_rows) if inputs else ()
        input_grads = tuple(
            np.ascontiguousarray(grad_batched[row : row + math.prod(shape)].T).reshape(size, *shape)
            for shape, row in rows
        )
        if per_example:
            param_grads = np.ascontiguousarray(grad_shared[self._param_rows].T)
        else:
            param_grads = grad_shared[:, 0][self._param_rows]  # a copy: divided in place
            if reduction == "mean":
                param_grads /= size
        return TapeGradients(output, input_grads, param_grads)

    def backward(self, *batch: Any, reduction: Literal["mean", "sum"] = "mean") -> Array:
        """Like ``loss.backward()`` for the mean (or sum) of the outputs over the batch:
        add each parameter's gradient into its ``.grad``; return the outputs, shape (B,).

        This is one training step's gradient: follow it with an optimizer's ``step()``.
        """
        if reduction not in ("mean", "sum"):
            raise ValueError(f"backward: reduction must be 'mean' or 'sum', got {reduction!r}")
        grads = self.grad(*batch, reduction=reduction, inputs=False)
        accumulate(self.params, grads.params.tolist())
        return grads.output

    def param_array(self) -> Array:
        """The parameters' current values as a new array, shape (P,), in `params` order:
        the ``theta`` to train with ``params=theta``."""
        return np.array([p.data for p in self.params], dtype=np.float64)

    def write_params(self, theta: Any) -> None:
        """Set each parameter Value's ``data`` from ``theta``, shape (P,) in `params`
        order (after training on an array): the model then holds the trained weights.
        A ``theta`` of the wrong shape or type raises and changes no Value."""
        for p, value in zip(self.params, self._theta(theta, "write_params").tolist()):
            p.data = value

    def check(self, *example: Any, rel: float = 1e-9) -> None:
        """Compare the tape with a fresh scalar run of the traced function on one example
        (no batch axis); raise ValueError if outputs or gradients differ.

        A function whose graph depends on the data (a branch, an index by label) traced on
        one example gives a different graph on another: this is how to find out.
        """
        arrays = self._batch(
            tuple(_real_array(a, f"check: argument {i}")[None] for i, a in enumerate(example))
        )
        values = [nest([Value(v) for v in a.ravel().tolist()], a.shape[1:]) for a in arrays]
        grads = self.grad(*arrays, reduction="sum", grad_output=np.ones((1, self.n_outputs)))

        def got_grads(used: list[int]) -> Array:
            return np.concatenate([*(g.ravel() for g in grads.inputs), grads.params[used]])

        check_against_scalar(
            self._function, values, self.params, self._explicit_params, grads.output,
            got_grads, rel, "Tape.check",
        )  # fmt: skip

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
            array = _real_array(arg, f"batch argument {i}")
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

    def _theta(self, params: Any, caller: str) -> Array:
        """``params`` checked to be the parameters' values: real numbers, shape (P,)."""
        theta = _real_array(params, f"{caller}: params")
        if theta.shape != (len(self.params),):
            raise ValueError(
                f"{caller}: params must have shape ({len(self.params)},), one value per "
                f"parameter in Tape.params order, got shape {theta.shape}"
            )
        return theta

    def _buffers(self, size: int) -> tuple[Array, Array, Array, Array]:
        """Values and gradients for a batch of ``size``, reused from call to call: fresh
        memory costs more than the arithmetic (every page is faulted in on first use)."""
        buffers = self._workspace.get(size)
        if buffers is None:
            if len(self._workspace) >= 4:
                self._workspace.clear()
            nb, ns = self._n_batched, self._n_shared
            shared = np.empty((ns, 1))
            shared[: len(self._shared_leaf_values), 0] = self._shared_leaf_values  # constants
            buffers = (np.empty((nb, size)), shared, np.empty((nb, size)), np.empty((ns, 1)))
            self._workspace[size] = buffers
        return buffers

    def _run_forward(
        self, arrays: list[Array], theta: Array | None
    ) -> tuple[Array, Array, list[Any]]:
        """Every group's forward; returns the buffers and what each group saved."""
        size = arrays[0].shape[0]
        batched, shared = self._buffers(size)[:2]
        inputs = [
            a.reshape(size, math.prod(shape)).T for a, shape in zip(arrays, self.input_shapes)
        ]
        for rows, row, direct in zip(inputs, self._input_rows, self._direct_inputs):
            if not direct:
                batched[row : row + len(rows)] = rows
        # The parameters: from theta, or read live from the Values, every call.
        values = [p.data for p in self.params] if theta is None else theta
        shared[:, 0][self._param_rows] = values  # a 1-d index: twice as fast as [rows, 0]
        # NaN and overflow follow the engine's policy (they propagate as NaN and ±inf);
        # domain errors are raised by the groups, from the rule table's domain checks.
        with np.errstate(all="ignore"):
            saved = [group.forward(batched, shared, inputs) for group in self._groups]
        return batched, shared, saved

    def _output(self, batched: Array, shared: Array) -> Array:
        size = batched.shape[1]
        columns = [
            batched[row] if is_batched else np.full(size, shared[row, 0])
            for is_batched, row in self._outputs
        ]
        return columns[0].copy() if self._single else np.stack(columns, axis=1)

    def _seed(self, grad_output: Any, size: int) -> Array | None:
        """The outputs' weights, shape (B, outputs); None for a single output's weight 1."""
        if grad_output is None:
            if not self._single:
                raise ValueError(
                    f"grad: the function has {self.n_outputs} outputs; pass grad_output of "
                    f"shape (B, {self.n_outputs}) to say how to weight them"
                )
            return None
        seed = _real_array(grad_output, "grad_output")
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
        seed: Array | None,
        *,
        per_example: bool,
        only_params: bool,
    ) -> tuple[Array, Array]:
        size = batched.shape[1]
        grad_batched, grad_shared = self._buffers(size)[2:]
        for rows in self._zero_rows[only_params]:  # the others are written, not added to
            grad_batched[rows] = 0.0
        if per_example:
            grad_shared = np.zeros((self._n_shared, size))
        else:
            grad_shared.fill(0.0)
        for j, (is_batched, row) in enumerate(self._outputs):
            weight = 1.0 if seed is None else seed[:, j]
            if is_batched:
                grad_batched[row] += weight
            elif per_example:
                grad_shared[row] += weight
            else:
                grad_shared[row] += size if seed is None else seed[:, j].sum()
        # A partial that divides by zero (sqrt at 0) is the engine's ZeroDivisionError.
        with np.errstate(divide="raise", invalid="ignore", over="ignore", under="ignore"):
            for group, result in zip(reversed(self._groups), reversed(saved)):
                if only_params and not group.trains:
                    continue
                values, grads = (batched, grad_batched) if group.batched else (shared, grad_shared)
                group.backward(
                    grads[group.out],
                    values[group.out],
                    result,
                    grad_batched,
                    grad_shared,
                    only_params,
                )
        return grad_batched, grad_shared


# ---- tracing ---------------------------------------------------------------------------


def _real_array(arg: Any, what: str) -> Array:
    """``arg`` as a float64 array. Complex, bool, text and objects are refused, as
    ``Value(1j)`` and ``Value(True)`` are: a cast would drop an imaginary part silently."""
    try:
        array = np.asarray(arg)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what}: not an array of numbers ({error})") from None
    if array.dtype.kind not in "iuf":
        hint = " (Values, text, or ints too large for a float?)" if array.dtype == object else ""
        raise TypeError(f"{what}: expected real numbers, got an array of dtype {array.dtype}{hint}")
    if not isinstance(arg, np.ndarray) and array.size and _holds_a_bool(arg):
        raise TypeError(f"{what}: expected real numbers, got a bool among them")
    return array.astype(np.float64, copy=False)


def _holds_a_bool(arg: Any) -> bool:
    """Does a nested list hold a bool, which numpy would read as 0 or 1 among numbers?"""
    items = np.asarray(arg, dtype=object).ravel().tolist()
    return any(isinstance(v, bool | np.bool_) for v in items)


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
    Without ``params``, every leaf Value that is not an input is a parameter (numbers in
    ``f``, like the 2 of ``x ** 2`` or the 3 of ``3 * x``, stay constants).

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
        values, shape = input_values(arg, i, "trace")
        input_lists.append(values)
        shapes.append(shape)
    outputs, single = as_outputs(
        f(*(nest(values, shape) for values, shape in zip(input_lists, shapes))),
        "trace",
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
    shared = shared_params(params, order, inputs, "trace")
    layout = build(input_lists, shapes, shared, outputs, order)
    return Tape(f, shapes, shared, single, layout, explicit_params=params is not None)
