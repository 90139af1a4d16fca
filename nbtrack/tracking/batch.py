"""Execute a notebook in a fresh kernel with parameters, as one tracked run.

What ``nbtrack run`` does, as a function returning a value
(:func:`run_notebook` -> :class:`BatchResult`):

1. read the notebook, inject ``-p``/``-f`` values after its parameters cell
   (:func:`nbtrack.notebook.params.inject_parameters`, so an unknown name is
   a ``ParamError`` before any kernel starts);
2. start a ``python3`` kernel of this very interpreter through papermill,
   with the nbtrack magics registered at start-up and the run described in
   its environment (the ``*_ENV`` names of ``nbtrack.tracking.notebook``):
   the kernel's session starts the run at the first cell, whether or not the
   notebook itself calls nbtrack, writes its id where this side reads it, and
   logs the injected values with their source;
3. afterwards, store the executed notebook as an artifact, the parameter
   file's hash as a ``config`` data ref and the notebook's ``py:percent``
   snapshot (the kernel records only its path and hash, to start sooner), and
   settle the run's status (FAILED, with the failing cell named, when a cell
   raised).

The notebook's path is recorded relative to the project root of the
kernel's working directory (the root the kernel's run uses) when the
notebook is inside it, absolute otherwise; this side records the same form.

Not for: parsing command-line options or printing (``nbtrack.cli.run``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nbtrack.config import (
    NOTEBOOK_ENV,
    PARAM_SOURCES_ENV,
    PARAMETERS_CELL_ENV,
    RUN_ID_FILE_ENV,
    RUN_NAME_ENV,
    RUN_TAGS_ENV,
    STORE_ENV,
)
from nbtrack.errors import NotebookError
from nbtrack.model import Artifact, RunEvent, RunStatus, Source

__all__ = ["BatchResult", "CellFailure", "run_notebook"]

NOTEBOOK_MEDIA_TYPE = "application/x-ipynb+json"
#: run in the kernel before the first cell; binds no name in the user namespace
_KERNEL_SETUP = "__import__('nbtrack.magics').magics.load_ipython_extension(get_ipython())"


@dataclass(frozen=True)
class CellFailure:
    """The cell that stopped a notebook, numbered as in the file the user wrote."""

    index: int  # 0-based, in the user's notebook (injected cell not counted)
    execution_count: int | None
    ename: str
    evalue: str
    first_line: str
    #: False when the cell was stopped from outside (timeout, the kernel died)
    raised: bool = True

    @property
    def label(self) -> str:
        count = "" if self.execution_count is None else f" (In [{self.execution_count}])"
        return f"cell {self.index + 1}{count}"

    def describe(self) -> str:
        error = f"{self.ename}: {self.evalue}" if self.evalue else self.ename
        where = f" `{self.first_line}`" if self.first_line else ""
        verb = "raised" if self.raised else "did not finish:"
        return f"{self.label}{where} {verb} {error}"


@dataclass(frozen=True)
class BatchResult:
    run_id: str
    notebook: Path
    status: RunStatus
    seconds: float
    output: Path | None  # the executed notebook, when the user asked to keep it
    failure: CellFailure | None = None
    error: str | None = None  # a failure that is not a cell's (kernel died, ...)


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set variables for the kernel we are about to start; restore them after."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _cell_failure(
    index: int,
    execution_count: int | None,
    source: str,
    ename: str,
    evalue: str,
    shift: int | None,
    *,
    raised: bool = True,
) -> CellFailure:
    """A failure numbered as in the user's file: *shift* is the injected cell's index."""
    if shift is not None and index > shift:
        index -= 1  # the injected cell is not in the user's notebook
    lines = [line.strip() for line in source.splitlines() if line.strip()]
    first = lines[0] if lines else ""
    return CellFailure(
        index=index,
        execution_count=execution_count,
        ename=ename,
        evalue=evalue,
        first_line=first if len(first) <= 60 else first[:57] + "...",
        raised=raised,
    )


def _stopped_cell(executed: Path, exc: BaseException, shift: int | None) -> CellFailure | None:
    """The cell running when execution stopped from outside, from papermill's saves."""
    try:
        cells = json.loads(executed.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    started = [
        (i, c)
        for i, c in enumerate(cells)
        if isinstance(c, dict) and (c.get("metadata", {}).get("papermill") or {}).get("start_time")
    ]
    if not started:
        return None
    index, cell = started[-1]
    source = cell.get("source", "")
    return _cell_failure(
        index,
        cell.get("execution_count"),
        "".join(source) if isinstance(source, list) else str(source),
        type(exc).__name__,
        _first_line(exc),
        shift,
        raised=False,
    )


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip().strip("-")]
    return lines[0] if lines else ""


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
) -> BatchResult:
    """Execute *notebook* in a kernel as one tracked run; see the module docstring.

    Bad input (missing or malformed notebook, unknown parameter, unreadable
    parameter file) raises before a kernel starts: ``NotebookError`` or
    ``ParamError``. A notebook that fails is a result with ``failure`` set.
    """
    from nbtrack.config import find_project_root, load_settings
    from nbtrack.notebook.model import notebook_to_dict, read_notebook
    from nbtrack.notebook.params import find_parameters_cell, inject_parameters, load_param_file

    path = Path(notebook)
    if not path.is_file():
        raise NotebookError(f"Notebook {path} does not exist.", path=path)
    nb = read_notebook(path)
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    if param_file is not None:
        for key, value in load_param_file(Path(param_file)).items():
            values[key], sources[key] = value, "file"
    for key, value in (params or {}).items():
        values[key], sources[key] = value, "cli"
    injected_nb = inject_parameters(nb, values, source="cli") if values else nb
    params_index = find_parameters_cell(nb)

    settings = load_settings()
    url = store_url or settings.store_url
    workdir = Path(cwd) if cwd is not None else path.resolve().parent
    if not workdir.is_dir():
        raise NotebookError(f"Working directory {workdir} does not exist.", path=workdir)
    # the kernel's run loads its settings there, and records the notebook against that root
    root = find_project_root(workdir)

    started = time.time()
    failure: CellFailure | None = None
    error: str | None = None
    # made while the kernel runs (this process only waits for it meanwhile)
    prepared = _Prepared(path.resolve(), root)
    with tempfile.TemporaryDirectory(prefix="nbtrack-run-") as tmp:
        id_file = Path(tmp) / "run-id"
        env = {
            "JUPYTER_PATH": _kernel_path(Path(tmp)),
            RUN_ID_FILE_ENV: str(id_file),
            NOTEBOOK_ENV: str(path.resolve()),
            STORE_ENV: url,
            RUN_NAME_ENV: name or "",
            RUN_TAGS_ENV: json.dumps(dict(tags or {})),
            PARAM_SOURCES_ENV: json.dumps(sources),
            PARAMETERS_CELL_ENV: _tagged_parameters_cell(nb, params_index),
        }
        source_path = Path(tmp) / path.name
        source_path.write_text(json.dumps(notebook_to_dict(injected_nb)), encoding="utf-8")
        # absolute: papermill saves it from inside the kernel's working directory too
        executed = (
            Path(output).resolve() if output is not None else Path(tmp) / f"executed-{path.name}"
        )
        run_id = ""
        try:
            shift = params_index + 1 if values and params_index is not None else None
            cell_error, stopped = _execute(source_path, executed, workdir, env, timeout)
            if cell_error is not None:
                failure = _cell_failure(
                    int(cell_error.cell_index),
                    cell_error.exec_count,
                    str(cell_error.source or ""),
                    str(cell_error.ename),
                    str(cell_error.evalue),
                    shift,
                )
            elif stopped is not None:
                failure = _stopped_cell(executed, stopped, shift)
                if failure is None:
                    error = f"{type(stopped).__name__}: {_first_line(stopped)}".rstrip(": ")
        finally:
            status = RunStatus.FAILED if (failure or error) else RunStatus.FINISHED
            ids = id_file.read_text(encoding="utf-8").split() if id_file.is_file() else []
            run_id = ids[0] if ids else uuid.uuid4().hex
            source = prepared.source()
            _settle(
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
                source,
                root=root,
            )
    return BatchResult(
        run_id=run_id,
        notebook=path,
        status=status,
        seconds=time.time() - started,
        output=Path(output) if output is not None else None,
        failure=failure,
        error=error,
    )


