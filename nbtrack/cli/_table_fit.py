"""Fitting the runs table to a terminal: clip names and paths, then drop columns.

For: ``nbtrack runs`` on a terminal (``cli/runs.py``). Not for: what the
table holds or how it is drawn (``_output.print_table``).
"""

from __future__ import annotations

__all__ = ["fit_width", "near"]


#: narrowest the name and notebook columns get before param/metric columns go
_SHRINK_TO = {1: 10, 3: 12}  # column index -> cells


def _clip(text: str, cells: int, *, keep_end: bool) -> str:
    """*text* cut to *cells* terminal cells with an ellipsis (a path keeps its end)."""
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= cells:
        return text
    if keep_end:
        tail = set_cell_size(text[::-1], cells - 1)[::-1].lstrip()
        return "…" + tail
    return set_cell_size(text, cells - 1).rstrip() + "…"


def near(path: str) -> str:
    """A notebook path relative to the working directory when it is under it."""
    import os

    if not os.path.isabs(path):
        return path
    try:
        relative = os.path.relpath(path)
    except (ValueError, OSError):  # another drive on Windows; a deleted working directory
        return path
    return path if relative.startswith("..") else relative


def fit_width(
    columns: list[str], rows: list[list[str]], width: int
) -> tuple[list[str], list[list[str]]]:
    """Make the table fit a terminal of *width* cells without folding a cell.

    A folded run id or status is hard to read and copy, so the name and
    notebook are clipped first (the notebook keeps its file name) and only
    when that is not enough do the last metric, then param columns go.
    """
    from rich.cells import cell_len

    def needed(cells: list[str], i: int, table: list[list[str]]) -> int:
        # rich pads each cell by one on both sides and draws one rule per column
        return max(cell_len(cells[i]), *(cell_len(row[i]) for row in table)) + 3

    for keep in range(len(columns), 5, -1):
        heads, table = columns[:keep], [row[:keep] for row in rows]
        excess = sum(needed(heads, i, table) for i in range(keep)) + 1 - width
        for index, floor in _SHRINK_TO.items():
            if excess <= 0:
                break
            before = needed(heads, index, table)
            target = max(floor, before - 3 - excess, cell_len(heads[index]))
            for row in table:
                row[index] = _clip(row[index], target, keep_end=index == 3)
            excess -= before - needed(heads, index, table)
        if excess <= 0:
            break
    return heads, table
