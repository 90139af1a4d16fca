"""A real git repository in tmp_path, as the working directory of the test."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers.git import git as run_git

Git = Callable[..., str]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    # nbdime's git drivers (git-nbdiffdriver) live next to this interpreter
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("HOME", str(tmp_path))  # no global git config of the machine
    monkeypatch.chdir(root)
    run_git(root, "init", "-q", "-b", "main")
    run_git(root, "config", "user.name", "Test User")
    run_git(root, "config", "user.email", "test@example.com")
    return root


@pytest.fixture
def git(repo: Path) -> Git:
    def call(*args: str) -> str:
        return run_git(repo, *args)

    return call
