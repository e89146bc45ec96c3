"""Issue 13 §1: `am.compile`'s generated Python against the hand-written floor and the
scalar engine, on one SGD step of the moons MLP(2, [16, 16, 1]) over 100 examples.

The three run side by side in one run (`measure_side_by_side`); each is reported per
example, and the targets are ratios: the compiled step within 1.5x of the floor, and at
least 5x faster than the scalar engine (`nn.MLP`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import _mlp
from _engine_bench import Settings
from _harness import fmt_ratio, fmt_time, measure_side_by_side
from _report import Report

EXAMPLES = 100
FLOOR_TARGET = 1.5
SCALAR_TARGET = 5.0


def run(report: Report, settings: Settings) -> None:
    report.heading("Compiled Python: `am.compile` vs the floor and the scalar engine (issue 13)")
    X, Y = _mlp.moons(EXAMPLES)
    params = _mlp.init_params([2, 16, 16, 1])
    steps: dict[str, Callable[[], Any]] = {
        "hand-written pure Python on floats (the floor)": _mlp.make_pure_python(params, X, Y),
        "autograd_mini nn.MLP, scalar engine": _mlp.make_nn(params, X, Y),
        "autograd_mini am.compile (generated Python)": _mlp.make_compiled(params, X, Y),
    }
    floor_name, scalar_name, compiled_name = steps
    # The same weights give the same first loss: check it before timing anything.
    first = {name: _mlp.loss_value(step()) for name, step in steps.items()}
    spread = max(abs(v - first[floor_name]) / abs(first[floor_name]) for v in first.values())
    if not spread < 1e-9:
        raise AssertionError(f"the engines disagree on the first step's loss: {first}")
    report.progress(f"{len(steps)} workloads in turns")
    timings = measure_side_by_side(steps, budget=settings.budget, min_samples=settings.min_samples)
    seconds = {name: timing.seconds for name, timing in timings.items()}
    rows = []
    for name, timing in timings.items():
        rows.append(
            [
                name,
                fmt_time(timing.seconds),
                fmt_time(timing.seconds / EXAMPLES),
                fmt_ratio(timing.seconds / seconds[floor_name]),
                fmt_ratio(seconds[scalar_name] / timing.seconds),
                timing.note,
            ]
        )
    report.table(["engine", "time/step", "per example", "x floor", "vs scalar", "samples"], rows)
    report.add(
        f"One SGD step over {EXAMPLES} moons examples (forward, backward, update; mean of "
        "1/2 squared error), the same weights for every row; their first losses agree to "
        f"{spread:.1e} relative. The compiled row calls the generated `grad` once per step, "
        "which loops over the examples; its dot products add their terms left to right, "
        "written out as `+`, the same additions as the scalar engine's."
    )
    to_floor = seconds[compiled_name] / seconds[floor_name]
    vs_scalar = seconds[scalar_name] / seconds[compiled_name]
    report.target(
        f"(13.1) compiled MLP step within {FLOOR_TARGET}x of the hand-written floor",
        f"{fmt_ratio(to_floor)} the floor ({fmt_time(seconds[compiled_name] / EXAMPLES)} "
        "per example)",
        to_floor <= FLOOR_TARGET,
    )
    report.target(
        f"(13.1) compiled MLP step >= {SCALAR_TARGET:g}x faster than the scalar engine",
        f"{fmt_ratio(vs_scalar)} faster",
        vs_scalar >= SCALAR_TARGET and math.isfinite(vs_scalar),
    )
