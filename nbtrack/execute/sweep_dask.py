"""A sweep's runs (or one run) on a Dask cluster: ``nbtrack run ... --dask ADDRESS``.

For: :func:`run_sweep_on_cluster`, the cluster's counterpart of
:func:`nbtrack.execute.sweep_local.run_sweep`: each planned run is one task
(:mod:`nbtrack.cluster`) whose worker runs :func:`run_on_worker`, i.e.
:func:`~nbtrack.execute.sweep.run_planned` in a process of its own, and the
:class:`~nbtrack.execute.sweep.RunOutcome` values come back as they finish
into the same :class:`~nbtrack.execute.sweep_local.SweepResult`, so the
summary and exit codes are the local sweep's. A failing run does not stop
the others. Each run is tagged ``dask.worker`` with the worker's address.

The runs write to the store URL this side resolved and belong to this
side's experiment, whatever the workers' own settings say; the workers need
the notebook (and any ``-f`` file, ``--cwd``) at the same absolute paths: a
shared volume or the same image. A worker that cannot see the notebook
makes that run NOT_STARTED, with a sentence naming the worker and path.

Ctrl-C or SIGTERM: no queued run starts, the running ones get SIGTERM on
their workers and end KILLED in the store, and the result says which signal
stopped the lot.

Not for: planning (:mod:`nbtrack.execute.sweep`), printing (``nbtrack.cli``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from nbtrack.envvars import DASK_WORKER_ENV
from nbtrack.execute.sweep import NOT_STARTED, PlannedRun, RunOutcome, SweepPlan, run_planned
from nbtrack.execute.sweep_local import SweepResult

__all__ = ["WORKER_TAG", "one_run_plan", "run_on_worker", "run_sweep_on_cluster"]

#: the tag naming the Dask worker that ran a run
WORKER_TAG = "dask.worker"

_SHARED = "workers need the project's files at the same paths (a shared volume or the same image)"


def one_run_plan(
    notebook: str | os.PathLike[str],
    params: Mapping[str, Any],
    name: str | None,
    tags: Mapping[str, str],
) -> SweepPlan:
    """``nbtrack run NOTEBOOK --dask``: a plan of one run, with no sweep tags of its own."""
    import secrets

    run = PlannedRun(0, dict(params), name or "", dict(tags))
    return SweepPlan(secrets.token_hex(4), Path(notebook).resolve(), (run,))


def run_on_worker(
    plan: SweepPlan,
    run: PlannedRun,
    *,
    store_url: str | None,
    param_file: str | None,
    cwd: str | None,
    timeout: float | None,
    experiment: str | None,
) -> RunOutcome:
    """One planned run, on a worker (in the task's own process), tagged with the worker."""
    worker = os.environ.get(DASK_WORKER_ENV, "")
    missing = [p for p in (str(plan.notebook), param_file, cwd) if p and not Path(p).exists()]
    if missing:
        error = f"the Dask worker {worker or '?'} cannot see {missing[0]} (no such file); {_SHARED}"
        return RunOutcome(run.index, None, NOT_STARTED, 0.0, error)
    if worker:
        run = replace(run, tags={**run.tags, WORKER_TAG: worker})
    return run_planned(
        plan,
        run,
        store_url=store_url,
        param_file=param_file,
        cwd=cwd,
        timeout=timeout,
        experiment=experiment,
    )


@contextlib.contextmanager
def _sigterm_as_interrupt(seen: list[int]) -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt (noted in *seen*), as Ctrl-C does (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        if not seen:
            seen.append(signum)
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_sweep_on_cluster(
    plan: SweepPlan,
    address: str,
    *,
    limit: int | None = None,
    param_file: str | None = None,
    cwd: str | None = None,
    timeout: float | None = None,
    on_outcome: Callable[[RunOutcome], None] | None = None,
    experiment: str | None = None,
) -> SweepResult:
    """Run *plan*'s runs on the Dask cluster at *address*, at most *limit* at once (None: all).

    The runs go to *experiment*, else this side's settings' experiment.
    """
    from nbtrack.cluster.connect import check_workers, connect
    from nbtrack.cluster.tasks import Call, Done, run_calls
    from nbtrack.config import load_settings

    settings = load_settings()
    options = {
        "store_url": settings.store_url,
        "param_file": None if param_file is None else str(Path(param_file).resolve()),
        "cwd": None if cwd is None else str(Path(cwd).resolve()),
        "timeout": timeout,
        "experiment": experiment or settings.experiment,
    }
    outcomes: dict[int, RunOutcome] = {}

    def arrived(done: Done) -> None:
        run = plan.runs[done.index]
        if done.error is None:
            outcome: RunOutcome = done.value
        else:
            where = f"on the Dask worker {done.worker}: " if done.worker else ""
            reason = "stopped before it started" if not done.started else done.error
            outcome = RunOutcome(run.index, None, NOT_STARTED, 0.0, f"{where}{reason}")
        outcomes[run.index] = outcome
        # as locally, the runs a stop kept from starting are counted, not told one by one
        if on_outcome is not None and (done.started or not done.stopped):
            on_outcome(outcome)

    calls = [
        Call(run_on_worker, (plan, run), dict(options), label=f"run-{plan.sweep_id}")
        for run in plan.runs
    ]
    seen: list[int] = []
    client = connect(address)
    try:
        check_workers(client, address)
        with _sigterm_as_interrupt(seen):
            try:
                run_calls(client, calls, arrived, limit=limit)
            except KeyboardInterrupt:
                seen.append(signal.SIGINT)
    finally:
        client.close()
    ordered = tuple(
        outcomes.get(run.index) or RunOutcome(run.index, None, NOT_STARTED, 0.0, "not started")
        for run in plan.runs
    )
    return SweepResult(plan, ordered, signal=seen[0] if seen else None)
