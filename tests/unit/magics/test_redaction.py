"""A notebook's secrets stay out of the store: its code snapshot, and params across a restart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.notebooks import write_notebook
from tests.helpers.runs import params_of
from tests.helpers.secrets import leaks
from tests.helpers.shell import current_run_id, stored

SECRET_CELL = "%%track_params\ndb_password = 'hunter2'\nlr = 0.1"
URL_CELL = 'db_url = "postgresql://ana:nb-url-pw@db/runs"\nmax_tokens = 512'


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "store"
    monkeypatch.setenv("NBTRACK_STORE", str(folder / "runs.db"))
    return folder


def test_secret_literals_in_the_notebook_are_redacted_in_its_stored_snapshot(
    ip: Any, project_root: Path, store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = project_root / "train.ipynb"
    write_notebook(notebook, SECRET_CELL, URL_CELL)
    monkeypatch.setenv("NBTRACK_NOTEBOOK", str(notebook))
    assert ip.run_cell(SECRET_CELL).error_in_exec is None
    assert ip.run_cell(URL_CELL).error_in_exec is None
    run = stored()
    assert ip.user_ns["db_password"] == "hunter2"  # the notebook keeps its value
    ip.run_cell("%track_run --end")
    assert leaks([store_dir], ["hunter2", "nb-url-pw"]) == []
    assert run.source.snapshot == (
        "# %%\n# %%track_params\ndb_password = '***'\nlr = 0.1\n\n"
        '# %%\ndb_url = "postgresql://ana:***@db/runs"\nmax_tokens = 512\n'
    )
    assert params_of(run) == {"db_password": ("***", "notebook"), "lr": (0.1, "notebook")}


def test_a_param_with_a_secret_inside_is_not_carried_into_the_next_run_as_stars(
    ip: Any, store_dir: Path
) -> None:
    db_cell = '%%track_params\ndb = {"host": "h", "password": "pw-in-dict"}'
    assert ip.run_cell(db_cell).error_in_exec is None
    assert ip.run_cell("%%track_params\nlr = 0.1").error_in_exec is None
    first = current_run_id()
    assert ip.run_cell("%%track_params\nlr = 0.2").error_in_exec is None  # a new run
    second = current_run_id()
    assert second != first
    # the stars were not carried over as its value: re-running its cell changes nothing
    assert ip.run_cell(db_cell).error_in_exec is None
    assert current_run_id() == second
    assert ip.run_cell("%track_run --end").error_in_exec is None
    assert leaks([store_dir], ["pw-in-dict"]) == []
    assert params_of(stored(second))["db"] == ({"host": "h", "password": "***"}, "notebook")
