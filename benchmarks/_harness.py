"""Timing, memory and table helpers shared by the benchmarks (not part of the package).

Timings are medians over a few samples taken back to back, so each sample also pays for
the garbage its predecessor left behind, as a training loop would; workloads compared
with each other are sampled in turns (`measure_side_by_side`), so a change in the
machine's load hits them alike. Memory is measured in
a separate pass with tracemalloc, which slows allocation and must never touch a timing.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class Timing:
    """The median seconds per call of a workload, and how it was sampled."""

    seconds: float
    samples: int
    calls_per_sample: int

    @property
    def note(self) -> str:
        return f"median of {self.samples} x {self.calls_per_sample}"


def measure(
    fn: Callable[[], Any],
    *,
    budget: float = 1.0,
    min_samples: int = 3,
    max_samples: int = 15,
    first: float | None = None,
) -> Timing:
    """Median time of one call of ``fn``, sampled within about ``budget`` seconds.

    A first, untimed call warms up and sizes the samples (see `_plan`), unless the caller
    already made one and passes its duration as ``first``.
    """
    if first is None:
        start = time.perf_counter()
        fn()
        first = time.perf_counter() - start
    calls, samples = _plan(first, budget, min_samples, max_samples)
    times = [_sample(fn, calls) for _ in range(samples)]
    return Timing(statistics.median(times), samples, calls)


def measure_side_by_side(
    fns: dict[str, Callable[[], Any]],
    *,
    budget: float = 1.0,
    min_samples: int = 3,
    max_samples: int = 15,
) -> dict[str, Timing]:
    """`measure` for several workloads at once, their samples interleaved round by round.

    On a shared machine the load drifts over seconds; timing one workload after another
    lets that drift into their ratio, while taking turns exposes every workload to the
    same conditions. Each workload gets about ``budget`` seconds, its samples spread
    evenly over the rounds. Before each sample, untimed, garbage is collected, so no
    workload pays for the cycles another one left behind, and the workload runs once, so
    that it does pay for its own: collecting the previous step's graph is part of
    micrograd's cost in a training loop.
    """
    plans: dict[str, tuple[int, int]] = {}
    for name, fn in fns.items():
        gc.collect()
        start = time.perf_counter()
        fn()  # warms up and sizes the samples
        plans[name] = _plan(time.perf_counter() - start, budget, min_samples, max_samples)
    rounds = max(samples for _, samples in plans.values())
    times: dict[str, list[float]] = {name: [] for name in fns}
    for r in range(rounds):
        for name, fn in fns.items():
            calls, samples = plans[name]
            stride = rounds // samples  # mid-stride: a lone sample sits between others
            if r % stride != stride // 2 or len(times[name]) == samples:
                continue
            gc.collect()
            fn()  # untimed: leaves the garbage that a loop's previous step would leave
            times[name].append(_sample(fn, calls))
    return {
        name: Timing(statistics.median(taken), len(taken), plans[name][0])
        for name, taken in times.items()
    }


def _plan(first: float, budget: float, min_samples: int, max_samples: int) -> tuple[int, int]:
    """Calls per sample and samples for a workload whose call took ``first`` seconds:
    enough calls for a sample to last ~20 ms, enough samples to fill ``budget`` (at least
    ``min_samples``), and a single sample when one call alone is longer than ``budget``."""
    calls = max(1, int(0.02 / max(first, 1e-9)))
    if first > budget:
        return calls, 1
    fit = int(budget / max(first * calls, 1e-9))
    return calls, max(min_samples, min(max_samples, fit))


def _sample(fn: Callable[[], Any], calls: int) -> float:
    """Seconds per call over ``calls`` calls of ``fn`` back to back."""
    loop = range(calls)
    t0 = time.perf_counter()
    for _ in loop:
        fn()
    return (time.perf_counter() - t0) / calls


def peak_bytes(fn: Callable[[], Any]) -> tuple[int, Any]:
    """Peak bytes traced by tracemalloc while ``fn`` runs, and what it returned.

    Garbage is collected first, so earlier workloads are not charged.
    """
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        result = fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - base, result


# ---- formatting -------------------------------------------------------------------------


def fmt_time(seconds: float) -> str:
    """A duration with a unit that keeps three significant digits."""
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def fmt_ratio(x: float) -> str:
    """A ratio as '12.3x' or '0.45x'."""
    if x >= 100:
        return f"{x:,.0f}x"
    if x >= 10:
        return f"{x:.1f}x"
    return f"{x:.2g}x"


def fmt_int(n: float) -> str:
    return f"{n:,.0f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table, padded so it also reads well in a terminal."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *[line(r) for r in rows]])


# ---- the machine ------------------------------------------------------------------------


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_config() -> str:
    """Which BLAS numpy runs here, and the OPENBLAS_* variables that steer it."""
    env = ", ".join(
        f"{k}={os.environ[k]}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ
    )
    import numpy  # noqa: F401  (threadpoolctl sees only libraries already loaded)

    try:
        from threadpoolctl import threadpool_info  # type: ignore[import-untyped]

        infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        blas = "; ".join(
            f"{i.get('internal_api')} {i.get('version')} kernel {i.get('architecture')}, "
            f"threads: {i.get('num_threads')}"
            for i in infos
        )
    except ImportError:
        blas = "unknown (threadpoolctl not installed)"
    return f"{blas or 'no BLAS found'}; {env or 'OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE not set'}"


def machine_info() -> list[str]:
    """Lines describing the machine and the software versions that ran."""
    import numpy

    lines = [
        f"CPU: {cpu_name()}, {os.cpu_count()} logical cores",
        f"Python {platform.python_version()} ({platform.python_implementation()}) on "
        f"{platform.system()} {platform.release()}",
        f"numpy {numpy.__version__}; BLAS: {blas_config()}",
        f"recursion limit {sys.getrecursionlimit()}, gc thresholds {gc.get_threshold()}",
        "load average at the start (1, 5, 15 min): "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg()),
    ]
    for name in ("micrograd", "torch"):
        try:
            from importlib.metadata import version

            lines.append(f"{name} {version(name)}")
        except Exception:
            lines.append(f"{name}: not installed")
    return lines
