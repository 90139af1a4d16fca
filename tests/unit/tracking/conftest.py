"""Tracking tests run in an empty tmp project and never leave a run active; a store that is down."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtrack.tracking.api import get_tracker


@pytest.fixture(autouse=True)
def _in_project(project_root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Work inside a fresh project (not a git repo) and end any run a test left."""
    monkeypatch.chdir(project_root)
    yield project_root
    get_tracker().end_run()


@pytest.fixture
def down_url() -> str:
    """A PostgreSQL URL whose port refuses connections."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"postgresql+psycopg://nbtrack:secret@127.0.0.1:{port}/runs"
