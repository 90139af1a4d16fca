"""A moto S3 server for artifact roots: one per session (each xdist worker its own).

Each test gets the server's environment (AWS_ENDPOINT_URL and keys), a new
bucket, a download cache of its own (XDG_CACHE_HOME) and no artifacts setting
inherited from the shell.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.s3 import S3Server, s3_server


@pytest.fixture(scope="session")
def s3_session() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


def point_at(server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)


@pytest.fixture
def s3(s3_session: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> S3Server:
    """The session's server, with this test's environment pointing at it."""
    point_at(s3_session, monkeypatch)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-a"))
    monkeypatch.delenv("NBTRACK_ARTIFACTS", raising=False)
    return s3_session


@pytest.fixture
def bucket(s3: S3Server) -> str:
    return s3.bucket(versioned=False)
