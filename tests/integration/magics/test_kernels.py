"""The magics in real kernels driven by papermill, nbclient and jupyter_client."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from nbtrack.model import RunStatus
from tests.helpers.notebooks import PYTHON3, code, write_notebook
from tests.helpers.runs import params_of, wait_until

pytestmark = [pytest.mark.kernel, pytest.mark.slow]


def test_papermill_parameters_are_logged_as_the_values_the_code_used(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    import papermill

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')  # the project root
    notebook = write_notebook(
        tmp_path / "pm.ipynb",
        "%load_ext nbtrack",
        code("%%track_params\nlr = 0.1\nepochs = 3", tags=["parameters"]),
        "%track_metric final_lr {lr}",
        kernelspec=PYTHON3,
    )
    papermill.execute_notebook(
        str(notebook),
        str(tmp_path / "pm-out.ipynb"),
        # what `papermill --inject-paths` adds to the parameters
        parameters={"lr": 0.02, "PAPERMILL_INPUT_PATH": str(notebook)},
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    run = read_store()
    assert params_of(run) == {"lr": (0.02, "cli"), "epochs": (3, "notebook")}
    assert run.metrics[0].last == 0.02
    assert run.source.path == "pm.ipynb"  # found through PAPERMILL_INPUT_PATH
    assert run.status is RunStatus.FINISHED  # the kernel's exit ended it


def test_kernel_exit_settles_a_last_parameters_cell_and_finishes_the_run(
    tmp_path: Path, store_file: Path, read_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = write_notebook(
        tmp_path / "last.ipynb",
        "%load_ext nbtrack",
        "%track_metric warmup 1",
        "1 / 0",
        "%%track_params\nbatch_size = 64",
        kernelspec=PYTHON3,
    )
    monkeypatch.setenv("NBTRACK_NOTEBOOK", str(notebook))
    nb = nbformat.read(str(notebook), as_version=4)
    client = NotebookClient(
        nb, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": tmp_path}}
    )
    client.execute()
    run = read_store()
    assert run.status is RunStatus.FINISHED
    assert params_of(run) == {"batch_size": (64, "notebook")}
    (event,) = [e for e in run.events if e.kind == "cell_error"]
    assert (event.detail["exception"], event.detail["execution_count"]) == (
        "ZeroDivisionError",
        3,
    )
    assert event.detail["cell"] == 3  # found by cell id in the saved notebook
    assert run.source.snapshot is not None
    assert "%%track_params" in run.source.snapshot


def test_a_kernel_killed_mid_loop_reads_crashed_and_keeps_earlier_metrics(
    tmp_path: Path, store_file: Path, read_store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jupyter_client.manager import start_new_kernel

    monkeypatch.setenv("NBTRACK_HEARTBEAT_TIMEOUT", "1")
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(tmp_path), env={**os.environ})
    try:
        kc.execute_interactive("%load_ext nbtrack", timeout=60)
        kc.execute(
            "import time\n"
            "for step in range(100_000):\n"
            "    loss = 1 / (step + 1)\n"
            "    %track_metrics loss --step {step}\n"
            "    time.sleep(0.01)\n"
        )
        deadline = time.monotonic() + 60
        logged = 0
        while logged < 20 and time.monotonic() < deadline:
            time.sleep(0.3)
            if store_file.exists():
                try:
                    logged = sum(m.count for m in read_store().metrics)
                except ValueError:  # the run is not in the store yet
                    logged = 0
        assert logged >= 20, "the loop never reached the store"
        km.signal_kernel(signal.SIGKILL)  # no atexit, no last flush
        while km.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    time.sleep(2.5)  # the heartbeat limit (1 s) passes
    run = read_store()
    assert run.status is RunStatus.CRASHED
    (loss,) = run.metrics
    assert loss.count >= logged


def test_a_jupyter_server_kernel_finds_its_notebook_from_the_session_name(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    from jupyter_client.manager import start_new_kernel

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')  # the project root
    (tmp_path / "analysis").mkdir()
    notebook = write_notebook(tmp_path / "analysis" / "eda.ipynb", "x = 1", kernelspec=PYTHON3)
    # jupyter_server passes the path relative to its root; the kernel runs in the notebook's dir
    env = {**os.environ, "JPY_SESSION_NAME": "analysis/eda.ipynb"}
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(notebook.parent), env=env)
    try:
        kc.execute_interactive("%load_ext nbtrack", timeout=60)
        reply = kc.execute_interactive("%track_metric loss 0.5 --step 1", timeout=60)
        assert reply["content"]["status"] == "ok"
        # a person's kernel lives longer than the background snapshot takes; on a
        # loaded CI machine a kernel shut down at once may be killed before it lands
        wait_until(lambda: read_store().source.snapshot is not None)
    finally:
        kc.stop_channels()
        km.shutdown_kernel()
    run = read_store()
    assert run.source.path == "analysis/eda.ipynb"  # relative to the project root
    assert run.source.snapshot == "# %%\nx = 1\n"
    assert run.status is RunStatus.FINISHED


def _jupyter_execute(notebook: Path) -> subprocess.CompletedProcess[str]:
    """``jupyter execute NOTEBOOK`` as a user types it, in the notebook's folder."""
    jupyter = Path(sys.executable).parent / "jupyter"
    return subprocess.run(
        [str(jupyter), "execute", notebook.name],
        cwd=notebook.parent,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _nbclient_stderr(notebook: Path) -> str:
    """Execute *notebook* with nbclient in its folder; what its cells wrote to stderr."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(str(notebook), as_version=4)
    NotebookClient(
        nb, kernel_name="python3", resources={"metadata": {"path": notebook.parent}}
    ).execute()
    return "".join(
        output.get("text", "")
        for cell in nb.cells
        for output in cell.get("outputs", ())
        if output.get("name") == "stderr"
    )


def _tracking_notebook(path: Path) -> Path:
    return write_notebook(
        path,
        "%load_ext nbtrack",
        "import math\nloss = math.sqrt(0.25)",
        "%track_metric loss {loss}",
        # ends the run, waiting for its snapshot (a loaded machine may take seconds
        # to make it, longer than jupyter_client lets a kernel take to exit)
        "%track_run --end",
        kernelspec=PYTHON3,
    )


def test_jupyter_execute_records_the_notebook_found_by_its_executed_cells(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\n')  # the project root
    notebook = _tracking_notebook(tmp_path / "train.ipynb")
    # another notebook in the folder, sharing the first cell, is not taken for it
    write_notebook(tmp_path / "other.ipynb", "%load_ext nbtrack", "x = 2", kernelspec=PYTHON3)
    done = _jupyter_execute(notebook)
    assert done.returncode == 0, done.stderr
    assert "could not tell which notebook" not in done.stderr
    run = read_store()
    assert run.source.path == "train.ipynb"
    assert run.source.stale is False  # every executed cell is in the file as it ran
    assert "%track_metric loss {loss}" in (run.source.snapshot or "")


def test_jupyter_execute_with_two_copies_of_the_notebook_guesses_nothing(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    notebook = _tracking_notebook(tmp_path / "train.ipynb")
    (tmp_path / "copies").mkdir()
    shutil.copy(notebook, tmp_path / "copies" / "train-copy.ipynb")
    # nbclient, what `jupyter execute` runs, keeping the outputs (the warning is one)
    stderr = _nbclient_stderr(notebook)
    assert "could not tell which notebook this kernel runs" in stderr
    run = read_store()
    assert (run.source.path, run.source.snapshot) == (None, None)
    assert run.metrics[0].last == 0.5  # the run itself is recorded as ever


def test_a_terminal_ipython_records_its_typed_cells_without_a_warning(
    tmp_path: Path, store_file: Path, read_store: Any
) -> None:
    ipython = Path(sys.executable).parent / "ipython"
    typed = "%load_ext nbtrack\nloss = 0.25\n%track_metric loss {loss}\nextra = 1\nexit\n"
    done = subprocess.run(
        [str(ipython), "--simple-prompt", "--no-banner", "--HistoryManager.enabled=False"],
        cwd=tmp_path,
        input=typed,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "could not tell which notebook" not in done.stdout + done.stderr
    run = read_store()
    assert run.metrics[0].last == 0.25
    assert run.source.path is None
    # the cells typed up to the exit, the one after the tracking call too
    assert run.source.snapshot == (
        "# %%\n%load_ext nbtrack\n\n# %%\nloss = 0.25\n\n"
        "# %%\n%track_metric loss {loss}\n\n# %%\nextra = 1\n"
    )
