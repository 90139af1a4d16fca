"""Notebooks as light, immutable values read with plain :mod:`json`.

This is the fast path shared by smoke, run, diff and tracking: reading a
20-cell notebook costs a millisecond because ``nbformat`` (about a second to
import with its JSON-schema checkers) is never imported here. The price is
that we validate only what nbtrack relies on: a JSON object, nbformat 4 or
newer, a ``cells`` list of objects with a ``cell_type``. Every problem is one
:class:`~nbtrack.errors.NotebookError` sentence naming the file.

Values round-trip: :func:`write_notebook` writes back the original JSON with
only the cells changed, so metadata nbtrack does not understand survives.

A notebook ``nbtrack run`` or ``nbtrack smoke`` writes executed is marked
(:func:`marked_output`: ``metadata.nbtrack.output_of`` names the notebook it
ran), so ``nbtrack sync`` and the search for a kernel's notebook skip it
(:func:`output_of`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nbtrack.errors import NotebookError

__all__ = [
    "Cell",
    "Notebook",
    "kernel_language",
    "marked_output",
    "notebook_from_bytes",
    "notebook_from_dict",
    "notebook_to_dict",
    "output_of",
    "read_notebook",
    "write_notebook",
]

_LFS_PREFIX = b"version https://git-lfs.github.com/spec/"


@dataclass(frozen=True)
class Cell:
    """One cell; ``index`` is its 0-based position among all cells."""

    index: int
    cell_type: str
    source: str
    tags: tuple[str, ...] = ()
    execution_count: int | None = None
    outputs: tuple[dict[str, Any], ...] = ()
    id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    #: the cell's JSON object as read (keys nbtrack does not model survive a write)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_code(self) -> bool:
        return self.cell_type == "code"

    @property
    def number(self) -> int:
        """1-based position, the way reports name cells ("cell 7")."""
        return self.index + 1

    @property
    def label(self) -> str:
        """``cell 7 (In [12])`` -- or ``cell 7`` when it never ran."""
        if self.execution_count is None:
            return f"cell {self.number}"
        return f"cell {self.number} (In [{self.execution_count}])"

    def to_dict(self) -> dict[str, Any]:
        """The cell as notebook JSON (nbformat 4), keeping unknown keys."""
        data = dict(self.raw)
        data["cell_type"] = self.cell_type
        data["source"] = self.source
        metadata = dict(self.metadata)
        if self.tags:
            metadata["tags"] = list(self.tags)
        else:
            metadata.pop("tags", None)
        data["metadata"] = metadata
        if self.id is not None:
            data["id"] = self.id
        if self.cell_type == "code":
            data["execution_count"] = self.execution_count
            data["outputs"] = [dict(o) for o in self.outputs]
        return data


@dataclass(frozen=True)
class Notebook:
    """A notebook: its cells in order, notebook metadata, and where it came from."""

    cells: tuple[Cell, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    nbformat: int = 4
    nbformat_minor: int = 5
    path: Path | None = None
    #: the top-level JSON object as read, cells included
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self) -> str:
        """The file name for messages (``train.ipynb``), or ``<notebook>``."""
        return self.path.name if self.path is not None else "<notebook>"

    @property
    def code_cells(self) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if c.is_code)

    def with_cells(self, cells: Sequence[Cell]) -> Notebook:
        """A copy with *cells* (re-indexed in the order given)."""
        renumbered = tuple(replace(c, index=i) for i, c in enumerate(cells))
        return replace(self, cells=renumbered)

    def to_dict(self) -> dict[str, Any]:
        return notebook_to_dict(self)


def _source_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return ""


def _cell_from_dict(index: int, data: object, where: str) -> Cell:
    if not isinstance(data, dict) or not isinstance(data.get("cell_type"), str):
        raise NotebookError(
            f"{where}: cell {index + 1} is not a notebook cell (no cell_type).", cell=index
        )
    metadata = data.get("metadata")
    metadata = dict(metadata) if isinstance(metadata, dict) else {}
    tags = metadata.get("tags")
    tag_tuple = tuple(str(t) for t in tags) if isinstance(tags, list) else ()
    count = data.get("execution_count")
    outputs = data.get("outputs")
    cell_id = data.get("id")
    return Cell(
        index=index,
        cell_type=data["cell_type"],
        source=_source_text(data.get("source", "")),
        tags=tag_tuple,
        execution_count=count if isinstance(count, int) else None,
        outputs=tuple(o for o in outputs if isinstance(o, dict))
        if isinstance(outputs, list)
        else (),
        id=cell_id if isinstance(cell_id, str) else None,
        metadata=metadata,
        raw=data,
    )


def notebook_from_dict(data: object, path: Path | None = None) -> Notebook:
    """Validate a notebook JSON object into a :class:`Notebook`.

    >>> nb = notebook_from_dict({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
    ...     "cells": [{"cell_type": "code", "source": ["x = 1"], "metadata": {}}]})
    >>> nb.cells[0].source
    'x = 1'
    """
    where = str(path) if path is not None else "notebook"
    if not isinstance(data, dict):
        raise NotebookError(
            f"{where} is not a Jupyter notebook (its JSON is not an object).", path=path
        )
    version = data.get("nbformat")
    if isinstance(version, int) and version < 4:
        raise NotebookError(
            f"{where} is in nbformat {version}, which nbtrack does not read; convert it with "
            f"`jupyter nbconvert --to notebook --nbformat 4`.",
            path=path,
        )
    cells = data.get("cells")
    if not isinstance(cells, list):
        if "worksheets" in data:
            raise NotebookError(
                f"{where} is in nbformat 3 or older (it has worksheets), which nbtrack does "
                f"not read; convert it with `jupyter nbconvert --to notebook --nbformat 4`.",
                path=path,
            )
        raise NotebookError(f"{where} is not a Jupyter notebook (no 'cells' list).", path=path)
    metadata = data.get("metadata")
    minor = data.get("nbformat_minor")
    return Notebook(
        cells=tuple(_cell_from_dict(i, c, where) for i, c in enumerate(cells)),
        metadata=dict(metadata) if isinstance(metadata, dict) else {},
        nbformat=version if isinstance(version, int) else 4,
        nbformat_minor=minor if isinstance(minor, int) else 5,
        path=path,
        raw=data,
    )


def notebook_from_bytes(
    blob: bytes, path: Path | None = None, *, name: str | None = None
) -> Notebook:
    """Parse notebook file content (a file's, or a git blob's) into a :class:`Notebook`.

    *name* is how errors refer to it (``train.ipynb at main``); it defaults
    to *path*.
    """
    where = name if name is not None else str(path) if path is not None else "notebook"
    if blob.startswith(_LFS_PREFIX):
        raise NotebookError(
            f"{where} is a Git LFS pointer, not the notebook itself; fetch it with `git lfs pull`.",
            path=path,
        )
    if not blob.strip():
        raise NotebookError(f"{where} is empty, not a notebook.", path=path)
    try:
        text = blob.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotebookError(
            f"{where} is not UTF-8 text (bad byte at offset {exc.start}).", path=path
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if path is not None and path.suffix.lower() != ".ipynb":
            raise NotebookError(
                f"{where} is not a Jupyter notebook (an .ipynb file is JSON); for a jupytext "
                f"text notebook give its paired .ipynb, or make one with "
                f"`jupytext --to ipynb {path.name}`.",
                path=path,
            ) from None
        raise NotebookError(
            f"{where} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}).",
            path=path,
        ) from None
    except RecursionError:
        raise NotebookError(f"{where} is JSON nested too deeply to read.", path=path) from None
    nb = notebook_from_dict(data, Path(where))
    return replace(nb, path=path)


def read_notebook(path: str | Path) -> Notebook:
    """Read an ``.ipynb`` file quickly, or raise one ``NotebookError`` sentence."""
    path = Path(path)
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        raise NotebookError(f"{path} does not exist.", path=path) from None
    except IsADirectoryError:
        raise NotebookError(f"{path} is a directory, not a notebook file.", path=path) from None
    except OSError as exc:
        raise NotebookError(f"{path} cannot be read: {exc.strerror}.", path=path) from None
    return notebook_from_bytes(blob, path)


def _split_lines(text: str) -> list[str]:
    # nbformat's on-disk convention: a list of lines, each keeping its newline
    return text.splitlines(keepends=True)


def notebook_to_dict(nb: Notebook) -> dict[str, Any]:
    """The notebook as nbformat-4 JSON data, keeping keys nbtrack does not model."""
    data = {k: v for k, v in nb.raw.items() if k != "cells"}
    data["metadata"] = dict(nb.metadata)
    data["nbformat"] = nb.nbformat
    data["nbformat_minor"] = nb.nbformat_minor
    cells = []
    for cell in nb.cells:
        cell_data = cell.to_dict()
        cell_data["source"] = _split_lines(cell.source)
        cells.append(cell_data)
    data["cells"] = cells
    return data


def write_notebook(nb: Notebook, path: str | Path) -> Path:
    """Write *nb* as ``.ipynb`` JSON (1-space indent, like Jupyter) and return the path."""
    path = Path(path)
    text = json.dumps(notebook_to_dict(nb), indent=1, ensure_ascii=False, sort_keys=True)
    try:
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise NotebookError(f"{path} cannot be written: {exc.strerror}.", path=path) from None
    return path


def kernel_language(nb: Notebook) -> str:
    """The notebook's kernel language, lower-case; ``python`` when it does not say.

    Read from ``metadata.kernelspec.language``, then ``metadata.language_info.name``.
    """
    for key, sub in (("kernelspec", "language"), ("language_info", "name")):
        table = nb.metadata.get(key)
        if isinstance(table, Mapping):
            value = table.get(sub)
            if isinstance(value, str) and value.strip():
                return value.strip().lower()
    return "python"


#: ``metadata[OUTPUT_KEY][OUTPUT_OF]``: the notebook an executed copy was run from
OUTPUT_KEY = "nbtrack"
OUTPUT_OF = "output_of"


def marked_output(nb: Notebook, source: str) -> Notebook:
    """*nb* marked as an executed copy of the notebook *source*, which nbtrack wrote.

    >>> output_of(marked_output(notebook_from_dict({"cells": []}), "train.ipynb").metadata)
    'train.ipynb'
    """
    metadata = dict(nb.metadata)
    table = metadata.get(OUTPUT_KEY)
    metadata[OUTPUT_KEY] = {**(table if isinstance(table, dict) else {}), OUTPUT_OF: source}
    return replace(nb, metadata=metadata)


def output_of(metadata: Mapping[str, Any]) -> str | None:
    """The notebook an executed copy was run from (see :func:`marked_output`), or None."""
    table = metadata.get(OUTPUT_KEY)
    value = table.get(OUTPUT_OF) if isinstance(table, Mapping) else None
    return value if isinstance(value, str) else None
