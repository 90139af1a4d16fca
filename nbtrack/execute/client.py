"""nbclient's client with printed output spooled to disk; the executed notebook written from there.

``nbtrack run`` keeps what a cell prints out of memory: each stream message
(stdout, stderr) is appended to a spool file as it arrives, and the cell's
output list holds one small stand-in per stream, with a bounded tail of its
text (:data:`TAIL`). :func:`write_notebook` writes the executed notebook
from the cells and the spool, a megabyte at a time, so a cell that prints
300 MB costs a few megabytes of memory, not several times its output.
Everything else a cell shows (results, images, errors) is kept as nbclient
keeps it.

Imports nbclient at module level: imported only by
:func:`nbtrack.execute.engine.execute`, once a notebook is about to run.

Not for: choosing which cells run or what stopped them
(:mod:`nbtrack.execute.engine`).
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any, BinaryIO

from nbclient import NotebookClient
from nbformat import NotebookNode

__all__ = ["TAIL", "Spool", "SpoolingClient", "write_notebook"]

#: characters of a stream's text kept in memory (the rest is on disk only)
TAIL = 2_000
_CHUNK = 1 << 20


class Spool:
    """An append-only file of printed text; a stream output is a (start, length) in it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: BinaryIO = path.open("w+b")
        self._size = 0
        #: id(stand-in output) -> [output, start, length]
        self._parts: dict[int, list[Any]] = {}

    def close(self) -> None:
        self._file.close()

    def add(self, outs: list[Any], name: str, text: str) -> Any:
        """Append *text* of stream *name* after *outs*; return the output it went to."""
        data = text.encode("utf-8", "surrogatepass")
        start = self._size
        self._file.write(data)
        self._size += len(data)
        last = self._parts.get(id(outs[-1])) if outs else None
        if last is not None and last[0]["name"] == name and last[1] + last[2] == start:
            last[2] += len(data)
            node = last[0]
            node["text"] = (node["text"] + text)[-TAIL:]
            return node
        node = NotebookNode(output_type="stream", name=name, text=text[-TAIL:])  # type: ignore[no-untyped-call]
        self._parts[id(node)] = [node, start, len(data)]
        outs.append(node)
        return node

    def part(self, output: Any) -> tuple[int, int] | None:
        """(start, length) of a stand-in output's text in the spool, or None for others."""
        found = self._parts.get(id(output))
        return None if found is None or found[0] is not output else (found[1], found[2])

    def write_text(self, out: Any, start: int, length: int) -> None:
        """Write the spooled text as a JSON list of strings (nbformat's multi-line form)."""
        self._file.flush()
        decoder = codecs.getincrementaldecoder("utf-8")("surrogatepass")
        self._file.seek(start)
        left = length
        first = True
        out.write("[")
        while left > 0:
            data = self._file.read(min(_CHUNK, left))
            if not data:
                break
            left -= len(data)
            piece = decoder.decode(data, final=left <= 0)
            if piece:
                out.write(("" if first else ", ") + json.dumps(piece))
                first = False
        out.write("]")
        self._file.seek(0, 2)


class SpoolingClient(NotebookClient):
    """A ``NotebookClient`` whose stream outputs go to a :class:`Spool`.

    ``running`` is the index of the cell being executed (None between cells).
    """

    def __init__(self, nb: Any, spool: Spool, **kw: Any) -> None:
        super().__init__(nb, **kw)
        self.spool = spool
        self.running: int | None = None

    def output(
        self, outs: list[Any], msg: dict[str, Any], display_id: str | None, cell_index: int
    ) -> Any:
        parent = msg["parent_header"].get("msg_id")
        if msg["msg_type"] != "stream" or self.output_hook_stack[parent]:
            return super().output(outs, msg, display_id, cell_index)
        if self.clear_before_next_output:
            outs[:] = []
            self.clear_display_id_mapping(cell_index)
            self.clear_before_next_output = False
        content = msg["content"]
        return self.spool.add(
            outs, str(content.get("name", "stdout")), str(content.get("text", ""))
        )


def write_notebook(nb: Any, path: Path, spool: Spool) -> None:
    """Write *nb* to *path* as JSON, stream outputs read back from *spool* piece by piece."""
    with path.open("w", encoding="utf-8") as out:
        out.write('{\n "cells": [\n')
        for number, cell in enumerate(nb.get("cells", ())):
            if number:
                out.write(",\n")
            _write_cell(out, cell, spool)
        rest = {key: value for key, value in nb.items() if key != "cells"}
        out.write("\n ],\n " + json.dumps(rest)[1:] + "\n")


def _write_cell(out: Any, cell: Any, spool: Spool) -> None:
    outputs = cell.get("outputs")
    if not outputs or all(spool.part(output) is None for output in outputs):
        out.write(json.dumps(cell))
        return
    head = {key: value for key, value in cell.items() if key != "outputs"}
    out.write('{"outputs": [')
    for number, output in enumerate(outputs):
        if number:
            out.write(", ")
        part = spool.part(output)
        if part is None:
            out.write(json.dumps(output))
            continue
        out.write('{"output_type": "stream", "name": ' + json.dumps(output["name"]) + ', "text": ')
        spool.write_text(out, *part)
        out.write("}")
    out.write("]")
    out.write((", " + json.dumps(head)[1:]) if head else "}")
