"""``nbtrack run --grid ... --dask``: a sweep's runs on a real cluster's two workers."""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nbtrack.model import Run, RunStatus
from tests.helpers.cli import nbtrack_subprocess
from tests.helpers.dask import DaskCluster
from tests.helpers.notebooks import PYTHON3, code, write_notebook
from tests.helpers.runs import params_of

pytestmark = [pytest.mark.dask, pytest.mark.kernel, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def store_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The store this side resolves (the workers are told its URL, not their own settings')."""
    path = tmp_path / "store" / "runs.db"
    monkeypatch.setenv("NBTRACK_STORE", str(path))
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    return root


def stored_runs(store_file: Path) -> list[Run]:
    from nbtrack.store import open_store

    with open_store(f"sqlite:///{store_file}") as store:
        runs = [store.get_run(summary.id) for summary in store.list_runs()]
    return sorted(runs, key=lambda run: int(run.tags["sweep.index"]))


def test_a_grid_of_train_lands_every_run_from_both_workers_and_a_failure_stops_none(
    project: Path, store_file: Path, cluster: DaskCluster
) -> None:
    done = nbtrack_subprocess(
        "run", "notebooks/train.ipynb", "--grid", "test_size=0.25,1.5",
        "--grid", "lr=0.01,0.1", "-p", "epochs=1", "--dask", cluster.address,
        cwd=project, env={"NBTRACK_EXPERIMENT": "churn"},
    )  # fmt: skip

    assert done.returncode == 1, done.stderr + cluster.logs()  # test_size=1.5 fails
    sweep = done.stdout.strip()
    runs = stored_runs(store_file)
    assert [run.tags["sweep"] for run in runs] == [sweep] * 4
    assert [run.status for run in runs] == [
        RunStatus.FINISHED, RunStatus.FINISHED, RunStatus.FAILED, RunStatus.FAILED
    ]  # fmt: skip
    assert [(params_of(run)["test_size"][0], params_of(run)["lr"][0]) for run in runs] == [
        (0.25, 0.01), (0.25, 0.1), (1.5, 0.01), (1.5, 0.1)
    ]  # fmt: skip
    with sqlite3.connect(store_file) as db:  # this side's experiment, not the workers'
        assert db.execute("SELECT DISTINCT experiment FROM runs").fetchall() == [("churn",)]
    workers = {run.tags["dask.worker"] for run in runs}
    assert len(workers) == 2, workers  # both workers ran some
    assert all(w.startswith("tcp://127.0.0.1:") for w in workers)
    assert all(run.metrics for run in runs[:2])
    err = done.stderr
    assert f"4 runs of notebooks/train.ipynb, on the Dask cluster at {cluster.address}." in err
    assert "2 finished, 2 failed, 0 killed, 0 not started of 4 runs" in err
    assert "Traceback" not in err


def test_minus_j_caps_the_runs_in_flight(
    project: Path, store_file: Path, cluster: DaskCluster
) -> None:
    write_notebook(
        project / "stamp.ipynb",
        code("x = 1", tags=["parameters"]),
        "import time\nopen(f'times-{x}', 'w').write(f'{time.time()} ')\ntime.sleep(1)\n"
        "open(f'times-{x}', 'a').write(f'{time.time()}')",
        kernelspec=PYTHON3,
    )

    done = nbtrack_subprocess(
        "run", "stamp.ipynb", "--grid", "x=1,2,3", "-j", "1", "--dask", cluster.address,
        cwd=project,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert "at most 1 at a time" in done.stderr
    spans = sorted(
        tuple(map(float, (project / f"times-{x}").read_text().split())) for x in (1, 2, 3)
    )
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))  # never overlapped


def _default_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_ends_the_running_runs_killed_and_starts_no_other(
    project: Path, store_file: Path, cluster: DaskCluster
) -> None:
    write_notebook(
        project / "nb.ipynb",
        code("x = 1\nsleep = 0.0", tags=["parameters"]),
        "import pathlib, time\npathlib.Path(f'started-{x}').touch()",
        "time.sleep(sleep)",
        kernelspec=PYTHON3,
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "nbtrack", "run", "nb.ipynb", "--grid", "x=1,2,3",
         "-p", "sleep=300", "--dask", cluster.address],
        cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True, preexec_fn=_default_signals,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 180
        while not ((project / "started-1").exists() and (project / "started-2").exists()):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the first two runs never started: {proc.communicate()}")
            time.sleep(0.1)
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the client's process group only
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

    assert proc.returncode == 130, err
    assert time.monotonic() - started < 60
    runs = stored_runs(store_file)
    assert [run.status for run in runs] == [RunStatus.KILLED] * 2, err
    assert not (project / "started-3").exists()
    assert "0 finished, 0 failed, 2 killed, 1 not started of 3 runs" in err
    assert len([line for line in err.splitlines() if line.startswith("nbtrack: [")]) == 2
    assert "Traceback" not in err


def test_one_run_on_the_cluster_is_told_as_a_local_run(
    project: Path, store_file: Path, cluster: DaskCluster
) -> None:
    done = nbtrack_subprocess(
        "run", "notebooks/train.ipynb", "-p", "epochs=1", "--name", "remote", "--tag", "k=v",
        "--dask", cluster.address, cwd=project,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr + cluster.logs()
    run_id = done.stdout.strip()
    from nbtrack.store import open_store

    with open_store(f"sqlite:///{store_file}") as store:
        run = store.get_run(run_id)
    assert run.status == RunStatus.FINISHED
    assert run.name == "remote"
    assert run.tags["k"] == "v"
    assert run.tags["dask.worker"].startswith("tcp://127.0.0.1:")
    assert "sweep" not in run.tags
    assert f"nbtrack: run {run_id[:8]} FINISHED in" in done.stderr


def test_bad_input_for_one_run_is_refused_before_anything_is_sent(project: Path) -> None:
    done = nbtrack_subprocess(
        "run", "notebooks/train.ipynb", "-p", "momentum=1", "--dask", "tcp://127.0.0.1:1",
        cwd=project,
    )  # fmt: skip

    assert done.returncode == 2
    assert "momentum" in done.stderr
    assert "Dask" not in done.stderr  # refused here: no scheduler was asked
