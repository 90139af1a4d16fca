"""Artifact files: stored once per content under a store's artifact root.

For: writing a file's bytes where a store keeps them, named by their sha256
(``sha256/ab/abcdef...`` under the root), and finding, dating and removing
such a file (``nbtrack gc``). A file is written to a temporary file and
renamed into place, so a reader never sees half a file. Files and folders
get the modes the process's umask gives new files (``0666 & ~umask``,
folders ``0777 & ~umask``), so teammates can read a shared store's artifacts
whenever they can read its other files.
Not for: the artifact records of runs (``SqlStore``), or deciding which
files may go (``nbtrack.tracking.edit``).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import BinaryIO

from nbtrack.errors import StoreError
from nbtrack.store import _engine

__all__ = ["CONTENT_ADDRESS", "put_stream", "remove", "written_at"]

#: what an artifact's uri is under any root: ``sha256/ab/<64 hex>``
CONTENT_ADDRESS = re.compile(r"sha256/([0-9a-f]{2})/([0-9a-f]{64})")


def put_stream(root: Path, source: BinaryIO) -> tuple[str, int, str]:
    """Store what *source* reads under *root*; (``sha256:<hex>``, size, uri under *root*)."""
    try:
        tmp_dir = root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="upload-")
        try:
            os.fchmod(fd, 0o666 & ~_engine.umask())  # mkstemp's 0600 would hide it
            with os.fdopen(fd, "wb") as target:
                while chunk := source.read(1 << 20):
                    digest.update(chunk)
                    target.write(chunk)
                    size += len(chunk)
            hexdigest = digest.hexdigest()
            uri = f"sha256/{hexdigest[:2]}/{hexdigest}"
            final = root / uri
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, final)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp_name)
            raise
    except OSError as error:
        raise StoreError(
            f"Cannot write the artifact under {root}: {error.strerror or error}.",
            uri=str(root),
        ) from None
    return f"sha256:{hexdigest}", size, uri


def written_at(root: Path, uri: str) -> float | None:
    """When the file at *uri* under *root* was last written; None when there is none."""
    try:
        return (root / uri).stat().st_mtime
    except FileNotFoundError:
        return None


def remove(root: Path, uri: str) -> bool:
    """Remove the file at *uri* under *root*; False when there was none."""
    try:
        os.unlink(root / uri)
    except FileNotFoundError:
        return False
    return True
