"""Execute a notebook in a fresh kernel with parameters, as one tracked run.

What ``nbtrack run`` does, as a function returning a value
(:func:`run_notebook` -> :class:`BatchResult`):

1. read the notebook, resolve ``-f``/``-p`` values and inject them after its
   parameters cell (:func:`nbtrack.notebook.params.resolve_params`, so an
   unknown name is a ``ParamError`` before any kernel starts);
2. start a ``python3`` kernel of this very interpreter and run the cells
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
   raised or timed out; KILLED when Ctrl-C or SIGTERM stopped it):
   :mod:`nbtrack.execute.settle`. A notebook that ended itself
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
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from nbtrack.envvars import (
    COMMAND_ENV,
    EXPERIMENT_ENV,
    NOTEBOOK_ENV,
    PARAM_SOURCES_ENV,
    PARAMETERS_CELL_ENV,
    RUN_END_FILE_ENV,
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

if TYPE_CHECKING:
    from nbtrack.config import Settings

__all__ = ["BatchResult", "run_notebook"]


@dataclass(frozen=True)
class BatchResult:
    run_id: str
    notebook: Path
    status: RunStatus
    #: the run's duration as recorded (start to end, in the kernel's clock)
    seconds: float
    output: Path | None  # the executed notebook, when the user asked to keep it
    failure: CellFailure | None = None
    error: str | None = None  # a failure that is not a cell's (kernel died, ...)
    #: the notebook ended itself cleanly before its last cell
    early_exit: EarlyExit | None = None
    #: SIGINT or SIGTERM, when one stopped the run (KILLED)
    signal: int | None = None
    #: why the executed notebook could not be copied to ``output`` (the run keeps it)
    output_error: str | None = None


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
    experiment: str | None = None,
) -> BatchResult:
    """Execute *notebook* in a kernel as one tracked run; see the module docstring.

    Bad input (missing or malformed notebook, a notebook in another kernel
    language, unknown parameter, unreadable parameter file, an output path that
    cannot be written, a timeout not above 0, a bad *experiment*: ``_settings``)
    raises before a kernel starts: ``NotebookError``, ``ParamError`` or ``UsageError``.
    A notebook that fails is a result with ``failure`` set; *warn* hears of a param
    given with another type than its default."""
    from nbtrack.config import find_project_root
    from nbtrack.execute.settle import Prepared, settle

    path = Path(notebook)
    _check_arguments(output, timeout)
    settings = _settings(experiment)
    job = _job(path, params, param_file, warn, redact=settings.redact_secrets)
    url = store_url or settings.store_url
    workdir = Path(cwd) if cwd is not None else path.resolve().parent
    if not workdir.is_dir():
        raise NotebookError(f"Working directory {workdir} does not exist.", path=workdir)
    # the kernel's run loads its settings there, and records the notebook against that root
    root = find_project_root(workdir)

    # made while the kernel runs (this process only waits for it meanwhile)
    prepared = Prepared(path.resolve(), root)
    with tempfile.TemporaryDirectory(prefix="nbtrack-run-") as tmp:
        id_file = Path(tmp) / "run-id"
        end_file = Path(tmp) / "run-end"
        env = _kernel_env(job, Path(tmp), id_file, end_file, url, name, tags, settings.experiment)
        # written here, then copied to the user's -o: a full disk there loses nothing
        source, executed = _notebook_files(job, path, Path(tmp))
        try:
            ran = _execute(source, executed, workdir, env, timeout, end_file, job)
        except BaseException as exc:  # settled below, then raised on
            ran = _broke(exc)
            raise
        finally:
            ids = id_file.read_text(encoding="utf-8").split() if id_file.is_file() else []
            run_id = ids[0] if ids else uuid.uuid4().hex
            seconds = settle(
                url,
                settings,
                run_id,
                path,
                name,
                tags,
                executed,
                param_file,
                ran.status,
                ran.error,
                prepared.source(),
                root=root,
                events=_early_exit_event(ran.early) + _stop_event(ran),
            )
        output_error = None if output is None else _copy_out(executed, Path(output))
    return BatchResult(
        run_id=run_id,
        notebook=path,
        status=ran.status,
        seconds=seconds,
        output=Path(output) if output is not None else None,
        failure=ran.failure,
        error=ran.error,
        early_exit=ran.early,
        signal=ran.signal,
        output_error=output_error,
    )


def _copy_out(executed: Path, output: Path) -> str | None:
    """Copy the executed notebook to the user's *output*; the reason it failed, or None."""
    import shutil

    try:
        shutil.copyfile(executed, output)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return f"cannot write the executed notebook to {output}: {reason}"
    return None


