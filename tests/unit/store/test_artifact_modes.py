"""Artifact files and folders get the modes the umask gives, not mkstemp's 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtrack.config import load_settings
from nbtrack.store import open_store


@pytest.fixture
def umask_002() -> Iterator[int]:
    """A group-shared umask (002), as a team's shared folder uses."""
    old = os.umask(0o002)
    try:
        yield 0o002
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("kind", ["file", "bytes"])
def test_artifacts_are_as_readable_as_the_umask_allows(
    tmp_path: Path, umask_002: int, kind: str
) -> None:
    store_file = tmp_path / "shared" / "runs.db"
    url = f"sqlite:///{store_file}"
    store = open_store(url, settings=load_settings(tmp_path, env={"NBTRACK_STORE": url}))
    try:
        if kind == "file":
            source = tmp_path / "model.pkl"
            source.write_bytes(b"weights")
            source.chmod(0o600)  # the source's own mode is not what decides
            _, _, uri = store.put_artifact(source)
        else:
            _, _, uri = store.put_artifact_bytes(b"png bytes")
        root = store_file.parent / "artifacts"
        stored = root / uri
        assert stored.read_bytes() in {b"weights", b"png bytes"}
        assert mode(stored) == 0o666 & ~umask_002 == 0o664
        for folder in (stored.parent, stored.parent.parent, root):
            assert mode(folder) == 0o777 & ~umask_002, folder
        assert list((root / "tmp").iterdir()) == []  # the upload was renamed into place
    finally:
        store.close()
