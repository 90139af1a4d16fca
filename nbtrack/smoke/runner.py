"""Smoke-run notebooks: plan (read, lint, inject), run in a fresh process, explain.

:func:`plan_notebook` does everything that can fail on bad input -- reading
the notebook, resolving parameters from config, ``-f`` and ``-p`` -- before
anything runs, so a usage error is exit code 2 and one sentence, never a
half-finished run. :func:`run_plan` then runs the cells in a child process
(:mod:`nbtrack.smoke._child`: one fresh ``InteractiveShell``, cell by cell;
or ``_kernel_child`` for ``--engine kernel``) with the notebook's folder as
working directory, ``MPLBACKEND=Agg`` and a throwaway run store, and turns
what happened into a :class:`~nbtrack.smoke.result.SmokeResult`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbtrack.config import NOTEBOOK_ENV, STORE_ENV, load_settings
from nbtrack.errors import NbtrackError, UsageError
from nbtrack.notebook import (
    Notebook,
    cell_origin,
    inject_parameters,
    is_skipped,
    kernel_language,
    read_notebook,
    resolve_params,
    to_script,
    write_notebook,
)
from nbtrack.smoke.lint import lint_notebook
from nbtrack.smoke.options import SmokeConfig, SmokeOptions
from nbtrack.smoke.process import Child, spawn_child
from nbtrack.smoke.result import LintWarning, SmokeResult
from nbtrack.smoke.verdict import Isolation, verdict

__all__ = [
    "Plan",
    "PlannedCell",
    "collect_notebooks",
    "plan_notebook",
    "run_notebook",
    "run_notebooks",
    "run_plan",
]

_PRUNED = {"__pycache__", "node_modules", "site-packages"}


@dataclass(frozen=True)
class PlannedCell:
    """A code cell the child runs; ``origin`` is its index in the user's notebook."""

    run_index: int
    origin: int | None
    source: str
    allow_error: bool
    label: str


@dataclass(frozen=True)
class Plan:
    """One notebook, ready to run: parameters injected, lint done, limits resolved."""

    path: Path
    nb: Notebook
    run_nb: Notebook
    #: for each cell of ``run_nb``, its index in ``nb`` (None: the injected cell)
    origin: tuple[int | None, ...]
    cells: tuple[PlannedCell, ...]
    params: dict[str, object] = field(default_factory=dict)
    timeout: float | None = None
    cell_timeout: float | None = None
    warnings: tuple[LintWarning, ...] = ()
    skip_reason: str | None = None
    relative: str = ""


def collect_notebooks(paths: Sequence[Path], config: SmokeConfig) -> list[Path]:
    """Notebook files named by *paths*; folders are searched, hidden ones skipped."""
    if not paths:
        raise UsageError("Give at least one notebook or folder of notebooks.")
    found: dict[Path, None] = {}
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path} does not exist.")
        if not path.is_dir():
            found.setdefault(path, None)
            continue
        inside = [
            nb
            for nb in sorted(path.rglob("*.ipynb"))
            if not any(
                part.startswith(".") or part in _PRUNED for part in nb.relative_to(path).parts
            )
            and not config.excluded(nb)
        ]
        if not inside:
            raise UsageError(
                f"{path} holds no notebooks (*.ipynb; checkpoints and hidden folders are skipped)."
            )
        for nb in inside:
            found.setdefault(nb, None)
    return list(found)


def _resolve_params(
    nb: Notebook, options: SmokeOptions, config_params: dict[str, object]
) -> dict[str, object]:
    resolved = resolve_params(
        nb, defaults=config_params, files=options.param_files, cli=options.params
    )
    return resolved.values


