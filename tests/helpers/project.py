"""An autouse fixture for test folders whose tests work inside the test's project.

A folder's ``conftest.py`` imports :func:`in_project` (and names it in its
``__all__``); pytest then runs it around every test of that folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nbtrack.config import Settings
from nbtrack.tracking.api import get_tracker


@pytest.fixture(autouse=True)
def in_project(
    settings: Settings, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Work inside the project of *settings* (SQLite and PostgreSQL); end any run left."""
    monkeypatch.chdir(project_root)
    yield project_root
    get_tracker().end_run()
