"""Smoke-run planned notebooks: each in a fresh process, *jobs* at a time, explained.

:func:`run_plan` runs one :class:`~nbtrack.smoke.plan.Plan`'s cells in a
child process (:mod:`nbtrack.smoke._child`: one fresh ``InteractiveShell``,
cell by cell; or ``_kernel_child`` for ``--engine kernel``) with the
notebook's folder as working directory, ``MPLBACKEND=Agg`` and a throwaway
run store, and turns what happened into a
:class:`~nbtrack.smoke.result.SmokeResult`.

``nbtrack smoke PATHS`` is :func:`~nbtrack.smoke.plan.plan_paths` then
:func:`run_notebooks`; a pytest item is :func:`run_notebook`. Both doors
plan inside :func:`~nbtrack.smoke.process.started_children`, so the
children import IPython meanwhile and SIGTERM stops them.

Not for: reading notebooks or deciding what failed (:mod:`nbtrack.smoke.plan`,
:mod:`nbtrack.smoke.verdict`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

from nbtrack.config import load_settings
from nbtrack.envvars import NOTEBOOK_ENV, STORE_ENV
from nbtrack.errors import NbtrackError, UsageError
from nbtrack.notebook import (
    allows_error,
    is_skipped,
    kernel_language,
    marked_output,
    to_script,
    write_notebook,
)
from nbtrack.smoke.isolate import Isolation
from nbtrack.smoke.options import SmokeConfig, SmokeOptions
from nbtrack.smoke.plan import Plan, plan_notebook
from nbtrack.smoke.process import Child, spawn_child, started_children
from nbtrack.smoke.protocol import ChildCell, ChildPlan
from nbtrack.smoke.result import SmokeResult
from nbtrack.smoke.verdict import verdict

__all__ = ["run_notebook", "run_notebooks", "run_plan"]


def _child_env(plan: Plan, options: SmokeOptions, child: Child) -> dict[str, str]:
    """Per-notebook environment (the rest was set when the child was spawned)."""
    env = {NOTEBOOK_ENV: str(plan.path.resolve())}
    if options.track:
        env[STORE_ENV] = options.store_url or load_settings(plan.path.parent).store_url
    else:
        env[STORE_ENV] = str(child.tmp / "throwaway-runs.db")
    return env


def _keep(options: SmokeOptions, plan: Plan) -> list[Path]:
    if options.keep_script is None:
        return []
    target = options.keep_script / Path(plan.relative).with_suffix(".py")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(to_script(plan.run_nb).text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"--keep-script cannot write {target}: {exc.strerror}.") from None
    return [target]


def _kernel_plan(plan: Plan, options: SmokeOptions, tmp: Path, cwd: str) -> ChildPlan:
    cells = []
    tags: dict[int, list[str]] = {}
    for cell in plan.run_nb.cells:
        # nbclient knows only these two tags: other tools' markers become them
        added = [
            tag
            for tag, marked in (("skip-execution", is_skipped), ("raises-exception", allows_error))
            if cell.is_code and marked(cell) and tag not in cell.tags
        ]
        if added:
            tags[cell.index] = list(cell.tags)
            cell = replace(cell, tags=(*cell.tags, *added))
        cells.append(cell)
    # marked, so the executed copy written from it is never paired or synced
    marked = marked_output(plan.run_nb.with_cells(cells), Path(plan.relative).as_posix())
    notebook = write_notebook(marked, tmp / "input.ipynb")
    output = None
    if options.output_dir is not None:
        output = options.output_dir.resolve() / Path(plan.relative).with_suffix(".ipynb")
    spec = plan.nb.metadata.get("kernelspec")
    kernel_name = spec.get("name") if isinstance(spec, dict) else None
    return ChildPlan(
        cwd=cwd,
        notebook=str(notebook),
        output=str(output) if output else None,
        kernel_name=kernel_name,
        language=kernel_language(plan.nb),
        restore_tags=tags,
    )


def run_plan(
    plan: Plan,
    options: SmokeOptions,
    isolation: Isolation | None = None,
    child: Child | None = None,
) -> SmokeResult:
    """Run one planned notebook in a fresh process (*child*, if one was started early)."""
    if child is not None and child.engine != options.engine:
        child.close()
        child = None
    if plan.skip_reason:
        if child is not None:
            child.close()
        return SmokeResult(plan.path, "skipped", warnings=plan.warnings, reason=plan.skip_reason)
    child = child or spawn_child(options.engine)
    try:
        artifacts = _keep(options, plan)
        run_dir = plan.path.resolve().parent
        if isolation is not None:
            run_dir = isolation.run_dir_for(plan.path)
        if options.engine == "kernel":
            child_plan = _kernel_plan(plan, options, child.tmp, str(run_dir))
            if child_plan.output:
                artifacts.append(Path(child_plan.output))
        else:
            cells = tuple(ChildCell(c.source, c.allow_error, c.label) for c in plan.cells)
            child_plan = ChildPlan(cwd=str(run_dir), cells=cells)
        child_plan = child_plan._replace(env=_child_env(plan, options, child))
        outcome = child.run(child_plan, timeout=plan.timeout, cell_timeout=plan.cell_timeout)
    finally:
        child.close()
    return verdict(
        plan, outcome, options.engine, run_dir, isolation, options.strict, tuple(artifacts)
    )


def run_notebook(
    path: Path, options: SmokeOptions | None = None, config: SmokeConfig | None = None
) -> SmokeResult:
    """Plan and run one notebook (the pytest plugin's entry point).

    SIGTERM while it runs stops the notebook and raises ``SystemExit(143)``.
    """
    from nbtrack.smoke.options import project_smoke_config

    options = options or SmokeOptions()
    with started_children(options.engine, [path]) as warm:  # IPython starts while we plan
        config = config or project_smoke_config()
        plan = plan_notebook(path, options, config)
        isolation = Isolation(config) if options.isolate else None
        try:
            return run_plan(plan, options, isolation, warm.pop())
        finally:
            if isolation is not None:
                isolation.close()


def run_notebooks(
    plans: Iterable[Plan],
    options: SmokeOptions,
    config: SmokeConfig,
    *,
    jobs: int = 1,
    on_start: Callable[[Plan], None] | None = None,
    on_result: Callable[[SmokeResult], None] | None = None,
    warm: list[Child] | None = None,
) -> list[SmokeResult]:
    """Run planned notebooks, *jobs* at a time; results come back in input order.

    Children are taken from *warm* first (those
    :func:`~nbtrack.smoke.process.started_children` started before planning);
    any left over are stopped and the list is left empty.
    """
    plans = list(plans)
    spare = warm if warm is not None else []
    isolation = Isolation(config) if options.isolate else None
    lock = threading.Lock()
    # children running a notebook right now: on Ctrl-C they are killed (their own
    # sessions do not get the terminal's SIGINT) so the worker threads can return
    active: set[Child] = set()
    stopping = threading.Event()

    def one(plan: Plan) -> SmokeResult:
        with lock:
            if stopping.is_set():
                return SmokeResult(plan.path, "skipped", reason="interrupted")
            child = spare.pop() if spare else spawn_child(options.engine)
            active.add(child)
            if on_start is not None:
                on_start(plan)
        try:
            result = run_plan(plan, options, isolation, child)
        except NbtrackError as exc:
            result = SmokeResult(plan.path, "failed", warnings=plan.warnings, reason=str(exc))
        finally:
            with lock:
                active.discard(child)
        if stopping.is_set():
            return SmokeResult(plan.path, "skipped", reason="interrupted")  # killed by us
        if on_result is not None:
            with lock:
                on_result(result)
        return result

    def stop_all() -> None:
        with lock:
            stopping.set()
            for child in active:
                child.close()

    try:
        if jobs <= 1 or len(plans) <= 1:
            return [one(plan) for plan in plans]
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="nbtrack-smoke")
        try:
            futures = [pool.submit(one, plan) for plan in plans]
            return [future.result() for future in futures]
        except BaseException:
            stop_all()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        finally:
            pool.shutdown(wait=True)
    finally:
        while spare:
            spare.pop().close()
        if isolation is not None:
            isolation.close()
