"""The %track_* magics through a real IPython shell, asserting on the store."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError

from nbtrack.model import RunStatus
from nbtrack.tracking.api import get_tracker
from tests.helpers.notebooks import write_notebook
from tests.helpers.runs import params_of
from tests.helpers.shell import current_run_id, stored

PARAMS_CELL = """%%track_params
lr = 0.01          # a comment
epochs = 3
layers = [64, 32]
optimizer = "adam"
n_layers = len(layers)
"""


def run(ip: Any, source: str) -> Any:
    """Execute a cell the way a notebook does (events fire, errors are returned)."""
    return ip.run_cell(source, store_history=True)


def error_of(result: Any) -> str:
    assert isinstance(result.error_in_exec, UsageError), result.error_in_exec
    return str(result.error_in_exec)


# -- help and loading -----------------------------------------------------------------


def test_load_ext_nbtrack_registers_every_magic_with_argument_help(ip: Any) -> None:
    for name in ("track_params", "track_metrics", "track_metric", "track_data"):
        assert ip.find_line_magic(name) is not None, name
    assert ip.find_cell_magic("track_params") is not None
    doc = ip.find_line_magic("track_params").__doc__
    assert "-f FILE" in doc
    assert "parameters cell" in doc
    assert "--step STEP" in ip.find_line_magic("track_metrics").__doc__
    run_doc = ip.find_line_magic("track_run").__doc__
    assert all(option in run_doc for option in ("--new", "--end", "--notebook", "--tag"))


def test_the_extension_entry_point_is_the_package(ip: Any) -> None:
    import nbtrack

    assert callable(nbtrack.load_ipython_extension)
    assert run(ip, "%load_ext nbtrack").error_in_exec is None


# -- the parameters cell ----------------------------------------------------------------


def test_parameters_cell_logs_its_literal_assignments_with_source_notebook(ip: Any) -> None:
    assert run(ip, PARAMS_CELL).error_in_exec is None
    assert ip.user_ns["n_layers"] == 2  # the cell ran as usual
    run(ip, "x = 1")  # the next cell settles the parameters cell
    assert params_of(stored()) == {
        "lr": (0.01, "notebook"),
        "epochs": (3, "notebook"),
        "layers": ([64, 32], "notebook"),
        "optimizer": ("adam", "notebook"),
    }


@pytest.mark.parametrize(
    "header", ["# Parameters injected by nbtrack", "# Parameters"], ids=["nbtrack", "papermill"]
)
def test_value_injected_after_the_parameters_cell_is_logged_with_source_cli(
    ip: Any, header: str
) -> None:
    run(ip, PARAMS_CELL)
    run(ip, f"{header}\nlr = 0.5\n")
    run_ = stored()
    assert params_of(run_)["lr"] == (0.5, "cli")
    assert params_of(run_)["epochs"] == (3, "notebook")
    assert len(get_tracker().store().list_runs()) == 1  # no conflict, no second run


def test_parameters_cell_run_last_is_logged_when_the_session_asks_for_status(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(ip, PARAMS_CELL)
    run(ip, "%track_status")
    assert "lr=0.01 (notebook)" in capsys.readouterr().out


def test_parameters_cell_that_raises_fails_like_a_plain_cell_and_logs_nothing(ip: Any) -> None:
    result = run(ip, "%%track_params\nlr = 0.1\nraise ValueError('bad default')\n")
    assert isinstance(result.error_in_exec, ValueError)
    run(ip, "pass")
    assert get_tracker().run is None  # nothing was tracked, so no run started


def test_parameters_cell_traceback_shows_the_users_line_not_nbtracks_frames(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    result = run(ip, "%%track_params\nlr = 0.1\nepochs = undefined_name\n")
    assert isinstance(result.error_in_exec, NameError)
    shown = capsys.readouterr()
    text = shown.out + shown.err
    assert "epochs = undefined_name" in text
    assert "_run_parameters_cell" not in text
    assert "nbtrack" not in text


def test_rerunning_the_parameters_cell_with_the_same_values_keeps_the_run(ip: Any) -> None:
    run(ip, PARAMS_CELL)
    first = current_run_id()
    run(ip, PARAMS_CELL)
    run(ip, "pass")
    assert current_run_id() == first


def test_a_param_changed_interactively_ends_the_run_and_starts_a_new_one_saying_so(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(ip, PARAMS_CELL)
    run(ip, "seed = 7\n%track_params seed")
    first = current_run_id()
    capsys.readouterr()
    run(ip, PARAMS_CELL.replace("lr = 0.01", "lr = 0.1"))
    second = current_run_id()  # at once: the message shows under the cell re-run
    assert second != first
    out = capsys.readouterr().out
    assert f"lr 0.01 -> 0.1: ended run {first[:8]} and started run {second[:8]}" in out
    run(ip, "pass")
    assert current_run_id() == second
    assert stored(first).status is RunStatus.FINISHED
    assert params_of(stored(first))["lr"] == (0.01, "notebook")
    new = params_of(stored(second))
    assert new["lr"] == (0.1, "notebook")
    assert new["seed"] == (7, "notebook")  # still in effect, so carried over


def test_parameters_cell_with_arguments_is_a_usage_error(ip: Any) -> None:
    assert "takes no arguments" in error_of(run(ip, "%%track_params lr\nlr = 1\n"))


# -- line forms and config files --------------------------------------------------------------


def test_track_params_names_logs_the_current_values(ip: Any) -> None:
    run(ip, "batch_size = 32\nseed = 1")
    run(ip, "%track_params batch_size seed")
    assert params_of(stored()) == {"batch_size": (32, "notebook"), "seed": (1, "notebook")}


def test_track_params_of_a_missing_variable_names_it(ip: Any) -> None:
    message = error_of(run(ip, "%track_params batch_size"))
    assert message == "variable 'batch_size' is not defined in this notebook."


def test_param_file_loads_top_level_keys_logs_dotted_names_and_records_its_hash(
    ip: Any, project_root: Path
) -> None:
    (project_root / "params.yaml").write_text("epochs: 5\noptimizer:\n  name: sgd\n  lr: 0.2\n")
    assert run(ip, "%track_params -f params.yaml").error_in_exec is None
    assert ip.user_ns["optimizer"] == {"name": "sgd", "lr": 0.2}
    assert ip.user_ns["epochs"] == 5
    run_ = stored()
    assert params_of(run_) == {
        "epochs": (5, "file"),
        "optimizer.name": ("sgd", "file"),
        "optimizer.lr": (0.2, "file"),
    }
    (ref,) = run_.data
    assert ref.kind == "config"
    assert ref.path.endswith("params.yaml")
    assert ref.digest.startswith("sha256:")


@pytest.mark.parametrize(
    ("name", "text"),
    [("params.yaml", "- 1\n- 2\n"), ("params.json", "[1, 2]"), ("params.toml", "= broken")],
)
def test_param_file_that_is_not_a_mapping_is_one_sentence(
    ip: Any, project_root: Path, name: str, text: str
) -> None:
    (project_root / name).write_text(text)
    message = error_of(run(ip, f"%track_params -f {name}"))
    assert name in message
    assert "\n" not in message


def test_missing_param_file_is_a_usage_error(ip: Any) -> None:
    assert "does not exist" in error_of(run(ip, "%track_params -f nowhere.yaml"))


def test_track_params_without_anything_says_what_it_needs(ip: Any) -> None:
    assert "needs variable names or -f FILE" in error_of(run(ip, "%track_params"))


# -- metrics ------------------------------------------------------------------------------------


def test_track_metrics_logs_variables_at_the_step_a_braced_expression_gives(ip: Any) -> None:
    cell = (
        "for epoch in range(3):\n"
        "    val_acc = 0.5 + epoch / 10\n"
        "    val_loss = 1.0 / (epoch + 1)\n"
        "    %track_metrics val_acc val_loss --step {epoch}\n"
    )
    assert run(ip, cell).error_in_exec is None
    run_ = stored()
    by_key = {m.key: m for m in run_.metrics}
    assert by_key["val_acc"].count == 3
    assert by_key["val_acc"].last_step == 2
    steps = [m.step for m in get_tracker().store().metric_history(run_.id, "val_loss")]
    assert steps == [0, 1, 2]


def test_track_metrics_accepts_numpy_scalars_a_variable_step_and_a_rename(ip: Any) -> None:
    np = pytest.importorskip("numpy")
    ip.user_ns.update(acc=np.float32(0.75), step=np.int64(4))
    assert run(ip, "%track_metrics accuracy=acc --step step").error_in_exec is None
    (point,) = get_tracker().store().metric_history(stored().id, "accuracy")
    assert (point.value, point.step) == (0.75, 4)


def test_non_numeric_metric_is_a_usage_error_naming_it(ip: Any) -> None:
    run(ip, "val_acc = 'high'")
    assert error_of(run(ip, "%track_metrics val_acc")) == (
        "metric 'val_acc' is 'high' (str), not a number."
    )


def test_step_from_a_missing_variable_is_a_usage_error(ip: Any) -> None:
    run(ip, "loss = 0.1")
    assert "'epoch' is not defined" in error_of(run(ip, "%track_metrics loss --step {epoch}"))


def test_track_metric_logs_one_point(ip: Any) -> None:
    assert run(ip, "%track_metric loss 0.31 --step 7").error_in_exec is None
    (point,) = get_tracker().store().metric_history(stored().id, "loss")
    assert (point.value, point.step) == (0.31, 7)
    assert error_of(run(ip, "%track_metric loss lots")) == (
        "metric 'loss': 'lots' is neither a number nor a variable."
    )


# -- data, artifacts, runs, status --------------------------------------------------------------


def test_track_data_and_track_artifact_record_files(ip: Any, project_root: Path) -> None:
    (project_root / "train.csv").write_text("a,b\n1,2\n")
    (project_root / "model.pkl").write_bytes(b"\x80\x04model!")
    assert run(ip, "%track_data train.csv").error_in_exec is None
    assert run(ip, "%track_artifact model.pkl").error_in_exec is None
    run_ = stored()
    assert [(d.path, d.size) for d in run_.data] == [("train.csv", 8)]
    assert [(a.name, a.size) for a in run_.artifacts] == [("model.pkl", 8)]
    assert "missing" in error_of(run(ip, "%track_artifact nothing.pkl"))


def test_track_run_names_tags_starts_anew_and_ends(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(ip, '%track_run --name "wider net" --tag owner=ana --tag team=vision')
    first = current_run_id()
    run(ip, "%track_run --new --name second")
    second = current_run_id()
    run(ip, "%track_run --end")
    assert get_tracker().run is None or get_tracker().run.status is not RunStatus.RUNNING
    store = get_tracker().store()
    old, new = store.get_run(first), store.get_run(second)
    assert (old.name, old.tags, old.status) == (
        "wider net",
        {"owner": "ana", "team": "vision"},
        RunStatus.FINISHED,
    )
    assert (new.name, new.status) == ("second", RunStatus.FINISHED)
    assert f"ended run {first[:8]}, started run {second}" in capsys.readouterr().out
    assert "KEY=VALUE" in error_of(run(ip, "%track_run --tag owner"))
    assert "cannot be combined" in error_of(run(ip, "%track_run --end --new"))


def test_track_status_shows_run_store_and_what_was_logged(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(ip, "%track_status")
    assert "no active run" in capsys.readouterr().out
    run(ip, "lr = 0.1\n%track_params lr")
    run(ip, "%track_metric loss 0.5 --step 1")
    run(ip, "%track_status")
    out = capsys.readouterr().out
    assert current_run_id() in out
    assert "lr=0.1 (notebook)" in out
    assert "loss: last 0.5 at step 1" in out
    assert "store     sqlite:///" in out


def test_track_status_gives_a_figure_logged_every_epoch_one_line(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(ip, "import nbtrack\nPNG = b'\\x89PNG\\r\\n\\x1a\\n' + b'0' * 20")
    run(ip, "for e in range(30):\n    nbtrack.log_image(PNG + bytes([e]), 'cm', step=e)")
    run(ip, "nbtrack.log_image(PNG, 'roc')")
    run(ip, "%track_status")
    out = capsys.readouterr().out
    assert "artifact  cm.png (30 steps, 0..29; the last 29 bytes)" in out
    assert out.count("cm.png") == 1
    assert "artifact  roc.png (28 bytes)" in out


def test_track_status_shows_what_a_run_carries_inert(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # keys logged through the API can hold anything: OSC 0 retitles a terminal IPython
    run(ip, "import nbtrack")
    run(ip, "nbtrack.log_metric('loss\\x1b]0;pwned\\x07\\n\\u202e', 0.5, step=1)")
    run(ip, "%track_status")
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "\u202e" not in out
    assert "metric    loss\\x1b]0;pwned\\x07\\n<U+202E>: last 0.5 at step 1" in out


def test_track_status_names_the_clue_that_found_the_notebook_in_words(
    ip: Any, project_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    notebook = project_root / "train.ipynb"
    write_notebook(notebook, "x = 1")
    monkeypatch.setenv("NBTRACK_NOTEBOOK", str(notebook))
    run(ip, "%track_metric loss 1")
    run(ip, "%track_status")
    # as the run records it: relative to the project root
    assert "notebook  train.ipynb (found via NBTRACK_NOTEBOOK)" in capsys.readouterr().out


def test_an_exception_in_a_cell_is_recorded_and_the_run_goes_on(ip: Any) -> None:
    run(ip, "%track_metric loss 1 --step 0")
    run_id = current_run_id()
    result = run(ip, "raise KeyError('missing column')")
    assert isinstance(result.error_in_exec, KeyError)
    run(ip, "%track_metric loss 0.5 --step 1")
    assert current_run_id() == run_id
    (event,) = [e for e in stored().events if e.kind == "cell_error"]
    assert event.detail["exception"] == "KeyError"
    assert event.detail["execution_count"] == result.execution_count


def test_a_clean_sys_exit_is_no_cell_error_and_a_failing_one_is(ip: Any) -> None:
    run(ip, "%track_metric loss 1 --step 0")
    for code_ in ("import sys; sys.exit(0)", "import sys; sys.exit()", "raise SystemExit"):
        assert isinstance(run(ip, code_).error_in_exec, SystemExit), code_
    assert [e for e in stored().events if e.kind == "cell_error"] == []
    run(ip, "import sys; sys.exit(3)")
    run(ip, "import sys; sys.exit('disk full')")
    events = [e.detail for e in stored().events if e.kind == "cell_error"]
    assert [(e["exception"], e["message"]) for e in events] == [
        ("SystemExit", "3"),
        ("SystemExit", "disk full"),
    ]


def test_a_mistyped_track_magic_is_one_line_under_the_cell_and_no_traceback(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    run(ip, "%track_params batchsize")
    shown = capsys.readouterr()
    assert "UsageError: variable 'batchsize' is not defined in this notebook." in shown.err
    assert "Traceback" not in shown.out + shown.err
    run(ip, "%track_metric loss 1 --stpe 2")
    shown = capsys.readouterr()
    assert "UsageError: unrecognized arguments: --stpe 2" in shown.err
    assert "Traceback" not in shown.out + shown.err


def test_a_mistyped_track_magic_is_said_under_the_cell_but_not_recorded_on_the_run(
    ip: Any,
) -> None:
    run(ip, "%track_metric loss 1 --step 0")
    assert "not a number" in error_of(run(ip, "acc = 'high'\n%track_metrics acc"))
    assert "unrecognized arguments" in error_of(run(ip, "%track_metric loss 1 --stpe 2"))
    assert "not defined" in error_of(run(ip, "%track_params batchsize"))
    result = run(ip, "raise ValueError('bad shape')")  # the user's code failing is recorded
    events = [e.detail["exception"] for e in stored().events if e.kind == "cell_error"]
    assert events == ["ValueError"]
    assert result.execution_count is not None


def test_the_notebook_named_by_nbtrack_notebook_is_snapshotted_as_percent_text(
    ip: Any, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = project_root / "train.ipynb"
    write_notebook(notebook, "lr = 0.1", "print(lr)")
    monkeypatch.setenv("NBTRACK_NOTEBOOK", str(notebook))
    run(ip, "%track_metric loss 1")
    source = stored().source
    assert source.path == "train.ipynb"  # relative to the project root
    assert source.snapshot is not None
    assert "# %%\nlr = 0.1" in source.snapshot
    assert source.snapshot_hash is not None
    assert source.snapshot_hash.startswith("sha256:")
    assert source.stale is True  # saved before the cell that started the run


def test_ending_the_run_right_after_the_first_call_still_lands_the_snapshot(
    ip: Any, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = project_root / "train.ipynb"
    write_notebook(notebook, "lr = 0.1")
    monkeypatch.setenv("NBTRACK_NOTEBOOK", str(notebook))
    run(ip, "%track_metric loss 1")  # path and hash now, the text from a thread
    run_id = current_run_id()
    run(ip, "%track_run --end")  # no waiting by the test: the end waits for the text
    source = get_tracker().store().get_run(run_id).source
    assert source.snapshot == "# %%\nlr = 0.1\n"
    assert source.snapshot_hash == "sha256:" + hashlib.sha256(notebook.read_bytes()).hexdigest()


def test_a_kernel_exiting_before_its_snapshot_is_made_ends_the_run_then_stores_the_text(
    ip: Any, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbtrack.tracking.snapshot as notebook_module
    from nbtrack.magics import session_of

    real = notebook_module.percent_text

    def slow(text: str, path: Path) -> str:  # jupytext's first import on a busy machine
        time.sleep(1.5)
        return real(text, path)

    monkeypatch.setattr(notebook_module, "percent_text", slow)
    notebook = project_root / "train.ipynb"
    write_notebook(notebook, "lr = 0.1")
    monkeypatch.setenv("NBTRACK_NOTEBOOK", str(notebook))
    run(ip, "%track_metric loss 1")
    run_id = current_run_id()
    session = session_of(ip)
    assert session is not None
    session._at_exit()  # what atexit calls when the kernel shuts down
    assert get_tracker().run is None  # ended by the session, before the text came
    stored_run = get_tracker().store().get_run(run_id)
    assert stored_run.status is RunStatus.FINISHED
    assert stored_run.source.snapshot == "# %%\nlr = 0.1\n"


def test_track_run_notebook_sets_the_path_of_the_running_run(
    ip: Any, project_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(ip, "%track_metric loss 1")
    assert "could not tell which notebook" in capsys.readouterr().err
    notebook = project_root / "nb.ipynb"
    write_notebook(notebook, "x = 1")
    assert run(ip, f"%track_run --notebook {notebook}").error_in_exec is None
    assert stored().source.path == "nb.ipynb"
    assert "does not exist" in error_of(run(ip, "%track_run --notebook missing.ipynb"))


def test_store_that_cannot_be_opened_is_a_warning_not_an_error(
    ip: Any, project_root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = project_root / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("NBTRACK_STORE", str(blocker / "runs.db"))
    result = run(ip, "%track_metric loss 1")
    assert result.error_in_exec is None
    assert "Nothing from this cell was recorded" in capsys.readouterr().err
    assert run(ip, "x = 1 + 1").error_in_exec is None
    assert ip.user_ns["x"] == 2


def test_a_notebook_session_lands_the_same_in_sqlite_and_postgresql(
    store_url: str, ip: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_STORE", store_url)
    run(ip, PARAMS_CELL)
    run(ip, "# Parameters injected by nbtrack\nepochs = 5\n")
    run(
        ip,
        "for step in range(3):\n    loss = 1 / (step + 1)\n    %track_metrics loss --step {step}",
    )
    run(ip, "raise RuntimeError('out of memory')")
    run_id = current_run_id()
    run(ip, "%track_run --end")
    run_ = get_tracker().store().get_run(run_id)
    assert run_.status is RunStatus.FINISHED
    assert params_of(run_)["epochs"] == (5, "cli")
    assert params_of(run_)["lr"] == (0.01, "notebook")
    steps = [m.step for m in get_tracker().store().metric_history(run_id, "loss")]
    assert steps == [0, 1, 2]
    assert [e.detail["exception"] for e in run_.events if e.kind == "cell_error"] == [
        "RuntimeError"
    ]


def test_status_and_magics_share_the_run_the_python_api_started(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    run(ip, "import nbtrack\nnbtrack.log_metric('loss', 0.9, step=0)")
    run_id = current_run_id()
    run(ip, "%track_metric loss 0.8 --step 1")
    run(ip, "%track_status")
    assert run_id in capsys.readouterr().out
    assert current_run_id() == run_id


def test_a_step_that_is_not_a_whole_number_is_a_usage_error(ip: Any) -> None:
    assert error_of(run(ip, "%track_metric loss 1 --step 1.5")) == (
        "--step 1.5 is 1.5, not a whole number."
    )


def test_saving_the_notebook_during_the_run_refreshes_the_snapshot(
    ip: Any, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notebook = project_root / "train.ipynb"
    write_notebook(notebook, "lr = 0.1")
    monkeypatch.setenv("NBTRACK_NOTEBOOK", str(notebook))
    run(ip, "%track_metric loss 1")
    assert stored().source.stale is True
    write_notebook(notebook, "lr = 0.1", "print('added')")
    later = time.time() + 60  # saved after the next cell started
    os.utime(notebook, (later, later))
    run(ip, "x = 1")
    source = stored().source
    assert source.snapshot is not None
    assert "print('added')" in source.snapshot
    assert source.stale is False


def test_unloading_the_extension_stops_the_cell_hooks(ip: Any) -> None:
    run(ip, "%load_ext nbtrack")  # a no-op when loaded already
    run(ip, "%track_metric loss 1")
    run(ip, "%unload_ext nbtrack")
    run(ip, "raise ValueError('after unload')")
    assert [e for e in stored().events if e.kind == "cell_error"] == []


def test_computed_names_in_the_parameters_cell_are_named_once_in_a_note(
    ip: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    cell = "%%track_params\nlr = 0.1\nfrac = 1/1000\ntag = f'run-{lr}'\n"
    run(ip, cell)
    run(ip, "pass")
    out = capsys.readouterr().out
    assert out.count("nbtrack note:") == 1
    assert (
        "nbtrack note: frac and tag in the parameters cell are not literal "
        "values, so they are not logged as params; log one with %track_params NAME in a "
        "later cell." in out
    )
    assert params_of(stored()) == {"lr": (0.1, "notebook")}
    run(ip, cell)  # the same cell again: said once is enough
    assert "nbtrack note:" not in capsys.readouterr().out


# -- trailing comments ----------------------------------------------------------------------------


def test_every_line_magic_takes_a_trailing_comment_as_ipython_users_expect(
    ip: Any, project_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project_root / "train.csv").write_text("a,b\n1,2\n")
    (project_root / "model.pkl").write_bytes(b"weights")
    run(ip, "batch_size = 32\nseed = 1\nval_acc = 0.9")
    cells = [
        "%track_params batch_size seed  # the loader's, not the model's",
        '%track_run --name "run #2" --tag owner=ana # named and tagged',
        "%track_metrics val_acc --step 3   # after the third epoch",
        "%track_metric loss 0.31 --step 7\t# one point",
        "%track_data train.csv  # the raw export",
        "%track_artifact model.pkl #the weights",
        "%track_status  # what has been recorded",
    ]
    for cell in cells:
        assert run(ip, cell).error_in_exec is None, cell
    assert "run #2" in capsys.readouterr().out  # a '#' inside quotes is no comment
    run_ = stored()
    assert params_of(run_) == {"batch_size": (32, "notebook"), "seed": (1, "notebook")}
    assert (run_.name, run_.tags) == ("run #2", {"owner": "ana"})
    assert {m.key: (m.last, m.last_step) for m in run_.metrics} == {
        "val_acc": (0.9, 3),
        "loss": (0.31, 7),
    }
    assert [d.path for d in run_.data] == ["train.csv"]
    assert [a.name for a in run_.artifacts] == ["model.pkl"]


def test_a_parameters_cell_header_takes_a_comment_and_a_hash_inside_a_word_is_kept(
    ip: Any, project_root: Path
) -> None:
    assert run(ip, "%%track_params  # for papermill too\nlr = 0.5\n").error_in_exec is None
    run(ip, "x = 1")
    assert params_of(stored()) == {"lr": (0.5, "notebook")}
    (project_root / "data#1.csv").write_text("a\n1\n")
    assert run(ip, "%track_data data#1.csv").error_in_exec is None
    assert [d.path for d in stored().data] == ["data#1.csv"]
