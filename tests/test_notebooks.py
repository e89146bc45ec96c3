"""examples/notebooks: committed without outputs, and each runs top to bottom in a fresh
kernel (nbclient), so a notebook that errors fails the tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from _notebooks import execute

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "examples" / "notebooks"
NOTEBOOKS = sorted(FOLDER.glob("*.ipynb"))


def _build_script() -> Any:
    spec = importlib.util.spec_from_file_location("notebooks_build", FOLDER / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build = _build_script()


def test_the_notebooks_are_the_three_build_py_writes() -> None:
    assert [p.name for p in NOTEBOOKS] == sorted(build.NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_a_committed_notebook_has_no_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, "no code cells"
    assert [i for i, cell in enumerate(code) if cell.outputs or cell.execution_count] == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_a_committed_notebook_is_what_build_py_writes(path: Path) -> None:
    """Edit examples/notebooks/build.py and rerun it, rather than the .ipynb file."""
    assert path.read_text(encoding="utf-8") == build.text(build.NOTEBOOKS[path.name])


def _outputs(notebook: nbformat.NotebookNode) -> list[Any]:
    return [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]


def _shows(notebook: nbformat.NotebookNode, mime: str, text: str = "") -> bool:
    return any(
        text in str(output.get("data", {}).get(mime, ""))
        for output in _outputs(notebook)
        if mime in output.get("data", {})
    )


def _check_backprop(notebook: nbformat.NotebookNode) -> None:
    assert _shows(notebook, "image/svg+xml", ">tanh<")  # the Value displayed as its graph
    assert _shows(notebook, "text/html", "am-explorer")  # the explorer, inline
    printed = "".join(o.get("text", "") for o in _outputs(notebook))
    assert "GradcheckError" not in printed and "analytic" in printed  # the caught report


def _check_training(notebook: nbformat.NotebookNode) -> None:
    widget = _shows(notebook, "application/vnd.jupyter.widget-view+json")
    text_bar = any("fit: 100%" in o.get("text", "") for o in _outputs(notebook))
    assert widget or text_bar, "fit showed no progress bar in the notebook"
    assert _shows(notebook, "text/html", "training history")  # a History's table
    assert _shows(notebook, "image/png")  # the plots


CHECKS = {
    "01-backprop-from-scratch.ipynb": _check_backprop,
    "03-training.ipynb": _check_training,
}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_a_notebook_runs_in_a_fresh_kernel(path: Path, tmp_path: Path) -> None:
    notebook = execute(path, tmp_path)
    check = CHECKS.get(path.name)
    if check is not None:
        check(notebook)
