"""``nbtrack run``: arguments and notebooks it cannot honour are refused before a kernel starts.

Each case exits 2 with one sentence and leaves the store untouched (no run,
no store file): before the checks, each one started a kernel first.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.helpers.cli import nbtrack_subprocess
from tests.helpers.notebooks import PYTHON3, kernel, write_notebook

pytestmark = [pytest.mark.kernel]

IR = kernel("ir", "R", "R")


@pytest.fixture
def store_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "store" / "runs.db"
    monkeypatch.setenv("NBTRACK_STORE", str(path))
    return path


def refused(tmp_path: Path, *args: str) -> str:
    started = time.monotonic()
    done = nbtrack_subprocess("run", *args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1  # one sentence (click's usage lines may come before it)
    assert done.stdout == ""  # no run id: no run
    assert time.monotonic() - started < 20
    return errors[0]


def test_an_output_in_a_folder_that_does_not_exist_is_refused_before_the_kernel_starts(
    tmp_path: Path, store_file: Path
) -> None:
    write_notebook(tmp_path / "nb.ipynb", "x = 1", kernelspec=PYTHON3)
    missing = tmp_path / "nonexistent" / "x.ipynb"
    err = refused(tmp_path, "nb.ipynb", "-o", str(missing))
    assert f"Cannot write the executed notebook to {missing}" in err
    assert f"its directory {missing.parent} does not exist" in err
    assert not store_file.exists()


@pytest.mark.parametrize("value", ["0", "-5", "-0.5"])
def test_a_timeout_that_is_not_positive_is_refused(
    tmp_path: Path, store_file: Path, value: str
) -> None:
    write_notebook(tmp_path / "nb.ipynb", "x = 1", kernelspec=PYTHON3)
    err = refused(tmp_path, "nb.ipynb", "--timeout", value)
    assert "Invalid value for '--timeout'" in err
    assert "is not in the range x>0" in err
    assert not store_file.exists()


def test_the_api_refuses_a_timeout_that_is_not_positive(tmp_path: Path, store_file: Path) -> None:
    from nbtrack.errors import UsageError
    from nbtrack.execute.runner import run_notebook

    nb = write_notebook(tmp_path / "nb.ipynb", "x = 1", kernelspec=PYTHON3)
    with pytest.raises(UsageError, match="positive number of seconds, not 0"):
        run_notebook(nb, timeout=0)
    assert not store_file.exists()


def test_an_r_notebook_is_refused_not_run_in_a_python_kernel(
    tmp_path: Path, store_file: Path
) -> None:
    write_notebook(tmp_path / "analysis.ipynb", "x <- c(1, 2)\nprint(x)", kernelspec=IR)
    err = refused(tmp_path, "analysis.ipynb")
    assert "analysis.ipynb: its kernel language is r, not Python" in err
    assert "nbtrack run executes Python notebooks only" in err
    assert not store_file.exists()
