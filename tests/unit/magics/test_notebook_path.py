"""Finding the notebook from inside a kernel, and its text snapshot."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from nbtrack.config import mask_url
from nbtrack.envvars import RUN_ID_FILE_ENV
from nbtrack.errors import NotebookError
from nbtrack.model import Source
from nbtrack.tracking.locate import (
    MATCH_MAX_BYTES,
    find_notebook,
    match_executed_cells,
    resolve_session_path,
)
from nbtrack.tracking.params_cell import is_injected_cell
from nbtrack.tracking.snapshot import (
    BackgroundSnapshot,
    capture_source,
    content_hash,
    read_source,
    snapshot_text,
)
from tests.helpers.notebooks import notebook, write, write_notebook


def _notebook(path: Path, *sources: str) -> Path:
    """A notebook with metadata, which its snapshot text must leave out."""
    return write_notebook(path, *sources, kernelspec={"name": "x"})


def test_an_explicit_override_wins_over_every_other_clue(tmp_path: Path) -> None:
    ns = {"__vsc_ipynb_file__": "/elsewhere/vscode.ipynb"}
    env = {"NBTRACK_NOTEBOOK": "env.ipynb", "JPY_SESSION_NAME": "/x/server.ipynb"}
    found = find_notebook(ns, override="mine.ipynb", env=env, cwd=tmp_path)
    assert (found.path, found.how) == (tmp_path / "mine.ipynb", "override")
    found = find_notebook(ns, env=env, cwd=tmp_path)
    assert (found.path, found.how) == (tmp_path / "env.ipynb", "env")


def test_papermill_injected_input_path_comes_before_vscode(tmp_path: Path) -> None:
    ns = {"PAPERMILL_INPUT_PATH": "in.ipynb", "__vsc_ipynb_file__": "/v/code.ipynb"}
    found = find_notebook(ns, env={}, cwd=tmp_path)
    assert (found.path, found.how) == (tmp_path / "in.ipynb", "papermill")


def test_vscode_names_its_notebook_in_the_namespace(tmp_path: Path) -> None:
    found = find_notebook({"__vsc_ipynb_file__": "/work/a b/nb.ipynb"}, env={}, cwd=tmp_path)
    assert (found.path, found.how) == (Path("/work/a b/nb.ipynb"), "vscode")


def test_jupyter_server_session_path_relative_to_the_server_root(tmp_path: Path) -> None:
    (tmp_path / "analysis").mkdir()
    notebook = _notebook(tmp_path / "analysis" / "nb.ipynb")
    kernel_cwd = tmp_path / "analysis"  # the kernel runs in the notebook's directory
    found = find_notebook({}, env={"JPY_SESSION_NAME": "analysis/nb.ipynb"}, cwd=kernel_cwd)
    assert (found.path, found.how) == (notebook.resolve(), "jupyter-server")


def test_jupyter_server_session_from_the_namespace_when_absolute(tmp_path: Path) -> None:
    notebook = _notebook(tmp_path / "nb.ipynb")
    found = find_notebook({"__session__": str(notebook)}, env={}, cwd=Path("/"))
    assert (found.path, found.how) == (notebook, "jupyter-server")


def test_session_api_path_with_a_leading_slash_is_relative_to_the_root(tmp_path: Path) -> None:
    (tmp_path / "analysis").mkdir()
    notebook = _notebook(tmp_path / "analysis" / "nb.ipynb")
    assert resolve_session_path("/analysis/nb.ipynb", tmp_path / "analysis") == notebook.resolve()


def test_session_path_that_names_no_file_is_not_used(tmp_path: Path) -> None:
    assert resolve_session_path("gone/nb.ipynb", tmp_path) is None
    assert resolve_session_path(str(tmp_path / "gone.ipynb"), tmp_path) is None


def test_a_script_run_with_ipython_file_py_is_its_own_source(tmp_path: Path) -> None:
    script = tmp_path / "train.py"
    script.write_text("x = 1\n")
    found = find_notebook({"__file__": str(script)}, env={}, cwd=tmp_path, argv=["ipython"])
    assert (found.path, found.how) == (script, "script")
    found = find_notebook({}, env={}, cwd=tmp_path, argv=["train.py"])
    assert (found.path, found.how) == (script, "script")


def test_a_kernel_launcher_is_never_taken_for_the_notebook(tmp_path: Path) -> None:
    import ipykernel_launcher

    launcher = ipykernel_launcher.__file__
    found = find_notebook({}, env={}, cwd=tmp_path, argv=[launcher, "-f", "k.json"])
    assert (found.path, found.how) == (None, "none")
    assert not found.found


#: what IPython's raw input history holds after three cells of train.ipynb ran
_RAN = ["", "%load_ext nbtrack", "lr = 0.1\n", "%track_metric lr {lr}"]


def _train(path: Path) -> Path:
    return _notebook(path, "%load_ext nbtrack", "lr = 0.1", "%track_metric lr {lr}", "print(lr)")


def test_a_kernel_no_clue_names_is_found_by_the_cells_it_executed(tmp_path: Path) -> None:
    notebook_path = _train(tmp_path / "train.ipynb")
    _notebook(tmp_path / "eda.ipynb", "%load_ext nbtrack", "lr = 0.2")  # shares a cell only
    found = find_notebook({}, env={}, cwd=tmp_path, argv=["launcher"], executed=_RAN)
    assert (found.path, found.how) == (notebook_path.resolve(), "cells")


def test_a_notebook_one_folder_down_is_found_two_folders_down_is_not(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    deep = _train(tmp_path / "a" / "b" / "train.ipynb")
    assert match_executed_cells(_RAN, tmp_path) is None
    assert match_executed_cells(_RAN, tmp_path / "a") == deep.resolve()


def test_two_copies_of_the_notebook_match_nothing(tmp_path: Path) -> None:
    _train(tmp_path / "train.ipynb")
    _train(tmp_path / "train-copy.ipynb")
    found = find_notebook({}, env={}, cwd=tmp_path, argv=["launcher"], executed=_RAN)
    assert (found.path, found.how) == (None, "none")


def test_checkpoints_outputs_big_and_broken_files_are_not_candidates(tmp_path: Path) -> None:
    notebook_path = _train(tmp_path / "train.ipynb")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    _train(tmp_path / ".ipynb_checkpoints" / "train-checkpoint.ipynb")
    executed = json.loads(notebook_path.read_text())
    executed["metadata"]["nbtrack"] = {"output_of": "train.ipynb"}  # what nbtrack run wrote
    write(tmp_path / "executed-train.ipynb", executed)
    big = notebook("%load_ext nbtrack", "lr = 0.1", "%track_metric lr {lr}")
    big["metadata"]["padding"] = "x" * MATCH_MAX_BYTES
    write(tmp_path / "big.ipynb", big)
    (tmp_path / "broken.ipynb").write_text("{not json")
    assert match_executed_cells(_RAN, tmp_path) == notebook_path.resolve()


def test_a_cell_that_is_not_in_the_notebook_rules_it_out(tmp_path: Path) -> None:
    _train(tmp_path / "train.ipynb")
    assert match_executed_cells([*_RAN, "lr = 0.5"], tmp_path) is None
    assert match_executed_cells(["", "  "], tmp_path) is None  # nothing ran: no guess


def test_cells_with_non_ascii_text_match_however_the_json_escapes_them(tmp_path: Path) -> None:
    data = notebook("%load_ext nbtrack", "title = '学习率'\nlr = 0.1")
    escaped = tmp_path / "escaped.ipynb"  # \\u5b66 in the file, not the character
    escaped.write_text(json.dumps(data, ensure_ascii=True))
    ran = ["%load_ext nbtrack", "title = '学习率'\nlr = 0.1"]
    assert match_executed_cells(ran, tmp_path) == escaped.resolve()
    assert match_executed_cells(["title = '学习率'"], tmp_path) is None  # not a cell of it


def test_a_terminal_ipython_is_a_session_of_its_own_not_a_missing_notebook(
    tmp_path: Path,
) -> None:
    _train(tmp_path / "train.ipynb")  # typing its cells at a prompt does not make it the source
    found = find_notebook({}, env={}, cwd=tmp_path, argv=["ipython"], executed=_RAN, terminal=True)
    assert (found.path, found.how) == (None, "terminal")


def test_snapshot_is_percent_text_without_notebook_metadata(tmp_path: Path) -> None:
    path = _notebook(tmp_path / "nb.ipynb", "lr = 0.1", "print(lr)")
    text = snapshot_text(path)
    assert text == "# %%\nlr = 0.1\n\n# %%\nprint(lr)\n"
    source = capture_source(path, last_cell_at=None)
    assert source.snapshot == text
    # the hash is of the file itself, as `sha256sum nb.ipynb` prints it
    assert source.snapshot_hash == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    assert source.stale is None


def test_read_source_gives_path_hash_and_staleness_without_converting(tmp_path: Path) -> None:
    path = _notebook(tmp_path / "nb.ipynb", "lr = 0.1")
    source, text = read_source(path, last_cell_at=path.stat().st_mtime + 5)
    assert (source.path, source.snapshot, source.stale) == (str(path), None, True)
    assert source.snapshot_hash == content_hash(path.read_text())
    assert text == path.read_text()


def test_background_snapshot_delivers_the_text_read_at_capture_once(tmp_path: Path) -> None:
    path = _notebook(tmp_path / "nb.ipynb", "lr = 0.1")
    source, text = read_source(path)
    assert text is not None
    job = BackgroundSnapshot(source, text, path)
    path.write_text("changed after the capture")  # the snapshot is of what was read
    got: list[Source] = []
    job.deliver_to(got.append)
    assert job.wait(30.0)
    job.deliver_to(got.append)  # a second sink is ignored
    assert [s.snapshot for s in got] == ["# %%\nlr = 0.1\n"]
    assert got[0].snapshot_hash == source.snapshot_hash


def test_a_cancelled_background_snapshot_is_never_delivered(tmp_path: Path) -> None:
    path = _notebook(tmp_path / "nb.ipynb", "lr = 0.1")
    source, text = read_source(path)
    assert text is not None
    job = BackgroundSnapshot(source, text, path)
    job.cancel()
    got: list[Source] = []
    job.deliver_to(got.append)
    assert job.wait(30.0)
    assert got == []


def test_a_recapture_of_the_same_bytes_takes_the_text_of_the_capture_it_replaces(
    tmp_path: Path,
) -> None:
    # at a kernel's exit the file is captured again: an unchanged file must not
    # start its conversion over (the kernel may be killed before it ends)
    path = _notebook(tmp_path / "nb.ipynb", "lr = 0.1")
    source, text = read_source(path)
    assert text is not None
    first = BackgroundSnapshot(source, text, path)
    first.cancel()  # replaced, as the session does, before the next one starts
    again = replace(source, stale=True)  # staleness is the new capture's own
    second = BackgroundSnapshot(again, "not what was converted", path, first)
    got: list[Source] = []
    second.deliver_to(got.append)
    assert second.wait(30.0)
    assert [(s.snapshot, s.stale) for s in got] == [("# %%\nlr = 0.1\n", True)]
    # other bytes are converted anew
    other = replace(source, snapshot_hash="sha256:other")
    third = BackgroundSnapshot(other, json.dumps(notebook("y = 2")), path, second)
    assert third.wait(30.0)
    third.deliver_to(got.append)
    assert got[-1].snapshot == "# %%\ny = 2\n"


def test_a_snapshot_still_converting_when_the_interpreter_exits_is_made(tmp_path: Path) -> None:
    # a kernel shut down right after its last cell: the conversion (jupytext's first
    # import) runs on while atexit hooks run, when Python refuses new thread exit hooks
    path = _notebook(tmp_path / "nb.ipynb", "lr = 0.1")
    script = (
        "import atexit, sys\n"
        "from pathlib import Path\n"
        "from nbtrack.tracking.snapshot import BackgroundSnapshot, read_source\n"
        f"path = Path({str(path)!r})\n"
        "source, text = read_source(path)\n"
        "assert 'jupytext' not in sys.modules\n"
        "job = BackgroundSnapshot(source, text, path)\n"
        "def at_exit():\n"
        "    got = []\n"
        "    job.deliver_to(got.append)\n"
        "    job.wait(60)\n"
        "    print(repr(got[0].snapshot if got else None))\n"
        "atexit.register(at_exit)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == repr("# %%\nlr = 0.1\n"), done.stderr


def test_snapshot_is_stale_when_the_file_is_older_than_the_last_cell(tmp_path: Path) -> None:
    path = _notebook(tmp_path / "nb.ipynb", "x = 1")
    saved = path.stat().st_mtime
    assert capture_source(path, last_cell_at=saved + 5).stale is True
    assert capture_source(path, last_cell_at=saved - 5).stale is False
    assert capture_source(path, last_cell_at=saved + 5, batch=True).stale is False


def test_a_broken_notebook_is_one_sentence_and_leaves_only_the_path(tmp_path: Path) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text("{ not json")
    with pytest.raises(NotebookError, match=r"broken\.ipynb is not a readable notebook"):
        snapshot_text(path)
    source = capture_source(path, last_cell_at=time.time())
    assert (source.path, source.snapshot) == (str(path), None)
    assert source.snapshot_hash == content_hash("{ not json")  # which file it was is kept


def test_injected_cells_are_recognised_by_their_header() -> None:
    assert is_injected_cell("# Parameters injected by nbtrack\nlr = 0.1\n")
    assert is_injected_cell("# Parameters\nlr = 0.1\n")
    assert not is_injected_cell("# Parameters of the model, by hand\nlr = 0.1")
    assert not is_injected_cell("lr = 0.1  # Parameters")


def test_store_urls_are_printed_without_their_password() -> None:
    assert mask_url("postgresql+psycopg://ana:s3cr3t@db:5432/runs") == (
        "postgresql+psycopg://ana:***@db:5432/runs"
    )
    assert mask_url("sqlite:////tmp/runs.db") == "sqlite:////tmp/runs.db"


def test_load_ext_nbtrack_imports_no_store_sqlalchemy_pandas_or_nbformat() -> None:
    code = (
        "import json, sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        "ip.run_line_magic('load_ext', 'nbtrack')\n"
        "ip.run_cell('x = 1')\n"
        "heavy = ['sqlalchemy', 'pandas', 'nbformat', 'jupytext', 'papermill',"
        " 'nbtrack.store.sql']\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != RUN_ID_FILE_ENV}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
