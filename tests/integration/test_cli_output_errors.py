"""Output that cannot be written ends the command cleanly: no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import nbtrack


@pytest.fixture
def many_runs() -> None:
    # 30 runs x 5 KB of JSON: more than a pipe buffer (64 KiB), so the writer
    # is still writing when the reader leaves
    for i in range(30):
        with nbtrack.start_run(name=f"run-{i}"):
            nbtrack.log_params({"lr": i / 100, "note": "x" * 5000})


@pytest.mark.usefixtures("many_runs")
def test_a_reader_that_leaves_early_gets_no_traceback() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "nbtrack", "runs", "--format", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.read(5)
    proc.stdout.close()  # like `| head -c 5`
    err = proc.stderr.read().decode()
    proc.stderr.close()
    # click's convention for a broken pipe: exit 1, nothing on stderr
    assert proc.wait(timeout=60) == 1
    assert err == ""


@pytest.mark.usefixtures("many_runs")
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_under_stdout_is_one_sentence_and_exit_1() -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "nbtrack", "runs"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert proc.returncode == 1
    assert proc.stderr.strip() == "nbtrack: cannot write the output: No space left on device."
