"""The code diff between two runs: their stored snapshots through the cell diff engine.

For: a comparison's code section. A run's ``source.snapshot`` is jupytext
``py:percent`` text (a script's snapshot is the script itself); jupytext
reads it back into cells, the way ``nbtrack sync`` reads a paired text file,
and ``nbtrack.vcs.engine.diff_notebooks`` compares the cells like ``nbtrack
diff`` does. jupytext (and nbformat) cost about a second to import, so they
are imported only when two snapshots actually differ.
Not for: rendering (the ``render_*`` modules) or reading the store.
"""

from __future__ import annotations

import warnings
from typing import Any

from nbtrack.compare.comparison_model import CodeChange, RunHeader
from nbtrack.errors import NotebookError
from nbtrack.model import Run
from nbtrack.notebook.document import Notebook, notebook_from_dict
from nbtrack.vcs.engine import diff_notebooks

__all__ = ["code_change", "snapshot_cells"]


def code_change(
    index: int, baseline: Run, other: Run, headers: tuple[RunHeader, ...]
) -> CodeChange:
    """Run *other* (column *index*) against *baseline*, by their stored snapshots."""
    base_label = _label(headers[0], baseline)
    other_label = _label(headers[index], other)
    missing = [
        h.label
        for h, r in ((headers[0], baseline), (headers[index], other))
        if r.source.snapshot is None
    ]
    if missing:
        who = " and ".join(missing)
        return CodeChange(index, None, f"no code snapshot stored for run {who}, so no code diff")
    old_text, new_text = baseline.source.snapshot or "", other.source.snapshot or ""
    if old_text == new_text:  # the same code: no need to pay for jupytext
        old = new = snapshot_cells("", "")
    else:
        try:
            old = snapshot_cells(old_text, base_label)
            new = snapshot_cells(new_text, other_label)
        except NotebookError as exc:
            return CodeChange(index, None, str(exc))
    diff = diff_notebooks(
        old, new, path=other.notebook or other_label, old_label=base_label, new_label=other_label
    )
    return CodeChange(index, diff)


def _label(header: RunHeader, run: Run) -> str:
    """``run 3f9c2a1b: notebooks/train.ipynb``: the run and the file its code came from."""
    where = f": {run.notebook}" if run.notebook else ""
    return f"run {header.label}{where}"


def snapshot_cells(text: str, label: str) -> Notebook:
    """A ``py:percent`` snapshot as a notebook of cells (no ids: snapshots carry none).

    jupytext gives each cell a fresh random id; they are dropped so the engine
    aligns the two sides by content rather than by ids that never match.
    """
    if not text:
        return notebook_from_dict({"nbformat": 4, "metadata": {}, "cells": []})
    import jupytext

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed: Any = jupytext.reads(text, fmt="py:percent")
    except Exception as exc:  # jupytext raises many kinds for text it cannot read
        raise NotebookError(
            f"the code snapshot of {label} cannot be read as cells: {exc}"
        ) from None
    cells = [
        {
            "cell_type": cell.cell_type,
            "source": cell.source,
            "metadata": {k: v for k, v in dict(cell.metadata).items() if k != "id"},
            "outputs": [],
        }
        for cell in parsed.cells
    ]
    return notebook_from_dict({"nbformat": 4, "metadata": {}, "cells": cells})
