# ruff: noqa: N803  (X for a feature matrix, as usual in ML code)
"""Mini-batch training with a progress bar, and prediction and accuracy helpers.

>>> from autograd_mini import datasets, nn, train
>>> X, y = datasets.xor()
>>> model = nn.MLP(2, [4, 1], activation="tanh", output_activation="linear", seed=0)
>>> history = train.fit(model, X, y, loss="binary_cross_entropy_with_logits",
...                     optimizer="adam", lr=0.1, epochs=100, progress=False)
>>> history[-1] < history[0], train.accuracy(model, X, y)
(True, 1.0)
>>> len(history), history.seconds > 0
(100, True)
"""

from __future__ import annotations

import functools
import html
import importlib
import importlib.util
import math
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from tqdm import tqdm

from autograd_mini import losses
from autograd_mini._engine import Value, accumulate, gc_paused, is_real, no_grad
from autograd_mini.compiled import compile
from autograd_mini.nn import Module
from autograd_mini.optim import SGD, Adam, Optimizer
from autograd_mini.tape import trace

LossFunction = Callable[[Any, Any], Value]
Examples = Sequence[Sequence[float]] | npt.NDArray[Any]
"""The inputs, one row per example: lists of numbers, or a 2-d numpy array."""
Targets = Sequence[Any] | npt.NDArray[Any]
"""The targets, one per example: numbers, lists of numbers (or class ints), or an array."""

LOSSES: dict[str, Callable[..., Value]] = {
    "mse": losses.mse,
    "binary_cross_entropy": losses.binary_cross_entropy,
    "binary_cross_entropy_with_logits": losses.binary_cross_entropy_with_logits,
    "softmax_cross_entropy": losses.softmax_cross_entropy,
}
"""Loss names `fit` accepts; a named loss averages over the batch (``reduction="mean"``)."""

OPTIMIZERS = ("sgd", "adam")
ENGINES = ("scalar", "tape", "compiled")
"""What `fit` can train with: the Value graph, the batched numpy tape, compiled Python."""
DEFAULT_LR = {"sgd": 0.1, "adam": 0.01}


class History(list[float]):
    """What `fit` returns: the loss of each epoch (a list, so ``history[-1]`` is the last
    epoch's loss), with ``seconds``, the wall-clock time training took.

    In Jupyter it displays as a small table; `plot` draws the loss curve.

    >>> h = History([0.9, 0.4, 0.1], seconds=1.5)
    >>> h[-1], h.seconds, h == [0.9, 0.4, 0.1]
    (0.1, 1.5, True)
    """

    seconds: float

    def __init__(self, losses: Iterable[float] = (), *, seconds: float = 0.0) -> None:
        super().__init__(losses)
        self.seconds = seconds

    def plot(self, **options: Any) -> Any:
        """The loss curve as a matplotlib Figure, from `autograd_mini.plot.loss`.

        ``options`` (``title``, ``path``) go to `autograd_mini.plot.loss`; it needs
        matplotlib (the ``plot`` extra).
        """
        return importlib.import_module("autograd_mini.plot").loss(self, **options)

    def _repr_html_(self) -> str:
        """Jupyter display: epochs, time, and the first, best and last loss."""
        if not self:
            return "<p>History: no epochs</p>"
        rows = [
            ("epochs", f"{len(self)}"),
            ("seconds", f"{self.seconds:.3g}"),
            ("first loss", f"{self[0]:.6g}"),
            ("lowest loss", f"{min(self):.6g} (epoch {self.index(min(self)) + 1})"),
            ("last loss", f"{self[-1]:.6g}"),
        ]
        cells = "".join(
            f"<tr><th>{html.escape(name)}</th><td>{html.escape(value)}</td></tr>"
            for name, value in rows
        )
        return f"<table><caption>training history</caption>{cells}</table>"


def stderr_is_terminal() -> bool:
    """Whether standard error is a terminal (where a text progress bar belongs)."""
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (the test tqdm's notebook-aware front end makes)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _progress_bar(progress: bool | None, total: int) -> Any:
    """A tqdm bar over ``total`` batches, or a disabled one.

    None and True draw it where someone can see it, a notebook or a terminal, and nowhere
    else (a CI log, a pipe: the CLI passes True and writes its own lines there); False
    never draws it.
    """
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"fit: progress must be True, False or None, got {progress!r}")
    notebook = _in_notebook()
    show = progress is not False and (notebook or stderr_is_terminal())
    if show and notebook and importlib.util.find_spec("ipywidgets") is not None:
        notebook_bar = importlib.import_module("tqdm.notebook").tqdm  # a widget
        return notebook_bar(total=total, desc="fit", unit="batch")
    # text on standard error: in a terminal, or in a notebook without ipywidgets
    return tqdm(
        total=total,
        desc="fit",
        unit="batch",
        file=sys.stderr,
        disable=not show,
        dynamic_ncols=True,
    )


