"""Every ```python block in README.md and docs/**/*.md runs here, so examples cannot rot.

The blocks of one page run in order in one namespace, like the cells of a notebook; each
page starts from an empty namespace in its own temporary working directory. A block with
``>>>`` prompts runs as a doctest (ELLIPSIS and NORMALIZE_WHITESPACE on); any other
```python block runs as a script. Blocks not meant to run carry another language tag
(```sh, ```text). Each test is named after its file and the line its block starts on.
The parsing and running live in docs/hooks.py, which the docs build uses too.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_hooks() -> Any:
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


hooks = _load_hooks()
Block = hooks.Block


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


ALL_BLOCKS = [block for path in markdown_files() for block in hooks.fenced_blocks(path)]
PYTHON_BLOCKS = [block for block in ALL_BLOCKS if block.runnable]
NEEDS = re.compile(r"^\s*<!-- needs: (?P<names>[\w., ]+) -->\s*$")


def needs(block: Any) -> list[str]:
    """The modules a block needs, from a ``<!-- needs: torch -->`` line just above its fence:
    without them the block is skipped (so later blocks of its page must not rely on it)."""
    lines = block.path.read_text(encoding="utf-8").splitlines()
    above = lines[block.line - 3] if block.line >= 3 else ""  # block.line is 1-based code
    match = NEEDS.match(above)
    return [name.strip() for name in match["names"].split(",")] if match else []


SKIPPED = [b for b in PYTHON_BLOCKS if any(importlib.util.find_spec(n) is None for n in needs(b))]


def where(block: Any) -> str:
    return str(block.where)


@dataclass
class PageRun:
    """The state of one page's run: its namespace, working directory and progress."""

    namespace: dict[str, Any]
    cwd: Path
    done: int = 0  # how many of the page's blocks have run
    failed: str = ""  # where the first failing block is, if any


