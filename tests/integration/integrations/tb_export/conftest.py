"""TensorBoard export and bridge tests run in an empty tmp project whose store is the test's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtrack.config import Settings
from nbtrack.tracking.api import get_tracker


@pytest.fixture(autouse=True)
def _in_project(
    settings: Settings, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Work inside the project of *settings* (SQLite and PostgreSQL); end any run left."""
    monkeypatch.chdir(project_root)
    yield project_root
    get_tracker().end_run()
