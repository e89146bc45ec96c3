"""Build-time helpers for the documentation site (not part of the library).

- Runnable examples: `fenced_blocks` finds the fenced code blocks of a Markdown page and
  `run_block` runs a ```python block (as a doctest when it has ``>>>`` prompts, else as a
  script) or a ```console block of ``$ autograd-mini ...`` commands (each run as
  ``python -m autograd_mini ...``, its output compared with the lines below it).
  ``tests/test_docs.py`` runs every page with them.
- Figures: for the pages in `FIGURE_PAGES`, the MkDocs hook `on_files` runs the page's
  Python blocks in a temporary directory during the build and publishes every ``.svg``
  and ``.html`` (an explorer) they write next to the page's Markdown source, so the
  pictures always come from the code shown beside them and are never checked in.
- Benchmarks: `on_page_markdown` replaces the marker `BENCHMARK_MARKER` with the header
  and the key-numbers tables of ``benchmarks/results.md`` (what ``make bench`` writes),
  so the performance page always shows the committed results.
- `DoctestFences`, a griffe extension: docstrings open with bare ``>>>`` examples (they
  run under ``pytest --doctest-modules``); Markdown would read ``>>>`` as nested quotes,
  so each example run is wrapped in a ``pycon`` fence before mkdocstrings renders it.
"""

from __future__ import annotations

import doctest
import os
import re
import shlex
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import griffe
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

FIGURE_PAGES = ("getting-started.md", "rendering.md", "explorer.md", "coming-from-micrograd.md")
"""Pages whose Python blocks run at build time to draw the SVGs (and explorers) they show."""
FIGURE_SUFFIXES = (".svg", ".html")

BENCHMARK_RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results.md"
BENCHMARK_MARKER = "<!-- benchmark results -->"
"""Where a page shows the summary of `BENCHMARK_RESULTS`."""

DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
RUNNABLE = ("python", "py", "console")
COMMAND = "autograd-mini"
"""The one program a ```console block may run; other shell examples are ```sh."""
_ROOT = Path(__file__).resolve().parent.parent  # the repository (this file is docs/hooks.py)
_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*(?P<info>[^\s`]*)")


class DocExampleError(AssertionError):
    """A documentation example printed something other than what the page shows."""


@dataclass(frozen=True)
class Block:
    """One fenced code block: where it is, its language tag and its (dedented) code."""

    path: Path
    line: int  # 1-based line of the first line of code (just after the opening fence)
    language: str
    code: str

    @property
    def where(self) -> str:
        """``file:line``, relative to the repository when the file is in it."""
        path = self.path.resolve()
        shown = path.relative_to(_ROOT) if path.is_relative_to(_ROOT) else path
        return f"{shown}:{self.line}"

    @property
    def runnable(self) -> bool:
        return self.language in RUNNABLE


def fenced_blocks(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file, dedented, with their language tags."""
    blocks: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
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


def run_block(block: Block, namespace: dict[str, Any]) -> None:
    """Run one runnable block (```python in ``namespace``, or ```console); output that
    differs from what the page shows raises DocExampleError."""
    if block.language == "console":
        _run_console(block)
    elif re.search(r"^\s*>>>", block.code, flags=re.MULTILINE):
        _run_doctest(block, namespace)
    else:
        # Pad with blank lines so tracebacks point at the Markdown file's own lines.
        source = "\n" * (block.line - 1) + block.code
        exec(compile(source, str(block.path), "exec"), namespace)  # our own docs' code


def _run_doctest(block: Block, namespace: dict[str, Any]) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block.code, namespace, block.where, str(block.path), block.line - 1)
    runner = doctest.DocTestRunner(optionflags=DOCTEST_FLAGS)
    report: list[str] = []
    runner.run(test, out=report.append, clear_globs=False)
    namespace.update(test.globs)  # the doctest ran on a copy; later blocks see its names
    if runner.failures:
        raise DocExampleError(f"doctest in {block.where} failed:\n" + "".join(report))


def console_commands(block: Block) -> list[tuple[int, list[str], str]]:
    """Each ``$ autograd-mini ...`` line of a console block: (line, arguments, expected output)."""
    commands: list[tuple[int, list[str], str]] = []
    for offset, line in enumerate(block.code.splitlines()):
        if line.startswith("$ "):
            words = shlex.split(line[2:])
            if not words or words[0] != COMMAND:
                raise ValueError(
                    f"{block.path}:{block.line + offset}: a console block runs only "
                    f"{COMMAND}; mark other shell examples as ```sh"
                )
            commands.append((block.line + offset, words[1:], ""))
        elif commands:
            number, words, expected = commands[-1]
            commands[-1] = (number, words, expected + line + "\n")
        elif line.strip():
            raise ValueError(f"{block.path}:{block.line + offset}: output before any $ command")
    return commands


def _run_console(block: Block) -> None:
    checker = doctest.OutputChecker()
    for line, arguments, expected in console_commands(block):
        result = subprocess.run(
            [sys.executable, "-m", "autograd_mini", *arguments],
            capture_output=True,
            text=True,
            timeout=600,
        )
        shown = f"{block.path}:{line}: $ {shlex.join([COMMAND, *arguments])}"
        if result.returncode != 0:
            raise DocExampleError(
                f"{shown}\nexited with {result.returncode}:\n{result.stdout}{result.stderr}"
            )
        if not checker.check_output(expected, result.stdout, DOCTEST_FLAGS):
            raise DocExampleError(f"{shown}\nexpected:\n{expected}got:\n{result.stdout}")


def draw_figures(page: Path) -> dict[str, bytes]:
    """Run the page's Python blocks in a fresh directory; return the figures they wrote."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    previous = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="autograd-mini-docs-") as directory:
        os.chdir(directory)
        try:
            for block in fenced_blocks(page):
                if block.runnable:
                    run_block(block, namespace)
        finally:
            os.chdir(previous)
        written = sorted(Path(directory).iterdir())
        return {f.name: f.read_bytes() for f in written if f.suffix in FIGURE_SUFFIXES}


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """MkDocs hook: add the figures of `FIGURE_PAGES` to the site, beside their pages."""
    docs_dir = Path(config.docs_dir)
    for name in FIGURE_PAGES:
        page = docs_dir / name
        try:
            figures = draw_figures(page)
        except Exception as error:
            raise PluginError(f"drawing the figures of {name} failed: {error!r}") from error
        if not figures:
            raise PluginError(f"{name} is listed in FIGURE_PAGES but its code wrote no figure")
        folder = Path(name).parent
        for filename, content in figures.items():
            uri = (folder / filename).as_posix()
            if files.get_file_from_path(uri) is not None:
                raise PluginError(f"{uri} is drawn by {name}; remove the checked-in copy")
            files.append(File.generated(config, uri, content=content))
    return files


def benchmark_summary(results: str) -> str:
    """The preamble (command, date, machine) and the "Key numbers" section of a results
    file written by ``benchmarks/run.py``, without their headings."""
    lines = results.splitlines()
    sections: dict[str, list[str]] = {}
    current = "preamble"
    for line in lines:
        if line.startswith("## "):
            current = line[3:].strip()
        elif not line.startswith("# "):
            sections.setdefault(current, []).append(line)
    if "Key numbers" not in sections:
        raise ValueError('the benchmark results have no "## Key numbers" section')
    return "\n".join([*sections.get("preamble", []), "", *sections["Key numbers"]]).strip()


def on_page_markdown(markdown: str, page: Page, **kwargs: Any) -> str:
    """MkDocs hook: put the benchmark summary where a page has `BENCHMARK_MARKER`."""
    if BENCHMARK_MARKER not in markdown:
        return markdown
    try:
        summary = benchmark_summary(BENCHMARK_RESULTS.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PluginError(f"{page.file.src_uri}: no benchmark results to show: {error}") from error
    return markdown.replace(BENCHMARK_MARKER, summary)


def fence_doctests(text: str) -> str:
    """Wrap each run of ``>>>`` lines and their output in a ```pycon fence."""
    out: list[str] = []
    in_fence = in_example = False
    for line in text.splitlines():
        stripped = line.strip()
        if in_example and not stripped:
            out.append("```")
            in_example = False
        if stripped.startswith("```"):
            in_fence = not in_fence
        elif not in_fence and not in_example and stripped.startswith(">>>"):
            out.append("```pycon")
            in_example = True
        out.append(line)
    if in_example:
        out.append("```")
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Fence the doctest examples of every docstring griffe loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(obj.docstring.value)
