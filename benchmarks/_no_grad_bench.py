"""Issue 11: what `am.no_grad()` saves. The moons MLP(2, [16, 16, 1])'s forward pass over
a batch, recording the graph as usual and under `no_grad` (values only, every result a
leaf), side by side in one run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import _mlp
from _engine_bench import Settings
from _harness import fmt_ratio, fmt_time, measure_side_by_side
from _report import Report

import autograd_mini as am
from autograd_mini import nn

EXAMPLES = 100


def run(report: Report, settings: Settings) -> None:
    report.heading("`am.no_grad()`: a forward pass that records nothing (issue 11)")
    X, _ = _mlp.moons(EXAMPLES)
    model = nn.MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)

    def recorded() -> Any:
        return [model(x) for x in X]

    def not_recorded() -> Any:
        with am.no_grad():
            return [model(x) for x in X]

    if [v.data for v in recorded()] != [v.data for v in not_recorded()]:
        raise AssertionError("no_grad changed the forward values")
    steps: dict[str, Callable[[], Any]] = {
        "forward, graph recorded": recorded,
        "forward under am.no_grad()": not_recorded,
    }
    report.progress(f"{len(steps)} workloads in turns")
    timings = measure_side_by_side(steps, budget=settings.budget, min_samples=settings.min_samples)
    base = timings["forward, graph recorded"].seconds
    report.table(
        ["workload", "time", "per example", "x recorded", "samples"],
        [
            [
                name,
                fmt_time(t.seconds),
                fmt_time(t.seconds / EXAMPLES),
                fmt_ratio(t.seconds / base),
                t.note,
            ]
            for name, t in timings.items()
        ],
    )
    report.add(
        f"The forward pass of {EXAMPLES} moons examples through `nn.MLP(2, [16, 16, 1])`; the "
        "values are identical (checked). Under `no_grad` each result is a leaf: no operands "
        "are kept, so nothing can be backpropagated, and the graph is garbage at once."
    )
    saved = timings["forward under am.no_grad()"].seconds / base
    report.target(
        "(11.3) am.no_grad() makes a forward pass measurably cheaper",
        f"{fmt_ratio(saved)} the recorded forward's time",
        saved < 1.0,
    )
