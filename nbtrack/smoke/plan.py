"""Planning a smoke run: find the notebooks, then read, lint and parameterise each.

:func:`plan_notebook` does everything that can fail on bad input -- reading
the notebook, resolving parameters from config, ``-f`` and ``-p`` -- before
anything runs, so a usage error is exit code 2 and one sentence, never a
half-finished run. Its :class:`Plan` is what :mod:`nbtrack.smoke.runner`
runs and :mod:`nbtrack.smoke.verdict` judges the child's events against.

Not for: running anything (no child process is started here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nbtrack.errors import UsageError
from nbtrack.notebook import (
    Notebook,
    cell_origin,
    find_parameters_cell,
    inject_parameters,
    is_skipped,
    kernel_language,
    read_notebook,
    resolve_params,
)
from nbtrack.smoke.lint import lint_notebook
from nbtrack.smoke.options import SmokeConfig, SmokeOptions
from nbtrack.smoke.result import LintWarning

__all__ = ["Plan", "PlannedCell", "collect_notebooks", "plan_notebook", "plan_paths"]

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
) -> tuple[dict[str, object], tuple[LintWarning, ...]]:
    """The values to inject, and a warning for each whose type is not its default's."""
    resolved = resolve_params(
        nb, defaults=config_params, files=options.param_files, cli=options.params
    )
    cell = find_parameters_cell(nb)
    changed = tuple(LintWarning("param-type", text, cell) for text in resolved.warnings)
    return resolved.values, changed


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
    params, changed = ({}, ()) if skip else _resolve_params(nb, options, config_params)
    warnings = (*warnings, *changed)
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


def plan_paths(paths: Sequence[Path], options: SmokeOptions, config: SmokeConfig) -> list[Plan]:
    """Plan every notebook *paths* name (folders searched) before any runs: bad input raises."""
    return [plan_notebook(path, options, config) for path in collect_notebooks(paths, config)]
