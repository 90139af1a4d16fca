"""``nbtrack run --grid/--sample -j N``: real processes, real kernels, real signals, the real store.

A failing run does not stop the others; Ctrl-C (SIGINT to the process group,
as a terminal sends it) or SIGTERM stops the lot: the running runs end
KILLED in the store, the queued ones never start.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nbtrack.model import Run, RunStatus
from tests.helpers.cli import nbtrack, nbtrack_subprocess
from tests.helpers.notebooks import PYTHON3, code, write_notebook
from tests.helpers.runs import params_of, wait_until

PARAMS = "x = 1\nfail = False\nsleep = 0.0\nlabel = 'a'"
CELLS = (
    code(PARAMS, tags=["parameters"]),
    "import nbtrack, pathlib, time\npathlib.Path(f'started-{x}').touch()",
    "time.sleep(sleep)\nassert not fail, f'told to fail at x={x}'",
    "nbtrack.log_metric('y', x * 10)",
)


@pytest.fixture
def store_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "store" / "runs.db"
    monkeypatch.setenv("NBTRACK_STORE", str(path))
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "demo"\n')
    write_notebook(project / "nb.ipynb", *CELLS, kernelspec=PYTHON3)
    return project


def stored_runs(store_file: Path) -> list[Run]:
    from nbtrack.store import open_store

    with open_store(f"sqlite:///{store_file}") as store:
        return [store.get_run(summary.id) for summary in store.list_runs()]


def by_index(runs: list[Run]) -> list[Run]:
    return sorted(runs, key=lambda run: int(run.tags["sweep.index"]))


@pytest.mark.kernel
@pytest.mark.slow
def test_a_grid_runs_every_combination_side_by_side_and_a_failing_run_stops_none(
    folder: Path, store_file: Path
) -> None:
    (folder / "params.yaml").write_text("sleep: 0.2\n")

    done = nbtrack_subprocess(
        "run", "nb.ipynb", "--grid", "x=1,2", "--grid", "fail=True,False",
        "-p", "label='b,c'", "-f", "params.yaml", "--tag", "team=vision", "-j", "2",
        cwd=folder,
    )  # fmt: skip

    assert done.returncode == 1, done.stderr  # a run failed
    sweep = done.stdout.strip()
    assert len(sweep) == 8
    runs = by_index(stored_runs(store_file))
    assert [run.tags for run in runs] == [
        {"team": "vision", "sweep": sweep, "sweep.index": str(i)} for i in range(4)
    ]
    assert [run.name for run in runs] == [f"{sweep}-{i}" for i in range(4)]
    assert [run.status for run in runs] == [
        RunStatus.FAILED, RunStatus.FINISHED, RunStatus.FAILED, RunStatus.FINISHED
    ]  # fmt: skip
    assert [params_of(run) for run in runs] == [
        {"x": (x, "cli"), "fail": (fail, "cli"), "label": ("b,c", "cli"),
         "sleep": (0.2, "file")}
        for x in (1, 2) for fail in (True, False)
    ]  # fmt: skip
    assert [[m.last for m in run.metrics] for run in runs] == [[], [10.0], [], [20.0]]

    err = done.stderr
    assert f"nbtrack: sweep {sweep}: 4 runs of nb.ipynb, 2 at a time." in err
    progress = [line for line in err.splitlines() if line.startswith("nbtrack: [")]
    assert len(progress) == 4
    assert sorted(line.split("]")[0] for line in progress) == [f"nbtrack: [{n}/4" for n in "1234"]
    failed = next(line for line in progress if f"{runs[2].id[:8]} FAILED" in line)
    assert "(x=2, fail=True)" in failed
    assert "raised AssertionError: told to fail at x=2." in failed
    assert err.rstrip().endswith(
        f"nbtrack: sweep {sweep} of nb.ipynb: 2 finished, 2 failed, 0 killed, 0 not started"
        f" of 4 runs. Compare them: nbtrack compare --sweep {sweep}"
    )
    assert "Traceback" not in err

    # the store answers by the tag, and by the sweep's id
    env = {"NBTRACK_STORE": str(store_file)}
    code_, out, _ = nbtrack(
        "runs", "--where", f"tags.sweep = '{sweep}'", "--format", "json", env=env
    )
    assert code_ == 0
    assert len(json.loads(out)) == 4
    code_, out, err = nbtrack("compare", "--sweep", sweep[:4], "--format", "json", env=env)
    assert code_ == 0, err
    assert [run["id"] for run in json.loads(out)["runs"]] == [run.id for run in runs]


@pytest.mark.kernel
@pytest.mark.slow
def test_a_sample_one_after_another_draws_in_its_ranges_and_records_the_seed(
    folder: Path, store_file: Path
) -> None:
    done = nbtrack_subprocess(
        "run", "nb.ipynb", "--sample", "2", "--range", "x=3:5:int", "--grid", "label=p,q",
        "--seed", "42", "--name", "draws",
        cwd=folder,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    runs = by_index(stored_runs(store_file))
    assert [run.status for run in runs] == [RunStatus.FINISHED] * 2
    assert [run.name for run in runs] == ["draws-0", "draws-1"]
    for run in runs:
        params = params_of(run)
        assert params["x"][0] in (3, 4, 5)
        assert params["label"][0] in ("p", "q")
        assert run.tags["sweep.seed"] == "42"
        assert [m.last for m in run.metrics] == [params["x"][0] * 10]
    assert "one after another, seed 42." in done.stderr
    assert "2 finished, 0 failed, 0 killed, 0 not started of 2 runs" in done.stderr


def _default_signals() -> None:
    # a test runner may ignore SIGINT (a background job does): a user's terminal does not
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _sweep_of_long_runs(folder: Path, tmp: Path | None = None) -> subprocess.Popen[str]:
    """``nbtrack run --grid``: 5 runs of 300 s, 2 at a time; returned once two are in cells."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "nbtrack", "run", "nb.ipynb", "--grid", "x=1,2,3,4,5",
         "-p", "sleep=300", "-j", "2"],
        cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,  # its own process group, as a shell gives a job
        preexec_fn=_default_signals,
        env={**os.environ, "TMPDIR": str(tmp)} if tmp is not None else None,
    )  # fmt: skip
    deadline = time.monotonic() + 180
    while not ((folder / "started-1").exists() and (folder / "started-2").exists()):
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"the first two runs never started: {proc.communicate()}")
        time.sleep(0.1)
    return proc


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "to_group"), [(signal.SIGINT, True), (signal.SIGTERM, False)], ids=["ctrl-c", "term"]
)
def test_a_signal_stops_the_lot_running_runs_end_killed_and_queued_ones_never_start(
    folder: Path, store_file: Path, sig: signal.Signals, to_group: bool
) -> None:
    proc = _sweep_of_long_runs(folder)
    try:
        started = time.monotonic()
        if to_group:  # Ctrl-C in a terminal: the whole foreground process group
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

    assert proc.returncode == 128 + sig, err
    assert time.monotonic() - started < 60  # not after the 300 s cells
    sweep = out.strip()
    runs = by_index(stored_runs(store_file))
    assert [(run.tags["sweep"], run.tags["sweep.index"]) for run in runs] == [
        (sweep, "0"), (sweep, "1")
    ]  # fmt: skip
    assert [run.status for run in runs] == [RunStatus.KILLED] * 2
    assert not (folder / "started-3").exists()  # the queued never started
    assert f"sweep {sweep} of nb.ipynb stopped by {sig.name}" in err
    assert "0 finished, 0 failed, 2 killed, 3 not started of 5 runs" in err
    assert len([line for line in err.splitlines() if line.startswith("nbtrack: [")]) == 2
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--grid", "momentum=0.1,0.2"], "does not define momentum."),
        (["--range", "x=1:3"], "--range values are drawn at random: give --sample N too."),
        (["--grid", "x=1,2", "-o", "out.ipynb"], "-o writes one executed notebook"),
        (["-j", "2"], "-j runs a sweep's runs side by side; give --grid or --sample too."),
        (["--grid", "x=1,2", "-f", "missing.yaml"], "missing.yaml"),
        (["--grid", "x=1,2", "--timeout", "0"], "Invalid value for '--timeout'"),
        (["--sample", "2", "--range", "x=5:1:int"], "'x=5:1:int': LOW must be below HIGH."),
        (["--grid", "x=1,2", "--tag", "sweep=mine"], "--tag sweep=... is set by the sweep"),
        (["--sample", "x"], "Invalid value for '--sample'"),
    ],
)
def test_bad_sweep_input_exits_2_with_one_sentence_before_any_run(
    folder: Path, store_file: Path, args: list[str], words: str
) -> None:
    code_, out, err = nbtrack("run", str(folder / "nb.ipynb"), *args)

    assert code_ == 2, err
    assert out == ""
    errors = [line for line in err.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1
    assert words in errors[0]
    assert not store_file.exists()
    assert not list(folder.glob("started-*"))


@pytest.mark.kernel
@pytest.mark.slow
def test_a_second_ctrl_c_kills_the_runs_processes_and_their_kernels_still_end_them_killed(
    folder: Path, store_file: Path, tmp_path: Path
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = _sweep_of_long_runs(folder, tmp)
    try:
        os.killpg(proc.pid, signal.SIGINT)
        time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)

    assert proc.returncode == 130, err
    assert len(out.strip()) == 8  # the sweep's id
    assert "0 finished, 0 failed, 2 killed, 3 not started of 5 runs" in err
    # the kernels, their parents gone, end the runs themselves
    assert wait_until(
        lambda: [run.status for run in stored_runs(store_file)] == [RunStatus.KILLED] * 2, 30
    ), [(run.status, run.tags) for run in stored_runs(store_file)]
    assert not (folder / "started-3").exists()
    assert list(tmp.iterdir()) == []  # the killed runs' temporary files went with the sweep's


def test_a_run_that_cannot_start_is_told_and_counted_and_the_others_still_go(
    folder: Path, store_file: Path
) -> None:
    from nbtrack.execute.sweep import NOT_STARTED, plan_sweep
    from nbtrack.execute.sweep_local import run_sweep

    plan = plan_sweep(folder / "nb.ipynb", grid=["x=1,2,3"])
    (folder / "nb.ipynb").unlink()  # gone between planning and running
    told: list[int] = []

    result = run_sweep(plan, jobs=2, on_outcome=lambda outcome: told.append(outcome.index))

    assert sorted(told) == [0, 1, 2]
    assert [outcome.index for outcome in result.outcomes] == [0, 1, 2]
    assert {outcome.status for outcome in result.outcomes} == {NOT_STARTED}
    assert all("does not exist" in (outcome.error or "") for outcome in result.outcomes)
    assert (result.signal, result.ok, result.count(NOT_STARTED)) == (None, False, 3)
    assert not store_file.exists()


@pytest.mark.kernel
@pytest.mark.slow
@pytest.mark.postgres
def test_runs_side_by_side_into_postgresql_each_recorded_whole(
    folder: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbtrack.store import open_store

    monkeypatch.setenv("NBTRACK_STORE", pg_url)
    done = nbtrack_subprocess("run", "nb.ipynb", "--grid", "x=3,4", "-j", "2", cwd=folder)

    assert done.returncode == 0, done.stderr
    with open_store(pg_url) as store:
        runs = [store.get_run(summary.id) for summary in store.list_runs()]
    assert sorted((run.tags["sweep.index"], run.status) for run in runs) == [
        ("0", RunStatus.FINISHED), ("1", RunStatus.FINISHED)
    ]  # fmt: skip
    assert {run.tags["sweep"] for run in runs} == {done.stdout.strip()}
    values = sorted((params_of(run)["x"][0], [m.last for m in run.metrics]) for run in runs)
    assert values == [(3, [30.0]), (4, [40.0])]
