"""A stand-in Dolt SQL server (tests/helpers/dolt.py) with one database, ``mydb``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from tests.helpers.dolt import DoltCommit, DoltDatabase, DoltStandIn

#: Dolt commit hashes are 32 characters of base32
FIRST = "qfk3bpan8mtrl05n8nihh2e3t68t3hrk"
SECOND = "rqpd7ga1nic3jmc54h44qa05i8124vsp"
FEATURE = "137qgvrsve1u458briekqar5f7iiqq2j"
PASSWORD = "s3cret-pw"


def mydb() -> DoltDatabase:
    commits = [
        DoltCommit(
            FIRST, "ana", "ana@example.org", datetime(2026, 11, 2, 9, 0, 0), {"events": "a" * 32}
        ),
        DoltCommit(
            SECOND, "ben", "ben@example.org", datetime(2026, 12, 1, 17, 30, 5), {"events": "b" * 32}
        ),
        DoltCommit(
            FEATURE, "ana", "ana@example.org", datetime(2026, 12, 2, 8, 0, 0), {"events": "c" * 32}
        ),
    ]
    return DoltDatabase(
        commits={c.hash: c for c in commits},
        branches={"main": SECOND, "feature/x": FEATURE},
        tags={"v1": FIRST},
    )


@pytest.fixture
def dolt(monkeypatch: pytest.MonkeyPatch) -> Iterator[DoltStandIn]:
    """The stand-in, its password in DOLT_PASSWORD as a user would set it."""
    server = DoltStandIn({"mydb": mydb()}, user="root", password=PASSWORD).start()
    monkeypatch.setenv("DOLT_PASSWORD", PASSWORD)
    try:
        yield server
    finally:
        server.stop()
