"""A stand-in lakeFS per test (tests/helpers/lakefs.py), reached through LAKEFS_* env vars."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.lakefs import LakeFSServer, lakefs_server

#: every variable or file nbtrack could read lakeFS settings from
LAKEFS_VARIABLES = (
    "LAKEFS_ENDPOINT",
    "LAKEFS_ACCESS_KEY_ID",
    "LAKEFS_SECRET_ACCESS_KEY",
    "LAKECTL_SERVER_ENDPOINT_URL",
    "LAKECTL_CREDENTIALS_ACCESS_KEY_ID",
    "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY",
    "LAKECTL_CONFIG_FILE",
)


@pytest.fixture
def clean_lakefs_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No lakeFS setting from the machine running the tests (a home without ~/.lakectl.yaml)."""
    for name in LAKEFS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))


@pytest.fixture
def lakefs(clean_lakefs_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[LakeFSServer]:
    with lakefs_server() as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        yield server
