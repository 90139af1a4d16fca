"""Many processes writing one store at once: every row lands, nobody sees "locked"."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from nbtrack.config import load_settings
from nbtrack.store import open_store

ROWS_PER_WRITER = 10_000
BATCH = 500

WRITER = textwrap.dedent(
    """
    import sys, time, uuid
    from nbtrack.config import load_settings
    from nbtrack.model import Param, RunStatus
    from nbtrack.store import open_store

    start_at, index = float(sys.argv[1]), int(sys.argv[2])
    while time.time() < start_at:
        time.sleep(0.001)
    store = open_store(settings=load_settings())  # several processes may create it at once
    run_id = uuid.uuid4().hex
    store.create_run(run_id=run_id, name="writer-" + str(index), started_at=time.time())
    store.log_params(run_id, [Param("writer", index)])
    step = 0
    for batch in range({rows} // {batch}):
        rows = [("loss", float(step + i), step + i, time.time()) for i in range({batch})]
        if batch % 2:
            store.heartbeat(run_id, time.time(), rows)
        else:
            store.log_metrics(run_id, rows)
        step += {batch}
    store.end_run(run_id, RunStatus.FINISHED, time.time())
    store.close()
    """
).format(rows=ROWS_PER_WRITER, batch=BATCH)


def run_writers(count: int, store_url: str, cwd: Path) -> None:
    env = {**os.environ, "NBTRACK_STORE": store_url}
    start_at = time.time() + 1.5  # every writer imports first, then all start together
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(start_at), str(i)],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(count)
    ]
    failures = []
    for proc in procs:
        _out, err = proc.communicate(timeout=300)
        if proc.returncode != 0:
            failures.append(err[-2000:])
    assert not failures, failures[0]


def assert_every_row_present(store_url: str, writers: int, cwd: Path) -> None:
    settings = load_settings(cwd, env={"NBTRACK_STORE": store_url})
    with open_store(settings=settings) as store:
        runs = store.list_runs(where="status = FINISHED")
        assert sorted(r.params["writer"] for r in runs) == list(range(writers))
        for run in runs:
            (summary,) = store.get_run(run.id).metrics
            assert summary.count == ROWS_PER_WRITER
            assert summary.last == ROWS_PER_WRITER - 1
            history = store.metric_history(run.id, "loss")
            assert [m.step for m in history] == list(range(ROWS_PER_WRITER))
    engine = sa.create_engine(settings.store_url)
    with engine.connect() as connection:
        total = connection.exec_driver_sql("SELECT count(*) FROM metrics").scalar()
    engine.dispose()
    assert total == writers * ROWS_PER_WRITER


@pytest.mark.slow
def test_eight_processes_write_one_sqlite_store_at_once(
    sqlite_url: str, project_root: Path
) -> None:
    run_writers(8, sqlite_url, project_root)
    assert_every_row_present(sqlite_url, 8, project_root)


@pytest.mark.slow
@pytest.mark.postgres
def test_sixteen_processes_write_one_postgresql_store_at_once(
    pg_url: str, project_root: Path
) -> None:
    run_writers(16, pg_url, project_root)
    assert_every_row_present(pg_url, 16, project_root)


def test_threads_sharing_one_store_write_and_read_at_once(store) -> None:  # type: ignore[no-untyped-def]
    # the tracking flusher writes from its thread while the notebook reads and writes
    import threading
    import uuid

    run_ids = [uuid.uuid4().hex for _ in range(4)]
    for run_id in run_ids:
        store.create_run(run_id=run_id, name="threaded", started_at=time.time())
    errors: list[BaseException] = []

    def work(run_id: str) -> None:
        try:
            for batch in range(20):
                rows = [("loss", 1.0, batch * 100 + i, time.time()) for i in range(100)]
                store.heartbeat(run_id, time.time(), rows)
                store.list_runs(where="metrics.loss > 0")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(run_id,)) for run_id in run_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert [store.get_run(r).metrics[0].count for r in run_ids] == [2000] * 4
