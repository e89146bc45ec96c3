"""Issue 2's and issue 13's workloads: autograd_mini's scalar engine against micrograd 0.1.0.

(a) one SGD step of a 2-16-16-1 relu MLP over 100 points, (b) a chain of multiplications
100,000 nodes deep (and 10^6 for autograd_mini), (c) the sum of 100,000 products,
(d) an `nn.MLP` step's time per example at batch 32 and 1024, (e) ns per node as graphs
grow from 10^3 to 10^6 nodes, drawn as a log-log plot.
Each row: median time, ns per graph node, speed-up over micrograd, and peak memory per
node (tracemalloc, in a separate pass from the timing).
"""

from __future__ import annotations

import gc
import math
import os
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
    figure: str | None = None  # where (e) saves its plot (a PNG); None: not drawn


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
        report.target(
            "(a) plain Value ops (micrograd's code) >= 10x faster than micrograd",
            _speedup(plain, micro),
            _faster(plain, micro, 10),
        )
        ratio = _memory_ratio(plain, micro)
        report.target(
            "(a) peak memory per node <= 1/2 of micrograd's (same graph)",
            "-" if ratio is None else f"{ratio:.2f} of micrograd's",
            None if ratio is None else ratio <= 0.5,
        )
    _under_ns(report, "(a) plain Value ops (micrograd's code)", plain, plain.gc_off)
    if floor.timing and best.timing:
        report.target(
            f"(a) distance to the hand-written floor ({best.engine})",
            fmt_ratio(best.timing.seconds / floor.timing.seconds),
            None,
        )


def _under_ns(report: Report, name: str, row: Row, gc_off: Timing | None, limit: int = 600) -> None:
    """The target "under ``limit`` ns per node" for ``row``, with the GC-off figure beside."""
    if row.timing is None or not row.nodes:
        return
    ns = row.timing.seconds / row.nodes * 1e9
    off = f" ({fmt_int(gc_off.seconds / row.nodes * 1e9)} with the GC off)" if gc_off else ""
    report.target(f"{name} < {limit} ns per node", f"{fmt_int(ns)} ns{off}", ns < limit)


