"""Execute a notebook in a fresh kernel with parameters, as one tracked run.

What ``nbtrack run`` does, as a function returning a value
(:func:`run_notebook` -> :class:`BatchResult`):

1. read the notebook, resolve ``-f``/``-p`` values and inject them after its
   parameters cell (:func:`nbtrack.notebook.params.resolve_params`, so an
   unknown name is a ``ParamError`` before any kernel starts);
2. start a ``python3`` kernel of this very interpreter through papermill
   (:mod:`nbtrack.execute.engine`), with the nbtrack magics loaded at
   start-up and the run described in its environment (the ``NBTRACK_*``
   names of :mod:`nbtrack.config`): the kernel's session starts the run at
   the first cell, whether or not the notebook itself calls nbtrack, writes
   its id where this side reads it, and logs the injected values with their
   source;
3. afterwards, store the executed notebook as an artifact, the parameter
   file's hash as a ``config`` data ref and the notebook's ``py:percent``
   snapshot (the kernel records only its path and hash, to start sooner), and
   settle the run's status (FAILED, with the failing cell named, when a cell
   raised): :mod:`nbtrack.execute.settle`. A notebook that ended itself
   cleanly before its last cell (``sys.exit(0)``, ``exit()``) is FINISHED
   with an ``early_exit`` event naming the cells that never ran.

The notebook's path is recorded relative to the project root of the
kernel's working directory (the root the kernel's run uses) when the
notebook is inside it, absolute otherwise; this side records the same form.

Not for: parsing command-line options or printing (``nbtrack.cli.run``).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from nbtrack.envvars import (
    NOTEBOOK_ENV,
    PARAM_SOURCES_ENV,
    PARAMETERS_CELL_ENV,
    RUN_ID_FILE_ENV,
    RUN_NAME_ENV,
    RUN_TAGS_ENV,
    STORE_ENV,
)
from nbtrack.errors import NotebookError, UsageError
from nbtrack.execute.locate import EarlyExit
from nbtrack.execute.redacted import RedactedCells
from nbtrack.model import RunEvent, RunStatus
from nbtrack.notebook.document import (
    Notebook,
    kernel_language,
    marked_output,
    notebook_to_dict,
    read_notebook,
)
from nbtrack.notebook.failure import CellFailure
from nbtrack.notebook.params import (
    cell_origin,
    find_parameters_cell,
    inject_parameters,
    resolve_params,
)
from nbtrack.notebook.source import cell_magic_name

__all__ = ["BatchResult", "run_notebook"]


@dataclass(frozen=True)
class BatchResult:
    run_id: str
    notebook: Path
    status: RunStatus
    seconds: float
    output: Path | None  # the executed notebook, when the user asked to keep it
    failure: CellFailure | None = None
    error: str | None = None  # a failure that is not a cell's (kernel died, ...)
    #: the notebook ended itself cleanly before its last cell
    early_exit: EarlyExit | None = None


@dataclass(frozen=True)
class _Job:
    """The notebook as it will run: parameters resolved and injected."""

    path: Path
    run_nb: Notebook
    #: for each cell of ``run_nb``, its index in the user's notebook
    origin: tuple[int | None, ...]
    sources: dict[str, str]
    #: the parameters cell's source when no ``%%track_params`` will log it
    parameters_cell: str
    #: cells with a secret (injected or the user's): real text for the kernel, redacted in files
    redacted: RedactedCells
    #: a value whose type is not its default's, one sentence each
    warnings: tuple[str, ...] = ()


def _job(
    path: Path,
    params: Mapping[str, object] | None,
    param_file: str | os.PathLike[str] | None,
    warn: Callable[[str], None] | None = None,
    *,
    redact: bool,
) -> _Job:
    """Read and parameterise the notebook; every bad input raises here.

    *warn* is told of each value whose type is not its default's (it runs as given).
    """
    if not path.is_file():
        raise NotebookError(f"Notebook {path} does not exist.", path=path)
    nb = read_notebook(path)
    language = kernel_language(nb)
    if language != "python":
        # the run is recorded by nbtrack loaded inside the kernel: a Python kernel
        raise NotebookError(
            f"{path}: its kernel language is {language}, not Python; nbtrack run executes"
            " Python notebooks only, in a Python kernel that records the run.",
            path=path,
        )
    files = () if param_file is None else (Path(param_file),)
    resolved = resolve_params(nb, files=files, cli=params)
    if warn is not None:
        for warning in resolved.warnings:
            warn(warning)
    run_nb = inject_parameters(nb, resolved.values, source="cli")
    index = find_parameters_cell(nb)
    tagged = "" if index is None else nb.cells[index].source
    return _Job(
        path=path,
        run_nb=run_nb,
        origin=cell_origin(nb, run_nb),
        sources=resolved.sources,
        parameters_cell="" if cell_magic_name(tagged) == "track_params" else tagged,
        redacted=RedactedCells(run_nb, redact=redact),
        warnings=resolved.warnings,
    )


def run_notebook(
    notebook: str | os.PathLike[str],
    *,
    params: Mapping[str, object] | None = None,
    param_file: str | os.PathLike[str] | None = None,
    name: str | None = None,
    tags: Mapping[str, str] | None = None,
    output: str | os.PathLike[str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    store_url: str | None = None,
    timeout: float | None = None,
    warn: Callable[[str], None] | None = None,
) -> BatchResult:
    """Execute *notebook* in a kernel as one tracked run; see the module docstring.

    Bad input (missing or malformed notebook, a notebook in another kernel
    language, unknown parameter, unreadable parameter file, an output path
    that cannot be written, a timeout not above 0) raises before a kernel
    starts: ``NotebookError``, ``ParamError`` or ``UsageError``.
    A notebook that fails is a result with ``failure`` set. *warn* hears of
    a parameter given with another type than its default.
    """
    from nbtrack.config import find_project_root, load_settings
    from nbtrack.execute.settle import Prepared, settle

    path = Path(notebook)
    _check_arguments(output, timeout)
    settings = load_settings()
    job = _job(path, params, param_file, warn, redact=settings.redact_secrets)
    url = store_url or settings.store_url
    workdir = Path(cwd) if cwd is not None else path.resolve().parent
    if not workdir.is_dir():
        raise NotebookError(f"Working directory {workdir} does not exist.", path=workdir)
    # the kernel's run loads its settings there, and records the notebook against that root
    root = find_project_root(workdir)

    started = time.time()
    failure: CellFailure | None = None
    error: str | None = None
    early: EarlyExit | None = None
    # made while the kernel runs (this process only waits for it meanwhile)
    prepared = Prepared(path.resolve(), root)
    with tempfile.TemporaryDirectory(prefix="nbtrack-run-") as tmp:
        id_file = Path(tmp) / "run-id"
        env = _kernel_env(job, Path(tmp), id_file, url, name, tags)
        source, executed = _notebook_files(job, path, Path(tmp), output)
        try:
            failure, error, early = _execute(source, executed, workdir, env, timeout, job)
        finally:
            status = RunStatus.FAILED if (failure or error) else RunStatus.FINISHED
            ids = id_file.read_text(encoding="utf-8").split() if id_file.is_file() else []
            run_id = ids[0] if ids else uuid.uuid4().hex
            settle(
                url,
                settings,
                run_id,
                path,
                name,
                tags,
                executed,
                param_file,
                status,
                error,
                prepared.source(),
                root=root,
                events=_early_exit_event(early),
            )
    return BatchResult(
        run_id=run_id,
        notebook=path,
        status=status,
        seconds=time.time() - started,
        output=Path(output) if output is not None else None,
        failure=failure,
        error=error,
        early_exit=early,
    )


def _notebook_files(
    job: _Job, path: Path, tmp: Path, output: str | os.PathLike[str] | None
) -> tuple[Path, Path]:
    """The notebook papermill reads (written to *tmp*), and the one it writes."""
    source = tmp / path.name
    # marked, so the executed copy papermill writes from it is never paired or synced;
    # its secrets redacted (the kernel gets the real code through the hooks)
    marked = marked_output(job.redacted.shown, path.as_posix())
    source.write_text(json.dumps(notebook_to_dict(marked)), encoding="utf-8")
    # absolute: papermill saves it from inside the kernel's working directory too
    executed = Path(output).resolve() if output is not None else tmp / f"executed-{path.name}"
    return source, executed


def _check_arguments(output: str | os.PathLike[str] | None, timeout: float | None) -> None:
    """Refuse, before a kernel starts, a timeout not above 0 and an output path that
    the executed notebook cannot go to."""
    if timeout is not None and not timeout > 0:
        raise UsageError(f"The cell timeout must be a positive number of seconds, not {timeout!r}.")
    if output is None:
        return
    target = Path(output)
    folder = target.resolve().parent
    if target.is_dir():
        problem = "it is a directory"
    elif not folder.is_dir():
        problem = f"its directory {folder} does not exist"
    elif not os.access(folder, os.W_OK):
        problem = f"its directory {folder} is not writable"
    else:
        return
    raise UsageError(f"Cannot write the executed notebook to {target}: {problem}.")


def _early_exit_event(early: EarlyExit | None) -> tuple[RunEvent, ...]:
    if early is None:
        return ()
    detail = {
        "cell": None if early.cell is None else early.cell + 1,
        "exit": early.how,
        "not_run": [cell + 1 for cell in early.not_run],
        "message": early.describe(),
    }
    return (RunEvent(kind="early_exit", timestamp=time.time(), detail=detail),)


def _kernel_env(
    job: _Job,
    tmp: Path,
    id_file: Path,
    url: str,
    name: str | None,
    tags: Mapping[str, str] | None,
) -> dict[str, str]:
    """The run, described to the kernel's session (see :mod:`nbtrack.config`)."""
    from nbtrack.execute.engine import kernel_path

    return {
        "JUPYTER_PATH": kernel_path(tmp),
        RUN_ID_FILE_ENV: str(id_file),
        NOTEBOOK_ENV: str(job.path.resolve()),
        STORE_ENV: url,
        RUN_NAME_ENV: name or "",
        RUN_TAGS_ENV: json.dumps(dict(tags or {})),
        PARAM_SOURCES_ENV: json.dumps(job.sources),
        PARAMETERS_CELL_ENV: job.parameters_cell,
    }


