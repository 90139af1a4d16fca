"""Real notebooks in real kernels: helpers to build them and to read the store."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nbtrack.model import Run


@pytest.fixture
def store_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The SQLite store this test's kernels (and the test) use."""
    path = tmp_path / "store" / "runs.db"
    monkeypatch.setenv("NBTRACK_STORE", str(path))
    for name in ("NBTRACK_NOTEBOOK", "NBTRACK_RUN_ID_FILE", "JPY_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real git repository with one commit and a pyproject.toml."""
    root = tmp_path / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    git(root, "init", "-q", "-b", "main")
    return root


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return done.stdout.strip()


def write_notebook(path: Path, *cells: str | tuple[str, list[str]]) -> Path:
    """A notebook of code cells; a cell given as (source, tags) is tagged."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    built = []
    for cell in cells:
        source, tags = (cell, []) if isinstance(cell, str) else cell
        code = new_code_cell(source)
        if tags:
            code.metadata["tags"] = tags
        built.append(code)
    nb = new_notebook(cells=built)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, str(path))
    return path


def nbtrack(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The nbtrack command, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "nbtrack", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


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


def params_of(run: Run) -> dict[str, tuple[object, str]]:
    return {p.key: (p.value, p.source.value) for p in run.params}