def _loss_function(loss: str | LossFunction) -> LossFunction:
    if isinstance(loss, str):
        if loss not in LOSSES:
            valid = ", ".join(repr(name) for name in LOSSES)
            raise ValueError(f"fit: unknown loss {loss!r}; valid names are {valid}")
        return functools.partial(LOSSES[loss], reduction="mean")
    if not callable(loss):
        raise TypeError(f"fit: loss must be a loss name or a callable, got {loss!r}")
    return loss


def _optimizer(model: Module, optimizer: str | Optimizer, lr: float | None) -> Optimizer:
    if isinstance(optimizer, Optimizer):
        if lr is not None:
            raise ValueError("fit: lr applies only when the optimizer is given by name")
        return optimizer
    if optimizer == "sgd":
        return SGD(model.parameters(), lr=DEFAULT_LR["sgd"] if lr is None else lr)
    if optimizer == "adam":
        return Adam(model.parameters(), lr=DEFAULT_LR["adam"] if lr is None else lr)
    raise ValueError(
        f"fit: optimizer must be an Optimizer or one of 'sgd', 'adam', got {optimizer!r}"
    )


def _positive_int(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"fit: {name} must be a positive int, got {value!r}")
    return value


def fit(
    model: Module,
    X: Examples,
    y: Targets,
    *,
    loss: str | LossFunction = "mse",
    optimizer: str | Optimizer = "adam",
    lr: float | None = None,
    epochs: int = 100,
    batch_size: int | None = None,
    seed: int | random.Random | None = 0,
    progress: bool | None = None,
    callback: Callable[[int, float], None] | None = None,
    engine: str = "scalar",
) -> History:
    """Train ``model`` on ``(X, y)``; return the loss of each epoch as a `History`.

    Each epoch shuffles the examples (from ``seed``) into batches of ``batch_size``
    (None: the whole set, unshuffled), and for each batch runs the model, computes
    ``loss(predictions, targets)``, backpropagates and takes an optimizer step.

    - ``loss``: a name from `LOSSES` (averaged over the batch) or any callable taking the
      batch's predictions (a list of model outputs) and targets and returning a Value.
    - ``optimizer``: ``"adam"`` or ``"sgd"`` with learning rate ``lr`` (defaults 0.01 and
      0.1), or an `Optimizer` already built on the model's parameters.
    - An epoch's loss is the batch losses averaged, weighted by batch size, as they were
      computed during the epoch (before each step).
    - ``progress``: a tqdm bar over batches showing the epoch and its running loss. None
      (the default) decides: a notebook bar in Jupyter, a text bar on standard error
      when it is a terminal, nothing otherwise (a CI log). True makes the same choice
      (it meant "a bar on a terminal" before None existed); False shows nothing.
    - ``callback(epoch, loss)`` runs after each epoch.
    - ``engine="tape"`` traces the model and the loss of one example once
      (`TapeTrainer`) and runs each batch with numpy: the same training as the scalar
      path up to float rounding, hundreds of times faster.
    - ``engine="compiled"`` compiles the model and the loss of one example to Python
      once (`CompiledTrainer`, `autograd_mini.compiled`) and runs it example by example:
      the same training as the scalar path up to float rounding, several times faster.

    A loss that becomes NaN or infinite stops training with FloatingPointError.
    """
    if not isinstance(model, Module):
        raise TypeError(
            f"fit: model must be an autograd_mini.nn.Module, got {type(model).__name__}"
        )
    n = len(X)
    if n == 0:
        raise ValueError("fit: X is empty")
    if len(y) != n:
        raise ValueError(f"fit: X has {n} examples but y has {len(y)}")
    epochs = _positive_int(epochs, "epochs")
    size = n if batch_size is None else min(_positive_int(batch_size, "batch_size"), n)
    loss_function = _loss_function(loss)
    if engine not in ENGINES:
        valid = ", ".join(repr(name) for name in ENGINES)
        raise ValueError(f"fit: engine must be one of {valid}, got {engine!r}")
    opt = _optimizer(model, optimizer, lr)
    traced: TapeTrainer | CompiledTrainer | None = None
    if engine == "tape":
        traced = TapeTrainer(model, X, y, loss, opt)
    elif engine == "compiled":
        traced = CompiledTrainer(model, X, y, loss)
    # The tape's trainer when the parameters live in its array between steps.
    on_array = traced if isinstance(traced, TapeTrainer) and traced.theta is not None else None
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    order = list(range(n))
    history = History()
    started = time.perf_counter()
    bar = _progress_bar(progress, epochs * math.ceil(n / size))

    def train_on(batch: list[int], epoch: int, start: int) -> float:
        """One batch's step; returns its loss. The batch's graph dies with this call."""
        if traced is not None:  # one traced pass over the batch
            value, backward = traced.loss(batch), traced.backward
        else:
            predictions = [model(X[i]) for i in batch]
            batch_loss = loss_function(predictions, [y[i] for i in batch])
            if not isinstance(batch_loss, Value):
                raise TypeError(
                    f"fit: the loss must return a Value, got {type(batch_loss).__name__}"
                )
            value, backward = batch_loss.data, batch_loss.backward
        if not math.isfinite(value):
            raise FloatingPointError(
                f"fit: the loss became {value!r} in epoch {epoch}, batch "
                f"starting at position {start}; try a smaller learning rate"
            )
        if on_array is not None:  # the Values catch up at `sync`
            on_array.step()
            return value
        model.zero_grad()
        opt.zero_grad()
        backward()
        opt.step()
        return value

    try:
        for epoch in range(epochs):
            if size < n:
                rng.shuffle(order)
            total = 0.0
            for start in range(0, n, size):
                batch = order[start : start + size]
                with gc_paused():  # no collection rescans the graph while it lives
                    value = train_on(batch, epoch, start)
                total += value * len(batch)
                running = total / (start + len(batch))
                bar.set_postfix_str(
                    f"epoch {epoch + 1}/{epochs}, loss {running:.4g}", refresh=False
                )
                bar.update(1)  # redraws at most every tqdm.mininterval seconds
            history.append(total / n)
            history.seconds = time.perf_counter() - started
            if callback is not None:
                if on_array is not None:  # the callback sees, and may change, the Values
                    on_array.sync()
                callback(epoch, history[-1])
                if on_array is not None:
                    on_array.reload()
    finally:
        if on_array is not None:
            on_array.sync()
        bar.close()
    return history


