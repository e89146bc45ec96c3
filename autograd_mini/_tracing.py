"""Tracing conventions shared by `autograd_mini.tape.trace` and `autograd_mini.compile`:
example arguments become fresh input Values, the function's result becomes a list of
outputs, and the shared parameters are checked. ``who`` names the caller in errors.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from autograd_mini._engine import Value


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
    the graph that is not an input."""
    if params is None:
        return [v for v in order if not v.parents and v not in inputs]
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
