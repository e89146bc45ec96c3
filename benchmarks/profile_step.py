"""Where the scalar engine's time goes on workload (a): one SGD step of a 2-16-16-1 MLP.

    python benchmarks/profile_step.py             # phases, GC, cProfile top 15
    python benchmarks/profile_step.py --nn        # the same with nn.MLP (dot nodes)
    python benchmarks/profile_step.py --tape      # the tape's step, group by group

With ``--tape``: the batch bench's two tape steps (moons MLP(2, [16, 16, 1]) and digits
MLP(64, [32, 10]), batches 1, 32, 256 and 1024; one updates the parameter Values, the
other an array passed as ``params=theta``), the work outside the groups (checking the
batch, reading and updating the parameter Values, writing theta, zeroing the gradients)
and each group's forward and backward, timed by hand, then cProfile's top functions of
the ``params=theta`` step at batch 256.

Splits a step into its phases (building the graph, the topological order, the backprop
loop, the SGD update, freeing the graph), each timed with the cyclic garbage collector on
and off, counts the collections and the time spent in them (``gc.callbacks``), then shows
cProfile's top functions. A diagnosis tool, not a benchmark: cProfile slows Python calls.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import statistics
import time
from collections.abc import Callable
from typing import Any

import _mlp

import autograd_mini as am


class GcClock:
    """Counts collections per generation and the seconds spent in them."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.counts = [0, 0, 0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.counts[info["generation"]] += 1


def build_step(use_nn: bool) -> tuple[Callable[[], Any], list[am.Value]]:
    """A forward pass that returns the loss, and the parameters, for workload (a)."""
    X, Y = _mlp.moons(100)
    params = _mlp.init_params([2, 16, 16, 1])
    scale = 0.5 / len(X)
    if use_nn:
        model = _mlp.nn_model(params)

        def forward_nn() -> Any:
            errors = []
            for x, y in zip(X, Y):
                errors.append((model(x) - y[0]) ** 2)
            return am.sum(errors) * scale

        return forward_nn, model.parameters()
    layers = [
        ([[am.Value(w) for w in row] for row in W], [am.Value(b) for b in B]) for W, B in params
    ]
    flat = [p for W, B in layers for row in W for p in row] + [p for _, B in layers for p in B]

    def forward_plain() -> Any:
        errors = []
        for x, y in zip(X, Y):
            a: list[Any] = x
            for index, (W, B) in enumerate(layers):
                z = [sum((wi * ai for wi, ai in zip(row, a)), b) for row, b in zip(W, B)]
                a = z if index == len(layers) - 1 else [zj.relu() for zj in z]
            errors.append((a[0] - y[0]) ** 2)
        return _mlp.tree_sum(errors) * scale

    return forward_plain, flat


def phases(forward: Callable[[], Any], params: list[am.Value], repeats: int) -> dict[str, float]:
    """Median seconds of each phase of a step over ``repeats`` steps."""
    times: dict[str, list[float]] = {
        k: [] for k in ("forward", "topological order", "backprop loop", "update", "free graph")
    }
    for _ in range(repeats):
        t0 = time.perf_counter()
        loss = forward()
        t1 = time.perf_counter()
        am.topological_order(loss)
        t2 = time.perf_counter()
        for p in params:
            p.grad = 0.0
        loss.backward()  # its own topological order, then the loop
        t3 = time.perf_counter()
        for p in params:
            p.data -= _mlp.LR * p.grad
        t4 = time.perf_counter()
        del loss
        t5 = time.perf_counter()
        times["forward"].append(t1 - t0)
        times["topological order"].append(t2 - t1)
        times["backprop loop"].append((t3 - t2) - (t2 - t1))
        times["update"].append(t4 - t3)
        times["free graph"].append(t5 - t4)
    return {k: statistics.median(v) for k, v in times.items()}


def _median_seconds(f: Callable[[], Any], repeats: int) -> float:
    f()
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeats):
            f()
        samples.append((time.perf_counter() - start) / repeats)
    return statistics.median(samples)


def profile_tape() -> None:
    """The tape's training step, phase by phase and group by group, on both models."""
    import _batch_bench

    models = [
        ("moons MLP(2, [16, 16, 1])", [2, 16, 16, 1], _mlp.moons(1024)),
        ("digits MLP(64, [32, 10])", [64, 32, 10], _mlp.digits_like(1024)),
    ]
    for label, sizes, (X, Y) in models:
        params = _mlp.init_params(sizes)
        for batch in (1, 32, 256, 1024):
            _profile_tape_at(label, params, X[:batch], Y[:batch])
        step, _ = _batch_bench.tape_array_step(params, X[:256], Y[:256])
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(50):
            step()
        profiler.disable()
        print(f"\ncProfile, {label}, 50 steps at batch 256, by own time:")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


