"""The values a notebook diff is made of, shared by the engine and every renderer.

Frozen dataclasses only: the engine (``engine.py``) builds them, renderers
(``render_*.py``) read them, and ``to_jsonable`` turns them into the JSON
format's plain data. Nothing here reads files, talks to git or prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "CellDiff",
    "CellStatus",
    "DiffOptions",
    "DiffResult",
    "MetadataChange",
    "NotebookDiff",
    "NotebookStatus",
    "OutputChange",
    "to_jsonable",
]

CellStatus = Literal["added", "deleted", "modified", "unchanged"]
NotebookStatus = Literal["added", "deleted", "modified", "renamed", "unchanged"]


@dataclass(frozen=True)
class DiffOptions:
    """What a diff shows beyond cell sources and output summaries."""

    #: show text-output diffs, execution counts and (in HTML) images in full
    outputs: bool = False
    #: show all metadata changes, including volatile keys (timings, collapsed, ...)
    metadata: bool = False
    #: lines of context around each source change
    context: int = 3


@dataclass(frozen=True)
class OutputChange:
    """One changed MIME bundle entry (or stream) of one output of a cell."""

    index: int
    status: Literal["added", "removed", "changed"]
    #: MIME type, or ``stdout`` / ``stderr`` for streams, ``error`` for tracebacks
    kind: str
    #: one line, e.g. ``image/png changed, 12 KB -> 14 KB (3fa2c1d -> 9b0e44a)``
    summary: str
    #: a short unified diff of a text output (empty for images)
    text_diff: tuple[str, ...] = ()
    #: base64 payloads of image outputs, for renderers that can show them
    old_image: str | None = None
    new_image: str | None = None
    #: set for a markdown cell's attachment (a pasted image) instead of an output
    attachment: str | None = None

    @property
    def where(self) -> str:
        """``output 2`` or ``attachment image.png``."""
        if self.attachment is not None:
            return f"attachment {self.attachment}"
        return f"output {self.index + 1}"


@dataclass(frozen=True)
class MetadataChange:
    """A top-level metadata key whose value changed (values as compact JSON)."""

    key: str
    old: str | None
    new: str | None
    volatile: bool


@dataclass(frozen=True)
class CellDiff:
    """One cell's change between the old and the new notebook."""

    status: CellStatus
    moved: bool
    cell_type: str
    old_index: int | None
    new_index: int | None
    cell_id: str | None
    old_source: str
    new_source: str
    #: unified diff hunks (``@@`` lines included, file headers not)
    source_diff: tuple[str, ...] = ()
    #: what changed when the lines did not: ``only a newline at the end was added``
    source_note: str = ""
    outputs: tuple[OutputChange, ...] = ()
    metadata: tuple[MetadataChange, ...] = ()
    #: (old, new) when it changed and ``--outputs`` asked for it
    execution_count: tuple[int | None, int | None] | None = None

    @property
    def label(self) -> str:
        """``added``, ``deleted``, ``modified``, ``moved`` or ``moved and modified``."""
        if self.moved:
            return "moved and modified" if self.status == "modified" else "moved"
        return self.status

    @property
    def title(self) -> str:
        """``cell 4 (code) modified``: new position when it exists, else old."""
        if self.new_index is None:
            where = f"old cell {(self.old_index or 0) + 1}"
        else:
            where = f"cell {self.new_index + 1}"
        if self.moved and self.old_index is not None and self.new_index is not None:
            where = f"cell {self.old_index + 1} -> {self.new_index + 1}"
        return f"{where} ({self.cell_type}) {self.label}"

    @property
    def line_counts(self) -> tuple[int, int]:
        """(lines added, lines removed) in the source."""
        if self.status == "added":
            return (len(self.new_source.splitlines()), 0)
        if self.status == "deleted":
            return (0, len(self.old_source.splitlines()))
        plus = sum(1 for line in self.source_diff if line.startswith("+"))
        minus = sum(1 for line in self.source_diff if line.startswith("-"))
        return (plus, minus)