def _numbers(out: Value | list[Value]) -> float | list[float]:
    return out.data if isinstance(out, Value) else [v.data for v in out]


def predict(model: Module, X: Examples) -> list[Any]:
    """The model's outputs on each row of ``X`` as floats (lists of floats for several outputs).

    >>> from autograd_mini.nn import Neuron
    >>> n = Neuron(1, activation="linear", seed=0)
    >>> n.w[0].data = 2.0
    >>> predict(n, [[1.0], [3.0]])
    [2.0, 6.0]
    """
    return [_numbers(model(x)) for x in X]


THRESHOLDS = {"sigmoid": 0.5, "relu": 0.5, "tanh": 0.0, "linear": 0.0}
"""Default decision threshold for one output, by output activation: the midpoint for a
sigmoid probability (or a relu fitted to 0/1), zero for a tanh or a logit."""


def _output_activation(model: Module) -> str:
    activation = getattr(model, "output_activation", None) or getattr(model, "activation", None)
    return activation if isinstance(activation, str) else "linear"


def accuracy(
    model: Module,
    X: Examples,
    y: Targets,
    threshold: float | None = None,
) -> float:
    """The fraction of examples classified correctly.

    One output: binary, the prediction is positive when the output exceeds ``threshold``
    and the label is positive when it does too (so 0/1 and −1/1 labels both work); the
    threshold defaults from the output activation (`THRESHOLDS`). Several outputs: the
    predicted class is the argmax, compared with an int label (or a one-hot list's argmax).
    """
    n = len(X)
    if n == 0:
        raise ValueError("accuracy: X is empty")
    if len(y) != n:
        raise ValueError(f"accuracy: X has {n} examples but y has {len(y)}")
    t = THRESHOLDS.get(_output_activation(model), 0.0) if threshold is None else threshold
    correct = 0
    for x, label in zip(X, y):
        out = _numbers(model(x))
        if isinstance(out, float):
            correct += (out > t) == (_label_number(label) > t)
        else:
            correct += _argmax(out) == _class_of(label, len(out))
    return correct / n


