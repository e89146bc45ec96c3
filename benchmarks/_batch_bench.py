"""Issue 6's workloads: one training step of the same MLP, loss and batch on every engine.

Engines: the scalar engine (`autograd_mini.nn.MLP`), micrograd, a hand-written
pure-Python loop, the tape (`autograd_mini.trace`) twice (updating each parameter Value,
as `train.fit` does, and training one parameter array), the numpy textbook backprop
(`autograd_mini.textbook`), a minimal numpy backprop, and PyTorch when it is installed.
Batch sizes 1, 32, 256 and 1024 on the moons MLP(2, [16, 16, 1]) and a digits-shaped
MLP(64, [32, 10]). A slow scalar engine whose step would take too long at a big batch is
not run there: its time per example at the largest batch it ran is carried over, and the
cell is marked as extrapolated.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import _mlp
from _harness import fmt_ratio, fmt_time, measure_side_by_side
from _report import Report

BATCHES = (1, 32, 256, 1024)
KEY_BATCH = 256  # the batch size of the README's table


@dataclass
class Engine:
    name: str
    make: Callable[[_mlp.Params, _mlp.Matrix, _mlp.Matrix], _mlp.Step]
    slow: bool = False  # a scalar engine: extrapolate rather than run huge batches


@dataclass
class Cell:
    """An engine's time per step at one batch size; ``source`` is the batch it was
    measured at when it is extrapolated from a smaller one."""

    seconds: float
    batch: int
    source: int | None = None

    @property
    def per_example(self) -> float:
        return self.seconds / self.batch

    def show(self, value: float) -> str:
        return fmt_time(value) if self.source is None else f"~{fmt_time(value)}*"


def _make_tape(params: _mlp.Params, X: _mlp.Matrix, Y: _mlp.Matrix) -> _mlp.Step:
    return tape_step(params, X, Y)[0]


def trace_loss(params: _mlp.Params, X: _mlp.Matrix, Y: _mlp.Matrix) -> Any:
    """One example's loss through nn.MLP, traced once; the tape runs the whole batch."""
    import autograd_mini as am

    model = _mlp.nn_model(params)

    def example_loss(x: list[am.Value], y: list[am.Value]) -> am.Value:
        out = model(x)
        outs = out if isinstance(out, list) else [out]
        squares = [(o - t) ** 2 for o, t in zip(outs, y)]
        total = am.sum(squares)
        assert isinstance(total, am.Value)
        return total * 0.5

    return am.trace(example_loss, X[0], Y[0], params=model.parameters())


def tape_step(params: _mlp.Params, X: _mlp.Matrix, Y: _mlp.Matrix) -> tuple[_mlp.Step, Any]:
    """Each step runs the whole batch on the tape (mean reduction, only the parameters'
    gradients, as `train.fit` asks), which reads the parameter Values, then updates each
    Value in a Python loop, as `train.fit`'s optimizers do. Returns the step and the tape."""
    import numpy as np

    tape = trace_loss(params, X, Y)
    Xa, Ya = np.array(X, dtype=np.float64), np.array(Y, dtype=np.float64)
    lr = _mlp.LR

    def step() -> float:
        grads = tape.grad(Xa, Ya, reduction="mean", inputs=False)
        for p, g in zip(tape.params, grads.params.tolist()):
            p.data -= lr * g
        return float(grads.output.mean())

    return step, tape


def _make_tape_array(params: _mlp.Params, X: _mlp.Matrix, Y: _mlp.Matrix) -> _mlp.Step:
    return tape_array_step(params, X, Y)[0]


def tape_array_step(params: _mlp.Params, X: _mlp.Matrix, Y: _mlp.Matrix) -> tuple[_mlp.Step, Any]:
    """The same tape, given its parameters as one array (``params=theta``) and updating
    that array with one numpy expression, as the textbook and PyTorch rows update theirs;
    the parameter Values are neither read nor written. Returns the step and the tape."""
    import numpy as np

    tape = trace_loss(params, X, Y)
    Xa, Ya = np.array(X, dtype=np.float64), np.array(Y, dtype=np.float64)
    theta = tape.param_array()
    lr = _mlp.LR

    def step() -> float:
        grads = tape.grad(Xa, Ya, reduction="mean", inputs=False, params=theta)
        theta[:] -= lr * grads.params
        return float(grads.output.mean())

    return step, tape


def _make_micrograd(params: _mlp.Params, X: _mlp.Matrix, Y: _mlp.Matrix) -> _mlp.Step:
    from micrograd.engine import Value

    return _mlp.make_plain_values(Value, params, X, Y)


