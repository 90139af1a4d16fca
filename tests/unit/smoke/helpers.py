"""Notebooks built in code for the smoke tests (unit and integration)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from nbtrack.notebook import Notebook, notebook_from_dict

#: one cell: source, or (source, execution_count), or (source, count, tags)
CellSpec = str | tuple[str, int | None] | tuple[str, int | None, Sequence[str]]


def build(cells: Sequence[CellSpec], *, language: str | None = None) -> nbformat.NotebookNode:
    nb = new_notebook()
    if language is not None:
        nb.metadata["kernelspec"] = {
            "name": language,
            "language": language,
            "display_name": language,
        }
    for spec in cells:
        if isinstance(spec, str):
            spec = (spec, None)
        source, count, *rest = spec
        if source.startswith("# MD "):
            nb.cells.append(new_markdown_cell(source[5:]))
            continue
        cell = new_code_cell(source, execution_count=count)
        if rest and rest[0]:
            cell.metadata["tags"] = list(rest[0])
        nb.cells.append(cell)
    return nb


def write(path: Path, cells: Sequence[CellSpec], **kwargs: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(build(cells, **kwargs), path)
    return path


def model(cells: Sequence[CellSpec], name: str = "nb.ipynb", **kwargs: Any) -> Notebook:
    return notebook_from_dict(dict(build(cells, **kwargs)), Path(name))
