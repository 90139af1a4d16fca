"""`pytest --nbtrack-smoke` stopped by SIGTERM stops its notebook too, as `nbtrack smoke` does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers.notebooks import PYTHON3, write_notebook
from tests.helpers.processes import process_gone
from tests.helpers.runs import wait_until


def test_a_cancelled_pytest_run_kills_the_running_notebook(tmp_path: Path) -> None:
    write_notebook(
        tmp_path / "slow.ipynb",
        "import os, time\nopen('nb.pid', 'w').write(str(os.getpid()))",
        "time.sleep(600)",
        kernelspec=PYTHON3,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--nbtrack-smoke", "-p", "no:cacheprovider", "slow.ipynb"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    pid_file = tmp_path / "nb.pid"
    wait_until(lambda: pid_file.exists() and pid_file.read_text(), within=60, every=0.05)
    time.sleep(0.2)

    proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    pid = int(pid_file.read_text())
    alive = not process_gone(pid)
    if alive:  # leave no orphan sleeping for ten minutes, even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert not alive, out
    assert proc.returncode == 143, out
    assert "stopped by SIGTERM" in out
