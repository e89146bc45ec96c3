"""Tracing conventions shared by `autograd_mini.tape.trace` and `autograd_mini.compile`:
example arguments become fresh input Values, the function's result becomes a list of
outputs, and the shared parameters are checked. ``who`` names the caller in errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from autograd_mini._engine import Constant, Value, gradients, sum_, topological_order


def nest(flat: list[Any], shape: tuple[int, ...]) -> Any:
    """The items of ``flat`` in the nested-list structure of ``shape`` (one item for ())."""
    if not shape:
        return flat[0]
    if len(shape) == 1:
        return list(flat)
    step = math.prod(shape[1:])
    return [nest(flat[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


def flatten(nested: Any) -> list[Value]:
    """The Values of a nested list, in order."""
    if isinstance(nested, Value):
        return [nested]
    return [v for item in nested for v in flatten(item)]


def input_values(
    arg: object, i: int, who: str, name: str | None = None
) -> tuple[list[Value], tuple[int, ...]]:
    """Fresh input Values for one example argument (labelled ``name``, ``name[1]``, ...;
    x0, x1, ... by position by default), and its shape."""
    try:
        array = np.asarray(arg)
    except ValueError as error:
        raise ValueError(f"{who}: example argument {i} is not a regular array ({error})") from None
    if array.dtype.kind not in "iuf":
        hint = (
            f" (pass plain numbers: {who} makes the input Values)" if array.dtype == object else ""
        )
        raise TypeError(
            f"{who}: example argument {i} must be a real number or a (nested) list of them, "
            f"got {type(arg).__name__} {arg!r:.80}{hint}"
        )
    flat = array.astype(np.float64).ravel().tolist()
    name = f"x{i}" if name is None else name
    labels = [name] if array.ndim == 0 else [f"{name}[{j}]" for j in range(len(flat))]
    return [Value(v, label=label) for v, label in zip(flat, labels)], array.shape


def as_outputs(result: object, who: str) -> tuple[list[Value], bool]:
    """The function's outputs as a list, and whether it returned a single Value."""
    if isinstance(result, Value):
        return [result], True
    if isinstance(result, list | tuple) and result and all(isinstance(v, Value) for v in result):
        return list(result), False
    raise TypeError(
        f"{who}: the function must return a Value or a non-empty list of Values, got "
        f"{type(result).__name__} {result!r:.80}"
    )


def shared_params(params: object, order: list[Value], inputs: set[Value], who: str) -> list[Value]:
    """The parameters, checked: leaf Values, each once; without ``params``, every leaf of
    the graph that is neither an input nor a number lifted into it (a `Constant`)."""
    if params is None:
        return [
            v for v in order if not v.parents and v not in inputs and not isinstance(v, Constant)
        ]
    if isinstance(params, Value | str) or not isinstance(params, Iterable):
        raise TypeError(f"{who}: params must be a list of Values, got {type(params).__name__}")
    result = list(params)
    seen: set[Value] = set()
    for p in result:
        if not isinstance(p, Value):
            raise TypeError(f"{who}: params must be Values, got {type(p).__name__} {p!r:.80}")
        if p.parents:
            raise ValueError(f"{who}: params must be leaf Values, but {p!r} has parents")
        if p in seen:
            raise ValueError(f"{who}: params lists {p!r} more than once")
        seen.add(p)
    return result


def check_against_scalar(
    function: Any,
    values: list[Any],
    params: Sequence[Value],
    explicit_params: bool,
    got_out: Any,
    got_grads: Callable[[list[int]], Any],
    rel: float,
    who: str,
) -> None:
    """Compare a traced run on one example (``got_out``, and ``got_grads(used)``: input
    gradients, then those of the parameters ``used``) with a fresh scalar run of
    ``function`` on that example's input ``values``; ValueError when they differ, the
    sign of a graph that depends on its data."""
    outputs, _ = as_outputs(function(*values), who)
    total = outputs[0] if len(outputs) == 1 else sum_(outputs)
    # Leaves made while tracing (constants, when params were not named) are new in the
    # fresh run: compare the parameters that the fresh graph uses.
    fresh = set(topological_order(total))
    used = [i for i, p in enumerate(params) if explicit_params or p in fresh]
    leaves = [v for a in values for v in flatten(a)] + [params[i] for i in used]
    expected_out = np.array([o.data for o in outputs])
    expected_grads = np.array(gradients(total, leaves), dtype=np.float64)
    got_out = np.ravel(np.asarray(got_out, dtype=np.float64))
    got = np.asarray(got_grads(used), dtype=np.float64)
    scale = max(1.0, float(np.abs(expected_grads).max(initial=0.0)))
    same_out = np.allclose(got_out, expected_out, rtol=rel, atol=rel)
    if not same_out or not np.allclose(got, expected_grads, rtol=rel, atol=rel * scale):
        what = "outputs" if not same_out else "gradients"
        raise ValueError(
            f"{who}: the {what} differ from a fresh scalar run on this example (outputs "
            f"{got_out.tolist()} vs {expected_out.tolist()}): the function's graph depends "
            "on its data, so it cannot be traced once"
        )