def _label_number(label: object) -> float:
    if isinstance(label, Value):
        return label.data
    if is_real(label):  # ints, floats and numpy numbers; not bools
        return float(label)
    raise ValueError(f"accuracy: a single-output model needs number labels, got {label!r}")


def _argmax(values: Sequence[float]) -> int:
    return max(range(len(values)), key=values.__getitem__)


def _class_of(label: Any, k: int) -> int:
    if hasattr(label, "__len__") and not isinstance(label, str):  # a one-hot row
        if len(label) != k:
            raise ValueError(f"accuracy: one-hot label has {len(label)} entries, model has {k}")
        return _argmax([float(v) for v in label])
    return losses.check_class(label, k, "accuracy", "")


# ---- the tape and compiled engines: what fit(..., engine=...) runs for each batch ----------


class _PerExample:
    """What both traced engines share: the data as arrays, the loss of one example, and
    whether a batch's loss is the mean or the sum of its examples' losses.

    The loss is the very function the scalar path calls, on one example at a time
    (``loss([output], [target])``); a batch's loss is the mean or the sum of those, as
    the loss itself combines examples (checked on two examples with the scalar engine).
    Class targets of `losses.softmax_cross_entropy` are traced as one-hot rows.
    """

    def __init__(
        self,
        model: Module,
        X: Examples,
        y: Targets,
        loss: Any,
        engine: str,
    ) -> None:
        self.inputs = np.asarray(X, dtype=np.float64)
        if self.inputs.ndim != 2:
            raise ValueError(
                f"engine={engine!r}: the inputs must be a list of rows, got shape "
                f"{self.inputs.shape}"
            )
        loss_function = _loss_function(loss)
        base = getattr(loss_function, "func", loss_function)  # a functools.partial's loss
        if base in losses.CLASS_TARGETS and not isinstance(y[0], list | tuple):
            classes = len(_listed(model(self.inputs[0].tolist())))
            labels = [losses.check_class(c, classes, "softmax_cross_entropy", "") for c in y]
            self.targets = np.eye(classes)[labels]
        else:
            self.targets = np.asarray(y, dtype=np.float64)
        self.reduction = _how_examples_combine(
            loss_function, model, self.inputs, self.targets, engine
        )

        def example_loss(x: Any, t: Any) -> Value:
            return loss_function([model(x)], [t])

        self.example_loss = example_loss
        self._grads: list[float] = []

    def replay_examples(self) -> list[int]:
        """A few examples with distinct targets, for the replay check: a loss or model
        whose graph depends on the data fails there rather than training wrongly."""
        firsts: dict[bytes, int] = {}
        for i, t in enumerate(self.targets[:1000]):
            firsts.setdefault(t.tobytes(), i)
        return list(firsts.values())[:3]

    def add_grads(self, params: Sequence[Value]) -> None:
        """Add the last batch's gradients into the parameters' ``.grad``."""
        accumulate(params, self._grads)


