"""The tape's memory layout: where each operand of a group lives in the two buffers.

A tape keeps every node's values in one of two arrays: the batched buffer (one row per
node that depends on an input, one column per example) and the shared buffer (one row per
node that does not, one column). A group reads its operands as `Rows` of those buffers
and pushes gradients back into the same rows of the gradient buffers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


class Rows:
    """One operand of a group: rows of the batched or the shared buffer, as a slice when
    they are consecutive (a free view), else as an index array, viewed as ``shape``.

    ``value``: the rows hold one constant for the whole group, read as that number
    (numpy's fast paths: ``x ** 2.0`` squares, ``x ** array`` runs pow); a constant's
    gradient is never read, so nothing is added to its rows.

    ``sole``: no other operand and no output shares these rows, so this operand's
    contribution is their whole gradient: it is written, not added (the rows start at 0).
    """

    __slots__ = ("batched", "index", "shape", "sole", "trains", "unique", "value")

    def __init__(
        self,
        rows: Sequence[int],
        shape: tuple[int, ...],
        batched: bool,
        trains: bool = True,
        value: float | None = None,
    ) -> None:
        self.batched = batched
        self.shape = shape
        self.trains = trains  # does a parameter's gradient flow through these rows?
        self.value = value
        self.sole = False  # set by the tracer, which sees every operand
        self.unique = len(set(rows)) == len(rows)
        start = rows[0] if rows else 0
        if list(rows) == list(range(start, start + len(rows))):
            self.index: slice | npt.NDArray[np.intp] = slice(start, start + len(rows))
        else:
            self.index = np.asarray(rows, dtype=np.intp)

    def gather(self, batched: Array, shared: Array) -> Any:
        """The operand's values, shape ``(*shape, width)``: width B, or 1 if shared."""
        if self.value is not None:
            return self.value
        buffer = batched if self.batched else shared
        values = buffer[self.index]
        if len(self.shape) == 1:
            return values
        return values.reshape(*self.shape, buffer.shape[1])

    def numbers(self) -> list[int]:
        """The row numbers, in order."""
        if isinstance(self.index, slice):
            return list(range(self.index.start, self.index.stop))
        return [int(i) for i in self.index]

    def into(self, grad_batched: Array, grad_shared: Array, width: int) -> Array | None:
        """The gradient rows as a view of shape ``(*shape, width)`` for a kernel to write
        its contribution into (``out=``), when it is their whole gradient; else None."""
        if not self.sole or self.value is not None or not isinstance(self.index, slice):
            return None
        target = grad_batched if self.batched else grad_shared
        if target.shape[1] != width:
            return None
        view = target[self.index]
        return view if len(self.shape) == 1 else view.reshape(*self.shape, width)

    def add(self, grad_batched: Array, grad_shared: Array, contribution: Any) -> None:
        """Add a gradient contribution of shape ``(*shape, width)`` into the operand's rows;
        a shared operand's contribution is summed over the batch unless kept per example."""
        if self.value is not None:
            return
        target = grad_batched if self.batched else grad_shared
        width = target.shape[1]
        c = np.asarray(contribution)
        if width == 1 and c.shape[-1] != 1:  # a shared operand: sum over the batch
            c = c.sum(axis=-1, keepdims=True)
        if isinstance(self.index, slice):
            view = target[self.index]
            if len(self.shape) > 1:
                view = view.reshape(*self.shape, width)
            if self.sole:
                view[...] = c
            else:
                view += c
            return
        c = np.broadcast_to(c, (*self.shape, width)).reshape(-1, width)
        if self.sole:
            target[self.index] = c
        elif self.unique:
            target[self.index] += c
        else:
            np.add.at(target, self.index, c)