ENGINES = [
    Engine("autograd_mini scalar (nn.MLP)", _mlp.make_nn, slow=True),
    Engine("micrograd 0.1.0", _make_micrograd, slow=True),
    Engine("hand-written pure Python", _mlp.make_pure_python),
    Engine("autograd_mini tape, updating each parameter Value", _make_tape),
    Engine("autograd_mini tape, parameters in one array (params=theta)", _make_tape_array),
    Engine("numpy textbook (autograd_mini.textbook)", _mlp.make_textbook),
    Engine("numpy, minimal (benchmarks/_mlp.py)", _mlp.make_numpy),
    Engine("PyTorch CPU (float64)", _mlp.make_torch),
]
SCALAR, MICRO, PURE, TAPE, TAPE_ARRAY, TEXTBOOK, NUMPY, TORCH = (e.name for e in ENGINES)


def _agreement(report: Report, params: _mlp.Params, X: _mlp.Matrix, Y: _mlp.Matrix) -> list[str]:
    """Two steps on every engine from the same weights; their losses must agree. Returns
    the names of the engines that can run (the others are reported as skipped)."""
    ok: list[str] = []
    losses: dict[str, float] = {}
    for engine in ENGINES:
        try:
            step = engine.make(params, X[:8], Y[:8])
        except ImportError as error:
            report.add(f"_{engine.name}: skipped, not importable ({error})._")
            continue
        step()
        losses[engine.name] = _mlp.loss_value(step())
        ok.append(engine.name)
    reference = losses[ok[0]]
    worst = max(abs(v - reference) / abs(reference) for v in losses.values())
    if worst > 1e-9:
        detail = ", ".join(f"{k}: {v!r}" for k, v in losses.items())
        raise RuntimeError(f"the engines disagree on the loss after one SGD step: {detail}")
    report.add(
        f"All {len(ok)} engines agree on the loss after one SGD step from the same weights "
        f"(largest relative difference {worst:.1e})."
    )
    return ok


def _time_engines(
    report: Report,
    label: str,
    sizes: list[int],
    data: tuple[_mlp.Matrix, _mlp.Matrix],
    quick: bool,
) -> dict[str, dict[int, Cell]]:
    params = _mlp.init_params(sizes)
    X, Y = data
    available = _agreement(report, params, X, Y)
    cap = 1.0 if quick else 3.0  # longest step a slow engine is run at
    budget = 0.3 if quick else 1.0
    results: dict[str, dict[int, Cell]] = {e.name: {} for e in ENGINES if e.name in available}
    for batch in BATCHES:
        steps = {}
        for engine in ENGINES:
            if engine.name not in available:
                continue
            cells = results[engine.name]
            last = cells[max(cells)] if cells else None
            if engine.slow and last is not None and last.per_example * batch > cap:
                source = last.source or last.batch
                cells[batch] = Cell(last.per_example * batch, batch, source)
            else:
                steps[engine.name] = engine.make(params, X[:batch], Y[:batch])
        report.progress(f"{label}, batch {batch}: {len(steps)} engines in turns")
        timings = measure_side_by_side(steps, budget=budget, min_samples=2 if quick else 3)
        for name, timing in timings.items():
            results[name][batch] = Cell(timing.seconds, batch)
        del steps
        gc.collect()
    return results


def _table(results: dict[str, dict[int, Cell]], per_example: bool) -> list[list[str]]:
    rows = []
    for name, cells in results.items():
        row = [name]
        for batch in BATCHES:
            cell = cells[batch]
            row.append(cell.show(cell.per_example if per_example else cell.seconds))
        rows.append(row)
    return rows


def _ratio_rows(results: dict[str, dict[int, Cell]], floor: str) -> list[list[str]]:
    rows = []
    for name, cells in results.items():
        row = [name]
        for batch in BATCHES:
            cell = cells[batch]
            text = fmt_ratio(cell.seconds / results[floor][batch].seconds)
            row.append(text if cell.source is None else f"~{text}*")
        rows.append(row)
    return rows


def _ratio(results: dict[str, dict[int, Cell]], a: str, b: str, batch: int) -> float | None:
    """How many times slower engine a is than engine b at this batch (None if absent)."""
    if a not in results or b not in results:
        return None
    return results[a][batch].seconds / results[b][batch].seconds


def _mark(results: dict[str, dict[int, Cell]], names: tuple[str, ...], batch: int) -> str:
    extrapolated = [n for n in names if n in results and results[n][batch].source is not None]
    return " (extrapolated)" if extrapolated else ""


