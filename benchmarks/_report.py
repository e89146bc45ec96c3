"""A report that prints as it grows and is saved as Markdown at the end."""

from __future__ import annotations

from collections.abc import Sequence

from _harness import table


class Report:
    """Markdown blocks, each printed the moment it is added (long runs show progress)."""

    def __init__(self) -> None:
        self.blocks: list[str] = []
        self.findings: list[list[str]] = []  # one row per target checked, for the summary
        self.key_engine: list[list[str]] = []  # the README's table for issue 2
        self.key_batch: dict[str, dict[str, str]] = {}  # engine -> model -> cell, issue 6
        self.key_batch_floor = ""  # the engine the key_batch ratios divide by

    def add(self, text: str) -> None:
        self.blocks.append(text)
        print(text + "\n", flush=True)

    def heading(self, text: str, level: int = 2) -> None:
        self.add("#" * level + " " + text)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        self.add(table(headers, rows))

    def progress(self, text: str) -> None:
        """A line on the terminal only (not saved): what is being timed now."""
        print(f"  ... {text}", flush=True)

    def target(self, name: str, measured: str, met: bool | None) -> None:
        verdict = "n/a" if met is None else ("met" if met else "NOT met")
        self.findings.append([name, measured, verdict])

    def markdown(self) -> str:
        return "\n\n".join(self.blocks) + "\n"
