"""A task's call runs in a child process of its own: values, errors and SIGTERM come back."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from nbtrack.cluster.worker import call_in_process
from nbtrack.errors import UsageError
from nbtrack.smoke.options import SmokeOptions, project_smoke_config
from nbtrack.smoke.plan import plan_notebook
from nbtrack.smoke.result import CellFailure, LintWarning, SmokeResult
from tests.helpers.notebooks import code, write_notebook


def _answer(function: object, *args: object) -> tuple[str, str, object]:
    worker, kind, data = call_in_process(pickle.dumps((function, args, {})), None, 5.0)
    return worker, kind, pickle.loads(data)


def test_a_value_comes_back_from_another_process() -> None:
    worker, kind, outcome = _answer(os.getpid)

    assert (worker, kind) == ("local", "ok")
    status, pid = outcome
    assert status == "ok"
    assert pid != os.getpid()


def test_an_nbtrack_error_comes_back_as_its_sentence() -> None:
    _, kind, outcome = _answer(_raise_usage, "lr")

    assert kind == "ok"  # the process ran; the call failed
    assert outcome == ("error", "Bad value for lr.")


def test_another_exception_names_its_type() -> None:
    _, _, outcome = _answer(int, "x")

    assert outcome == ("error", "ValueError: invalid literal for int() with base 10: 'x'")


def test_a_process_that_dies_is_one_sentence() -> None:
    _, kind, outcome = _answer(os._exit, 3)

    assert kind == "error"
    assert outcome == ("error", "the task's process on local ended (exit code 3)")


def _raise_usage(name: str) -> None:
    raise UsageError(f"Bad value for {name}.")


def test_plans_and_results_survive_pickling(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "nb.ipynb", code("x = 1", count=1), code("y = x", count=2))
    plan = plan_notebook(path, SmokeOptions(params={}), project_smoke_config(tmp_path))
    failure = CellFailure(1, 2, 1, ((1, "y = x"),), "NameError", "x", ("t",))
    result = SmokeResult(path, "failed", failure, 1.5, (LintWarning("code", "m", 1),), "r", "o")

    assert pickle.loads(pickle.dumps(plan)) == plan
    assert pickle.loads(pickle.dumps(result)) == result


@pytest.mark.parametrize("bad", ["0", "-1", "soon"])
def test_a_bad_timeout_setting_is_refused(bad: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from nbtrack.cluster.connect import dask_timeout

    monkeypatch.setenv("NBTRACK_DASK_TIMEOUT", bad)

    with pytest.raises(UsageError, match="NBTRACK_DASK_TIMEOUT"):
        dask_timeout()


def test_a_call_whose_worker_dies_is_stopped_like_ctrl_c(tmp_path: Path) -> None:
    """The worker's stand-in starts the call and is SIGKILLed; the call gets KeyboardInterrupt."""
    import subprocess
    import sys
    import time

    source, target = tmp_path / "call.pickle", tmp_path / "outcome.pickle"
    source.write_bytes(pickle.dumps((time.sleep, (120,), {})))
    parent = subprocess.Popen(
        [sys.executable, "-c",
         "import subprocess, sys, time\n"
         f"subprocess.Popen([sys.executable, '-m', 'nbtrack.cluster._call', {str(source)!r},"
         f" {str(target)!r}], start_new_session=True)\n"
         "time.sleep(600)"],
    )  # fmt: skip
    try:
        time.sleep(3)  # the call has started sleeping
        assert not target.exists()
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 30
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        if parent.poll() is None:
            parent.kill()
    assert pickle.loads(target.read_bytes()) == ("error", "stopped (SIGTERM) before it finished")
