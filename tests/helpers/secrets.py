"""Where a secret a test handed to nbtrack can still be read: every file a run left.

A SQLite store is read twice: every row of every table as SQL text (what a
reader of the file sees through SQLite), and every file's raw bytes (the
database, its WAL and journal, artifacts, an executed notebook), so a
secret that reached a page, a blob or a copy is found however it is stored.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable
from pathlib import Path


def leaks(paths: Iterable[Path], secrets: Iterable[str]) -> list[tuple[str, str]]:
    """``(file, secret)`` for each secret found in a file under *paths* (files or folders)."""
    found: list[tuple[str, str]] = []
    wanted = list(secrets)
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            texts = [file.read_bytes().decode("utf-8", "replace")]
            if file.suffix == ".db":
                texts.append(_rows(file))
            found += [(str(file), s) for s in wanted if any(s in text for text in texts)]
    return found


def _rows(db: Path) -> str:
    with contextlib.closing(sqlite3.connect(db)) as connection:
        return "\n".join(connection.iterdump())
