"""Fixtures for smoke integration tests: run ``nbtrack smoke`` / ``lint`` for real."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from tests.helpers.cli import Invoke, nbtrack


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder (with a pyproject.toml) as the working directory."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    monkeypatch.chdir(root)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return root


@pytest.fixture
def nbtrack_cli(project: Path) -> Invoke:
    """Run an nbtrack command in-process (its notebooks still run in child processes).

    An exception inside the command fails the test with its traceback.
    """
    return partial(nbtrack, catch_exceptions=False)
