"""Git capture in a real repository made with `git init` in tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import nbtrack
from nbtrack.tracking.capture import capture_git, strip_credentials
from tests.helpers.git import git

pytestmark = pytest.mark.git


@pytest.fixture
def repo(project_root: Path) -> Path:
    git(project_root, "init", "-q", "-b", "main")
    (project_root / "train.py").write_text("lr = 0.01\n")
    git(project_root, "add", "train.py", "pyproject.toml")
    git(project_root, "commit", "-q", "-m", "first")
    return project_root


def test_a_clean_repo_gives_commit_and_branch_and_not_dirty(repo: Path) -> None:
    state = capture_git(repo)
    assert state is not None
    assert state.commit == git(repo, "rev-parse", "HEAD")
    assert state.branch == "main"
    assert state.dirty is False
    assert state.diff is None
    assert state.root == str(repo.resolve())


def test_a_tracked_change_is_dirty_with_its_diff(repo: Path) -> None:
    (repo / "train.py").write_text("lr = 0.1\n")
    state = capture_git(repo)
    assert state is not None
    assert state.dirty is True
    assert state.diff is not None
    assert "-lr = 0.01" in state.diff
    assert "+lr = 0.1" in state.diff
    assert state.diff_truncated is False


def test_an_untracked_file_does_not_make_the_repo_dirty(repo: Path) -> None:
    (repo / "scratch.txt").write_text("notes")
    state = capture_git(repo)
    assert state is not None
    assert state.dirty is False


def test_a_huge_diff_is_cut_at_the_limit_and_flagged(repo: Path) -> None:
    (repo / "train.py").write_text("".join(f"line {i} {'x' * 60}\n" for i in range(20_000)))
    state = capture_git(repo, diff_limit=64 * 1024)
    assert state is not None
    assert state.diff is not None
    assert len(state.diff.encode()) == 64 * 1024
    assert state.diff_truncated is True


def test_a_detached_head_has_a_commit_but_no_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    state = capture_git(repo)
    assert state is not None
    assert state.branch is None
    assert state.commit == git(repo, "rev-parse", "HEAD")


def test_a_repo_without_commits_has_no_commit(project_root: Path) -> None:
    git(project_root, "init", "-q", "-b", "main")
    state = capture_git(project_root)
    assert state is not None
    assert (state.commit, state.branch) == (None, "main")


def test_the_remote_is_recorded_without_credentials(repo: Path) -> None:
    git(repo, "remote", "add", "origin", "https://alice:s3cret@git.example.org/team/proj.git")
    state = capture_git(repo)
    assert state is not None
    assert state.remote == "https://git.example.org/team/proj.git"


def test_scp_style_remotes_are_kept() -> None:
    assert strip_credentials("git@github.com:team/proj.git") == "git@github.com:team/proj.git"


def test_outside_a_repo_there_is_no_git_state(tmp_path: Path) -> None:
    assert capture_git(tmp_path) is None


def test_a_run_started_in_a_repo_stores_its_git_state(repo: Path) -> None:
    (repo / "train.py").write_text("lr = 0.2\n")
    with nbtrack.start_run() as run:
        pass
    stored = nbtrack.get_run(run.id).git
    assert stored.commit == git(repo, "rev-parse", "HEAD")
    assert (stored.branch, stored.dirty) == ("main", True)
    assert stored.diff is not None
    assert "+lr = 0.2" in stored.diff


def test_without_git_installed_there_is_no_git_state(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-tools"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert capture_git(repo) is None


def test_a_git_diff_that_hangs_does_not_hold_up_the_run(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil
    import time

    from nbtrack.tracking import capture

    real_git = shutil.which("git")
    assert real_git is not None
    tools = tmp_path / "tools"
    tools.mkdir()
    hanging = tools / "git"
    # the real git for everything but `git diff`, which hangs the way a lock would
    hanging.write_text(
        f'#!/bin/sh\nif [ "$1" = diff ]; then exec sleep 120; fi\nexec {real_git} "$@"\n'
    )
    hanging.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(capture, "GIT_TIMEOUT", 1.0)
    (repo / "train.py").write_text("lr = 0.3\n")

    started = time.monotonic()
    state = capture_git(repo)
    assert time.monotonic() - started < 30
    assert state is not None
    assert state.commit == git(repo, "rev-parse", "HEAD")
    assert state.diff is None  # given up on, not waited for