def run(report: Report, quick: bool, threads: int = 1) -> None:
    """Both models, every engine, every batch size; then the issue's targets."""
    report.heading("Batched training step: scalar engines, the tape, numpy, PyTorch (issue 6)")
    report.add(
        "One SGD step (forward, backward, update) on one batch; relu hidden layers, a linear "
        "output, loss = mean over the batch of 1/2 * squared error, the same weights for every "
        "engine. Cells marked * are extrapolated: the engine was too slow to run at that batch, "
        "so its time per example at the batch named in the note is carried over. The scalar "
        "engines' time per example grows with the batch because Python's cyclic garbage "
        "collector rescans an ever larger graph, so the real time there is likely higher. "
        "BLAS and PyTorch run on the number of threads given by `--threads` (default 1). "
        "The tape has two rows: one reads the parameter Values on every call and updates each "
        'Value in a Python loop after it, as `train.fit(engine="tape")` and its optimizers '
        "do; the other passes the parameters as one array (`tape.grad(..., params=theta)`) "
        "and updates that array with one numpy expression, as the textbook and PyTorch rows "
        "update theirs. Issue 13's tape targets are judged on the array row, issue 6's on the "
        "Values row."
    )
    try:
        import torch

        torch.set_num_threads(threads)
        report.add(f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s), float64.")
    except ImportError:
        report.add("_PyTorch is not installed: its row is skipped._")
    models = [
        ("moons MLP(2, [16, 16, 1])", [2, 16, 16, 1], _mlp.moons(max(BATCHES))),
        ("digits-shaped MLP(64, [32, 10])", [64, 32, 10], _mlp.digits_like(max(BATCHES))),
    ]
    all_results = {}
    for label, sizes, data in models:
        report.heading(label, 3)
        results = _time_engines(report, label, sizes, data, quick)
        all_results[label] = results
        headers = ["engine", *(f"batch {b}" for b in BATCHES)]
        report.add("Time per training step:")
        report.table(headers, _table(results, per_example=False))
        report.add("Time per example (step time / batch size):")
        report.table(headers, _table(results, per_example=True))
        floor = TEXTBOOK if TEXTBOOK in results else NUMPY
        report.add(f"Times the {floor} step at the same batch size:")
        report.table(headers, _ratio_rows(results, floor))
        notes = sorted(
            {
                f"{name}: extrapolated from batch {cell.source}"
                for name, cells in results.items()
                for cell in cells.values()
                if cell.source is not None
            }
        )
        if notes:
            report.add("\\* " + "; ".join(notes) + ".")
        for name, cells in results.items():
            cell = cells[KEY_BATCH]
            ratio = fmt_ratio(cell.seconds / results[floor][KEY_BATCH].seconds)
            text = f"{cell.show(cell.per_example)} ({ratio})"
            report.key_batch.setdefault(name, {})[label] = text
        report.key_batch_floor = floor
    _targets(report, all_results)


def _targets(report: Report, all_results: dict[str, dict[str, dict[int, Cell]]]) -> None:
    moons, digits = all_results.values()

    def judge(name: str, value: float | None, ok: Callable[[float], bool], note: str) -> None:
        measured = "-" if value is None else fmt_ratio(value) + note
        report.target(name, measured, None if value is None else ok(value))

    r = _ratio(moons, SCALAR, TAPE, 256)
    judge(
        "tape (updating Values) >= 100x faster per example than the scalar engine, "
        "batch 256 (moons)",
        r,
        lambda v: v >= 100,
        _mark(moons, (SCALAR,), 256),
    )
    r = _ratio(digits, SCALAR, TAPE, 256)
    judge(
        "tape (updating Values) >= 100x faster per example than the scalar engine, "
        "batch 256 (digits)",
        r,
        lambda v: v >= 100,
        _mark(digits, (SCALAR,), 256),
    )
    r = _ratio(digits, TAPE, TEXTBOOK, 256)
    judge(
        "tape (updating Values) within 10x of the numpy textbook floor, batch 256 (digits)",
        r,
        lambda v: v <= 10,
        "",
    )
    r = _ratio(moons, TAPE, TORCH, 256)
    judge(
        "tape (updating Values) no slower than PyTorch, batch 256 (moons)",
        r,
        lambda v: v <= 1,
        " of PyTorch",
    )
    r = _ratio(moons, SCALAR, PURE, 256)
    judge(
        "scalar engine (dot nodes) within 5x of the pure-Python loop, batch 256 (moons)",
        r,
        lambda v: v <= 5,
        _mark(moons, (SCALAR,), 256),
    )
    _tape_at_the_floor(judge, {"moons": moons, "digits": digits})


def _tape_at_the_floor(
    judge: Callable[[str, float | None, Callable[[float], bool], str], None],
    models: dict[str, dict[str, dict[int, Cell]]],
) -> None:
    """Issue 13's tape targets, each a ratio of step times in this run, judged on the tape
    row that trains a parameter array (the row with the Values' Python loop is shown too)."""
    for model, results in models.items():
        for batch in (256, 1024):
            judge(
                f"tape (params=theta) within 1.5x of the numpy textbook step, batch {batch} "
                f"({model})",
                _ratio(results, TAPE_ARRAY, TEXTBOOK, batch),
                lambda v: v <= 1.5,
                " of textbook",
            )
        for batch in (32, 256, 1024):
            judge(
                f"tape (params=theta) no slower than PyTorch CPU float64, batch {batch} ({model})",
                _ratio(results, TAPE_ARRAY, TORCH, batch),
                lambda v: v <= 1,
                " of PyTorch",
            )
        judge(
            f"tape (params=theta) within 2x of PyTorch's per-call overhead, batch 1 ({model})",
            _ratio(results, TAPE_ARRAY, TORCH, 1),
            lambda v: v <= 2,
            " of PyTorch",
        )
