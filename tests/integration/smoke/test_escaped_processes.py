"""Processes that leave the notebook's session (setsid, start_new_session) do not outlive it."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers.notebooks import write_notebook
from tests.helpers.processes import ESCAPES, smoke_started, survivors

from .conftest import Invoke


@pytest.mark.parametrize("escape", sorted(ESCAPES))
@pytest.mark.parametrize("engine", ["script", "kernel"])
def test_a_process_that_left_the_notebooks_session_is_gone_after_smoke(
    project: Path, nbtrack_cli: Invoke, escape: str, engine: str
) -> None:
    write_notebook(project / "escape.ipynb", ESCAPES[escape].format(name="escaped"), "x = 1")

    out = nbtrack_cli("smoke", "escape.ipynb", "--engine", engine, "--timeout", "60")

    assert out.exit_code == 0, out.text
    assert survivors([project / "escaped.pid"]) == []


def test_a_process_that_left_the_session_is_gone_after_a_cell_timeout(
    project: Path, nbtrack_cli: Invoke
) -> None:
    cell = ESCAPES["double_fork_setsid"].format(name="escaped")
    write_notebook(project / "slow.ipynb", cell, "import time\ntime.sleep(600)")

    out = nbtrack_cli("smoke", "slow.ipynb", "--cell-timeout", "2")

    assert out.exit_code == 1, out.text
    assert "TIMEOUT slow.ipynb" in out.stdout
    assert survivors([project / "escaped.pid"]) == []


def test_a_notebook_whose_process_dies_while_a_grandchild_holds_its_pipe_ends_at_once(
    project: Path, nbtrack_cli: Invoke
) -> None:
    # the grandchild keeps the events pipe open: reading must stop at the child's exit
    cell = ESCAPES["double_fork_setsid"].format(name="escaped")
    write_notebook(project / "dies.ipynb", cell, "os.kill(os.getpid(), 9)", "x = 1")

    started = time.monotonic()
    out = nbtrack_cli("smoke", "dies.ipynb", "--timeout", "60")

    assert out.exit_code == 1, out.text
    assert time.monotonic() - started < 20
    assert "cell 2" in out.stdout
    assert "TIMEOUT" not in out.stdout
    assert survivors([project / "escaped.pid"]) == []


def test_ctrl_c_on_smoke_j2_returns_at_once_though_grandchildren_hold_the_pipes(
    project: Path,
) -> None:
    for name, escape in (("a", "double_fork_setsid"), ("b", "popen_new_session")):
        cell = ESCAPES[escape].format(name=name)
        write_notebook(project / f"{name}.ipynb", cell, "import time\ntime.sleep(600)")
    # as a terminal does: SIGINT to nbtrack alone (the notebooks run in sessions of their own)
    pids = [project / "a.pid", project / "b.pid"]
    proc = smoke_started(project, "a.ipynb", "b.ipynb", "-j", "2", pid_files=pids)
    time.sleep(0.5)  # both notebooks are in their second cell

    proc.send_signal(signal.SIGINT)
    interrupted = time.monotonic()
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        survivors(pids)
        raise AssertionError(f"nbtrack smoke -j 2 hung after Ctrl-C:\n{out}") from None

    assert time.monotonic() - interrupted < 5, out
    assert survivors(pids) == []
    assert proc.returncode == 1
    assert "Aborted" in out