def _gc_off(settings: Settings, fn: Callable[[], Any]) -> Timing:
    """``fn``'s time with the cyclic garbage collector switched off (on again after)."""
    gc.disable()
    try:
        return measure(fn, budget=settings.budget / 2, min_samples=settings.min_samples)
    finally:
        gc.enable()
        gc.collect()


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
        reductions: list[tuple[str, Callable[[list[Any]], Any]]] = [
            ("builtin `sum` (a chain)", _builtin_sum),
            ("pairwise `+` (a tree)", _mlp.tree_sum),
            ("`am.sum` (one n-ary node)", am.sum),
        ]
        for label, reduce in reductions:
            if engine == MICRO and label != "pairwise `+` (a tree)":
                continue  # micrograd has no n-ary sum, and its chain fails (above)
            step = _products(value_type, n, reduce)
            row = _profile(report, f"{engine}, {label}", step)
            entries.append((row, step))
            rows.append(row)
            labels.append(label)
    micro = entries[0][0] if MicroValue is not None else None
    _compare(report, settings, entries)
    for row, step in entries:
        if row.engine.startswith(OURS):
            report.progress(f"{row.engine}, GC off")
            row.gc_off = _gc_off(settings, step)
    report.table(
        [
            "engine",
            "reduction",
            "graph nodes",
            "time",
            "ns/node",
            "vs micrograd (tree)",
            "peak B/node",
            "ns/node, GC off",
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
                fmt_int(r.gc_off.seconds / r.nodes * 1e9) if r.gc_off and r.nodes else "-",
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
        tree = rows[-2]
        report.target(
            "(c) pairwise `+` (a tree) >= 10x faster than micrograd's tree",
            _speedup(tree, micro),
            _faster(tree, micro, 10),
        )
        _under_ns(report, "(c) pairwise `+` (a tree)", tree, tree.gc_off)
        ratio = _memory_ratio(rows[-2], micro)
        report.target(
            "(c) peak memory per node <= 1/2 of micrograd's (same tree graph)",
            "-" if ratio is None else f"{ratio:.2f} of micrograd's",
            None if ratio is None else ratio <= 0.5,
        )


# ---- (d) time per example as the batch grows ---------------------------------------------


def _fit_epoch(params: _mlp.Params, X: _mlp.Matrix, Y: _mlp.Matrix, batch: int) -> Any:
    """One epoch of `train.fit` over all of X at this batch size (SGD, mean squared error)."""
    from autograd_mini import train

    model = _mlp.nn_model(params)
    targets: list[Any] = [y if len(y) > 1 else y[0] for y in Y]

    def run() -> Any:
        return train.fit(
            model, X, targets, loss="mse", optimizer="sgd", lr=_mlp.LR, epochs=1,
            batch_size=batch, progress=False, seed=0,
        )  # fmt: skip

    return run


def batch_growth(report: Report, settings: Settings) -> None:
    report.heading("(d) `nn.MLP` training: time per example at batch 32 and at batch 1024", 3)
    n = 1024
    rows = []
    for label, sizes, data in [
        ("moons MLP(2, [16, 16, 1])", [2, 16, 16, 1], _mlp.moons(n)),
        ("digits MLP(64, [32, 10])", [64, 32, 10], _mlp.digits_like(n)),
    ]:
        params = _mlp.init_params(sizes)
        X, Y = data
        # (workload, examples per call): fit runs all n examples, a step one batch
        fns: dict[str, tuple[Callable[[], Any], int]] = {}
        for batch in (32, n):
            fns[f"fit {batch}"] = (_fit_epoch(params, X, Y, batch), n)
            fns[f"step {batch}"] = (_mlp.make_nn(params, X[:batch], Y[:batch]), batch)
        report.progress(f"{label}: {len(fns)} workloads in turns")
        timings = measure_side_by_side(
            {name: fn for name, (fn, _) in fns.items()},
            budget=settings.budget / 2,
            min_samples=settings.min_samples,
        )
        gc.collect()
        per = {name: timings[name].seconds / count for name, (_, count) in fns.items()}
        for how, kind in [
            ("`train.fit`, an epoch of 1024 examples (GC paused per step)", "fit"),
            ("hand-written step (`benchmarks/_mlp.py`, GC as it is)", "step"),
        ]:
            small, large = per[f"{kind} 32"], per[f"{kind} {n}"]
            ratio = large / small
            rows.append([label, how, fmt_time(small), fmt_time(large), f"{ratio:.2f}x"])
            if kind == "fit":
                report.target(
                    f"(d) nn.MLP per example, batch 1024 <= 1.3x batch 32 ({label}, train.fit)",
                    f"{ratio:.2f}x",
                    ratio <= 1.3,
                )
    report.table(
        ["model", "how", "per example, batch 32", "per example, batch 1024", "1024 / 32"], rows
    )
    report.add(
        "`train.fit` runs each step (forward, loss, backward, update) with Python's cyclic "
        "garbage collector paused, so the step's graph is built and freed without a "
        "collection rescanning it; the hand-written step lets the collector run as usual, "
        "and its full collections rescan an ever larger graph as the batch grows. The fit "
        "rows include its shuffling and the loss module's graph (1/2 squared error, mean)."
    )


# ---- (e) how the cost per node grows with the graph ---------------------------------------


SCALING_SIZES = (1_000, 10_000, 100_000, 1_000_000)


def _scaling_workloads(value_type: Any, nodes: int) -> dict[str, tuple[Callable[[], Any], int]]:
    """A chain and a pairwise sum of products, each of about ``nodes`` nodes, and their
    exact node counts."""
    depth = nodes // 2
    products = nodes // 4
    tree = _products(value_type, products, _mlp.tree_sum)
    return {"chain": (_chain(value_type, depth), 2 * depth + 1), "wide": (tree, 4 * products - 1)}


def scaling(report: Report, settings: Settings) -> None:
    report.heading("(e) Cost per node as the graph grows: build + backward, 10^3 to 10^6 nodes", 3)
    sizes = SCALING_SIZES[:3] if settings.quick else SCALING_SIZES
    engines: list[tuple[str, Any]] = [(OURS, am.Value)]
    if MicroValue is not None:
        engines.append((MICRO, MicroValue))
    limit = micrograd_chain_limit() if MicroValue is not None else 0
    curves: dict[str, list[tuple[int, float]]] = {}
    rows = []
    for nodes in sizes:
        for engine, value_type in engines:
            for shape, (fn, count) in _scaling_workloads(value_type, nodes).items():
                name = f"{engine}, {shape}"
                if engine == MICRO and shape == "chain" and count // 2 >= limit:
                    failure = f"RecursionError (depth {limit:,})"
                    rows.append([engine, shape, fmt_int(count), failure, "-", "-"])
                    continue
                if engine == MICRO and nodes > 100_000:
                    rows.append([engine, shape, fmt_int(count), "not run (minutes)", "-", "-"])
                    continue
                report.progress(f"{name}, {count:,} nodes")
                gc.collect()
                timing = measure(fn, budget=settings.budget / 3, min_samples=1, max_samples=5)
                gc.collect()
                ns = timing.seconds / count * 1e9
                curves.setdefault(name, []).append((count, ns))
                off = "-"
                if engine == OURS:  # the engine's own cost, without the collector's
                    quiet = _gc_off(settings, fn).seconds / count * 1e9
                    curves.setdefault(f"{name}, GC off", []).append((count, quiet))
                    off = fmt_int(quiet)
                row = [engine, shape, fmt_int(count), fmt_time(timing.seconds), fmt_int(ns), off]
                rows.append(row)
    report.table(
        ["engine", "graph", "nodes", "time (build + backward)", "ns/node", "ns/node, GC off"], rows
    )
    report.add(
        "chain: `v = v * 0.99999` repeated (a product and a constant leaf per step); wide: "
        "the pairwise `+` of n/4 products of two leaves. Every size runs the same code; "
        "micrograd's recursive backward fails on chains past its recursion limit, and its "
        "10^6-node sum is not run (about a minute a sample). With the collector on, "
        "autograd_mini's cost per node grows with the graph: Python's full collections "
        "rescan every live node, more often as the graph grows; with it off the engine's "
        "own cost per node stays about flat."
    )
    if settings.figure:
        _plot(curves, settings.figure)
        report.add(
            f"![ns per node against graph size, log-log]({os.path.basename(settings.figure)})"
        )


def _plot(curves: dict[str, list[tuple[int, float]]], path: str) -> None:
    """Draw ns per node against nodes on log-log axes, one line per engine and graph."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 4.5), dpi=100)
    for name, points in curves.items():
        xs, ys = zip(*points)
        axes.plot(xs, ys, marker="o", linestyle="--" if "chain" in name else "-", label=name)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("graph nodes")
    axes.set_ylabel("ns per node (build + backward)")
    axes.set_title("Scalar engines: cost per node as the graph grows")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def run(report: Report, settings: Settings) -> None:
    """Every issue-2 and issue-13 workload of the scalar engine, in order."""
    report.heading("Scalar engine: autograd_mini vs micrograd (issue 2)")
    if MicroValue is None:
        report.add(
            "_micrograd is not installed (`pip install micrograd==0.1.0`): its rows are skipped._"
        )
    mlp_step(report, settings)
    deep_chain(report, settings)
    wide_sum(report, settings)
    batch_growth(report, settings)
    scaling(report, settings)
