# ruff: noqa: N803  (X for a feature matrix, as usual in ML code)
"""Training plots as library calls: the loss curve and a 2-D model's decision boundary.

Each function returns a matplotlib `Figure` (a notebook shows it as the cell's result)
and, given ``path``, also writes it as a PNG of `PNG_SIZE` pixels, to a temporary file
renamed into place. The figures are built without `matplotlib.pyplot`, so no backend is
switched, no window opens and pyplot's list of open figures does not grow; PNGs are drawn
by matplotlib's Agg renderer. Needs matplotlib: ``pip install 'autograd-mini[plot]'``.

>>> from autograd_mini import plot
>>> figure = plot.loss([0.9, 0.5, 0.3, 0.2], title="xor")
>>> axes = figure.axes[0]
>>> axes.get_title(), axes.get_xlabel(), axes.lines[0].get_xdata().tolist()
('xor', 'epoch', [1, 2, 3, 4])
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autograd_mini._engine import sigmoid
from autograd_mini._files import write_atomically

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from autograd_mini.nn import MLP

PNG_SIZE = (640, 480)
"""Pixel size of every PNG these functions write (width, height)."""

INSTALL_MATPLOTLIB = (
    "plots need matplotlib, which is not installed; "
    "install it with: pip install 'autograd-mini[plot]'"
)

_DPI = 100


def loss(
    history: Sequence[float],
    *,
    title: str = "training loss",
    path: str | os.PathLike[str] | None = None,
) -> Figure:
    """The loss per epoch (``history``: one number per epoch, such as `train.fit` returns),
    on a log scale when it spans more than a factor of 20; saved as a PNG at ``path``."""
    values = [float(h) for h in history]
    if not values:
        raise ValueError("plot.loss: history is empty; give one loss per epoch")
    figure = _figure()
    axes = figure.subplots()
    axes.plot(range(1, len(values) + 1), values, color="#2166ac")
    if all(v > 0 for v in values) and max(values) / min(values) > 20:
        axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel("loss")
    axes.set_title(title)
    axes.grid(True, alpha=0.3)
    figure.tight_layout()
    return _saved(figure, path)


def decision_boundary(
    model: MLP,
    X: Sequence[Sequence[float]],
    y: Sequence[float],
    *,
    title: str | None = None,
    path: str | os.PathLike[str] | None = None,
    classification: bool | None = None,
    labels: tuple[str, str] = ("x1", "x2"),
    steps: int = 60,
) -> Figure:
    """The output of a model with two inputs and one output over a grid around ``X``, with
    the data on top; saved as a PNG at ``path``.

    For a classifier (by default: when every target is 0 or 1) the shading is the
    probability of class 1 (a linear output is read as a logit) and a black line marks
    probability 0.5; otherwise the shading is the output itself, the dots the targets.

    >>> from autograd_mini import datasets, nn, plot
    >>> X, y = datasets.xor()
    >>> figure = plot.decision_boundary(nn.MLP(2, [4, 1], output_activation="linear"), X, y)
    >>> figure.axes[0].get_title()
    'decision boundary (black line: probability 0.5)'
    """
    import numpy as np

    points = [[float(v) for v in p] for p in X]
    targets = [float(t) for t in y]
    if not points or any(len(p) != 2 for p in points):
        raise ValueError("plot.decision_boundary: X must be a non-empty list of 2-D points")
    if len(targets) != len(points):
        raise ValueError(f"plot.decision_boundary: {len(points)} points but {len(targets)} targets")
    if model.nin != 2 or model.nouts[-1] != 1:
        raise ValueError(
            f"plot.decision_boundary: needs a model with 2 inputs and 1 output, "
            f"got {model.nin} inputs and {model.nouts[-1]} outputs"
        )
    if classification is None:
        classification = all(t in (0.0, 1.0) for t in targets)
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    margin_x = 0.25 * (max(xs) - min(xs) or 1.0)
    margin_y = 0.25 * (max(ys) - min(ys) or 1.0)
    grid_x = np.linspace(min(xs) - margin_x, max(xs) + margin_x, steps)
    grid_y = np.linspace(min(ys) - margin_y, max(ys) + margin_y, steps)
    out = np.array([[_output(model, [float(a), float(b)]) for a in grid_x] for b in grid_y])
    figure = _figure()
    axes = figure.subplots()
    if classification:
        probability = out
        if model.output_activation != "sigmoid":  # a logit: its sigmoid
            probability = sigmoid(out)
        shading = axes.contourf(grid_x, grid_y, probability, levels=20, cmap="RdBu_r", alpha=0.5)
        axes.contour(grid_x, grid_y, probability, levels=[0.5], colors="black", linewidths=1.5)
        figure.colorbar(shading, ax=axes, label="predicted probability of class 1")
        for label, colour in ((0.0, "#2166ac"), (1.0, "#b2182b")):
            members = [p for p, t in zip(points, targets) if t == label]
            axes.scatter(
                [p[0] for p in members],
                [p[1] for p in members],
                color=colour,
                edgecolors="white",
                s=30,
                label=f"class {label:g}",
            )
        axes.legend(loc="upper right", framealpha=0.9)
        axes.set_title(title or "decision boundary (black line: probability 0.5)")
    else:
        shading = axes.contourf(grid_x, grid_y, out, levels=20, cmap="viridis")
        figure.colorbar(shading, ax=axes, label="predicted output")
        same_colours: Any = shading.norm  # the shading's value -> colour map, for the dots
        axes.scatter(xs, ys, c=targets, cmap="viridis", norm=same_colours, edgecolors="white", s=60)
        axes.set_title(title or "model output over the inputs (dots: targets, same colours)")
    axes.set_xlabel(labels[0])
    axes.set_ylabel(labels[1])
    figure.tight_layout()
    return _saved(figure, path)


def _output(model: MLP, point: list[float]) -> float:
    """The model's single output at ``point``, as a float."""
    result: Any = model(point)
    return float(result.data)


def _figure() -> Figure:
    """A new figure of `PNG_SIZE` pixels, made without pyplot (no global state)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError(INSTALL_MATPLOTLIB, name="matplotlib") from None
    return Figure(figsize=(PNG_SIZE[0] / _DPI, PNG_SIZE[1] / _DPI), dpi=_DPI)


def _saved(figure: Figure, path: str | os.PathLike[str] | None) -> Figure:
    """``figure``, written as a PNG to ``path`` first when a path is given (atomically)."""
    if path is not None:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=_DPI)
        write_atomically(str(path), buffer.getvalue())
    return figure
