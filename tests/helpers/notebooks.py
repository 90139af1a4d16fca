"""Notebooks built in code, the way nbformat builds them (``nbformat.v4.new_*``).

    write_notebook(path, "x = 1", code("y = x", count=2, tags=["parameters"]))

A cell is a string (a code cell) or ``code(...)``, ``markdown(...)``,
``raw(...)``. ``notebook(...)`` gives the JSON data nbformat would write
(sources split into lines, random cell ids); ``write`` saves it
as ``nbformat.write`` does; ``load`` reads it into nbtrack's model.

Not for: notebooks that are meant to be broken, hostile or old (a test writes
that JSON or text itself, so the reader sees exactly those bytes).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbtrack.notebook import Notebook

__all__ = [
    "PYTHON3",
    "code",
    "kernel",
    "load",
    "markdown",
    "notebook",
    "png_output",
    "png_payload",
    "raw",
    "sha7",
    "stream",
    "write",
    "write_notebook",
]


def kernel(
    name: str, language: str | None = None, display_name: str | None = None
) -> dict[str, str]:
    """A kernelspec; language and display name default to the kernel's name."""
    return {"name": name, "language": language or name, "display_name": display_name or name}


#: the kernelspec Jupyter saves for the default Python kernel
PYTHON3 = kernel("python3", "python", "Python 3")


def code(
    source: str,
    outputs: Iterable[Any] = (),
    *,
    count: int | None = None,
    tags: Iterable[str] = (),
    **fields: Any,
) -> Any:
    """A code cell; *count* is its execution count (``In [count]``)."""
    from nbformat.v4 import new_code_cell

    cell = new_code_cell(source, outputs=list(outputs), execution_count=count, **fields)
    if tags := list(tags):
        cell.metadata["tags"] = tags
    return cell


def markdown(source: str, **fields: Any) -> Any:
    from nbformat.v4 import new_markdown_cell

    return new_markdown_cell(source, **fields)


def raw(source: str, **fields: Any) -> Any:
    from nbformat.v4 import new_raw_cell

    return new_raw_cell(source, **fields)


def stream(text: str) -> Any:
    """A stdout stream output."""
    from nbformat.v4 import new_output

    return new_output("stream", name="stdout", text=text)


def png_payload(size: int, seed: int) -> tuple[str, bytes]:
    """*size* random bytes (the same for a seed), and their base64 text."""
    data = random.Random(seed).randbytes(size)
    return base64.b64encode(data).decode(), data


def sha7(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()[:7]


def png_output(size: int, seed: int) -> Any:
    """A display_data output holding a PNG of *size* bytes."""
    from nbformat.v4 import new_output

    payload, _ = png_payload(size, seed)
    return new_output("display_data", data={"image/png": payload, "text/plain": "<Figure>"})


def notebook(*cells: Any, kernelspec: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A notebook as JSON data; a string cell is a code cell.

    No kernelspec unless given, as ``nbformat.v4.new_notebook`` makes it.
    """
    import nbformat
    from nbformat.v4 import new_notebook

    built = [_cell(cell) for cell in cells]
    data: dict[str, Any] = json.loads(nbformat.writes(new_notebook(cells=built)))
    if kernelspec is not None:  # set after writes(): a test may give a partial one
        data["metadata"]["kernelspec"] = dict(kernelspec)
    return data


def _cell(cell: Any) -> Any:
    if isinstance(cell, str):
        return code(cell)
    if not (isinstance(cell, Mapping) and "cell_type" in cell):
        raise TypeError(f"a cell is a string or code()/markdown()/raw(), not {cell!r}")
    return cell


def write(path: Path, nb: Mapping[str, Any]) -> Path:
    """Save notebook data to *path* (its folder made) as ``nbformat.write`` does."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def write_notebook(path: Path, *cells: Any, **options: Any) -> Path:
    """``write(path, notebook(*cells, **options))``."""
    return write(path, notebook(*cells, **options))


def load(nb: Mapping[str, Any], path: str | Path | None = None) -> Notebook:
    """Notebook data as nbtrack's model (what ``read_notebook`` gives for the file)."""
    from nbtrack.notebook import notebook_from_dict

    return notebook_from_dict(json.loads(json.dumps(nb)), None if path is None else Path(path))
