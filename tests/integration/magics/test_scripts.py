"""A script's run records the script itself: ``python file.py`` and ``ipython file.py``."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCRIPT = """import nbtrack

nbtrack.log_params({"lr": 0.1})
for step in range(3):
    nbtrack.log_metric("loss", 1 / (step + 1), step=step)
"""


@pytest.mark.parametrize("runner", ["python", "ipython"])
def test_a_script_run_records_its_own_file_as_the_source(
    tmp_path: Path, store_file: Path, read_store: Any, runner: str
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')  # the project root
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    if runner == "python":
        command = [sys.executable, str(script)]
    else:
        ipython = shutil.which("ipython", path=str(Path(sys.executable).parent))
        assert ipython is not None
        command = [ipython, "--quick", "--no-banner", str(script)]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    run = read_store()
    assert run.source.path == "train.py"
    assert run.source.snapshot == SCRIPT
    assert run.source.stale is False
    assert run.status.value == "FINISHED"
