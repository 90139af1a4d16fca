"""``nbtrack run``: processes a cell started out of the kernel's session do not outlive the run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.notebooks import PYTHON3, write_notebook
from tests.helpers.processes import ESCAPES, survivors

pytestmark = [pytest.mark.kernel, pytest.mark.slow]


def nbtrack_run(*args: str, cwd: Path) -> tuple[int, str]:
    """``nbtrack run *args``: (exit code, stderr).

    Its output goes to files, not pipes: a process that escaped holds the
    kernel's standard streams, so reading a pipe to its end would wait for it.
    """
    with (cwd / "stdout.txt").open("w") as out, (cwd / "stderr.txt").open("w") as err:
        code = subprocess.call(
            [sys.executable, "-m", "nbtrack", "run", *args],
            cwd=cwd,
            stdout=out,
            stderr=err,
            timeout=300,
        )
    return code, (cwd / "stderr.txt").read_text()


@pytest.mark.parametrize("escape", sorted(ESCAPES))
def test_a_process_that_left_the_kernels_session_is_gone_after_the_run(
    tmp_path: Path, store_file: Path, escape: str
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    cell = ESCAPES[escape].format(name="escaped")
    write_notebook(tmp_path / "escape.ipynb", cell, "x = 1", kernelspec=PYTHON3)

    code, stderr = nbtrack_run("escape.ipynb", cwd=tmp_path)

    assert code == 0, stderr
    assert survivors([tmp_path / "escaped.pid"]) == []


def test_a_process_that_left_the_session_is_gone_after_a_run_past_its_timeout(
    tmp_path: Path, store_file: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    cell = ESCAPES["double_fork_setsid"].format(name="escaped")
    # a cell that shrugs off the interrupt: the kernel is killed, not shut down
    stuck = "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(600)"
    write_notebook(tmp_path / "slow.ipynb", cell, stuck, kernelspec=PYTHON3)

    code, stderr = nbtrack_run("slow.ipynb", "--timeout", "3", cwd=tmp_path)

    assert code == 1, stderr
    assert "cell 2" in stderr
    assert survivors([tmp_path / "escaped.pid"]) == []
