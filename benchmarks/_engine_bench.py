"""Issue 2's workloads: autograd_mini's scalar engine against micrograd 0.1.0.

(a) one SGD step of a 2-16-16-1 relu MLP over 100 points, (b) a chain of multiplications
100,000 nodes deep (and 10^6 for autograd_mini), (c) the sum of 100,000 products.
Each row: median time, ns per graph node, speed-up over micrograd, and peak memory per
node (tracemalloc, in a separate pass from the timing).
"""

from __future__ import annotations

import gc
import math
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import _mlp
from _harness import Timing, fmt_int, fmt_ratio, fmt_time, measure, measure_side_by_side, peak_bytes
from _report import Report

import autograd_mini as am

try:
    from micrograd.engine import Value as MicroValue
except ImportError:  # the bench extra is missing: micrograd's rows are skipped
    MicroValue = None

OURS = "autograd_mini"
MICRO = "micrograd 0.1.0"


@dataclass
class Settings:
    """How hard to sample: ``budget`` seconds per measurement, at least ``min_samples``."""

    budget: float
    min_samples: int
    quick: bool


@dataclass
class Row:
    """One engine on one workload."""

    engine: str
    timing: Timing | None = None
    nodes: int | None = None
    peak: int | None = None
    gc_off: Timing | None = None
    failure: str = ""

    @property
    def ns_per_node(self) -> str:
        if self.timing is None or not self.nodes:
            return "-"
        return fmt_int(self.timing.seconds / self.nodes * 1e9)

    @property
    def bytes_per_node(self) -> str:
        if self.peak is None or not self.nodes:
            return "-"
        return fmt_int(self.peak / self.nodes)

    @property
    def time(self) -> str:
        return self.failure or ("-" if self.timing is None else fmt_time(self.timing.seconds))


def _run(
    report: Report,
    settings: Settings,
    engine: str,
    fn: Callable[[], Any],
    *,
    memory: bool = True,
    nodes: int | None = None,
    single: bool = False,
) -> Row:
    """Measure ``fn``'s peak memory and graph size (first, so it doubles as the warm-up),
    then its time. ``single`` times one run only (for the slowest workloads). Rows that
    are compared with each other are timed together by `_compare` instead."""
    row = _profile(report, engine, fn, memory=memory, nodes=nodes)
    first = math.inf if single else None
    row.timing = measure(fn, budget=settings.budget, min_samples=settings.min_samples, first=first)
    gc.collect()
    return row


def _profile(
    report: Report,
    engine: str,
    fn: Callable[[], Any],
    *,
    memory: bool = True,
    nodes: int | None = None,
) -> Row:
    """A row with ``fn``'s peak memory and graph size, not yet timed."""
    report.progress(engine)
    row = Row(engine, nodes=nodes)
    if memory:
        row.peak, root = peak_bytes(fn)
        if nodes is None:
            row.nodes = _mlp.count_nodes(root)
        del root
    if row.nodes is None:
        row.nodes = _mlp.count_nodes(fn())
    gc.collect()
    return row


def _compare(
    report: Report,
    settings: Settings,
    entries: list[tuple[Row, Callable[[], Any]]],
    *,
    gc_off: bool = False,
) -> None:
    """Time the rows' workloads side by side, in turns (see `measure_side_by_side`), so
    their ratios do not depend on when each ran; with ``gc_off``, again with the cyclic
    garbage collector switched off."""
    fns = {row.engine: fn for row, fn in entries}
    report.progress(f"{len(fns)} workloads in turns")
    timings = measure_side_by_side(fns, budget=settings.budget, min_samples=settings.min_samples)
    for row, _ in entries:
        row.timing = timings[row.engine]
    if gc_off:
        report.progress(f"{len(fns)} workloads in turns, GC off")
        gc.disable()
        try:
            budget = settings.budget / 2
            off = measure_side_by_side(fns, budget=budget, min_samples=settings.min_samples)
        finally:
            gc.enable()
        for row, _ in entries:
            row.gc_off = off[row.engine]
    gc.collect()


def _speedup(row: Row, base: Row | None) -> str:
    if base is None or base.timing is None or row.timing is None:
        return "-"
    return fmt_ratio(base.timing.seconds / row.timing.seconds)


