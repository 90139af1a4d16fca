"""Which of the user's cells stopped a notebook papermill ran, as a :class:`CellFailure`.

Papermill numbers cells in the notebook it ran, the one with the injected
parameters cell; :func:`~nbtrack.notebook.params.cell_origin` maps them back
to the file the user wrote, as smoke does.

Not for: running the notebook (:mod:`nbtrack.execute.engine`) or saying the
failure (``nbtrack.cli.run`` prints :meth:`CellFailure.describe`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from nbtrack.notebook.failure import CellFailure, first_code_line

__all__ = ["cell_failure", "error_line", "stopped_cell"]


def cell_failure(
    index: int,
    execution_count: int | None,
    source: str,
    ename: str,
    evalue: str,
    origin: Sequence[int | None],
    *,
    raised: bool = True,
) -> CellFailure:
    """The failure of the executed notebook's cell *index*, numbered through *origin*."""
    return CellFailure(
        cell=origin[index] if 0 <= index < len(origin) else index,
        execution_count=execution_count,
        line=None,
        excerpt=(),
        ename=ename,
        evalue=evalue,
        first_line=first_code_line(source),
        raised=raised,
    )


def stopped_cell(
    executed: Path, exc: BaseException, origin: Sequence[int | None]
) -> CellFailure | None:
    """The cell running when execution stopped from outside, from papermill's saves."""
    try:
        cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    started = [
        (i, c)
        for i, c in enumerate(cells)
        if isinstance(c, dict) and (c.get("metadata", {}).get("papermill") or {}).get("start_time")
    ]
    if not started:
        return None
    index, cell = started[-1]
    source = cell.get("source", "")
    return cell_failure(
        index,
        cell.get("execution_count"),
        "".join(source) if isinstance(source, list) else str(source),
        type(exc).__name__,
        error_line(exc),
        origin,
        raised=False,
    )


def error_line(exc: BaseException) -> str:
    """The first line of *exc*'s message that says something (not blank, not ``----``)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip().strip("-")]
    return lines[0] if lines else ""
