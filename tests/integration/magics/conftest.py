"""Real notebooks in real kernels: a store for the test and its kernels, and a git repo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nbtrack.model import Run
from tests.helpers.git import git
from tests.helpers.shell import forget_notebook_clues


@pytest.fixture
def store_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The SQLite store this test's kernels (and the test) use."""
    path = tmp_path / "store" / "runs.db"
    monkeypatch.setenv("NBTRACK_STORE", str(path))
    forget_notebook_clues(monkeypatch)
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real git repository with one commit and a pyproject.toml."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    git(root, "init", "-q", "-b", "main")
    return root


@pytest.fixture
def read_store(store_file: Path) -> Iterator[Any]:
    """``read_store(run_id=None) -> Run``: the only (or the given) run in the store."""
    from nbtrack.store import open_store

    opened: list[Any] = []

    def read(run_id: str | None = None) -> Run:
        store = open_store(f"sqlite:///{store_file}")
        opened.append(store)
        if run_id is None:
            (summary,) = store.list_runs()
            run_id = summary.id
        return store.get_run(run_id)

    yield read
    for store in opened:
        store.close()
