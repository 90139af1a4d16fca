"""Notebooks from bytes: the checks ``nbtrack diff`` needs for git blobs.

One side of a revision diff comes from ``git cat-file``, not a file, and
``nbtrack.notebook.read_notebook`` only takes a path. This does the same
byte-level checks (Git LFS pointer, empty, not UTF-8, malformed JSON) and
hands the JSON to ``nbtrack.notebook.notebook_from_dict`` for the structural
ones (nbformat 3, no cells). Plain ``json`` only: the diff path has a 0.5 s
budget and nbformat costs about a second to import.

(Candidate to move into ``nbtrack.notebook`` as a read-from-bytes entry point.)
"""

from __future__ import annotations

import json
from pathlib import Path

from nbtrack.errors import NotebookError
from nbtrack.notebook.model import Notebook, notebook_from_dict, read_notebook

__all__ = ["LFS_POINTER_PREFIX", "parse_notebook_bytes", "read_notebook_file"]

LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/"


def parse_notebook_bytes(data: bytes, name: str) -> Notebook:
    """Parse notebook JSON bytes; ``name`` (e.g. ``train.ipynb at main``) is used in errors.

    >>> parse_notebook_bytes(b'{"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": {}}',
    ...                      "a.ipynb").nbformat
    4
    """
    if data.startswith(LFS_POINTER_PREFIX):
        raise NotebookError(
            f"{name} is a Git LFS pointer, not the notebook itself; fetch it with 'git lfs pull'"
        )
    if not data.strip():
        raise NotebookError(f"{name} is empty, not a notebook")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotebookError(f"{name} is not UTF-8 text (bad byte at offset {exc.start})") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise NotebookError(
            f"{name} is not valid notebook JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise NotebookError(f"{name} is JSON nested too deeply to read") from None
    return notebook_from_dict(value, Path(name))


def read_notebook_file(path: Path, name: str | None = None) -> Notebook:
    """Read a notebook file through ``nbtrack.notebook`` (errors name the path)."""
    return read_notebook(path)