def _memory_ratio(row: Row, base: Row | None) -> float | None:
    if base is None or base.peak is None or row.peak is None or not row.nodes or not base.nodes:
        return None
    return (row.peak / row.nodes) / (base.peak / base.nodes)


# ---- (a) an MLP training step ----------------------------------------------------------------


def mlp_step(report: Report, settings: Settings) -> None:
    report.heading("(a) One SGD step of a 2-16-16-1 MLP over 100 points", 3)
    X, Y = _mlp.moons(100)
    params = _mlp.init_params([2, 16, 16, 1])
    entries: list[tuple[Row, Callable[[], Any]]] = []

    def add(engine: str, step: Callable[[], Any], nodes: int | None = None) -> Row:
        row = _profile(report, engine, step, memory=nodes is None, nodes=nodes)
        entries.append((row, step))
        return row

    micro = None
    if MicroValue is not None:
        micro = add(f"{MICRO} (plain Value ops)", _mlp.make_plain_values(MicroValue, params, X, Y))
    plain = add(
        f"{OURS} (plain Value ops, micrograd's code)",
        _mlp.make_plain_values(am.Value, params, X, Y),
    )
    nn: Row | None = None
    try:
        step = _mlp.make_nn(params, X, Y)
    except ImportError as error:
        report.add(f"_`autograd_mini.nn` is not importable ({error}): its row is skipped._")
    else:
        nn = add(f"{OURS} (nn.MLP: dot nodes)", step)
    floor = add(
        "hand-written pure Python on floats (the floor)",
        _mlp.make_pure_python(params, X, Y),
        nodes=plain.nodes,
    )
    _compare(report, settings, entries, gc_off=True)
    rows = [row for row, _ in entries]

    table_rows = []
    for row in rows:
        floor_ratio = "-"
        if floor.timing and row.timing:
            floor_ratio = fmt_ratio(row.timing.seconds / floor.timing.seconds)
        gc_share = "-"
        if row.gc_off and row.timing:
            gc_share = f"{max(0.0, 1 - row.gc_off.seconds / row.timing.seconds):.0%}"
        table_rows.append(
            [
                row.engine,
                fmt_int(row.nodes) if row.nodes and row is not floor else "(no graph)",
                row.time,
                row.ns_per_node,
                _speedup(row, micro),
                floor_ratio,
                row.bytes_per_node,
                fmt_time(row.gc_off.seconds) if row.gc_off else "-",
                gc_share,
            ]
        )
    report.table(
        [
            "engine",
            "graph nodes",
            "time/step",
            "ns/node",
            "vs micrograd",
            "x floor",
            "peak B/node",
            "time, GC off",
            "GC share",
        ],
        table_rows,
    )
    report.add(
        "The floor's ns/node divides its time by the micrograd-style graph's node count "
        f'({fmt_int(plain.nodes or 0)}), the work a graph engine records. "vs micrograd" is '
        "micrograd's time over the row's time; \"x floor\" is the row's time over the floor's. "
        '"GC share" is the part of the time that disappears with `gc.disable()`. Same '
        "weights, data and loss (mean of 1/2 squared error, the 100 terms added pairwise) "
        "for every row; micrograd's and autograd_mini's plain rows run the very same code."
    )
    best = nn or plain
    mg_time = micro.time if micro is not None else "-"
    report.key_engine.append(
        ["(a) MLP step, micrograd's code (plain Value ops)", mg_time, plain.time,
         _speedup(plain, micro)]
    )  # fmt: skip
    if nn is not None:
        report.key_engine.append(
            ["(a) MLP step, `nn.MLP` (dot nodes)", mg_time, nn.time, _speedup(nn, micro)]
        )
    if floor.timing and best.timing:
        report.key_engine.append(
            ["(a) the same step hand-written on floats (the floor)", "-", floor.time,
             f"{'`nn.MLP`' if nn else 'plain ops'} is "
             f"{fmt_ratio(best.timing.seconds / floor.timing.seconds)} the floor"]
        )  # fmt: skip
    if micro is not None:
        report.key_engine.append(
            ["(a) peak memory per node (same graph)", f"{micro.bytes_per_node} B",
             f"{plain.bytes_per_node} B", "-"]
        )  # fmt: skip
        report.target(
            f"(a) >= 10x faster than micrograd ({best.engine})",
            _speedup(best, micro),
            _faster(best, micro, 10),
        )
        ratio = _memory_ratio(plain, micro)
        report.target(
            "(a) peak memory per node <= 1/2 of micrograd's (same graph)",
            "-" if ratio is None else f"{ratio:.2f} of micrograd's",
            None if ratio is None else ratio <= 0.5,
        )
    if floor.timing and best.timing:
        report.target(
            f"(a) distance to the hand-written floor ({best.engine})",
            fmt_ratio(best.timing.seconds / floor.timing.seconds),
            None,
        )


