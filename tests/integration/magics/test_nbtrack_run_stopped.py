"""``nbtrack run`` stopped from outside: the run says so, whichever process goes first.

Real processes and real signals: Ctrl-C (SIGINT) and SIGTERM reach
``nbtrack run`` only (its kernel runs in a session of its own), SIGKILL
leaves the kernel without a parent, a timeout stops the kernel mid-cell.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from nbtrack.model import RunStatus
from tests.helpers.cli import nbtrack_subprocess
from tests.helpers.notebooks import PYTHON3, write_notebook

pytestmark = [pytest.mark.kernel, pytest.mark.slow]

#: a notebook that logs a point, says it is in its long cell, and sleeps there
CELLS = (
    "import nbtrack, pathlib, time",
    "nbtrack.log_metric('loss', 0.5, step=1)",
    "pathlib.Path('in-cell-3').touch()\ntime.sleep(120)",
    "print('never')",
)


def _default_signals() -> None:
    # a test runner may ignore SIGINT (a background job does): a user's terminal does not
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(folder: Path, *args: str) -> subprocess.Popen[str]:
    write_notebook(folder / "long.ipynb", *CELLS, kernelspec=PYTHON3)
    proc = subprocess.Popen(
        [sys.executable, "-m", "nbtrack", "run", "long.ipynb", *args],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_signals,
    )
    deadline = time.monotonic() + 120
    while not (folder / "in-cell-3").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the notebook never reached its long cell"
        time.sleep(0.1)
    return proc


def _only_run(read_store: Any, wait_for: RunStatus) -> Any:
    """The one run in the store, once it reads *wait_for* (at most 20 s)."""
    deadline = time.monotonic() + 20
    run = read_store()
    while run.status is not wait_for and time.monotonic() < deadline:
        time.sleep(0.25)
        run = read_store()
    return run


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_on_nbtrack_run_ends_the_run_killed_and_exits_128_plus_the_signal(
    tmp_path: Path, store_file: Path, read_store: Any, sig: signal.Signals
) -> None:
    proc = _start(tmp_path)

    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)

    assert proc.returncode == 128 + sig, err
    assert f"long.ipynb was stopped by {sig.name}" in err
    assert "Traceback" not in err
    run = read_store(out.strip())
    assert run.status is RunStatus.KILLED
    assert [(m.key, m.last) for m in run.metrics] == [("loss", 0.5)]  # kept
    (event,) = [e for e in run.events if e.kind == "killed"]
    assert event.detail["signal"] == sig.name
    assert event.detail["cell"] == 3
    assert [a.name for a in run.artifacts] == ["executed/long.ipynb"]


def test_a_killed_nbtrack_run_leaves_its_run_killed_not_running_or_finished(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    proc = _start(tmp_path)

    proc.kill()  # SIGKILL: nbtrack run can do nothing; its kernel notices it is gone
    proc.communicate(timeout=30)

    run = _only_run(read_store, RunStatus.KILLED)
    assert run.status is RunStatus.KILLED
    assert run.ended_at is not None
    assert [(m.key, m.last) for m in run.metrics] == [("loss", 0.5)]


def test_the_kernel_ends_the_run_killed_itself_when_told_before_it_is_stopped(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    # the first end the store sees is the kernel's exit hook (nbtrack run settles
    # after its kernel is gone): it records KILLED from what nbtrack run told it
    proc = _start(tmp_path)

    proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 30
    run = read_store()
    while run.ended_at is None and time.monotonic() < deadline:
        time.sleep(0.02)
        run = read_store()
    os.kill(proc.pid, signal.SIGKILL)  # nbtrack run dies before it can correct anything
    proc.communicate(timeout=30)

    assert run.status is RunStatus.KILLED
    assert read_store().status is RunStatus.KILLED


def test_a_timed_out_run_is_failed_with_an_event_naming_the_cell(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    write_notebook(tmp_path / "long.ipynb", *CELLS, kernelspec=PYTHON3)

    done = nbtrack_subprocess("run", "long.ipynb", "--timeout", "4", cwd=tmp_path, timeout=120)

    assert done.returncode == 1, done.stderr
    run = read_store(done.stdout.strip())
    assert run.status is RunStatus.FAILED
    (event,) = [e for e in run.events if e.kind == "error"]
    assert event.detail["cell"] == 3
    assert (
        "cell 3 (In [3]) `pathlib.Path('in-cell-3').touch()` did not finish"
        in (event.detail["message"])
    )