@dataclass(frozen=True)
class NotebookDiff:
    """All changes to one notebook; ``cells`` holds changed cells in display order."""

    path: str
    old_label: str
    new_label: str
    status: NotebookStatus
    aligned_by: Literal["id", "content"]
    old_cell_count: int
    new_cell_count: int
    cells: tuple[CellDiff, ...] = ()
    metadata: tuple[MetadataChange, ...] = ()
    old_path: str | None = None

    @property
    def has_changes(self) -> bool:
        return self.status != "unchanged" or bool(self.cells) or bool(self.metadata)

    def counts(self) -> dict[str, int]:
        """How many cells were added, deleted, modified and moved."""
        result = {"added": 0, "deleted": 0, "modified": 0, "moved": 0}
        for cell in self.cells:
            if cell.status in result:
                result[cell.status] += 1
            if cell.moved:
                result["moved"] += 1
        return result

    def summary(self) -> str:
        """``3 modified, 1 added, 2 deleted, 1 moved`` (or ``no cell changes``)."""
        counts = self.counts()
        parts = [
            f"{counts[name]} {name}"
            for name in ("modified", "added", "deleted", "moved")
            if counts[name]
        ]
        return ", ".join(parts) if parts else "no cell changes"

    def headline(self) -> str:
        """What every renderer says first: the cell summary, or the notebook's fate."""
        if self.status == "added":
            return f"new notebook, {_cells(self.new_cell_count)}"
        if self.status == "deleted":
            return f"deleted notebook, had {_cells(self.old_cell_count)}"
        return self.summary()


def _cells(count: int) -> str:
    return "1 cell" if count == 1 else f"{count} cells"


@dataclass(frozen=True)
class DiffResult:
    """Every notebook compared by one ``nbtrack diff`` invocation."""

    old_label: str
    new_label: str
    notebooks: tuple[NotebookDiff, ...]
    options: DiffOptions = field(default_factory=DiffOptions)
    #: the commits compared (full shas) when both sides are git revisions, else None
    old_commit: str | None = None
    new_commit: str | None = None
    #: the git work tree the paths are relative to (None for two files)
    root: str | None = None

    @property
    def has_changes(self) -> bool:
        return any(notebook.has_changes for notebook in self.notebooks)


def to_jsonable(result: DiffResult) -> dict[str, Any]:
    """Plain data (dicts, lists, strings, ints) for the JSON renderer."""

    def meta(changes: tuple[MetadataChange, ...]) -> list[dict[str, Any]]:
        return [{"key": c.key, "old": c.old, "new": c.new, "volatile": c.volatile} for c in changes]

    def cell(c: CellDiff) -> dict[str, Any]:
        return {
            "status": c.status,
            "moved": c.moved,
            "cell_type": c.cell_type,
            "old_index": c.old_index,
            "new_index": c.new_index,
            "id": c.cell_id,
            "source_diff": list(c.source_diff),
            "source_note": c.source_note,
            "old_source": c.old_source,
            "new_source": c.new_source,
            "outputs": [
                {
                    "index": o.index,
                    "attachment": o.attachment,
                    "status": o.status,
                    "kind": o.kind,
                    "summary": o.summary,
                    "text_diff": list(o.text_diff),
                }
                for o in c.outputs
            ],
            "metadata": meta(c.metadata),
            "execution_count": list(c.execution_count) if c.execution_count else None,
        }

    return {
        "format": "nbtrack-diff",
        "version": 1,
        "old": result.old_label,
        "new": result.new_label,
        "has_changes": result.has_changes,
        "options": {"outputs": result.options.outputs, "metadata": result.options.metadata},
        "notebooks": [
            {
                "path": nb.path,
                "old_path": nb.old_path,
                "old": nb.old_label,
                "new": nb.new_label,
                "status": nb.status,
                "aligned_by": nb.aligned_by,
                "old_cell_count": nb.old_cell_count,
                "new_cell_count": nb.new_cell_count,
                "counts": nb.counts(),
                "metadata": meta(nb.metadata),
                "cells": [cell(c) for c in nb.cells],
            }
            for nb in result.notebooks
        ],
    }
