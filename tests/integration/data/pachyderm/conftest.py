"""A stand-in pachd (tests/helpers/pachyderm.py): repo ``images`` and ``vision/labels``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.helpers.pachyderm import PachdStandIn, PfsCommit, PfsRepo

#: Pachyderm 2 commit ids are UUIDv4 hex without dashes
OLD = "0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d"
HEAD = "5a1c0b4e8c2d4f6aa0f1e2d3c4b5a697"
OPEN = "9f8e7d6c5b4a4a3b9c2d1e0f9a8b7c6d"
LABELS = "1111222233334444a555666677778888"
TOKEN = "pach-session-token-1234"


def repos() -> dict[tuple[str, str], PfsRepo]:
    started = datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC)
    finished = datetime(2026, 12, 1, 9, 5, 30, tzinfo=UTC)
    images = PfsRepo(
        commits={
            OLD: PfsCommit(OLD, started, finished, {"/train/a.png": b"old"}),
            HEAD: PfsCommit(
                HEAD,
                started,
                finished,
                {"/train/a.png": b"aaaa", "/train/b.png": b"bb", "/README": b"r"},
            ),
            OPEN: PfsCommit(OPEN, started, None, {"/train/a.png": b"changing"}),
        },
        branches={"master": HEAD, "staging": OPEN},
    )
    labels = PfsRepo(
        commits={LABELS: PfsCommit(LABELS, started, finished, {"/labels.csv": b"x,y\n"})},
        branches={"main": LABELS},
    )
    return {("default", "images"): images, ("vision", "labels"): labels}


@pytest.fixture
def pachd(monkeypatch: pytest.MonkeyPatch) -> Iterator[PachdStandIn]:
    """The stand-in, reached through PACHD_ADDRESS with the SDK's token variable set."""
    server = PachdStandIn(repos(), token=TOKEN).start()
    monkeypatch.setenv("PACHD_ADDRESS", server.address)
    monkeypatch.setenv("PACH_PYTHON_AUTH_TOKEN", TOKEN)
    monkeypatch.delenv("PACH_PYTHON_OIDC_TOKEN", raising=False)
    try:
        yield server
    finally:
        server.stop()
