"""multiprocessing workers skip exit hooks: a run ended inside the task keeps everything."""

from __future__ import annotations

import multiprocessing
import sys
import types

import pytest

import nbtrack
from nbtrack.config import Settings
from nbtrack.model import RunStatus
from nbtrack.tracking.api import get_tracker


def _task_with_its_own_run(lr: float) -> str:
    with nbtrack.start_run(name=f"lr={lr}", tags={"sweep": "lr"}) as run:
        nbtrack.log_param("lr", lr)
        for step in range(1000):
            nbtrack.log_metric("loss", lr * step, step=step)
    return run.id


def test_pool_workers_that_end_their_runs_keep_every_point(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a test before this one in the process may have made an IPython shell, which puts
    # its namespace module (no __spec__) in as __main__; spawn reads __main__.__spec__
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    # spawn: a forkserver would keep the NBTRACK_STORE of the test that started it
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        ended = pool.map(_task_with_its_own_run, [0.1, 0.01, 0.001])
    store = get_tracker().store(settings)

    for run_id in ended:
        run = store.get_run(run_id)
        assert run.status is RunStatus.FINISHED
        assert [(m.key, m.count) for m in run.metrics] == [("loss", 1000)]
        assert run.tags == {"sweep": "lr"}
