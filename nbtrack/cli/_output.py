"""Shared rendering helpers for CLI commands: rich on a terminal, plain in a pipe.

Commands call these instead of choosing between rich and print themselves, so
``nbtrack runs | grep`` and CI logs get plain, stable text. rich is imported
only when stdout is a terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

__all__ = ["echo_err", "is_tty", "print_table"]


def is_tty() -> bool:
    """True when stdout is an interactive terminal and colour is not disabled."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


def echo_err(message: str) -> None:
    """One line to stderr (warnings, progress notes)."""
    print(message, file=sys.stderr)


def print_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
) -> None:
    """A table: rich box on a terminal; aligned plain columns otherwise."""
    if is_tty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, show_lines=False, header_style="bold")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*row)
        Console().print(table)
        return
    if title:
        print(title)
    widths = [len(c) for c in columns]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = [columns, *rows]
    for line in lines:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
