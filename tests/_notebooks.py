"""Run a notebook top to bottom in a fresh kernel (nbclient), as `make test` does.

Shared by the tests of micrograd's notebooks and of examples/notebooks, and by
tests/fixtures/micrograd/record_demo_steps.py. The kernel is this interpreter's, with
Jupyter's inline matplotlib backend (not interactive: figures become PNG outputs); a
failing cell raises nbclient's CellExecutionError.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(
    path: Path, cwd: Path, replace: dict[str, str] | None = None, timeout: int = 600
) -> nbformat.NotebookNode:
    """The notebook at ``path`` after running every cell in ``cwd``, with each
    ``old -> new`` of ``replace`` applied to the code cells first (import lines)."""
    notebook = nbformat.read(path, as_version=4)
    assert isinstance(notebook, nbformat.NotebookNode)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            for old, new in (replace or {}).items():
                cell.source = cell.source.replace(old, new)
    env = {
        **os.environ,
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    client = NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": cwd}}
    )
    client.execute(env=env)
    return notebook


def stdout(notebook: nbformat.NotebookNode) -> str:
    """Everything the notebook's cells printed to standard output, in order."""
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stdout"
    )
