# ruff: noqa: N806  (X for a feature matrix)
"""`autograd_mini.plot`: the loss curve and the decision boundary as library calls."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograd_mini import datasets, nn, plot


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG file"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_loss_draws_one_point_per_epoch_and_saves_a_png(tmp_path: Path) -> None:
    figure = plot.loss((0.5, 0.25, 0.125), title="xor", path=tmp_path / "loss.png")
    axes = figure.axes[0]
    assert (axes.get_title(), axes.get_xlabel(), axes.get_ylabel()) == ("xor", "epoch", "loss")
    xdata, ydata = axes.lines[0].get_xdata(), axes.lines[0].get_ydata()
    assert isinstance(xdata, np.ndarray) and isinstance(ydata, np.ndarray)
    assert list(xdata) == [1, 2, 3]
    assert list(ydata) == [0.5, 0.25, 0.125]
    assert axes.get_yscale() == "linear"
    assert png_size(tmp_path / "loss.png") == plot.PNG_SIZE
    assert [p.name for p in tmp_path.iterdir()] == ["loss.png"]  # no temporary file left
    assert plot.loss([100.0, 1.0]).axes[0].get_yscale() == "log"  # spans more than 20x


def test_loss_without_a_path_writes_nothing_and_refuses_an_empty_history(tmp_path: Path) -> None:
    plot.loss([1.0])
    with pytest.raises(ValueError, match="history is empty"):
        plot.loss([])


def test_decision_boundary_of_a_classifier_and_of_a_regression(tmp_path: Path) -> None:
    X, y = datasets.xor()
    model = nn.MLP(2, [4, 1], activation="tanh", output_activation="linear", seed=0)
    figure = plot.decision_boundary(model, X, y, path=tmp_path / "xor.png", labels=("a", "b"))
    axes = figure.axes[0]
    assert axes.get_title() == "decision boundary (black line: probability 0.5)"
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("a", "b")
    assert png_size(tmp_path / "xor.png") == plot.PNG_SIZE
    X, y = datasets.sleep_study()  # targets 0.75, 0.82, 0.93: shaded as a regression
    model = nn.MLP(2, [3, 1], activation="sigmoid", seed=0)
    axes = plot.decision_boundary(model, X, y, title="sleep").axes[0]
    assert axes.get_title() == "sleep"
    assert figure.axes[1].get_ylabel() == "predicted probability of class 1"  # the colour bar


def test_decision_boundary_says_what_it_needs() -> None:
    model = nn.MLP(2, [1], seed=0)
    with pytest.raises(ValueError, match="2 inputs and 1 output, got 3 inputs"):
        plot.decision_boundary(nn.MLP(3, [1]), [[0.0, 1.0]], [1.0])
    with pytest.raises(ValueError, match="non-empty list of 2-D points"):
        plot.decision_boundary(model, [[0.0, 1.0, 2.0]], [1.0])
    with pytest.raises(ValueError, match="2 points but 1 targets"):
        plot.decision_boundary(model, [[0.0, 1.0], [1.0, 0.0]], [1.0])


def test_without_matplotlib_the_error_names_the_plot_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # the import now fails
    with pytest.raises(ImportError, match=r"pip install 'autograd-mini\[plot\]'") as error:
        plot.loss([1.0, 0.5])
    assert error.value.name == "matplotlib"


def test_plots_leave_pyplot_and_its_backend_alone(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from autograd_mini import plot\n"
        f"plot.loss([1.0, 0.5], path={str(tmp_path / 'loss.png')!r})\n"
        "print('matplotlib.pyplot' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "False\n"  # no pyplot: no backend chosen, no figure kept open


def test_a_fit_history_plots_itself_through_plot_loss(tmp_path: Path) -> None:
    from autograd_mini import train

    X, y = datasets.xor()
    history = train.fit(nn.MLP(2, [3, 1], seed=0), X, y, epochs=3, progress=False)
    figure = history.plot(title="xor", path=tmp_path / "loss.png")
    (line,) = figure.axes[0].get_lines()
    assert list(line.get_ydata()) == list(history)
    assert figure.axes[0].get_title() == "xor"
    assert (tmp_path / "loss.png").read_bytes().startswith(b"\x89PNG")