def _execute(
    source: Path,
    executed: Path,
    workdir: Path,
    env: Mapping[str, str],
    timeout: float | None,
    job: _Job,
) -> tuple[CellFailure | None, str | None, EarlyExit | None]:
    """Run the injected notebook: (the user's cell that failed, another failure, a clean end).

    The clean end is set when the notebook ended itself before its last cell.
    """
    from nbtrack.execute.engine import AskedToExit, execute
    from nbtrack.execute.locate import (
        cell_failure,
        clean_exit,
        early_exit,
        error_line,
        stopped_cell,
    )

    origin = job.origin
    try:  # the kernel gets the real code, the executed notebook keeps its secrets redacted
        cell_error, stopped = execute(source, executed, workdir, env, timeout, job.redacted.hooks())
    finally:
        job.redacted.scrub(executed)
    asked = stopped.cell_index if isinstance(stopped, AskedToExit) else None
    if asked is not None:
        stopped = None
    if cell_error is not None and clean_exit(str(cell_error.ename), str(cell_error.evalue)):
        cell_error = None  # sys.exit(None): papermill passes only what reads "" or "0"
    if cell_error is not None:
        raised = cell_failure(
            int(cell_error.cell_index),
            cell_error.exec_count,
            str(cell_error.source or ""),
            str(cell_error.ename),
            str(cell_error.evalue),
            origin,
        )
        return raised, None, None
    if stopped is None:
        return None, None, early_exit(executed, origin, asked)
    failure = stopped_cell(executed, stopped, origin)
    if failure is None:
        return None, f"{type(stopped).__name__}: {error_line(stopped)}".rstrip(": "), None
    return failure, None, None
