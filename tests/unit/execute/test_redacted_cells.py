"""The executed notebook's code keeps its secrets redacted; only the kernel gets the real text."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from nbtrack.execute.redacted import RedactedCells
from tests.helpers.notebooks import load, notebook

SECRET = "api_token = 'tok-real'\nlr = 0.1"
SHOWN = "api_token = '***'\nlr = 0.1"


def test_the_shown_notebook_is_redacted_and_the_hooks_send_the_real_text_only_while_sending() -> (
    None
):
    cells = RedactedCells(load(notebook("print('hi')", SECRET)))
    assert [c.source for c in cells.shown.cells] == ["print('hi')", SHOWN]
    papermills = nbformat.reads(json.dumps(notebook("print('hi')", SHOWN)), as_version=4)
    hooks = cells.hooks()
    cell = papermills.cells[1]
    hooks["on_cell_execute"](cell=cell, cell_index=1)
    assert cell.source == SECRET  # what nbclient sends to the kernel now
    hooks["on_cell_complete"](cell=cell, cell_index=1)
    assert cell.source == SHOWN  # what papermill saves from now on


def test_a_run_stopped_while_the_real_text_was_out_gets_its_file_redacted(tmp_path: Path) -> None:
    cells = RedactedCells(load(notebook("print('hi')", SECRET)))
    papermills = nbformat.reads(json.dumps(notebook("print('hi')", SHOWN)), as_version=4)
    cells.hooks()["on_cell_execute"](cell=papermills.cells[1], cell_index=1)
    executed = tmp_path / "executed.ipynb"
    nbformat.write(papermills, executed)  # a save with the real text: the run stopped here
    cells.scrub(executed)
    assert "tok-real" not in executed.read_text()
    saved = nbformat.read(executed, as_version=4)
    assert [c.source for c in saved.cells] == ["print('hi')", SHOWN]


def test_a_notebook_without_secrets_is_run_as_it_is_and_needs_no_hooks() -> None:
    nb = load(notebook("lr = 0.1\nmax_tokens = 512", "url = 'https://example.com/?page=2'"))
    cells = RedactedCells(nb)
    assert cells.shown is nb
    assert cells.hooks() == {}
    assert RedactedCells(load(notebook(SECRET)), redact=False).hooks() == {}