def _faster(row: Row, base: Row, factor: float) -> bool | None:
    if row.timing is None or base.timing is None:
        return None
    return base.timing.seconds / row.timing.seconds >= factor


# ---- (b) a deep chain ----------------------------------------------------------------------


def _chain(value_type: Any, depth: int) -> Callable[[], Any]:
    def run() -> Any:
        v = value_type(0.5)
        for _ in range(depth):
            v = v * 0.99999
        v.backward()
        return v

    return run


def _stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1  # type: ignore[assignment]
    return depth


def micrograd_chain_limit() -> int:
    """The smallest chain depth at which micrograd's recursive backward() fails."""

    def fails(depth: int) -> bool:
        try:
            _chain(MicroValue, depth)()
        except RecursionError:
            return True
        finally:
            gc.collect()
        return False

    ok, bad = 1, 64
    while not fails(bad):
        ok, bad = bad, bad * 2
        if bad > 1 << 22:
            return 0  # never failed: a raised recursion limit
    while bad - ok > 1:
        mid = (ok + bad) // 2
        ok, bad = (ok, mid) if fails(mid) else (mid, bad)
    return bad


def deep_chain(report: Report, settings: Settings) -> None:
    report.heading("(b) A chain of multiplications, `v = v * 0.99999`, n nodes deep", 3)
    rows: list[list[str]] = []
    limit = 0
    if MicroValue is not None:
        report.progress("micrograd's depth limit, by bisection")
        limit = micrograd_chain_limit()
        if limit:
            report.add(
                f"micrograd 0.1.0: **RecursionError at depth {limit:,}** (found by doubling, "
                f"then bisection; recursion limit {sys.getrecursionlimit()}, about "
                f"{_stack_depth()} frames already on the stack)."
            )
    short = max(50, (limit - 1) // 50 * 50) if limit else 300
    entries = []
    micro = None
    if MicroValue is not None:
        micro = _profile(report, f"{MICRO}, depth {short}", _chain(MicroValue, short))
        entries.append((micro, _chain(MicroValue, short)))
    ours_short = _profile(report, f"{OURS}, depth {short}", _chain(am.Value, short))
    entries.append((ours_short, _chain(am.Value, short)))
    _compare(report, settings, entries)
    depths = [100_000, 1_000_000]
    deep = [
        _run(
            report,
            settings,
            f"{OURS}, depth {depth:,}",
            _chain(am.Value, depth),
            memory=depth < 1_000_000,  # per-node memory is the 100,000-deep row's
            single=depth >= 1_000_000,
            nodes=2 * depth + 1,
        )
        for depth in depths
    ]

    def line(row: Row, depth: int) -> list[str]:
        return [
            row.engine.split(",")[0],
            f"{depth:,}",
            fmt_int(row.nodes or 0),
            row.time,
            row.ns_per_node,
            _speedup(row, micro) if depth == short else "-",
            row.bytes_per_node,
        ]

    if micro is not None:
        rows.append(line(micro, short))
    rows.append(line(ours_short, short))
    for depth, row in zip(depths, deep):
        if micro is not None and limit:
            failure = f"RecursionError (at depth {limit:,})"
            rows.append([MICRO, f"{depth:,}", "-", failure, "-", "-", "-"])
        rows.append(line(row, depth))
    report.table(
        [
            "engine",
            "depth",
            "graph nodes",
            "time (build + backward)",
            "ns/node",
            "vs micrograd",
            "peak B/node",
        ],
        rows,
    )
    for depth, row in zip(depths, deep):
        failure = f"RecursionError (from depth {limit:,})" if micro is not None and limit else "-"
        report.key_engine.append([f"(b) chain {depth:,} deep", failure, row.time, "-"])
    report.add(
        "Each step adds a constant leaf and a product node, so n steps make 2n + 1 nodes. "
        "The 1,000,000-deep row is one timed run, without a memory pass."
    )
    report.target(
        "(b) backprop through a chain 10^6 deep",
        f"{deep[-1].time} for build + backward",
        deep[-1].timing is not None,
    )


# ---- (c) a wide sum ----------------------------------------------------------------------


def _products(value_type: Any, n: int, reduce: Callable[[list[Any]], Any]) -> Callable[[], Any]:
    rng = random.Random(1)
    xs = [rng.uniform(-1.0, 1.0) for _ in range(n)]
    ys = [rng.uniform(-1.0, 1.0) for _ in range(n)]

    def run() -> Any:
        a = [value_type(x) for x in xs]
        b = [value_type(y) for y in ys]
        total = reduce([ai * bi for ai, bi in zip(a, b)])
        total.backward()
        return total

    return run


def _builtin_sum(terms: list[Any]) -> Any:
    return sum(terms)


def wide_sum(report: Report, settings: Settings) -> None:
    n = 20_000 if settings.quick else 100_000  # micrograd takes seconds per 100,000
    report.heading(f"(c) The sum of {n:,} products (leaves, products, sum, backward)", 3)
    rows: list[Row] = []
    labels: list[str] = []
    if MicroValue is not None:
        report.progress("micrograd with the builtin sum")
        try:
            _products(MicroValue, n, _builtin_sum)()
        except RecursionError:
            rows.append(Row(MICRO, failure="RecursionError"))
            labels.append("builtin `sum` (a chain)")
        gc.collect()
    engines = [(OURS, am.Value)] if MicroValue is None else [(MICRO, MicroValue), (OURS, am.Value)]
    entries: list[tuple[Row, Callable[[], Any]]] = []
    for engine, value_type in engines:
        for label, reduce in [
            ("builtin `sum` (a chain)", _builtin_sum),
            ("pairwise `+` (a tree)", _mlp.tree_sum),
            ("`am.sum` (one n-ary node)", am.sum),
        ]:
            if engine == MICRO and label != "pairwise `+` (a tree)":
                continue  # micrograd has no n-ary sum, and its chain fails (above)
            step = _products(value_type, n, reduce)
            row = _profile(report, f"{engine}, {label}", step)
            entries.append((row, step))
            rows.append(row)
            labels.append(label)
    micro = entries[0][0] if MicroValue is not None else None
    _compare(report, settings, entries)
    report.table(
        [
            "engine",
            "reduction",
            "graph nodes",
            "time",
            "ns/node",
            "vs micrograd (tree)",
            "peak B/node",
        ],
        [
            [
                r.engine.split(",")[0],
                label,
                fmt_int(r.nodes) if r.nodes else "-",
                r.time,
                r.ns_per_node,
                _speedup(r, micro),
                r.bytes_per_node,
            ]
            for r, label in zip(rows, labels)
        ],
    )
    report.key_engine.append(
        [f"(c) sum of {n:,} products (`am.sum`; micrograd: pairwise `+`)",
         micro.time if micro else "-", rows[-1].time, _speedup(rows[-1], micro)]
    )  # fmt: skip
    if micro is not None:
        best = rows[-1]
        report.target(
            "(c) >= 10x faster than micrograd (am.sum vs micrograd's tree)",
            _speedup(best, micro),
            _faster(best, micro, 10),
        )
        ratio = _memory_ratio(rows[-2], micro)
        report.target(
            "(c) peak memory per node <= 1/2 of micrograd's (same tree graph)",
            "-" if ratio is None else f"{ratio:.2f} of micrograd's",
            None if ratio is None else ratio <= 0.5,
        )


def run(report: Report, settings: Settings) -> None:
    """Every issue-2 workload, in order."""
    report.heading("Scalar engine: autograd_mini vs micrograd (issue 2)")
    if MicroValue is None:
        report.add(
            "_micrograd is not installed (`pip install micrograd==0.1.0`): its rows are skipped._"
        )
    mlp_step(report, settings)
    deep_chain(report, settings)
    wide_sum(report, settings)
