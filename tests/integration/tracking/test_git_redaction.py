"""The diff of a dirty repository is code a run stores: its secrets are redacted as code."""

from __future__ import annotations

from pathlib import Path

import pytest

import nbtrack
from tests.helpers.git import git
from tests.helpers.secrets import leaks

pytestmark = pytest.mark.git


def test_a_secret_added_to_a_tracked_file_is_redacted_in_the_stored_git_diff(
    project_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "store"
    monkeypatch.setenv("NBTRACK_STORE", str(store / "runs.db"))
    monkeypatch.chdir(project_root)
    git(project_root, "init", "-q", "-b", "main")
    (project_root / "train.py").write_text("lr = 0.01\n")
    git(project_root, "add", "train.py", "pyproject.toml")
    git(project_root, "commit", "-q", "-m", "first")
    (project_root / "train.py").write_text("lr = 0.1\ndb_password = 'git-diff-pw'\n")

    with nbtrack.start_run() as run:
        pass

    assert leaks([store], ["git-diff-pw"]) == []
    diff = nbtrack.get_run(run.id).git.diff
    assert diff is not None
    assert "+lr = 0.1\n+db_password = '***'\n" in diff
