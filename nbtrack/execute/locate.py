"""Which of the user's cells stopped a notebook ``nbtrack run`` ran, as a :class:`CellFailure`.

Or, for a notebook that ended itself cleanly before its last cell
(``sys.exit(0)``, ``raise SystemExit``, ``exit()``), an :class:`EarlyExit`
naming that cell and the cells that never ran.

The engine numbers cells in the notebook it ran, the one with the injected
parameters cell; :func:`~nbtrack.notebook.params.cell_origin` maps them back
to the file the user wrote, as smoke does.

Not for: running the notebook (:mod:`nbtrack.execute.engine`) or saying the
failure (``nbtrack.cli.run`` prints :meth:`CellFailure.describe`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nbtrack.notebook.failure import CellFailure, cell_list, first_code_line

__all__ = ["EarlyExit", "cell_failure", "clean_exit", "early_exit", "error_line", "stopped_cell"]


@dataclass(frozen=True)
class EarlyExit:
    """A notebook that ended itself cleanly before its last cell.

    Cells are the user's, 0-based (``cell`` None: the injected parameters cell).
    """

    cell: int | None
    execution_count: int | None
    #: how: ``SystemExit: 0``, ``SystemExit``, ``exit()``
    how: str
    not_run: tuple[int, ...]

    def describe(self) -> str:
        """``cell 3 (In [2]) ended the notebook with SystemExit: 0; cells 4, 5 never ran``."""
        where = "the injected parameters cell"
        if self.cell is not None:
            where = f"cell {self.cell + 1}"
            if self.execution_count is not None:
                where += f" (In [{self.execution_count}])"
        never = cell_list([cell + 1 for cell in self.not_run])
        return f"{where} ended the notebook with {self.how}; {never} never ran"


def clean_exit(ename: str, evalue: str) -> str | None:
    """How an error a kernel reported ended the notebook cleanly, or None when it did not.

    ``SystemExit`` with code 0 or None: papermill passes those (``None`` only
    when it reads ``""``), nbclient fails them, a script exits with status 0.
    """
    evalue = evalue.strip()
    if ename != "SystemExit" or evalue not in ("", "0", "None"):
        return None
    return f"SystemExit: {evalue}" if evalue else "SystemExit"


def early_exit(
    cells: Sequence[Any], origin: Sequence[int | None], end: int | None, how: str
) -> EarlyExit | None:
    """The clean early end at executed cell *end*, or None (it ran to its last cell).

    *cells* are the executed notebook's; *how* says how the cell ended it.
    """
    if end is None:
        return None
    not_run = tuple(
        where
        for i, cell in enumerate(cells)
        if i > end and cell.get("cell_type") == "code" and _text(cell.get("source", "")).strip()
        if (where := origin[i] if i < len(origin) else i) is not None
    )
    if not not_run:
        return None
    user = origin[end] if end < len(origin) else end
    return EarlyExit(user, cells[end].get("execution_count"), how, not_run)


def _text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


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
    cells: Sequence[Any], index: int | None, exc: BaseException, origin: Sequence[int | None]
) -> CellFailure | None:
    """The executed cell *index*, running when execution was stopped from outside by *exc*."""
    if index is None or not 0 <= index < len(cells):
        return None
    cell = cells[index]
    return cell_failure(
        index,
        cell.get("execution_count"),
        _text(cell.get("source", "")),
        type(exc).__name__,
        error_line(exc),
        origin,
        raised=False,
    )


def error_line(exc: BaseException) -> str:
    """The first line of *exc*'s message that says something (not blank, not ``----``)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip().strip("-")]
    return lines[0] if lines else ""