class TapeTrainer(_PerExample):
    """The per-batch work of ``fit(..., engine="tape")``: the model and the loss of one
    example traced once (`autograd_mini.tape.trace`), then run on each batch with numpy.

    `loss` computes a batch's loss and its parameter gradients in one batched pass;
    `backward` adds those gradients into the parameters' ``.grad``, ready for an
    optimizer step. When ``optimizer`` updates exactly the tape's parameters with its own
    rule (`Optimizer.update`, as the built-in ones do), the parameters instead live in
    one array, ``theta``, between steps: `step` updates it with numpy, and `sync` writes
    it (and the last step's gradients) into the Values. Reading and writing thousands of
    Values one by one costs more than a small batch's arithmetic.
    """

    def __init__(
        self,
        model: Module,
        X: Examples,
        y: Targets,
        loss: Any,
        optimizer: Optimizer | None = None,
    ) -> None:
        super().__init__(model, X, y, loss, "tape")
        self.tape = trace(
            self.example_loss, self.inputs[0], self.targets[0], params=model.parameters()
        )
        for i in self.replay_examples():
            self.tape.check(self.inputs[i], self.targets[i])
        self.optimizer = optimizer if _updates_arrays(optimizer, self.tape.params) else None
        self.theta = None if self.optimizer is None else self.tape.param_array()
        self._batch_grads: Any = None  # the last batch's parameter gradients, an array
        self._stepped: Any = None  # the gradients of the last step taken on theta

    def loss(self, batch: Sequence[int]) -> float:
        """The loss over the examples ``batch`` (row indices); keeps the gradients."""
        grads = self.tape.grad(
            self.inputs[batch],
            self.targets[batch],
            reduction=self.reduction,
            inputs=False,
            params=self.theta,
        )
        self._batch_grads = grads.params
        output = grads.output
        return float(output.mean() if self.reduction == "mean" else output.sum())

    def backward(self) -> None:
        """Add the last batch's gradients into the parameters' ``.grad``."""
        self._grads = self._batch_grads.tolist()
        self.add_grads(self.tape.params)

    # step, reload and sync: only when ``theta`` holds the parameters (not None).

    def step(self) -> None:
        """The optimizer's update of ``theta`` with the last batch's gradients."""
        assert self.optimizer is not None and self.theta is not None
        self.optimizer.update(self.theta, self._batch_grads)
        self._stepped = self._batch_grads

    def reload(self) -> None:
        """Read ``theta`` back from the Values (a callback may have changed them)."""
        assert self.theta is not None
        self.theta[:] = self.tape.param_array()

    def sync(self) -> None:
        """Write ``theta`` into the parameters' ``.data`` and the last step's gradients
        into their ``.grad``: the model as the scalar path would leave it."""
        self.tape.write_params(self.theta)
        if self._stepped is not None:
            for p, g in zip(self.tape.params, self._stepped.tolist()):
                p.grad = g


def _updates_arrays(optimizer: Optimizer | None, params: Sequence[Value]) -> bool:
    """True when ``optimizer`` updates exactly ``params``, in that order, by its own
    `Optimizer.update` rule (a subclass that rewrites `step` keeps the Values path)."""
    if optimizer is None or type(optimizer).step is not Optimizer.step:
        return False
    if type(optimizer).update is Optimizer.update:
        return False
    ours = optimizer.params
    return len(ours) == len(params) and all(a is b for a, b in zip(ours, params))


class CompiledTrainer(_PerExample):
    """The per-batch work of ``fit(..., engine="compiled")``: the model and the loss of one
    example compiled once (`autograd_mini.compiled.compile`), then run example by example
    with the generated Python, the gradients summed or averaged as the loss combines them.
    """

    def __init__(self, model: Module, X: Examples, y: Targets, loss: Any) -> None:
        super().__init__(model, X, y, loss, "compiled")
        self.compiled = compile(
            self.example_loss,
            self.inputs[0].tolist(),
            self.targets[0].tolist(),
            params=model.parameters(),
        )
        for i in self.replay_examples():
            self.compiled.check(self.inputs[i], self.targets[i])

    def loss(self, batch: Sequence[int]) -> float:
        """The loss over the examples ``batch`` (row indices); keeps the gradients."""
        outputs, self._grads = self.compiled.grad_batch(
            self.inputs[batch], self.targets[batch], reduction=self.reduction
        )
        total = math.fsum(outputs)
        return total / len(outputs) if self.reduction == "mean" else total

    def backward(self) -> None:
        """Add the last batch's gradients into the parameters' ``.grad``."""
        self.add_grads(self.compiled.params)


def _listed(x: Any) -> list[Any]:
    return list(x) if isinstance(x, list | tuple) else [x]


def _how_examples_combine(
    loss: LossFunction, model: Module, inputs: Any, targets: Any, engine: str
) -> Literal["mean", "sum"]:
    """Whether ``loss`` of a batch is the mean or the sum of its per-example losses,
    found by evaluating it on two examples and on each alone."""
    if len(inputs) < 2:
        return "mean"
    rows = [inputs[i].tolist() for i in (0, 1)]
    ts = [targets[i].tolist() if targets.ndim > 1 else float(targets[i]) for i in (0, 1)]
    with no_grad():
        both = loss([model(x) for x in rows], ts).data
        each = [loss([model(x)], [t]).data for x, t in zip(rows, ts)]
    if math.isclose(both, sum(each) / 2, rel_tol=1e-9, abs_tol=1e-12):
        return "mean"
    if math.isclose(both, sum(each), rel_tol=1e-9, abs_tol=1e-12):
        return "sum"
    raise ValueError(
        f"engine={engine!r}: the loss of a batch is neither the mean nor the sum of its "
        "examples' losses, so it cannot be traced on one example; use engine='scalar'"
    )