PAGE_RUNS: dict[Path, PageRun] = {}


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=[where(b) for b in PYTHON_BLOCKS])
def test_python_block_runs(
    block: Any, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = [name for name in needs(block) if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"{where(block)} needs {', '.join(missing)}, which is not installed")
    page_blocks = [b for b in PYTHON_BLOCKS if b.path == block.path and b not in SKIPPED]
    index = page_blocks.index(block)
    if block.path not in PAGE_RUNS:
        PAGE_RUNS[block.path] = PageRun({"__name__": "__main__"}, tmp_path_factory.mktemp("doc"))
    page = PAGE_RUNS[block.path]
    if page.failed:
        pytest.fail(f"{where(block)} not run: {page.failed} on the same page failed", False)
    monkeypatch.chdir(page.cwd)
    for current in page_blocks[page.done : index + 1]:  # earlier blocks too, if deselected
        page.failed = where(current)  # until it has run through
        try:
            hooks.run_block(current, page.namespace)
        except hooks.DocExampleError as error:
            mismatch = str(error)
        else:
            mismatch = ""
        if mismatch:
            pytest.fail(mismatch, pytrace=False)
        page.failed = ""
        page.done += 1


def test_a_needs_line_above_the_fence_names_the_modules(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- needs: torch, safetensors.torch -->\n```python\nx = 1\n```\n\n```python\n```\n"
    )
    first, second = hooks.fenced_blocks(page)
    assert (needs(first), needs(second)) == (["torch", "safetensors.torch"], [])


def test_every_fence_names_its_language() -> None:
    """A bare ``` fence would be skipped silently; say ```text (or similar) instead."""
    unnamed = [where(block) for block in ALL_BLOCKS if not block.language]
    assert unnamed == []


def test_the_docs_have_python_examples() -> None:
    """The collector finds examples in the README and in the docs (guards the fence regex)."""
    readme = [b for b in PYTHON_BLOCKS if b.path.name == "README.md"]
    assert readme, "no ```python block found in README.md"
    assert len(PYTHON_BLOCKS) > 20


def test_fenced_blocks_reads_language_line_and_indent(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# T\n\n```python\nx = 1\n```\n\n!!! note\n    ```sh\n    ls\n    ```\n")
    blocks = hooks.fenced_blocks(page)
    assert [(b.language, b.line, b.code) for b in blocks] == [
        ("python", 4, "x = 1\n"),
        ("sh", 9, "ls\n"),
    ]


def test_fenced_blocks_rejects_an_unclosed_fence(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("```python\nx = 1\n")
    with pytest.raises(ValueError, match="never closed"):
        hooks.fenced_blocks(page)


def test_a_failing_doctest_names_file_and_line() -> None:
    block = Block(ROOT / "docs" / "x.md", 7, "python", ">>> 1 + 1\n3\n")
    with pytest.raises(hooks.DocExampleError, match=r"docs/x\.md:7"):
        hooks.run_block(block, {})


def test_blocks_share_the_namespace_of_their_page() -> None:
    namespace: dict[str, Any] = {}
    hooks.run_block(Block(ROOT / "x.md", 2, "python", "x = 20\n"), namespace)
    hooks.run_block(Block(ROOT / "x.md", 6, "python", ">>> y = x + 1\n"), namespace)
    hooks.run_block(Block(ROOT / "x.md", 9, "python", ">>> x + y\n41\n"), namespace)


def test_a_failing_script_points_at_its_markdown_line() -> None:
    block = Block(ROOT / "docs" / "x.md", 7, "python", "x = 1\nraise RuntimeError(x)\n")
    with pytest.raises(RuntimeError) as info:
        hooks.run_block(block, {})
    assert info.traceback[-1].lineno + 1 == 8  # pytest's line numbers start at 0


def test_docstring_examples_are_fenced_for_markdown() -> None:
    text = "Adds.\n\n>>> 1 + 1\n2\n\n```python\n>>> kept\n```\n>>> last()"
    assert hooks.fence_doctests(text) == (
        "Adds.\n\n```pycon\n>>> 1 + 1\n2\n```\n\n```python\n>>> kept\n```\n"
        "```pycon\n>>> last()\n```"
    )


def test_figures_come_from_the_page_code(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        '```python\nfrom pathlib import Path\nPath("a.svg").write_text("<svg/>")\n'
        'Path("b.html").write_text("<p>")\nPath("c.txt").write_text("")\n```\n'
    )
    assert hooks.draw_figures(page) == {"a.svg": b"<svg/>", "b.html": b"<p>"}


def test_no_figure_is_checked_in() -> None:
    """The SVGs on the site are drawn at build time by docs/hooks.py, never committed."""
    tracked = subprocess.run(
        ["git", "ls-files", "docs"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert [name for name in tracked if name.endswith((".svg", ".png"))] == []


def test_every_public_module_has_a_reference_page() -> None:
    modules = sorted(
        p.stem for p in (ROOT / "autograd_mini").glob("*.py") if not p.stem.startswith("_")
    )
    pages = {p.stem for p in (ROOT / "docs" / "reference").glob("*.md")}
    assert [m for m in modules if m not in pages] == []


def test_console_blocks_split_commands_and_output() -> None:
    code = "$ autograd-mini grad 'x*x' --at x=3\nf(x=3) = 9\n...\n$ autograd-mini --version\n"
    block = Block(ROOT / "x.md", 5, "console", code)
    assert hooks.console_commands(block) == [
        (5, ["grad", "x*x", "--at", "x=3"], "f(x=3) = 9\n...\n"),
        (8, ["--version"], ""),
    ]


def test_console_blocks_run_only_the_autograd_mini_command() -> None:
    block = Block(ROOT / "x.md", 5, "console", "$ rm -rf /tmp/x\n")
    with pytest.raises(ValueError, match="runs only autograd-mini"):
        hooks.console_commands(block)


def test_a_console_mismatch_names_file_and_line(tmp_path: Path) -> None:
    block = Block(ROOT / "x.md", 3, "console", "$ autograd-mini grad 'x*x' --at x=3\nwrong\n")
    with pytest.raises(hooks.DocExampleError, match=r"x\.md:3: \$ autograd-mini grad"):
        hooks.run_block(block, {})


SEEDS = ROOT.parent / "shared" / "seeds"  # the source documents, beside the checkout
RUN = 8  # words in a row that would count as copying


def _word_runs(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {tuple(words[i : i + RUN]) for i in range(len(words) - RUN + 1)}


def test_no_sentence_is_copied_from_the_source_documents() -> None:
    """The docs and notebooks credit the source documents and quote only their titles
    (in **"..."**)."""
    sources = sorted(SEEDS.glob("*.txt"))
    if not sources:
        pytest.skip(f"the source documents are not at {SEEDS}")
    seed_runs = set().union(*(_word_runs(p.read_text(encoding="utf-8")) for p in sources))
    copied = {}
    for page, text in [*((p, p.read_text(encoding="utf-8")) for p in markdown_files()),
                       *notebook_texts()]:  # fmt: skip
        text = re.sub(r'\*\*"[^"]*"\*\*', " ", text)
        shared = _word_runs(text) & seed_runs
        if shared:
            copied[str(page.relative_to(ROOT))] = sorted(" ".join(run) for run in shared)[:3]
    assert copied == {}


def notebook_texts() -> list[tuple[Path, str]]:
    """Each notebook in examples/notebooks with the text of all its cells."""
    texts = []
    for path in sorted((ROOT / "examples" / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        texts.append((path, "\n".join("".join(cell["source"]) for cell in cells)))
    return texts


def test_the_copy_check_reads_the_notebooks() -> None:
    texts = dict(notebook_texts())
    assert len(texts) == 3 and all("autograd_mini" in text for text in texts.values())


def test_benchmark_summary_keeps_the_preamble_and_the_key_numbers() -> None:
    results = (
        "# Benchmarks\n\nGenerated by `run.py`.\n\n- CPU: x\n\n## Details\n\n| a |\n\n"
        "## Key numbers\n\n| key | numbers |\n\n## Targets\n\n| t |\n"
    )
    assert hooks.benchmark_summary(results) == (
        "Generated by `run.py`.\n\n- CPU: x\n\n\n\n| key | numbers |"
    )
    with pytest.raises(ValueError, match="Key numbers"):
        hooks.benchmark_summary("# Benchmarks\n\n## Details\n")
