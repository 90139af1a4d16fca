"""The cell-aware diff engine: two notebook dicts in, a ``NotebookDiff`` out.

It aligns cells (``align.py``), diffs sources line by line, summarises
outputs (text as a short diff, images as size + hash) and sorts metadata
into meaningful and volatile keys. It works on ``nbtrack.notebook`` values
(plain-json reads) and never imports nbformat or nbdime: the diff path has a
0.5 s budget for a 1,000-cell notebook. It does not read files, call git or
render anything.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import hashlib
import json
from dataclasses import replace
from itertools import zip_longest
from typing import Any, Literal

from nbtrack.notebook.document import Cell, Notebook
from nbtrack.printable import ANSI_SEQUENCE  # Jupyter renders colour and OSC; a diff shows text
from nbtrack.vcs.align import CellKey, align_cells
from nbtrack.vcs.diffmodel import (
    CellDiff,
    DiffOptions,
    MetadataChange,
    NotebookDiff,
    NotebookStatus,
    OutputChange,
)

__all__ = [
    "VOLATILE_CELL_METADATA",
    "VOLATILE_NOTEBOOK_METADATA",
    "diff_notebooks",
    "format_size",
    "line_break_note",
]

#: cell metadata that changes on every run or click, not by intent
VOLATILE_CELL_METADATA = frozenset(
    {"execution", "ExecuteTime", "collapsed", "scrolled", "jupyter", "papermill", "vscode",
     "pycharm", "trusted", "editable", "deletable", "colab", "id", "outputId"}
)  # fmt: skip
#: notebook metadata that follows the machine or the kernel, not the author
VOLATILE_NOTEBOOK_METADATA = frozenset(
    {"language_info", "widgets", "papermill", "vscode", "interpreter", "colab", "toc",
     "varInspector", "celltoolbar", "accelerator", "execution"}
)  # fmt: skip
_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"})
#: lines of a text output's diff kept for the short summary
_OUTPUT_DIFF_LINES = 12
#: with ``--outputs``: the whole diff of a text output, up to this many lines
_FULL_OUTPUT_DIFF_LINES = 1_000


def diff_notebooks(
    old: Notebook | None,
    new: Notebook | None,
    *,
    path: str,
    old_label: str,
    new_label: str,
    options: DiffOptions | None = None,
    old_path: str | None = None,
) -> NotebookDiff:
    """Compare two notebooks; ``None`` on one side means added / deleted.

    >>> from nbtrack.notebook import notebook_from_dict
    >>> nb = lambda src: notebook_from_dict({"nbformat": 4, "metadata": {}, "cells": [
    ...     {"cell_type": "code", "source": src, "metadata": {}, "outputs": []}]})
    >>> diff_notebooks(nb("x = 1"), nb("x = 2"), path="a.ipynb", old_label="a",
    ...                new_label="b").summary()
    '1 modified'
    """
    opts = options or DiffOptions()
    old_cells = old.cells if old else ()
    new_cells = new.cells if new else ()
    keys_old = [_key(cell) for cell in old_cells]
    keys_new = [_key(cell) for cell in new_cells]
    alignment = align_cells(keys_old, keys_new)
    cells: list[CellDiff] = []
    for pair in alignment.pairs:
        a = old_cells[pair.old] if pair.old is not None else None
        b = new_cells[pair.new] if pair.new is not None else None
        cell = _diff_cell(a, b, pair.old, pair.new, pair.moved, opts, keys_old, keys_new)
        if cell.status != "unchanged" or cell.moved:
            cells.append(cell)
    metadata: tuple[MetadataChange, ...] = ()
    if old is not None and new is not None:
        metadata = _metadata_changes(old.metadata, new.metadata, VOLATILE_NOTEBOOK_METADATA, opts)
    status: NotebookStatus
    if old is None:
        status = "added"
    elif new is None:
        status = "deleted"
    elif old_path is not None and old_path != path:
        status = "renamed"
    else:
        status = "modified" if cells or metadata else "unchanged"
    return NotebookDiff(
        path=path,
        old_label=old_label,
        new_label=new_label,
        status=status,
        aligned_by=alignment.by,
        old_cell_count=len(old_cells),
        new_cell_count=len(new_cells),
        cells=tuple(cells),
        metadata=metadata,
        old_path=old_path if status == "renamed" else None,
    )


def format_size(size: int) -> str:
    """``812 B``, ``1.5 KB``, ``12 KB``, ``3.4 MB``."""
    if size < 1024:
        return f"{size} B"
    for unit, scale in (("KB", 1024), ("MB", 1024**2), ("GB", 1024**3)):
        value = size / scale
        if value < 1024 or unit == "GB":
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def line_break_note(old: str, new: str) -> str:
    """What changed between two sources whose lines are the same: only line breaks.

    A line diff cannot show it (``x = 1`` and ``x = 1\\n`` have the same lines),
    but the file changed, so a reviewer and ``--exit-code`` must see it.

    >>> line_break_note("x = 1", "x = 1\\n")
    'only a newline at the end was added'
    >>> line_break_note("a\\r\\nb\\r\\n", "a\\nb\\n")
    'only line breaks changed, on 2 lines (CRLF -> LF)'
    """
    if old == new or old.splitlines() != new.splitlines():
        return ""
    ends_old, ends_new = _line_ends(old), _line_ends(new)
    if ends_old[:-1] == ends_new[:-1]:
        before, after = ends_old[-1], ends_new[-1]
        if not before:
            return "only a newline at the end was added"
        if not after:
            return "only the newline at the end was removed"
        return f"only the line break at the end changed ({_break(before)} -> {_break(after)})"
    changed = [(a, b) for a, b in zip(ends_old, ends_new, strict=True) if a != b]
    kinds = {(_break(a), _break(b)) for a, b in changed}
    how = f" ({' -> '.join(next(iter(kinds)))})" if len(kinds) == 1 else ""
    return f"only line breaks changed, on {_plural(len(changed), 'line')}{how}"


def _line_ends(text: str) -> list[str]:
    return [line[len(line.rstrip("\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029")) :]
            for line in text.splitlines(keepends=True)]  # fmt: skip


def _break(end: str) -> str:
    names = {"\n": "LF", "\r\n": "CRLF", "\r": "CR", "": "none"}
    return names.get(end, ascii(end))


def _key(cell: Cell) -> CellKey:
    return CellKey(cell.id, cell.cell_type, cell.source)


def _diff_cell(
    a: Cell | None,
    b: Cell | None,
    i: int | None,
    j: int | None,
    moved: bool,
    opts: DiffOptions,
    keys_old: list[CellKey],
    keys_new: list[CellKey],
) -> CellDiff:
    old_key = keys_old[i] if i is not None else None
    new_key = keys_new[j] if j is not None else None
    some = new_key or old_key
    assert some is not None
    cell = CellDiff(
        status="unchanged",
        moved=moved,
        cell_type=some.cell_type,
        old_index=i,
        new_index=j,
        cell_id=some.cell_id,
        old_source=old_key.source if old_key else "",
        new_source=new_key.source if new_key else "",
    )
    if a is None or b is None:
        return replace(cell, status="added" if a is None else "deleted", moved=False)
    source_diff: tuple[str, ...] = ()
    if cell.old_source != cell.new_source:
        lines = difflib.unified_diff(
            cell.old_source.splitlines(), cell.new_source.splitlines(), lineterm="", n=opts.context
        )
        source_diff = tuple(lines)[2:]  # drop the ---/+++ file headers
    source_note = "" if source_diff else line_break_note(cell.old_source, cell.new_source)
    metadata = _metadata_changes(a.metadata, b.metadata, VOLATILE_CELL_METADATA, opts)
    if a.cell_type != b.cell_type:
        metadata = (MetadataChange("cell_type", a.cell_type, b.cell_type, False), *metadata)
    shown = _FULL_OUTPUT_DIFF_LINES if opts.outputs else _OUTPUT_DIFF_LINES
    outputs = _output_changes(a.outputs, b.outputs, shown) if a.outputs != b.outputs else ()
    outputs += _attachment_changes(a.raw.get("attachments"), b.raw.get("attachments"), shown)
    execution_count = None
    if opts.outputs and a.execution_count != b.execution_count:
        execution_count = (a.execution_count, b.execution_count)
    changed = bool(source_diff or source_note or outputs or metadata or execution_count)
    return replace(
        cell,
        status="modified" if changed else "unchanged",
        source_diff=source_diff,
        source_note=source_note,
        outputs=outputs,
        metadata=metadata,
        execution_count=execution_count,
    )


def _metadata_changes(
    old: dict[str, Any], new: dict[str, Any], volatile: frozenset[str], opts: DiffOptions
) -> tuple[MetadataChange, ...]:
    if old == new:
        return ()
    changes = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key):
            continue
        is_volatile = key in volatile
        if is_volatile and not opts.metadata:
            continue
        changes.append(
            MetadataChange(
                key,
                _compact(old[key]) if key in old else None,
                _compact(new[key]) if key in new else None,
                is_volatile,
            )
        )
    return tuple(changes)


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _parts(output: dict[str, Any]) -> dict[str, Any]:
    """An output as kind -> payload, without the volatile bits (execution_count)."""
    kind = output.get("output_type")
    if kind == "stream":
        return {str(output.get("name", "stdout")): _text(output.get("text", ""))}
    if kind == "error":
        trace = "\n".join(str(line) for line in output.get("traceback") or [])
        text = ANSI_SEQUENCE.sub("", trace) or f"{output.get('ename')}: {output.get('evalue')}"
        return {"error": text}
    data = output.get("data") or {}
    return {str(mime): value for mime, value in data.items()}


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False)


def _output_changes(
    old: tuple[dict[str, Any], ...], new: tuple[dict[str, Any], ...], lines: int
) -> tuple[OutputChange, ...]:
    changes: list[OutputChange] = []
    for index, (a, b) in enumerate(zip_longest(old, new)):
        parts_a = _parts(a) if a is not None else {}
        parts_b = _parts(b) if b is not None else {}
        if parts_a == parts_b:
            continue
        for kind in [*parts_a, *(k for k in parts_b if k not in parts_a)]:
            before, after = parts_a.get(kind), parts_b.get(kind)
            if before == after:
                continue
            if kind in _IMAGE_TYPES:
                changes.append(_image_change(index, kind, before, after))
            else:
                changes.append(_text_change(index, kind, before, after, lines))
    return tuple(changes)


def _attachment_changes(old: Any, new: Any, lines: int) -> tuple[OutputChange, ...]:
    """Changed attachments (images pasted into markdown), summarised like outputs."""
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    if old == new:
        return ()
    changes: list[OutputChange] = []
    for index, name in enumerate(sorted(set(old) | set(new))):
        bundle_a = old.get(name) if isinstance(old.get(name), dict) else {}
        bundle_b = new.get(name) if isinstance(new.get(name), dict) else {}
        for kind in sorted(set(bundle_a) | set(bundle_b)):
            before, after = bundle_a.get(kind), bundle_b.get(kind)
            if before == after:
                continue
            if kind in _IMAGE_TYPES:
                change = _image_change(index, kind, before, after)
            else:
                change = _text_change(index, kind, before, after, lines)
            changes.append(replace(change, attachment=str(name)))
    return tuple(changes)


def _image_bytes(payload: Any) -> tuple[int, str, str]:
    """(decoded size, short sha1, normalised base64) of an image payload."""
    text = "".join(payload) if isinstance(payload, list) else str(payload)
    text = "".join(text.split())
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raw = text.encode()
    return len(raw), hashlib.sha1(raw).hexdigest()[:7], text


def _image_change(index: int, kind: str, before: Any, after: Any) -> OutputChange:
    if before is None:
        size, digest, data = _image_bytes(after)
        summary = f"{kind} added, {format_size(size)} ({digest})"
        return OutputChange(index, "added", kind, summary, new_image=data)
    if after is None:
        size, digest, data = _image_bytes(before)
        summary = f"{kind} removed, {format_size(size)} ({digest})"
        return OutputChange(index, "removed", kind, summary, old_image=data)
    size_a, digest_a, data_a = _image_bytes(before)
    size_b, digest_b, data_b = _image_bytes(after)
    summary = (
        f"{kind} changed, {format_size(size_a)} -> {format_size(size_b)} ({digest_a} -> {digest_b})"
    )
    return OutputChange(index, "changed", kind, summary, old_image=data_a, new_image=data_b)


def _text_change(index: int, kind: str, before: Any, after: Any, limit: int) -> OutputChange:
    """A text output's change: its summary and at most ``limit`` lines of unified diff."""
    lines_a = ANSI_SEQUENCE.sub("", _text(before)).splitlines() if before is not None else []
    lines_b = ANSI_SEQUENCE.sub("", _text(after)).splitlines() if after is not None else []
    status: Literal["added", "removed", "changed"]
    if before is None:
        status, summary = "added", f"{kind} added ({_plural(len(lines_b), 'line')})"
        diff = ["+" + line for line in lines_b]
    elif after is None:
        status, summary = "removed", f"{kind} removed ({_plural(len(lines_a), 'line')})"
        diff = ["-" + line for line in lines_a]
    else:
        diff = list(difflib.unified_diff(lines_a, lines_b, lineterm="", n=1))[2:]
        plus = sum(1 for line in diff if line.startswith("+"))
        minus = sum(1 for line in diff if line.startswith("-"))
        status, summary = "changed", f"{kind} changed (+{plus} -{minus} lines)"
    short = diff[:limit]
    if len(diff) > limit:
        short.append(f"... {len(diff) - limit} more lines")
    return OutputChange(index, status, kind, summary, tuple(short))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"
