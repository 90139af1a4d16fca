"""`pytest --nbtrack-smoke` stopped by SIGTERM stops its notebook too, as `nbtrack smoke` does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def _gone(pid: int) -> bool:
    """True when *pid* no longer runs (a zombie waiting for its reaper counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "State:\tZ" in status


def test_a_cancelled_pytest_run_kills_the_running_notebook(tmp_path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("import os, time\nopen('nb.pid', 'w').write(str(os.getpid()))"),
        nbformat.v4.new_code_cell("time.sleep(600)"),
    ]
    nbformat.write(nb, tmp_path / "slow.ipynb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "--nbtrack-smoke", "-p", "no:cacheprovider", "slow.ipynb"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    pid_file = tmp_path / "nb.pid"
    deadline = time.monotonic() + 60
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)

    proc.send_signal(signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    pid = int(pid_file.read_text())
    alive = not _gone(pid)
    if alive:  # leave no orphan sleeping for ten minutes, even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert not alive, out
    assert proc.returncode == 143, out
    assert "stopped by SIGTERM" in out