def _stop_event(ran: _Ran) -> tuple[RunEvent, ...]:
    """The event saying what stopped the run from outside: a signal, or a cell's timeout."""
    import signal

    stopped = ran.interrupted if ran.signal is not None else ran.failure
    if (stopped is None and ran.signal is None) or (stopped is not None and stopped.raised):
        return ()  # a cell's own exception is the kernel's cell_error event
    detail: dict[str, object] = {"cell": None}
    if stopped is not None and stopped.cell is not None:
        detail["cell"] = stopped.cell + 1
    if ran.signal is not None:
        name = signal.Signals(ran.signal).name
        where = f" while {stopped.cell_label} ran" if stopped is not None else ""
        detail.update(signal=name, message=f"nbtrack run got {name}{where}")
        return (RunEvent(kind="killed", timestamp=time.time(), detail=detail),)
    assert stopped is not None
    detail["message"] = stopped.describe()
    return (RunEvent(kind="error", timestamp=time.time(), detail=detail),)


def _notebook_files(job: _Job, path: Path, tmp: Path) -> tuple[Path, Path]:
    """The notebook to run (written to *tmp*), and where the executed one goes (in *tmp*)."""
    source = tmp / path.name
    # marked, so the executed copy made from it is never paired or synced;
    # its secrets redacted (the kernel gets the real code through the hooks)
    marked = marked_output(job.redacted.shown, path.as_posix())
    source.write_text(json.dumps(notebook_to_dict(marked)), encoding="utf-8")
    return source, tmp / f"executed-{path.name}"


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


def _settings(experiment: str | None) -> Settings:
    """The settings, with *experiment* (``--experiment``: the run's experiment, a bad
    name a ``ConfigError``) when given.

    The parent's experiment, like its store, is the run's: the kernel is told
    it (``NBTRACK_EXPERIMENT``), and a run settle has to create goes there too.
    """
    from nbtrack.config import experiment_name, load_settings

    settings = load_settings()
    if experiment is None:
        return settings
    return replace(settings, experiment=experiment_name(experiment, "--experiment"))


def _kernel_env(
    job: _Job,
    tmp: Path,
    id_file: Path,
    end_file: Path,
    url: str,
    name: str | None,
    tags: Mapping[str, str] | None,
    experiment: str,
) -> dict[str, str]:
    """The run, described to the kernel's session (see :mod:`nbtrack.config`)."""
    from nbtrack.execute.engine import kernel_path

    return {
        "JUPYTER_PATH": kernel_path(tmp),
        RUN_ID_FILE_ENV: str(id_file),
        RUN_END_FILE_ENV: str(end_file),
        # the user's command, for the kernel (this process's child) to record
        COMMAND_ENV: json.dumps({"pid": os.getpid(), "argv": sys.argv}),
        NOTEBOOK_ENV: str(job.path.resolve()),
        STORE_ENV: url,
        RUN_NAME_ENV: name or "",
        RUN_TAGS_ENV: json.dumps(dict(tags or {})),
        EXPERIMENT_ENV: experiment,
        PARAM_SOURCES_ENV: json.dumps(job.sources),
        PARAMETERS_CELL_ENV: job.parameters_cell,
    }


@dataclass(frozen=True)
class _Ran:
    """How the injected notebook ran, in the user's cell numbers."""

    status: RunStatus
    failure: CellFailure | None = None  # the user's cell that failed
    error: str | None = None  # a failure that is not a cell's
    early: EarlyExit | None = None  # a clean end before the last cell
    signal: int | None = None  # the signal that stopped it (KILLED)
    interrupted: CellFailure | None = None  # the cell running when the signal came


def _broke(exc: BaseException) -> _Ran:
    """How the run ends when running it raised *exc* (Ctrl-C outside the engine, a bug)."""
    if isinstance(exc, KeyboardInterrupt):
        return _Ran(RunStatus.KILLED)
    return _Ran(RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}")


def _execute(
    source: Path,
    executed: Path,
    workdir: Path,
    env: Mapping[str, str],
    timeout: float | None,
    end_file: Path,
    job: _Job,
) -> _Ran:
    """Run the injected notebook; see :class:`_Ran`."""
    from nbtrack.execute.engine import execute
    from nbtrack.execute.locate import (
        cell_failure,
        clean_exit,
        early_exit,
        error_line,
        stopped_cell,
    )

    origin = job.origin
    try:  # the kernel gets the real code, the executed notebook keeps its secrets redacted
        done = execute(source, executed, workdir, env, timeout, end_file, job.redacted.hooks())
    finally:
        job.redacted.scrub(executed)
    raised, status = done.raised, done.status
    if done.signal is not None:
        running = stopped_cell(done.cells, done.cell, KeyboardInterrupt(), origin)
        return _Ran(status, signal=done.signal, interrupted=running)
    if done.asked_exit:
        return _Ran(status, early=early_exit(done.cells, origin, done.cell, "exit()"))
    if raised is not None:
        how = clean_exit(raised.ename, raised.evalue)
        if how is not None:
            return _Ran(status, early=early_exit(done.cells, origin, raised.index, how))
        failure = cell_failure(
            raised.index, raised.execution_count, raised.source, raised.ename, raised.evalue, origin
        )
        return _Ran(status, failure=failure)
    if done.stopped is None:
        return _Ran(status)
    running = stopped_cell(done.cells, done.cell, done.stopped, origin)
    if running is None:
        stopped = done.stopped
        return _Ran(status, error=f"{type(stopped).__name__}: {error_line(stopped)}".rstrip(": "))
    return _Ran(status, failure=running)
