"""``nbtrack smoke PATHS --dask ADDRESS``: each planned notebook a task on a Dask cluster.

For: :func:`run_on_cluster`, the cluster's counterpart of
:func:`nbtrack.smoke.runner.run_notebooks`: the notebooks are planned here
(bad input is exit code 2 before anything is sent), each plan goes to a
worker through :mod:`nbtrack.cluster`, where :func:`smoke_task` runs it with
:func:`~nbtrack.smoke.runner.run_plan` (a fresh child process, as locally),
and the :class:`~nbtrack.smoke.result.SmokeResult` values come back in input
order, named by the paths given, so every report reads as a local run's.

The workers need the project's files at the same absolute paths (a shared
volume, or the same image with the project at the same place): a notebook a
worker cannot see fails with a sentence naming the worker and the path.
With ``--track`` each task writes to the store URL this side resolved.

Not for: planning or judging a notebook (``plan``, ``verdict``), nor the
cluster's mechanics (:mod:`nbtrack.cluster`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from nbtrack.envvars import DASK_WORKER_ENV
from nbtrack.smoke.options import SmokeConfig, SmokeOptions
from nbtrack.smoke.plan import Plan
from nbtrack.smoke.result import SmokeResult, Status

__all__ = ["run_on_cluster", "smoke_task"]

_SHARED = "workers need the project's files at the same paths (a shared volume or the same image)"


def smoke_task(plan: Plan, options: SmokeOptions, config: SmokeConfig) -> SmokeResult:
    """One notebook, on a worker (in the task's own process); SIGTERM stops its child."""
    from nbtrack.smoke.isolate import Isolation
    from nbtrack.smoke.process import unwind_on_sigterm
    from nbtrack.smoke.runner import run_plan

    worker = os.environ.get(DASK_WORKER_ENV, "this machine")
    if not plan.path.is_file():
        reason = f"the Dask worker {worker} cannot see {plan.path} (no such file); {_SHARED}"
        return SmokeResult(plan.path, "failed", warnings=plan.warnings, reason=reason)
    with unwind_on_sigterm():
        isolation = Isolation(config) if options.isolate else None
        try:
            return run_plan(plan, options, isolation)
        finally:
            if isolation is not None:
                isolation.close()


def _absolute(options: SmokeOptions) -> SmokeOptions:
    """The options with every path absolute: a worker's working directory is not ours."""
    return replace(
        options,
        keep_script=options.keep_script.resolve() if options.keep_script else None,
        output_dir=options.output_dir.resolve() if options.output_dir else None,
    )


def _options_for(plan: Plan, options: SmokeOptions) -> SmokeOptions:
    if not options.track or options.store_url is not None:
        return options
    from nbtrack.config import load_settings

    # the store this side would write to, whatever the worker's own settings say
    return replace(options, store_url=load_settings(plan.path.parent).store_url)


def run_on_cluster(
    plans: Sequence[Plan],
    options: SmokeOptions,
    config: SmokeConfig,
    address: str,
    *,
    limit: int | None = None,
    on_result: Callable[[SmokeResult], None] | None = None,
) -> list[SmokeResult]:
    """Smoke-run *plans* on the Dask cluster at *address*; results in input order.

    A skipped notebook is decided here and never sent. Ctrl-C stops the
    tasks (see :func:`nbtrack.cluster.tasks.run_calls`) and goes on up.
    """
    from nbtrack.cluster.connect import check_workers, connect
    from nbtrack.cluster.tasks import Call, Done, run_calls

    results: list[SmokeResult | None] = [None] * len(plans)
    sent: list[int] = []
    calls = []
    absolute = _absolute(options)
    for position, plan in enumerate(plans):
        if plan.skip_reason:
            skipped = SmokeResult(
                plan.path, "skipped", warnings=plan.warnings, reason=plan.skip_reason
            )
            results[position] = skipped
            continue
        remote = replace(plan, path=plan.path.resolve())
        sent.append(position)
        label = f"smoke-{plan.path.stem}"
        calls.append(Call(smoke_task, (remote, _options_for(plan, absolute), config), label=label))

    def arrived(done: Done) -> None:
        position = sent[done.index]
        plan = plans[position]
        if done.error is not None:
            where = f"on the Dask worker {done.worker}: " if done.worker else ""
            reason = "interrupted" if done.stopped else f"{where}{done.error}"
            status: Status = "failed" if done.started else "skipped"
            result = SmokeResult(plan.path, status, warnings=plan.warnings, reason=reason)
        else:
            # named as given on this side's command line, as a local run names it
            result = replace(done.value, notebook=plan.path)
        results[position] = result
        if on_result is not None:
            on_result(result)

    if on_result is not None:
        for result in results:
            if result is not None:
                on_result(result)
    if calls:
        client = connect(address)
        try:
            check_workers(client, address)
            run_calls(client, calls, arrived, limit=limit)
        finally:
            client.close()
    return [_result(r, p.path) for r, p in zip(results, plans, strict=True)]


def _result(result: SmokeResult | None, path: Path) -> SmokeResult:
    return result if result is not None else SmokeResult(path, "skipped", reason="interrupted")
