"""The tape's tracer: fresh input Values for the example, the traced graph checked, and
its nodes grouped by (depth, operation) and laid out in the buffers as a `Layout`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from autograd_mini._engine import Op, Value, ops
from autograd_mini._tape_groups import Group, make_group, read_inputs_directly
from autograd_mini._tape_rows import Array


def op_of(node: Value) -> Op:
    """The rule-table entry of a node, checked to be one the tape can run."""
    op = ops.get(node.op)
    if op is None:
        raise NotImplementedError(f"trace: the tape has no batched form of operation {node.op!r}")
    return op


@dataclass(frozen=True)
class Layout:
    """A traced graph as the tape runs it: where the inputs, parameters and outputs live
    in the buffers, the groups in running order, and the buffers' sizes."""

    input_rows: list[int]
    """The first batched row of each argument (its values fill consecutive rows)."""
    shared_leaf_values: Array
    """The traced values of the shared leaves, the first rows of the shared buffer."""
    param_rows: npt.NDArray[np.intp]
    outputs: list[tuple[bool, int]]
    """Per output: is it batched, and its row."""
    groups: list[Group]
    zero_rows: tuple[list[slice], list[slice]]
    """The batched gradient rows to zero before a backward pass (all of them, or for the
    parameters' gradients only): not those that a sole operand always writes."""
    direct_inputs: list[bool]
    """Per argument: read by the groups from the caller's array, not copied in."""
    n_batched: int
    n_shared: int
    nodes: int


def build(
    input_lists: list[list[Value]],
    shapes: list[tuple[int, ...]],
    params: list[Value],
    outputs: list[Value],
    order: list[Value],
) -> Layout:
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
        key = (depth[node], op_of(node).name, len(node.parents), kinds)
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

    built = [make_group(key, nodes, batched, trains, row) for key, nodes in ordered]
    param_rows = np.array([shared_row[p] for p in params], dtype=np.intp)
    output_rows = [(batched[v], row(v)) for v in outputs]
    _mark_sole_operands(built, output_rows)
    arguments = [range(row, row + len(values)) for row, values in zip(input_rows, input_lists)]
    direct = read_inputs_directly(built, arguments, output_rows)
    n_inputs = sum(len(values) for values in input_lists)
    to_zero = (
        _rows_to_zero(built, len(batched_row), 0),
        _rows_to_zero(built, len(batched_row), n_inputs),
    )
    return Layout(
        input_rows,
        leaf_values,
        param_rows,
        output_rows,
        built,
        to_zero,
        direct,
        len(batched_row),
        len(shared_row),
        len(order),
    )


def _mark_sole_operands(groups: list[Group], outputs: list[tuple[bool, int]]) -> None:
    """Mark each operand whose gradient rows no other operand and no output shares: its
    kernel writes their gradient instead of adding to it."""
    uses = Counter(outputs)
    for group in groups:
        for rows in group.operands:
            uses.update((rows.batched, r) for r in rows.numbers())
    for group in groups:
        for rows in group.operands:
            rows.sole = all(uses[rows.batched, r] == 1 for r in rows.numbers())


def _rows_to_zero(groups: list[Group], n_rows: int, start: int) -> list[slice]:
    """Rows ``start`` to ``n_rows`` of the batched gradients, as slices, but for those that
    a sole operand writes on every backward pass."""
    written = {
        r
        for group in groups
        for rows in group.always_written()
        if rows.sole and rows.batched
        for r in rows.numbers()
    }
    slices: list[slice] = []
    for r in range(start, n_rows):
        if r in written:
            continue
        if slices and slices[-1].stop == r:
            slices[-1] = slice(slices[-1].start, r + 1)
        else:
            slices.append(slice(r, r + 1))
    return slices
