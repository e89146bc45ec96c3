"""Every ```python block in README.md and docs/**/*.md runs here, so examples cannot rot.

The blocks of one page run in order in one namespace, like the cells of a notebook; each
page starts from an empty namespace in its own temporary working directory. A block with
``>>>`` prompts runs as a doctest (ELLIPSIS and NORMALIZE_WHITESPACE on); any other
```python block runs as a script. Blocks not meant to run carry another language tag
(```sh, ```text). Each test is named after its file and the line its block starts on.
"""

from __future__ import annotations

import doctest
import importlib.util
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*(?P<info>[^\s`]*)")
DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # 1-based line of the first line of code (just after the opening fence)
    language: str
    code: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def fenced_blocks(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file, dedented, with their languages."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        i += 1
        if opening is None:
            continue
        fence = opening["fence"]
        start = i
        while i < len(lines) and not lines[i].strip().startswith(fence):
            i += 1
        if i == len(lines):
            raise ValueError(f"{path}:{start}: code fence {fence!r} is never closed")
        code = textwrap.dedent("\n".join(lines[start:i])) + "\n"
        blocks.append(Block(path, start + 1, opening["info"].lower(), code))
        i += 1
    return blocks


def markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


ALL_BLOCKS = [block for path in markdown_files() for block in fenced_blocks(path)]
PYTHON_BLOCKS = [block for block in ALL_BLOCKS if block.language in ("python", "py")]


def run_doctest(block: Block, namespace: dict[str, Any]) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block.code, namespace, block.where, str(block.path), block.line - 1)
    runner = doctest.DocTestRunner(optionflags=DOCTEST_FLAGS)
    report: list[str] = []
    runner.run(test, out=report.append, clear_globs=False)
    namespace.update(test.globs)  # the doctest ran on a copy; later blocks see its names
    if runner.failures:
        pytest.fail(f"doctest in {block.where} failed:\n" + "".join(report), pytrace=False)


def run_script(block: Block, namespace: dict[str, Any]) -> None:
    # Pad with blank lines so tracebacks point at the Markdown file's own line numbers.
    source = "\n" * (block.line - 1) + block.code
    exec(compile(source, str(block.path), "exec"), namespace)  # our own docs' code


def run_block(block: Block, namespace: dict[str, Any]) -> None:
    if re.search(r"^\s*>>>", block.code, flags=re.MULTILINE):
        run_doctest(block, namespace)
    else:
        run_script(block, namespace)


@dataclass
class PageRun:
    """The state of one page's run: its namespace, working directory and progress."""

    namespace: dict[str, Any]
    cwd: Path
    done: int = 0  # how many of the page's blocks have run
    failed: str = ""  # where the first failing block is, if any


PAGE_RUNS: dict[Path, PageRun] = {}


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=[b.where for b in PYTHON_BLOCKS])
def test_python_block_runs(
    block: Block, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    page_blocks = [b for b in PYTHON_BLOCKS if b.path == block.path]
    index = page_blocks.index(block)
    if block.path not in PAGE_RUNS:
        PAGE_RUNS[block.path] = PageRun({"__name__": "__main__"}, tmp_path_factory.mktemp("doc"))
    page = PAGE_RUNS[block.path]
    if page.failed:
        pytest.fail(f"{block.where} not run: {page.failed} on the same page failed", False)
    monkeypatch.chdir(page.cwd)
    for current in page_blocks[page.done : index + 1]:  # earlier blocks too, if deselected
        try:
            run_block(current, page.namespace)
        except BaseException:
            page.failed = current.where
            raise
        page.done += 1


def test_every_fence_names_its_language() -> None:
    """A bare ``` fence would be skipped silently; say ```text (or similar) instead."""
    unnamed = [block.where for block in ALL_BLOCKS if not block.language]
    assert unnamed == []


def test_the_docs_have_python_examples() -> None:
    """The collector finds the README's examples (guards against a broken fence regex)."""
    readme = [b for b in PYTHON_BLOCKS if b.path.name == "README.md"]
    assert readme, "no ```python block found in README.md"


def test_fenced_blocks_reads_language_line_and_indent(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# T\n\n```python\nx = 1\n```\n\n!!! note\n    ```sh\n    ls\n    ```\n")
    blocks = fenced_blocks(page)
    assert [(b.language, b.line, b.code) for b in blocks] == [
        ("python", 4, "x = 1\n"),
        ("sh", 9, "ls\n"),
    ]


def test_fenced_blocks_rejects_an_unclosed_fence(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("```python\nx = 1\n")
    with pytest.raises(ValueError, match="never closed"):
        fenced_blocks(page)


def test_a_failing_doctest_names_file_and_line() -> None:
    block = Block(ROOT / "docs" / "x.md", 7, "python", ">>> 1 + 1\n3\n")
    with pytest.raises(pytest.fail.Exception, match=r"docs/x\.md:7"):
        run_block(block, {})


def test_blocks_share_the_namespace_of_their_page() -> None:
    namespace: dict[str, Any] = {}
    run_block(Block(ROOT / "x.md", 2, "python", "x = 20\n"), namespace)
    run_block(Block(ROOT / "x.md", 6, "python", ">>> y = x + 1\n"), namespace)
    run_block(Block(ROOT / "x.md", 9, "python", ">>> x + y\n41\n"), namespace)


def test_a_failing_script_points_at_its_markdown_line() -> None:
    block = Block(ROOT / "docs" / "x.md", 7, "python", "x = 1\nraise RuntimeError(x)\n")
    with pytest.raises(RuntimeError) as info:
        run_block(block, {})
    assert info.traceback[-1].lineno + 1 == 8  # pytest's line numbers start at 0


def load_hooks() -> Any:
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docstring_examples_are_fenced_for_markdown() -> None:
    fence = load_hooks().fence_doctests
    text = "Adds.\n\n>>> 1 + 1\n2\n\n```python\n>>> kept\n```\n>>> last()"
    assert fence(text) == (
        "Adds.\n\n```pycon\n>>> 1 + 1\n2\n```\n\n```python\n>>> kept\n```\n"
        "```pycon\n>>> last()\n```"
    )