class _Prepared:
    """What :func:`_settle` needs that is slow to import or make, done on a thread.

    The notebook's ``py:percent`` snapshot (jupytext) and the store's
    SQLAlchemy are a second or so of imports; the kernel's start and the
    notebook's cells take longer, so they cost nothing here.
    """

    def __init__(self, notebook: Path, root: Path) -> None:
        self._notebook = notebook
        self._root = root
        self._source: Source | None = None
        self._thread = threading.Thread(target=self._work, name="nbtrack-prepare", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        from nbtrack.tracking.snapshot import capture_source

        with contextlib.suppress(Exception):  # made again by _settle
            self._source = capture_source(self._notebook, batch=True, root=self._root)
        with contextlib.suppress(Exception):
            import nbtrack.store  # noqa: F401  (its first use imports SQLAlchemy)

    def source(self) -> Source | None:
        self._thread.join(timeout=60.0)
        return self._source


def _tagged_parameters_cell(nb: Any, index: int | None) -> str:
    """The parameters cell's source when no ``%%track_params`` will log it."""
    from nbtrack.notebook.source import cell_magic_name

    if index is None:
        return ""
    source = str(nb.cells[index].source)
    return "" if cell_magic_name(source) == "track_params" else source


def _kernel_path(tmp: Path) -> str:
    """A JUPYTER_PATH whose ``python3`` kernel is this interpreter.

    A ``python3`` kernelspec in the user's data directory may point at
    another environment, one without nbtrack (or the project's packages);
    JUPYTER_PATH comes first in the search, so this one wins.
    """
    spec = tmp / "kernels" / "python3"
    spec.mkdir(parents=True)
    # ipykernel, less two routine log lines (see nbtrack.tracking.kernel)
    argv = [sys.executable, "-m", "nbtrack.tracking.kernel", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "Python 3 (nbtrack run)", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    return os.pathsep.join(p for p in (str(tmp), os.environ.get("JUPYTER_PATH", "")) if p)


def _execute(
    source: Path, executed: Path, workdir: Path, env: Mapping[str, str], timeout: float | None
) -> tuple[Any, Exception | None]:
    """Run papermill: (a cell's PapermillExecutionError, or what else stopped it)."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    # papermill logs each failure too; the caller says it once, naming the cell
    quiet = logging.getLogger("papermill")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    with _environment(env):
        try:
            papermill.execute_notebook(
                str(source),
                str(executed),
                kernel_name="python3",
                cwd=str(workdir),
                progress_bar=False,
                log_output=False,
                execution_timeout=timeout,
                extra_arguments=[
                    # the magics, and so the run, from cell 1; not as an extension,
                    # so the notebook's own %load_ext nbtrack stays silent
                    f"--IPKernelApp.exec_lines={_KERNEL_SETUP}",
                ],
            )
        except PapermillExecutionError as exc:
            return exc, None
        except Exception as exc:  # timed out, the kernel died or would not start...
            return None, exc
        finally:
            quiet.setLevel(level)
    return None, None


def _settle(
    url: str,
    settings: Any,
    run_id: str,
    notebook: Path,
    name: str | None,
    tags: Mapping[str, str] | None,
    executed: Path,
    param_file: str | os.PathLike[str] | None,
    status: RunStatus,
    error: str | None,
    source: Source | None = None,
    *,
    root: Path,
) -> None:
    """Make the stored run complete, whatever the kernel managed to write.

    *source* is the notebook's snapshot taken when the run began; *root* the
    project root its path is recorded against.
    """
    from nbtrack.store import open_store
    from nbtrack.tracking.capture import hash_data
    from nbtrack.tracking.locate import recorded_path
    from nbtrack.tracking.snapshot import capture_source

    now = time.time()
    with open_store(url, settings=settings) as store:
        try:
            run = store.get_run(run_id)
        except Exception:
            # the kernel never got to start the run (it did not start, or died at once)
            store.create_run(
                run_id=run_id,
                name=name,
                started_at=now,
                tags=dict(tags or {}),
                source=Source(path=recorded_path(notebook.resolve(), root)),
            )
            run = store.get_run(run_id)
        if run.source.snapshot is None:
            # the kernel records path and hash only; the py:percent text is made
            # here, off the notebook's clock (and kept when the kernel died)
            if source is None or source.snapshot is None:
                source = capture_source(notebook.resolve(), batch=True, root=root)
            store.set_source(run_id, source)
        if error is not None:
            store.add_event(run_id, RunEvent(kind="error", timestamp=now, detail={"error": error}))
        if param_file is not None:
            ref = hash_data(param_file, root=settings.root)
            store.add_data_ref(run_id, replace(ref, kind="config", logged_at=now))
        if executed.is_file():
            digest, size, uri = store.put_artifact(executed)
            store.add_artifact(
                run_id,
                Artifact(
                    name=f"executed/{notebook.name}",
                    digest=digest,
                    size=size,
                    media_type=NOTEBOOK_MEDIA_TYPE,
                    uri=uri,
                    logged_at=now,
                ),
            )
        if status is RunStatus.FAILED or run.status in (RunStatus.RUNNING, RunStatus.CRASHED):
            store.end_run(run_id, status, run.ended_at or now)
