"""``nbtrack run --grid/--sample -j N``: a sweep's options checked, its runs started, told.

A helper of :mod:`nbtrack.cli.run` (the same door): the plan comes from
:func:`nbtrack.execute.sweep.plan_sweep`, the runs go to
:func:`nbtrack.execute.sweep_local.run_sweep` (with ``--dask ADDRESS``, to
:func:`nbtrack.execute.sweep_dask.run_sweep_on_cluster`: the same outcomes,
summary and exit codes). The sweep id goes to stdout
(``SWEEP=$(nbtrack run ... --grid ...)``); a line per run as it ends, and the
summary, to stderr. Exit codes: 0 every run finished, 1 any did not, 2 bad
input (before any run starts), 128 + the signal when Ctrl-C or SIGTERM
stopped the sweep (its running runs KILLED, its queued ones never started).

Not for: planning or running (``nbtrack.execute``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from nbtrack.cli._output import echo_err

if TYPE_CHECKING:
    from nbtrack.execute.sweep import RunOutcome, SweepPlan
    from nbtrack.execute.sweep_local import SweepResult

__all__ = ["SweepOptions", "run_one_on_cluster", "run_sweep_command"]


class SweepOptions:
    """The sweep's own options of ``nbtrack run``, as click gave them."""

    def __init__(
        self,
        grid: tuple[str, ...],
        sample: int | None,
        ranges: tuple[str, ...],
        seed: int | None,
        jobs: int | None,
        dask: str | None = None,
    ) -> None:
        self.grid, self.sample, self.ranges, self.seed, self.jobs = grid, sample, ranges, seed, jobs
        #: ``--dask ADDRESS``: the runs go to that cluster (``jobs`` then caps them, if given)
        self.dask = dask

    @property
    def asked(self) -> bool:
        """Whether any option asks for a sweep (then the others are checked by the plan)."""
        return bool(self.grid or self.ranges) or self.sample is not None or self.seed is not None


def run_sweep_command(
    notebook: Path,
    options: SweepOptions,
    *,
    params: Mapping[str, Any],
    param_file: Path | None,
    name: str | None,
    tags: Mapping[str, str],
    output: Path | None,
    cwd: Path | None,
    timeout: float | None,
    experiment: str | None = None,
) -> None:
    """Plan, run and report a sweep; raises SystemExit with its exit code.

    *experiment* None: each run's experiment comes from the settings.
    """
    from nbtrack.errors import UsageError
    from nbtrack.execute.sweep import check_plan, plan_sweep
    from nbtrack.execute.sweep_local import run_sweep

    if output is not None:
        raise UsageError(
            "-o writes one executed notebook; a sweep keeps each run's with the run"
            " (nbtrack artifacts RUN)."
        )
    plan = plan_sweep(
        notebook,
        grid=options.grid,
        sample=options.sample,
        ranges=options.ranges,
        seed=options.seed,
        base_params=params,
        name=name,
        tags=tags,
    )
    _check_inputs(cwd, timeout)
    for warning in check_plan(plan, param_file):
        echo_err(f"nbtrack: warning: {warning}")
    jobs = options.jobs or 1
    echo_err(_announcement(plan, options, notebook))
    done: list[RunOutcome] = []

    def told(outcome: RunOutcome) -> None:
        done.append(outcome)
        echo_err(_progress(plan, outcome, len(done)))

    file = None if param_file is None else str(param_file)
    folder = None if cwd is None else str(cwd)
    if options.dask is not None:
        from nbtrack.execute.sweep_dask import run_sweep_on_cluster

        result = run_sweep_on_cluster(
            plan,
            options.dask,
            limit=options.jobs,
            param_file=file,
            cwd=folder,
            timeout=timeout,
            on_outcome=told,
            experiment=experiment,
        )
    else:
        result = run_sweep(
            plan,
            jobs=jobs,
            param_file=file,
            cwd=folder,
            timeout=timeout,
            on_outcome=told,
            experiment=experiment,
        )
    click.echo(plan.sweep_id)
    echo_err(_summary(result, notebook))
    if result.signal is not None:
        raise SystemExit(128 + result.signal)
    if not result.ok:
        raise SystemExit(1)


def _announcement(plan: SweepPlan, options: SweepOptions, notebook: Path) -> str:
    """The sweep's first line: its id, how many runs, where and how many at a time."""
    jobs = options.jobs or 1
    total = len(plan.runs)
    at_once = f"{min(jobs, total)} at a time" if jobs > 1 else "one after another"
    if options.dask is not None:
        capped = f", at most {options.jobs} at a time" if options.jobs else ""
        at_once = f"on the Dask cluster at {options.dask}{capped}"
    seed = f", seed {plan.seed}" if plan.seed is not None else ""
    return f"nbtrack: sweep {plan.sweep_id}: {total} runs of {notebook}, {at_once}{seed}."


