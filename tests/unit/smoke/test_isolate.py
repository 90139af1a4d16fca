"""The --isolate copy holds what git tracks (working-tree versions), extras and includes."""

from __future__ import annotations

from pathlib import Path

import pytest

from nbtrack.smoke.isolate import copy_tracked_files, git_root
from tests.helpers.git import git

pytestmark = pytest.mark.git


def test_copy_holds_tracked_files_extras_and_includes_but_not_untracked_ones(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    (repo / "src").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / "src" / "a.py").write_text("committed\n")
    (repo / "src" / "link.py").symlink_to("a.py")
    git(repo, "add", "src")
    (repo / "src" / "a.py").write_text("edited, not committed\n")
    (repo / "untracked.csv").write_text("x\n")
    (repo / "data").mkdir()
    (repo / "data" / "small.csv").write_text("y\n")
    (repo / "new.ipynb").write_text("{}")

    copy = copy_tracked_files(
        repo, tmp_path / "copy", extra=[repo / "new.ipynb"], include=["data/*.csv"]
    )

    assert git_root(repo / "src") == repo.resolve()
    assert (copy / "src" / "a.py").read_text() == "edited, not committed\n"
    assert (copy / "src" / "link.py").is_symlink()
    assert (copy / "new.ipynb").exists()
    assert (copy / "data" / "small.csv").exists()
    assert not (copy / "untracked.csv").exists()


def test_git_root_outside_a_repository_is_none(tmp_path: Path) -> None:
    assert git_root(tmp_path) is None
