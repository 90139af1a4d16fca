"""Secrets in a notebook's code: the kernel runs the real text, every file keeps it redacted.

``nbtrack run -p api_token=X`` injects ``api_token = 'X'``; a notebook may
say ``db_password = 'hunter2'`` itself. The kernel must run that, but the
executed notebook (written by :mod:`nbtrack.execute.client` as it goes, kept with ``-o`` and
stored as the run's artifact) is a record of the run like the store, so its
code holds ``'***'`` where the run's source snapshot does
(:func:`nbtrack.redact.redact_code`).

For: :class:`RedactedCells`, made from the notebook to run. Its
:attr:`~RedactedCells.shown` notebook is what the client runs and saves; its
:meth:`~RedactedCells.hooks` (nbclient's ``on_cell_execute`` and
``on_cell_complete``) put a cell's real text in only while it is sent to the
kernel: nbclient saves nothing between the two. Should the run stop in
between, :meth:`~RedactedCells.scrub` redacts the file afterwards.

Not for: injecting (:func:`nbtrack.notebook.params.inject_parameters`) or
running the notebook (:mod:`nbtrack.execute.engine`).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from nbtrack.notebook.document import Notebook
from nbtrack.redact import redact_code

__all__ = ["RedactedCells"]


class RedactedCells:
    """The code cells of *nb* with their secrets redacted in :attr:`shown`."""

    def __init__(self, nb: Notebook, *, redact: bool = True) -> None:
        #: cell index -> (real text, redacted text), for cells that hold a secret
        self.cells: dict[int, tuple[str, str]] = {}
        for index, cell in enumerate(nb.cells if redact else ()):
            if cell.cell_type == "code":
                redacted = redact_code(cell.source)
                if redacted != cell.source:
                    self.cells[index] = (cell.source, redacted)
        self.shown = nb
        if self.cells:
            self.shown = nb.with_cells(
                [
                    replace(cell, source=self.cells[i][1]) if i in self.cells else cell
                    for i, cell in enumerate(nb.cells)
                ]
            )
        #: the index of the cell whose real text is in the notebook (being sent)
        self.live: int | None = None

    def hooks(self) -> dict[str, Any]:
        """nbclient hooks: the real text goes to the kernel, the notebook keeps the redacted one."""
        if not self.cells:
            return {}
        return {"on_cell_execute": self._send_real, "on_cell_complete": self._hide}

    def _send_real(self, cell: Any, cell_index: int, **_: Any) -> None:
        real, redacted = self.cells.get(cell_index, ("", None))
        source = cell.get("source")
        if (source if isinstance(source, str) else "".join(source or ())) == redacted:
            cell["source"] = real
            self.live = cell_index

    def _hide(self, cell: Any, cell_index: int, **_: Any) -> None:
        if self.live is not None:
            cell["source"] = self.cells[self.live][1]
            self.live = None

    def scrub(self, executed: Path) -> None:
        """Redact the cell in *executed* whose real text was out when the run stopped."""
        if self.live is None or not executed.is_file():
            return
        data = json.loads(executed.read_text(encoding="utf-8"))
        cells = data.get("cells", [])
        if self.live < len(cells):
            cells[self.live]["source"] = self.cells[self.live][1].splitlines(keepends=True)
        executed.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        self.live = None
