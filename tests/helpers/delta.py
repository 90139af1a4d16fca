"""Real Delta Lake tables for the tests, written with ``deltalake.write_deltalake``.

``events_table(path)`` makes the table the docs and tests call ``data/events``:
version 0 creates it with one row, versions 1..n-2 append one row each, and
the last version overwrites it with a single row, so the latest version has
fewer files than the one before it (a pin and the latest then differ in
every field a ref records).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def events_table(path: Path, versions: int = 4) -> Path:
    """A table at *path* with *versions* commits (create, appends, one overwrite last)."""
    import pyarrow as pa
    from deltalake import write_deltalake

    assert versions >= 2, "the table needs a create and an overwrite"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_deltalake(path, pa.table({"event": [0]}))
    for number in range(1, versions - 1):
        write_deltalake(path, pa.table({"event": [number]}), mode="append")
    write_deltalake(path, pa.table({"event": [versions]}), mode="overwrite")
    return path


def files_on_disk(path: Path, version: int) -> list[int]:
    """Sizes of the files of *version*, by ``os.stat`` of deltalake's file URIs (not its stats)."""
    from deltalake import DeltaTable

    uris = DeltaTable(path, version=version).file_uris()
    return [Path(uri.removeprefix("file://")).stat().st_size for uri in uris]


def commit_of(path: Path, version: int) -> dict[str, Any]:
    """The commit info deltalake's history gives *version* (read from the latest table)."""
    from deltalake import DeltaTable

    for commit in DeltaTable(path).history():
        if commit["version"] == version:
            return commit
    raise AssertionError(f"no version {version} in the history of {path}")
