"""--timeout and --cell-timeout kill the whole process tree and name the running cell."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nbtrack.smoke.options import SmokeOptions, project_smoke_config
from nbtrack.smoke.runner import run_notebook
from tests.helpers.notebooks import code, write_notebook
from tests.helpers.processes import process_gone, smoke_started

from .conftest import Invoke

SLEEPY = [
    code("import time", count=1),
    code("x = 1", count=2),
    code(
        "import subprocess, pathlib\n"
        "child = subprocess.Popen(['sleep', '120'])\n"
        "pathlib.Path('grandchild.pid').write_text(str(child.pid))\n"
        "time.sleep(120)\n"
        "print('never')",
        count=3,
    ),
    code("print('not reached')", count=4),
]


def test_a_cell_running_past_the_cell_timeout_is_killed_and_named(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(project / "slow.ipynb", *SLEEPY)

    out = nbtrack_cli("smoke", "slow.ipynb", "--cell-timeout", "1.5")

    assert out.exit_code == 1
    first = out.stdout.splitlines()[0]
    assert first.startswith("TIMEOUT slow.ipynb  cell 3 (In [3]), line 4: CellTimeout:")
    assert "cell 3 (In [3]) was still running after 1.5 s" in first
    assert ">  4 | time.sleep(120)" in out.stdout
    assert process_gone(int((project / "grandchild.pid").read_text()))


def test_a_notebook_running_past_the_timeout_is_killed_and_the_running_cell_named(
    project: Path,
) -> None:
    path = write_notebook(project / "slow.ipynb", *SLEEPY)

    result = run_notebook(path, SmokeOptions(timeout=3), project_smoke_config(project))

    assert result.status == "timeout"
    assert result.failure is not None
    assert result.failure.ename == "NotebookTimeout"
    assert result.failure.cell == 2
    assert result.failure.line == 4
    assert "ran longer than 3 s" in result.failure.evalue
    assert "cell 3 (In [3]) was running" in result.failure.evalue
    # the stack at the timeout starts at the stuck line and stops at the cell
    assert result.failure.traceback[1:] == ('  File "<cell 3>", line 4 in <module>',)
    assert process_gone(int((project / "grandchild.pid").read_text()))
    assert os.path.exists(project / "grandchild.pid")


def test_cell_timeout_from_config_applies_per_glob(project: Path, nbtrack_cli: Invoke) -> None:
    (project / "pyproject.toml").write_text(
        '[project]\nname = "demo"\n\n[[tool.nbtrack.smoke.notebook]]\n'
        'glob = "slow*.ipynb"\ncell_timeout = 1\n'
    )
    write_notebook(project / "slow.ipynb", *SLEEPY)

    out = nbtrack_cli("smoke", "slow.ipynb")

    assert out.exit_code == 1
    assert "was still running after 1 s" in out.stdout


def test_a_background_process_neither_holds_the_run_open_nor_outlives_it(
    project: Path, nbtrack_cli: Invoke
) -> None:
    write_notebook(project / "bg.ipynb", "!sleep 60 & echo $! > bg.pid", "x = 1")

    # were the run to wait for the background sleep, the 20 s timeout would fail it
    out = nbtrack_cli("smoke", "bg.ipynb", "--timeout", "20")

    assert out.exit_code == 0, out.text
    assert process_gone(int((project / "bg.pid").read_text()))


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_ctrl_c_or_a_cancelled_job_stops_at_once_and_kills_every_notebook(
    project: Path, sig: str
) -> None:
    import signal
    import subprocess
    import time

    for name in ("a", "b"):
        write_notebook(
            project / f"{name}.ipynb",
            f"import os, time\nopen('{name}.pid', 'w').write(str(os.getpid()))",
            "time.sleep(600)",
        )
    # the notebooks' children run in sessions of their own, out of the terminal's reach
    # of SIGINT: nbtrack itself must stop them
    pids = [project / "a.pid", project / "b.pid"]
    proc = smoke_started(project, "a.ipynb", "b.ipynb", "-j", "2", pid_files=pids)
    time.sleep(0.2)

    proc.send_signal(getattr(signal, sig))
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        for pid in pids:  # leave no orphan sleeping for ten minutes
            os.kill(int(pid.read_text()), signal.SIGKILL)
        raise AssertionError(f"nbtrack smoke -j 2 ignored {sig}:\n{out}") from None

    left = [pid for pid in (int(p.read_text()) for p in pids) if not process_gone(pid)]
    for pid in left:  # leave no orphan behind, even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == []
    assert proc.returncode == (1 if sig == "SIGINT" else 143)
    if sig == "SIGINT":
        assert "Aborted" in out
    assert "ProcessDied" not in out  # notebooks we stopped are not reported as crashed
