"""Shared rendering helpers for CLI commands: rich on a terminal, plain in a pipe.

Commands call these instead of choosing between rich and print themselves, so
``nbtrack runs | grep`` and CI logs get plain, stable text. Every header, cell
and line they print goes through :func:`nbtrack.printable.printable`, so text
a run or a notebook carries cannot act on the terminal. rich is imported only
when stdout is a terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from nbtrack.printable import display_width, printable

__all__ = ["display_width", "echo_err", "fit_width", "is_tty", "print_table"]


def is_tty() -> bool:
    """True when stdout is an interactive terminal and colour is not disabled."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


def echo_err(message: str) -> None:
    """One line to stderr (warnings, progress notes).

    What the message quotes (an exception's text, a file name) stays on this
    line: a line break in it is shown as ``\\n``, so it cannot start a line of
    its own in a CI log.
    """
    print(printable(message, tabs=True), file=sys.stderr)


def print_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
) -> None:
    """A table: rich box on a terminal; aligned plain columns otherwise.

    Every header and cell is shown on one line, its control characters escaped.
    """
    columns = [printable(c) for c in columns]
    rows = [[printable(cell) for cell in row] for row in rows]
    title = printable(title) if title else title
    if is_tty():
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        table = Table(title=title, show_lines=False, header_style="bold")
        for column in columns:
            table.add_column(Text(column), overflow="fold")
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))
        Console().print(table)
        return
    if title:
        print(title)
    widths = [display_width(c) for c in columns]
    for row in rows:
        widths = [max(w, display_width(cell)) for w, cell in zip(widths, row, strict=True)]
    lines = [columns, *rows]
    for line in lines:
        padded = (
            cell + " " * (w - display_width(cell)) for cell, w in zip(line, widths, strict=True)
        )
        print("  ".join(padded).rstrip())


def _clip(text: str, cells: int, *, keep_end: bool) -> str:
    """*text* cut to *cells* terminal cells with an ellipsis (a path keeps its end)."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= cells:
        return text
    if keep_end:
        tail = set_cell_size(text[::-1], cells - 1)[::-1].lstrip()
        return "…" + tail
    return set_cell_size(text, cells - 1).rstrip() + "…"


def fit_width(
    columns: list[str],
    rows: list[list[str]],
    width: int,
    shrink: dict[int, int],
    *,
    keep_end: int | None = None,
    fixed: int = 6,
) -> tuple[list[str], list[list[str]]]:
    """Make a rich table fit a terminal of *width* cells without folding a cell.

    A folded run id or status is hard to read and copy, so the columns of
    *shrink* (index -> narrowest cells) are clipped first (column *keep_end*,
    a path, keeps its end) and only when that is not enough do the last
    columns go, one by one, down to the first *fixed*.
    """
    from rich.cells import cell_len

    def needed(cells: list[str], i: int, table: list[list[str]]) -> int:
        # rich pads each cell by one on both sides and draws one rule per column
        return max(cell_len(cells[i]), *(cell_len(row[i]) for row in table)) + 3

    heads, table = columns, rows
    for keep in range(len(columns), fixed - 1, -1):
        heads, table = columns[:keep], [row[:keep] for row in rows]
        excess = sum(needed(heads, i, table) for i in range(keep)) + 1 - width
        for index, floor in shrink.items():
            if excess <= 0:
                break
            before = needed(heads, index, table)
            target = max(floor, before - 3 - excess, cell_len(heads[index]))
            for row in table:
                row[index] = _clip(row[index], target, keep_end=index == keep_end)
            excess -= before - needed(heads, index, table)
        if excess <= 0:
            break
    return heads, table
