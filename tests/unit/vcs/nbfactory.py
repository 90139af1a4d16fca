"""Notebooks built in code for the vcs tests (nbformat's own constructors)."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import (
    new_code_cell,
    new_markdown_cell,
    new_notebook,
    new_output,
    new_raw_cell,
)

from nbtrack.notebook import Notebook, notebook_from_dict

__all__ = [
    "code",
    "load",
    "markdown",
    "notebook",
    "png_output",
    "png_payload",
    "raw",
    "sha7",
    "stream",
    "write",
]


def code(source: str, outputs: list[Any] | None = None, **kwargs: Any) -> Any:
    return new_code_cell(source, outputs=outputs or [], **kwargs)


def markdown(source: str, **kwargs: Any) -> Any:
    return new_markdown_cell(source, **kwargs)


def raw(source: str, **kwargs: Any) -> Any:
    return new_raw_cell(source, **kwargs)


def stream(text: str) -> Any:
    return new_output("stream", name="stdout", text=text)


def png_payload(size: int, seed: int) -> tuple[str, bytes]:
    data = random.Random(seed).randbytes(size)
    return base64.b64encode(data).decode(), data


def sha7(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()[:7]


def png_output(size: int, seed: int) -> Any:
    payload, _ = png_payload(size, seed)
    return new_output("display_data", data={"image/png": payload, "text/plain": "<Figure>"})


def notebook(*cells: Any, ids: bool = True) -> dict[str, Any]:
    """A notebook as JSON data; ``ids=False`` gives an nbformat 4.4 notebook without ids."""
    nb = new_notebook(
        cells=list(cells), metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}}
    )
    data: dict[str, Any] = json.loads(nbformat.writes(nb))
    if not ids:
        data["nbformat_minor"] = 4
        for cell in data["cells"]:
            cell.pop("id", None)
    return data


def write(path: Path, nb: dict[str, Any]) -> Path:
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return path


def load(nb: dict[str, Any]) -> Notebook:
    return notebook_from_dict(json.loads(json.dumps(nb)))
