"""The notebook path a run records: relative to the project root inside it, else absolute.

Teammates' runs of one notebook share a store over PostgreSQL; the path must be
the same for all of them (and short), so ``--where "notebook = '...'"`` works.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from nbtrack.tracking.api import get_tracker
from nbtrack.tracking.locate import recorded_path
from nbtrack.tracking.snapshot import capture_source, read_source
from tests.helpers.cli import nbtrack
from tests.helpers.notebooks import write_notebook
from tests.helpers.shell import current_run_id, stored


def run(ip: Any, source: str) -> Any:
    return ip.run_cell(source, store_history=True)


# -- the path itself ------------------------------------------------------------------------


def test_a_file_inside_the_root_is_recorded_relative_with_forward_slashes(tmp_path: Path) -> None:
    notebook = write_notebook(tmp_path / "notebooks" / "deep" / "train.ipynb", "x = 1")
    assert recorded_path(notebook, tmp_path) == "notebooks/deep/train.ipynb"
    source, _ = read_source(notebook, root=tmp_path)
    assert source.path == "notebooks/deep/train.ipynb"
    assert capture_source(notebook, root=tmp_path).path == "notebooks/deep/train.ipynb"


def test_a_file_outside_the_root_is_recorded_absolute(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    notebook = write_notebook(tmp_path / "elsewhere" / "eda.ipynb", "x = 1")
    assert recorded_path(notebook, tmp_path / "project") == notebook.as_posix()
    assert capture_source(notebook, root=tmp_path / "project").path == notebook.as_posix()


def test_without_a_root_the_project_root_of_the_working_directory_is_used(
    project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = write_notebook(project_root / "notebooks" / "train.ipynb", "x = 1")
    monkeypatch.chdir(notebook.parent)  # where Jupyter starts a notebook's kernel
    assert recorded_path(notebook) == "notebooks/train.ipynb"
    assert capture_source(notebook).path == "notebooks/train.ipynb"


def test_a_missing_file_keeps_its_recorded_path_and_nothing_else(tmp_path: Path) -> None:
    source, text = read_source(tmp_path / "gone.ipynb", root=tmp_path)
    assert (source.path, source.snapshot_hash, text) == ("gone.ipynb", None, None)


# -- through the magics -----------------------------------------------------------------------


def test_a_notebook_inside_the_project_records_its_path_from_the_project_root(
    ip: Any, project_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    notebook = write_notebook(project_root / "notebooks" / "train.ipynb", "lr = 0.1")
    monkeypatch.chdir(notebook.parent)  # the kernel runs in the notebook's directory
    monkeypatch.setenv("NBTRACK_NOTEBOOK", str(notebook))
    run(ip, "%track_metric loss 1")
    source = stored().source
    assert source.path == "notebooks/train.ipynb"
    assert source.snapshot == "# %%\nlr = 0.1\n"
    run(ip, "%track_status")
    assert "notebook  notebooks/train.ipynb (found via NBTRACK_NOTEBOOK)" in capsys.readouterr().out


def test_a_relative_nbtrack_notebook_is_taken_from_the_kernels_directory(
    ip: Any, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = write_notebook(project_root / "notebooks" / "train.ipynb", "lr = 0.1")
    monkeypatch.chdir(notebook.parent)
    monkeypatch.setenv("NBTRACK_NOTEBOOK", "train.ipynb")
    run(ip, "%track_metric loss 1")
    assert stored().source.path == "notebooks/train.ipynb"


def test_a_notebook_outside_the_project_records_its_absolute_path(
    ip: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = write_notebook(tmp_path / "elsewhere" / "eda.ipynb", "x = 1")
    monkeypatch.setenv("NBTRACK_NOTEBOOK", str(notebook))
    run(ip, "%track_metric loss 1")  # the working directory is the project root
    assert stored().source.path == notebook.as_posix()


def test_track_run_notebook_records_the_path_from_the_project_root(
    ip: Any, project_root: Path
) -> None:
    write_notebook(project_root / "notebooks" / "nb.ipynb", "x = 1")
    assert run(ip, "%track_run --notebook notebooks/nb.ipynb").error_in_exec is None
    assert stored().source.path == "notebooks/nb.ipynb"


def test_a_save_after_the_kernel_changed_directory_still_refreshes_the_snapshot(
    ip: Any, project_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = write_notebook(project_root / "notebooks" / "train.ipynb", "lr = 0.1")
    monkeypatch.chdir(notebook.parent)
    monkeypatch.setenv("NBTRACK_NOTEBOOK", "train.ipynb")
    run(ip, "%track_metric loss 1")
    assert stored().source.snapshot == "# %%\nlr = 0.1\n"
    elsewhere = tmp_path / "scratch"
    elsewhere.mkdir()
    # a relative "notebooks/train.ipynb" or "train.ipynb" does not exist from here
    run(ip, f"import os; os.chdir({str(elsewhere)!r})")
    write_notebook(notebook, "lr = 0.1", "print('added')")
    later = time.time() + 60  # saved after the next cell started
    os.utime(notebook, (later, later))
    run(ip, "x = 1")
    source = stored().source
    assert source.path == "notebooks/train.ipynb"  # against the run's root, not the new cwd
    assert source.snapshot == "# %%\nlr = 0.1\n\n# %%\nprint('added')\n"
    assert source.stale is False


def test_a_run_started_with_other_settings_records_the_path_from_their_root(
    ip: Any, project_root: Path
) -> None:
    sub = project_root / "sub"
    write_notebook(sub / "nb.ipynb", "x = 1")
    (sub / "pyproject.toml").write_text('[project]\nname = "sub"\n')
    run(ip, "%track_run --notebook sub/nb.ipynb")
    assert stored().source.path == "sub/nb.ipynb"
    run(ip, "%track_run --end")
    result = run(
        ip,
        "import nbtrack\nfrom nbtrack.config import load_settings\n"
        "nbtrack.start_run(settings=load_settings(__import__('pathlib').Path('sub')))",
    )
    assert result.error_in_exec is None
    active = get_tracker().run
    assert active is not None
    assert active.settings.root == sub.resolve()
    assert stored().source.path == "nb.ipynb"


def test_runs_where_notebook_finds_the_run_by_its_recorded_path(
    ip: Any, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = write_notebook(project_root / "notebooks" / "x.ipynb", "x = 1")
    monkeypatch.chdir(notebook.parent)
    monkeypatch.setenv("NBTRACK_NOTEBOOK", str(notebook))
    run(ip, "%track_metric loss 1")
    run_id = current_run_id()
    stored()  # flushed
    where = ["runs", "--where", "notebook = 'notebooks/x.ipynb'", "--format", "json"]
    result = nbtrack(*where)
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [(r["id"], r["notebook"]) for r in listed] == [(run_id, "notebooks/x.ipynb")]
    # the file name alone is not the recorded path
    where[2] = "notebook = 'x.ipynb'"
    assert json.loads(nbtrack(*where).output) == []