def _check_inputs(cwd: Path | None, timeout: float | None) -> None:
    """What every run would refuse alike, refused once before any starts."""
    from nbtrack.errors import NotebookError, UsageError

    if timeout is not None and not timeout > 0:
        raise UsageError(f"The cell timeout must be a positive number of seconds, not {timeout!r}.")
    if cwd is not None and not cwd.is_dir():
        raise NotebookError(f"Working directory {cwd} does not exist.", path=cwd)


def _values(plan: SweepPlan, index: int) -> str:
    from nbtrack.printable import printable

    values = plan.swept_values(plan.runs[index])
    return printable(", ".join(f"{key}={value!r}" for key, value in values.items()))


def _progress(plan: SweepPlan, outcome: RunOutcome, count: int) -> str:
    """One line for a run that ended: its number, id, status, time, values and why."""
    from nbtrack.execute.sweep import NOT_STARTED

    head = f"nbtrack: [{count}/{len(plan.runs)}]"
    values = _values(plan, outcome.index)
    if outcome.run_id is None:
        how = "did not start" if outcome.status == NOT_STARTED else outcome.status
        return f"{head} run {outcome.index} ({values}) {how}: {outcome.error}."
    line = (
        f"{head} run {outcome.index} {outcome.run_id[:8]} {outcome.status}"
        f" in {outcome.seconds:.1f} s ({values})"
    )
    return f"{line}: {outcome.error}." if outcome.error else f"{line}."


def _summary(result: SweepResult, notebook: Path) -> str:
    """The sweep's last line: how many runs ended how, and how to compare them."""
    import signal

    from nbtrack.execute.sweep import NOT_STARTED

    plan = result.plan
    counts = ", ".join(
        f"{result.count(status)} {status.lower().replace('_', ' ')}"
        for status in ("FINISHED", "FAILED", "KILLED", NOT_STARTED)
    )
    stopped = ""
    if result.signal is not None:
        name = signal.Signals(result.signal).name
        stopped = f" stopped by {name} (the running runs are KILLED, the queued never started)"
    return (
        f"nbtrack: sweep {plan.sweep_id} of {notebook}{stopped}: {counts} of {len(plan.runs)}"
        f" runs. Compare them: nbtrack compare --sweep {plan.sweep_id}"
    )


def run_one_on_cluster(
    notebook: Path,
    address: str,
    *,
    params: Mapping[str, Any],
    name: str | None,
    tags: Mapping[str, str],
    param_file: Path | None,
    output: Path | None,
    cwd: Path | None,
    timeout: float | None,
    experiment: str | None = None,
) -> None:
    """``nbtrack run NOTEBOOK --dask ADDRESS``: one run on a worker, told as a local run is.

    The run id to stdout; exit codes 0, 1 (the run failed, or a worker could
    not start it), 2 (bad input, before anything is sent), 128 + the signal.
    """
    import signal

    from nbtrack.errors import UsageError
    from nbtrack.execute.sweep import check_plan
    from nbtrack.execute.sweep_dask import one_run_plan, run_sweep_on_cluster

    if output is not None:
        raise UsageError("-o writes here; a run on a Dask worker keeps its executed notebook.")
    plan = one_run_plan(notebook, params, name, tags)
    _check_inputs(cwd, timeout)
    for warning in check_plan(plan, param_file):
        echo_err(f"nbtrack: warning: {warning}")
    result = run_sweep_on_cluster(
        plan,
        address,
        param_file=None if param_file is None else str(param_file),
        cwd=None if cwd is None else str(cwd),
        timeout=timeout,
        experiment=experiment,
    )
    outcome = result.outcomes[0]
    if outcome.run_id is not None:
        click.echo(outcome.run_id)
    label = f"run {outcome.run_id[:8]}" if outcome.run_id else "the run"
    if result.signal is not None:
        stopped_by = signal.Signals(result.signal).name
        echo_err(f"nbtrack: {notebook} was stopped by {stopped_by}; {label} is {outcome.status}.")
        raise SystemExit(128 + result.signal)
    if outcome.status == "FINISHED":
        took = f"{outcome.seconds:.1f} s"
        echo_err(f"nbtrack: {label} FINISHED in {took} ({notebook}, on {address}).")
        return
    echo_err(f"Error: {notebook} did not finish: {outcome.error}; {label} is {outcome.status}.")
    raise SystemExit(1)
