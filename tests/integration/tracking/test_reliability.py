"""Reliability the issue demands: many writers at once, and a process SIGKILLed mid-run.

Every child is a real Python process logging through ``nbtrack.log_metric``
into a real store (a SQLite file, or the session's PostgreSQL server).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nbtrack.config import load_settings
from nbtrack.model import RunStatus
from nbtrack.store import open_store
from tests.helpers.processes import logging_script

pytestmark = pytest.mark.slow

WRITER = textwrap.dedent(
    """
    import time
    import nbtrack

    run = nbtrack.start_run(name="writer")
    for burst in range(20):  # spread over ~1 s so the writers' flushes overlap
        for i in range(burst * 500, burst * 500 + 500):
            nbtrack.log_metric("m", i * 0.5, step=i)
        time.sleep(0.05)
    nbtrack.end_run()
    print(run.id)
    """
)

VICTIM = textwrap.dedent(
    """
    import time
    import nbtrack

    run = nbtrack.start_run(name="victim")
    print("run", run.id, flush=True)
    step = 0
    while True:
        nbtrack.log_metric("m", float(step), step=step)
        if step % 50 == 0:
            # logged up to and including `step` at this moment
            print("logged", step, time.time(), flush=True)
        step += 1
        time.sleep(0.001)
    """
)


def _concurrent_writers(url: str, processes: int, cwd: Path) -> None:
    env = {**os.environ, "NBTRACK_STORE": url}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    outputs = [child.communicate(timeout=240) for child in children]
    for child, (_, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err
        assert "locked" not in err.lower(), err
        assert "cannot write" not in err, err  # no outage warning, not even a retried one
    run_ids = [out.strip() for out, _ in outputs]
    with open_store(url, settings=load_settings(cwd)) as store:
        for run_id in run_ids:
            history = store.metric_history(run_id, "m")
            assert [(m.step, m.value) for m in history] == [(i, i * 0.5) for i in range(10_000)]
            assert store.get_run(run_id).status is RunStatus.FINISHED


def test_eight_processes_log_into_one_sqlite_store_at_once(
    sqlite_url: str, project_root: Path
) -> None:
    _concurrent_writers(sqlite_url, 8, project_root)


@pytest.mark.postgres
def test_sixteen_processes_log_into_one_postgres_store_at_once(
    pg_url: str, project_root: Path
) -> None:
    _concurrent_writers(pg_url, 16, project_root)


def test_a_sigkilled_run_keeps_what_it_logged_and_reads_crashed(
    store_url: str, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NBTRACK_STORE", store_url)
    monkeypatch.setenv("NBTRACK_HEARTBEAT_TIMEOUT", "2")
    with logging_script(VICTIM, project_root) as (child, lines):
        time.sleep(3.0)  # let it log for ~3 s
        killed_at = time.time()
        os.kill(child.pid, signal.SIGKILL)

    run_id = lines[0].split()[1]
    progress = [(int(p[1]), float(p[2])) for p in (line.split() for line in lines[1:])]
    safe = max(step for step, at in progress if at <= killed_at - 1.0)
    assert safe >= 500  # it did log for a while

    settings = load_settings(project_root)
    assert settings.heartbeat_timeout == 2.0
    with open_store(store_url, settings=settings) as store:
        steps = {m.step for m in store.metric_history(run_id, "m")}
        assert set(range(safe + 1)) <= steps
        # it stays RUNNING until its heartbeat is older than the limit, then reads CRASHED
        time.sleep(max(0.0, killed_at + 2.5 - time.time()))
        run = store.get_run(run_id)
        assert run.status is RunStatus.CRASHED
        assert run.ended_at is None
        assert run.heartbeat_at is not None
        assert killed_at - 2.0 <= run.heartbeat_at <= killed_at  # it beat until the end
        summary = {s.id: s for s in store.list_runs()}[run_id]
        assert summary.status is RunStatus.CRASHED