def _profile_tape_at(label: str, params: _mlp.Params, X: _mlp.Matrix, Y: _mlp.Matrix) -> None:
    import _batch_bench
    import numpy as np

    values_step, tape = _batch_bench.tape_step(params, X, Y)
    array_step, _ = _batch_bench.tape_array_step(params, X, Y)
    Xa, Ya = np.array(X), np.array(Y)
    batch = len(X)
    repeats = max(5, 2000 // batch)
    totals = [_median_seconds(step, repeats) * 1e6 for step in (values_step, array_step)]
    theta = tape.param_array()
    batched, shared, saved = tape._run_forward(tape._batch((Xa, Ya)), theta)
    grads = tape._buffers(batch)[2:]
    gradient = tape.grad(Xa, Ya, inputs=False, params=theta).params.tolist()

    def update_values() -> None:
        for p, g in zip(tape.params, gradient):
            p.data -= 0.0 * g

    phases = {
        "check the batch": lambda: tape._batch((Xa, Ya)),
        "read the parameter Values": lambda: shared[:, 0].__setitem__(
            tape._param_rows, [p.data for p in tape.params]
        ),
        "update the Values (loop)": update_values,
        "params=theta into buffer": lambda: shared[:, 0].__setitem__(tape._param_rows, theta),
        "zero the gradients": lambda: (
            [grads[0][rows].fill(0.0) for rows in tape._zero_rows[True]] + [grads[1].fill(0.0)]
        ),
        "forward, all groups": lambda: tape._run_forward([Xa, Ya], theta),
        "backward, all groups": lambda: tape._run_backward(
            batched, shared, saved, None, per_example=False, only_params=True
        ),
    }
    print(
        f"\n{label}, batch {batch}: step {totals[0]:.0f} us updating the Values, "
        f"{totals[1]:.0f} us with params=theta; {tape}"
    )
    for name, f in phases.items():
        print(f"  {name:<24} {_median_seconds(f, repeats) * 1e6:>8.1f} us")
    print(f"  {'group':<40} {'forward':>9} {'backward':>9}")
    for group, result in zip(tape._groups, saved):

        def backward(group: Any = group, result: Any = result) -> None:
            values, g = (batched, grads[0]) if group.batched else (shared, grads[1])
            with np.errstate(all="ignore"):
                group.backward(g[group.out], values[group.out], result, *grads, only_params=True)

        def forward(group: Any = group) -> None:
            with np.errstate(all="ignore"):
                group.forward(batched, shared, [Xa.T, Ya.T])

        name = f"level {group.depth} {group.op} x{group.size} ({type(group).__name__})"
        f_us = _median_seconds(forward, repeats) * 1e6
        b_us = _median_seconds(backward, repeats) * 1e6 if group.trains else 0.0
        print(f"  {name:<40} {f_us:>7.1f}us {b_us:>7.1f}us")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nn", action="store_true", help="use autograd_mini.nn.MLP (dot nodes)")
    parser.add_argument("--tape", action="store_true", help="profile the tape's training step")
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    if args.tape:
        profile_tape()
        return
    forward, params = build_step(args.nn)
    nodes = len(am.topological_order(forward()))
    print(f"workload (a), {'nn.MLP' if args.nn else 'plain Value ops'}: {nodes:,} nodes per step")

    clock = GcClock()
    gc.callbacks.append(clock)
    with_gc = phases(forward, params, args.repeats)
    gc.callbacks.remove(clock)
    gc.collect()
    gc.disable()
    without_gc = phases(forward, params, args.repeats)
    gc.enable()

    total_on, total_off = sum(with_gc.values()), sum(without_gc.values())
    print(f"\n{'phase':<20} {'GC on':>10} {'GC off':>10} {'ns/node (off)':>14}")
    for key in with_gc:
        on, off = with_gc[key] * 1e3, without_gc[key] * 1e3
        print(f"{key:<20} {on:>8.2f}ms {off:>8.2f}ms {without_gc[key] / nodes * 1e9:>14.0f}")
    print(f"{'step':<20} {total_on * 1e3:>8.2f}ms {total_off * 1e3:>8.2f}ms")
    per_step = clock.seconds / args.repeats
    print(
        f"\ncyclic GC: {per_step * 1e3:.2f} ms per step in collections "
        f"({[round(c / args.repeats, 1) for c in clock.counts]} collections of generations "
        f"0/1/2 per step); thresholds {gc.get_threshold()}"
    )

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(3):
        loss = forward()
        loss.backward()
        del loss
    profiler.disable()
    print("\ncProfile, 3 steps (forward + backward), by own time:")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