def plan_notebook(path: Path, options: SmokeOptions, config: SmokeConfig) -> Plan:
    """Read, lint and parameterise one notebook; raises NbtrackError on bad input."""
    nb = read_notebook(path)
    if options.isolate:
        from nbtrack.smoke.isolate import git_root

        if git_root(path.resolve()) is None:
            raise UsageError(f"--isolate needs a git repository, and {path} is not in one.")
    language = kernel_language(nb)
    skip = None
    if language != "python" and options.engine == "script":
        skip = (
            f"its kernel language is {language}, not Python; nbtrack smoke runs Python "
            f"notebooks as scripts (use --engine kernel to run it in its own kernel)"
        )
    # a skipped notebook is neither linted (its cells are not Python) nor parameterised
    warnings = lint_notebook(nb) if language == "python" else ()
    config_params, timeout, cell_timeout = config.defaults_for(path)
    params = {} if skip else _resolve_params(nb, options, config_params)
    run_nb = inject_parameters(nb, params, source="cli" if options.params else "config")
    origin = cell_origin(nb, run_nb)
    cells = []
    for cell in run_nb.cells:
        if not cell.is_code or is_skipped(cell) or not cell.source.strip():
            continue
        where = origin[cell.index]
        label = "injected parameters" if where is None else f"cell {where + 1}"
        allow = "raises-exception" in cell.tags
        cells.append(PlannedCell(cell.index, where, cell.source, allow, label))
    return Plan(
        path=path,
        nb=nb,
        run_nb=run_nb,
        origin=origin,
        cells=tuple(cells),
        params=params,
        timeout=options.timeout if options.timeout is not None else timeout,
        cell_timeout=options.cell_timeout if options.cell_timeout is not None else cell_timeout,
        warnings=warnings,
        skip_reason=skip,
        relative=config.relative(path),
    )


def _child_env(plan: Plan, options: SmokeOptions, child: Child) -> dict[str, str]:
    """Per-notebook environment (the rest was set when the child was spawned)."""
    env = {NOTEBOOK_ENV: str(plan.path.resolve())}
    if options.track:
        env[STORE_ENV] = load_settings(plan.path.parent).store_url
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


def _kernel_plan(plan: Plan, options: SmokeOptions, tmp: Path) -> dict[str, Any]:
    from dataclasses import replace

    cells = []
    tags: dict[int, list[str]] = {}
    for cell in plan.run_nb.cells:
        if "nbtrack:skip" in cell.tags and "skip-execution" not in cell.tags:
            tags[cell.index] = list(cell.tags)
            cell = replace(cell, tags=(*cell.tags, "skip-execution"))
        cells.append(cell)
    notebook = write_notebook(plan.run_nb.with_cells(cells), tmp / "input.ipynb")
    output = None
    if options.output_dir is not None:
        output = options.output_dir.resolve() / Path(plan.relative).with_suffix(".ipynb")
    spec = plan.nb.metadata.get("kernelspec")
    kernel_name = spec.get("name") if isinstance(spec, dict) else None
    return {
        "notebook": str(notebook),
        "output": str(output) if output else None,
        "kernel_name": kernel_name,
        "language": kernel_language(plan.nb),
        "restore_tags": {str(k): v for k, v in tags.items()},
    }


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
            child_plan = _kernel_plan(plan, options, child.tmp)
            if child_plan["output"]:
                artifacts.append(Path(child_plan["output"]))
        else:
            cells = [
                {"source": c.source, "allow_error": c.allow_error, "label": c.label}
                for c in plan.cells
            ]
            child_plan = {"cells": cells}
        child_plan.update(cwd=str(run_dir), env=_child_env(plan, options, child))
        outcome = child.run(child_plan, timeout=plan.timeout, cell_timeout=plan.cell_timeout)
    finally:
        child.close()
    return verdict(
        plan, outcome, options.engine, run_dir, isolation, options.strict, tuple(artifacts)
    )


def run_notebook(
    path: Path, options: SmokeOptions | None = None, config: SmokeConfig | None = None
) -> SmokeResult:
    """Plan and run one notebook (the pytest plugin's entry point)."""
    from nbtrack.smoke.options import project_smoke_config

    options = options or SmokeOptions()
    child = spawn_child(options.engine)  # starts IPython while we plan
    try:
        config = config or project_smoke_config()
        plan = plan_notebook(path, options, config)
    except BaseException:
        child.close()
        raise
    isolation = Isolation(config) if options.isolate else None
    try:
        return run_plan(plan, options, isolation, child)
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
    warm: Sequence[Child] = (),
) -> list[SmokeResult]:
    """Run planned notebooks, *jobs* at a time; results come back in input order.

    *warm* children (started with :func:`~nbtrack.smoke.process.spawn_child`
    before planning) are used first; any left over are stopped.
    """
    plans = list(plans)
    spare = list(warm)
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
        for child in spare:
            child.close()
        if isolation is not None:
            isolation.close()
