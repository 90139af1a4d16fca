"""One run per notebook session: what the magics and the cell hooks drive.

For: :class:`NotebookSession`, the kernel-side policy on top of the
process's :class:`~nbtrack.tracking.api.Tracker`:

* the first tracking call starts a run; later cells add to it. The run's
  :class:`~nbtrack.model.Source` (notebook path, ``py:percent`` snapshot,
  staleness) is captured at every run start, refreshed when the file is
  saved, and settled at kernel exit, before the tracker ends the run. The
  path and the file's hash are recorded at once; the ``py:percent`` text is
  made on a :class:`~nbtrack.tracking.snapshot.BackgroundSnapshot` thread and
  lands on the run a moment later (waited for before the session ends a run).
  The path recorded is relative to the run's project root when the notebook
  is inside it (:func:`~nbtrack.tracking.locate.recorded_path`); the
  session keeps the absolute path for every read of the file.
* the parameters cell (``%%track_params``) is logged *lazily*: its names are
  remembered and their values read when the next cell starts, or, when that
  cell is an injected-parameters cell (nbtrack's :data:`INJECTED_MARKER` or
  papermill's ``# Parameters``), after it ran; so the values logged are the
  ones the code used, with source ``cli``/``file`` for injected ones.
* in an interactive session a param re-logged with a new value ends the run
  and starts another (saying so in one line); under ``nbtrack run`` it is the
  tracker's ``ParamError``.
* an exception in a cell does not end the run; it is recorded as a
  ``cell_error`` event (execution count, cell number, exception type).

Not for: parsing magic lines (``nbtrack.magics``) or finding the notebook
(``nbtrack.tracking.locate``). Nothing here imports IPython.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import time
from collections.abc import Mapping, MutableMapping
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from nbtrack.config import (
    PARAM_SOURCES_ENV,
    PARAMETERS_CELL_ENV,
    RUN_ID_FILE_ENV,
    RUN_NAME_ENV,
    RUN_TAGS_ENV,
)
from nbtrack.model import ParamSource, Run, RunStatus, Source
from nbtrack.tracking.api import Tracker, get_tracker
from nbtrack.tracking.ledger import REDACTED, looks_secret
from nbtrack.tracking.locate import NOT_FOUND_MESSAGE, NotebookLocation, find_notebook
from nbtrack.tracking.run import ActiveRun
from nbtrack.tracking.snapshot import BackgroundSnapshot, read_source

__all__ = ["NotebookSession", "SessionStatus", "is_injected_cell"]

_PAPERMILL_HEADER = "# Parameters"
#: seconds a run's end waits for its snapshot (the first one imports jupytext)
_SNAPSHOT_WAIT = 30.0
#: the same at kernel exit, after the run was ended (jupyter_client kills a kernel
#: 5 s after asking it to shut down, see _outlast_sigterm); a run whose text did
#: not make it keeps path and hash
_EXIT_SNAPSHOT_WAIT = 10.0
#: what ``papermill --inject-paths`` adds to the injected cell: not parameters
_PAPERMILL_PATHS = frozenset({"PAPERMILL_INPUT_PATH", "PAPERMILL_OUTPUT_PATH"})


def is_injected_cell(source: str) -> bool:
    """True for a cell ``nbtrack run`` or papermill injected after the parameters cell."""
    from nbtrack.notebook.params import INJECTED_MARKER

    first = source.lstrip().split("\n", 1)[0].rstrip()
    return first.startswith(INJECTED_MARKER) or first == _PAPERMILL_HEADER


def _short(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class NotebookSession:
    """The tracking state of one kernel (one per IPython shell)."""

    def __init__(
        self,
        namespace: MutableMapping[str, Any],
        *,
        env: Mapping[str, str] | None = None,
        tracker: Tracker | None = None,
        out: TextIO | None = None,
        last_cell_at: float | None = None,
    ) -> None:
        self.ns = namespace
        self.env = os.environ if env is None else env
        self.tracker = tracker or get_tracker()
        self.tracker.source_provider = self._source_for_new_run
        self._out = out
        self.batch_id_file = self.env.get(RUN_ID_FILE_ENV) or None
        #: executed by ``nbtrack run``: files do not change under us, conflicts are errors
        self.batch = self.batch_id_file is not None
        self._batch_started = False
        self._notebook_override: str | None = None
        self._location: NotebookLocation | None = None
        self._warned_no_notebook = False
        self._snapshot_mtime: float | None = None
        #: the project root the latest capture's path was made relative to
        self._capture_root: Path | None = None
        #: the py:percent text of the latest capture, being made on a thread
        self._snapshot: BackgroundSnapshot | None = None
        self._pending: list[str] | None = None
        self._injected_source: str | None = None
        #: a parameters cell only tagged ``parameters`` (``nbtrack run`` says which)
        self._tagged_params = (self.env.get(PARAMETERS_CELL_ENV) or "").strip()
        self._tagged_running = False
        #: when the session's last executed cell started
        self._last_cell_at = last_cell_at
        self._tags: dict[str, str] = {}
        self._exit_registered = False

    # -- printing ------------------------------------------------------------------
    def say(self, message: str) -> None:
        print(message, file=self._out or sys.stdout)

    def _warn(self, message: str) -> None:
        print(message, file=self._out or sys.stderr)

    # -- the notebook and its source -------------------------------------------------
    def location(self) -> NotebookLocation:
        """Where this session's code lives (found once, then remembered)."""
        if self._location is None or not self._location.found:
            self._location = find_notebook(self.ns, override=self._notebook_override, env=self.env)
        return self._location

    def _capture(self) -> Source | None:
        """Path, hash and staleness now; the text from a thread (see :meth:`_attach_snapshot`)."""
        location = self.location()
        if location.path is None:
            return None  # said once, after the cell (papermill's path may come later)
        ran_as_is = self.batch or location.how == "script"
        root = self._root()
        source, text = read_source(
            location.path, last_cell_at=self._last_cell_at, batch=ran_as_is, root=root
        )
        self._capture_root = root
        self._snapshot_mtime = _mtime(location.path)
        if self._snapshot is not None:
            self._snapshot.cancel()  # an older capture must not land after this one
            self._snapshot = None
        if text is not None and not self.batch:
            # under ``nbtrack run`` the parent process records the text once the
            # kernel is done (``tracking.batch``): none of it is the notebook's time
            self._snapshot = BackgroundSnapshot(source, text, location.path)
        return source

    def _root(self) -> Path:
        """The project root the run's settings use, for the recorded notebook path.

        Before a run exists (the tracker asks for its source while starting it)
        that is the root ``load_settings()`` finds from the working directory.
        """
        run = self._running()
        if run is not None:
            return run.settings.root
        from nbtrack.config import find_project_root

        return find_project_root()

    def _source_for_new_run(self) -> Source | None:
        # called by the tracker at every run start, also for nbtrack.log_metric(...);
        # the snapshot is handed to the run once it exists (_attach_snapshot)
        try:
            return self._capture()
        except Exception as exc:  # a snapshot is never worth failing a run start
            self._warn(f"nbtrack warning: no code snapshot: {exc}")
            return None

    def _attach_snapshot(self, run: ActiveRun) -> None:
        """Send the pending snapshot to *run* as soon as it is made (now, if it is)."""
        job = self._snapshot
        if job is not None and not job.bound:
            job.deliver_to(lambda source: _set_source(run, source))

    def _recapture(self, run: ActiveRun) -> None:
        """A new capture for the running *run*: path and hash now, the text when made."""
        source = self._capture()
        if source is not None:
            run.set_source(source)
            self._attach_snapshot(run)

    def wait_for_snapshot(self, timeout: float = 30.0) -> bool:
        """Wait (at most *timeout* s) until the latest snapshot is made and handed over.

        The session does this itself before it ends a run and at kernel exit,
        so a run's snapshot is not lost; True when there is nothing left to wait for.
        """
        job = self._snapshot
        if job is None:
            return True
        if not job.bound:
            run = self._running()
            if run is not None:
                self._attach_snapshot(run)
        return job.wait(timeout)

    def _end(self, run: ActiveRun, status: RunStatus = RunStatus.FINISHED) -> None:
        """End *run*, its code snapshot on it first."""
        self.wait_for_snapshot(_SNAPSHOT_WAIT)
        run.end(status)

    def set_notebook(self, path: str) -> None:
        """``%track_run --notebook PATH``: use this path, now and for later runs."""
        from nbtrack.errors import NotebookError

        if not Path(path).expanduser().is_file():
            raise NotebookError(f"Notebook {path} does not exist.", path=Path(path))
        self._notebook_override = path
        self._location = None
        run = self._running()
        if run is not None:
            self._recapture(run)

    def _refresh_source(self, force: bool = False) -> None:
        """Re-snapshot the run's source when the file was saved since the last one."""
        run = self._running()
        location = self._location
        if run is None or location is None or location.path is None or self.batch:
            return
        mtime = _mtime(location.path)
        if force or (mtime is not None and mtime != self._snapshot_mtime):
            self._recapture(run)

    # -- the run -----------------------------------------------------------------------
    def _running(self) -> ActiveRun | None:
        run = self.tracker.run
        return run if run is not None and run.status is RunStatus.RUNNING else None

    def ensure_run(self) -> ActiveRun:
        """The current run, started if there is none."""
        run = self._running()
        if run is None:
            name: str | None = None
            if self.batch and not self._batch_started:
                name = self.env.get(RUN_NAME_ENV) or None
                self._tags.update(json.loads(self.env.get(RUN_TAGS_ENV) or "{}"))
            run = self._start(name)
        return run

    def _start(self, name: str | None) -> ActiveRun:
        run = self.tracker.start_run(name, dict(self._tags))
        self._attach_snapshot(run)
        if self.batch and self.batch_id_file:
            with open(self.batch_id_file, "a", encoding="utf-8") as fh:
                fh.write(run.id + "\n")
        self._batch_started = True
        self._register_exit()
        return run

    def _register_exit(self) -> None:
        if not self._exit_registered:
            # registered after the tracker's own exit hook (made at its first run
            # start), so it runs before it: params are settled while the run is open
            atexit.register(self._at_exit)
            self._exit_registered = True

    def new_run(self, name: str | None = None, tags: Mapping[str, str] | None = None) -> None:
        """``%track_run --new``: end the current run (if any) and start another."""
        self.settle_params()
        old = self._running()
        if old is not None:
            self._end(old)
        self._tags = dict(tags or {})
        run = self._start(name)
        ended = f"ended run {old.id[:8]}, " if old is not None else ""
        self.say(f"nbtrack: {ended}started run {run.id}.")

    def end_run(self) -> None:
        """``%track_run --end``: end the current run FINISHED."""
        self.settle_params()
        run = self._running()
        if run is None:
            self.say("nbtrack: no active run to end.")
            return
        self._refresh_source(force=True)
        self._end(run)
        self.say(f"nbtrack: run {run.id} ended (FINISHED).")

    def annotate(self, name: str | None = None, tags: Mapping[str, str] | None = None) -> None:
        """``%track_run [--name N] [--tag k=v]``: label the current run (starting it)."""
        run = self.ensure_run()
        if name is not None:
            run.set_name(name)
        if tags:
            run.set_tags(tags)
            self._tags.update(tags)
        if name is None and not tags:
            self.say(f"nbtrack: run {run.id} ({run.status.value}).")

    # -- params --------------------------------------------------------------------------
    def defer_params(self, names: list[str]) -> None:
        """``%%track_params`` ran: log these names once their final values are known.

        That is after the next cell, in case it is an injected one, except when
        the cell was re-run with new values in an interactive session: then the
        new run starts at once, and says so under this cell.
        """
        self.settle_params()
        run = self.ensure_run()
        self._pending = list(names)
        if not self.batch and any(run.param_differs(n, self.ns[n]) for n in names if n in self.ns):
            self.settle_params()

    def settle_params(self, injected: str | None = None) -> None:
        """Log the parameters cell's names (and an injected cell's) with their values now."""
        names, self._pending = self._pending or [], None
        sources: dict[str, ParamSource] = {name: ParamSource.NOTEBOOK for name in names}
        if injected is not None:
            from nbtrack.notebook.source import assigned_names

            origin = json.loads(self.env.get(PARAM_SOURCES_ENV) or "{}")
            for name in assigned_names(injected):
                if name in _PAPERMILL_PATHS:
                    continue
                file = origin.get(name) == "file"
                sources[name] = ParamSource.FILE if file else ParamSource.CLI
        groups: dict[ParamSource, dict[str, Any]] = {}
        for name, source in sources.items():
            if name not in self.ns:
                continue
            value = self.ns[name]
            group = groups.setdefault(source, {})
            if source is ParamSource.FILE and isinstance(value, Mapping) and value:
                from nbtrack.notebook.params import flatten_params

                group.update(flatten_params(value, prefix=f"{name}."))
            else:
                group[name] = value
        if groups:
            self._log_params(groups)

    def log_notebook_params(self, values: Mapping[str, Any]) -> None:
        """``%track_params NAMES``: log these values now, source notebook."""
        self.settle_params()
        self._log_params({ParamSource.NOTEBOOK: dict(values)})

    def log_param_file(self, path: str) -> dict[str, object]:
        """``%track_params -f FILE``: log the file's (dotted) keys and its hash.

        Returns the file's top-level mapping, for the caller to put into the
        user namespace.
        """
        from nbtrack.notebook.params import flatten_params, load_param_file
        from nbtrack.tracking.capture import hash_data

        data = load_param_file(path)
        self.settle_params()
        run = self._log_params({ParamSource.FILE: flatten_params(data)})
        ref = hash_data(path, root=run.settings.root)
        run.add_data_ref(replace(ref, kind="config", logged_at=time.time()))
        return data

    def _log_params(self, groups: Mapping[ParamSource, Mapping[str, Any]]) -> ActiveRun:
        run = self.ensure_run()
        changed = [
            (key, value)
            for values in groups.values()
            for key, value in values.items()
            if run.param_differs(key, value)
        ]
        if changed and not self.batch:
            run = self._restart(run, changed, groups)
        for source, values in groups.items():
            if values:
                run.log_params(values, source=source)
        return run

    def _restart(
        self,
        old: ActiveRun,
        changed: list[tuple[str, Any]],
        groups: Mapping[ParamSource, Mapping[str, Any]],
    ) -> ActiveRun:
        """A param got a new value in an interactive session: a new run carries on."""
        relogged = {key for values in groups.values() for key in values}
        carried: dict[ParamSource, dict[str, Any]] = {}
        for key, param in old.params.items():
            # a redacted secret is only "***" here: its cell logs it again when re-run
            if key not in relogged and param.value != REDACTED:
                carried.setdefault(param.source, {})[key] = param.value
        shown = []
        for key, value in changed[:3]:
            before = old.param(key)
            if looks_secret(key):
                shown.append(f"{key} changed")
            else:
                was = _short(before.value) if before is not None else "?"
                shown.append(f"{key} {was} -> {_short(value)}")
        more = f" (and {len(changed) - 3} more)" if len(changed) > 3 else ""
        self._end(old)
        run = self._start(None)
        for source, values in carried.items():
            run.log_params(values, source=source)
        self.say(
            f"nbtrack: {', '.join(shown)}{more}: ended run {old.id[:8]} and started"
            f" run {run.id[:8]} for the new values."
        )
        return run

    # -- metrics, data, artifacts -------------------------------------------------------------
    def log_metrics(self, values: Mapping[str, float], step: int | None) -> None:
        self.settle_params()
        self.ensure_run().log_metrics(values, step)

    def track_data(self, path: str) -> None:
        self.settle_params()
        self.ensure_run().track_data(path)

    def log_artifact(self, path: str) -> None:
        self.settle_params()
        self.ensure_run().log_artifact(path)

    # -- cell events -------------------------------------------------------------------------
    def cell_started(self, raw_cell: str) -> None:
        """Before each cell: start the batch run, settle deferred params."""
        self._last_cell_at = time.time()
        if self.batch and not self._batch_started:
            self.ensure_run()
        if is_injected_cell(raw_cell) and (self._pending is not None or self.batch):
            self._injected_source = raw_cell  # settle after it ran, with its values
        elif self._pending is not None:
            self.settle_params()
        self._tagged_running = bool(self._tagged_params) and raw_cell.strip() == self._tagged_params

    def cell_finished(
        self,
        *,
        error: BaseException | None,
        execution_count: int | None,
        cell_id: str | None = None,
        raw_cell: str = "",
    ) -> None:
        """After each cell: settle injected params, record an error, re-snapshot."""
        if self._injected_source is not None:
            injected, self._injected_source = self._injected_source, None
            self.settle_params(injected)
        if self._tagged_running and error is None:
            # as if it held %%track_params: its literals, settled after injection
            from nbtrack.notebook.source import literal_assignments

            self.defer_params([name for name in literal_assignments(raw_cell) if name in self.ns])
        self._tagged_running = False
        run = self._running()
        if run is None:
            return
        self._register_exit()  # also for a run the Python API started
        self._attach_snapshot(run)
        if self._location is None or not self._location.found:
            self._locate_late(run)
        elif self._capture_root is not None and self._capture_root != run.settings.root:
            # started with explicit settings (nbtrack.start_run(settings=...)): the
            # path is recorded relative to that run's root, not the working directory's
            self._recapture(run)
        if error is not None:
            detail: dict[str, Any] = {
                "execution_count": execution_count,
                "exception": type(error).__name__,
                "message": str(error)[:500],
            }
            if cell_id:
                detail["cell_id"] = cell_id
            number = self._cell_number(cell_id, raw_cell)
            if number is not None:
                detail["cell"] = number
            run.add_event("cell_error", **detail)
        if self.batch:
            # the kernel's owner may stop it harder than atexit can see (jupyter_client
            # sends SIGTERM after 2.5 s): a batch run is never more than a cell behind
            run.flush(timeout=10.0)
        self._refresh_source()

    def _locate_late(self, run: ActiveRun) -> None:
        """A path that shows up after the run started (papermill's injected one)."""
        source = self._capture()
        if source is not None:
            run.set_source(source)
            self._attach_snapshot(run)
        elif not self._warned_no_notebook:
            self._warned_no_notebook = True
            self._warn(NOT_FOUND_MESSAGE)

    def _cell_number(self, cell_id: str | None, raw_cell: str) -> int | None:
        """1-based position of the cell in the saved notebook: by id, else by its code.

        JupyterLab sends cell ids; nbclient and papermill do not, so a cell is
        also found by its source (the injected cell is not in the file, so the
        number is the one the user sees).
        """
        path = self.location().path
        if path is None or path.suffix != ".ipynb":
            return None
        try:
            from nbtrack.notebook.model import read_notebook

            cells = read_notebook(path).cells
        except Exception:
            return None
        if cell_id:
            found = next((cell.number for cell in cells if cell.id == cell_id), None)
            if found is not None:
                return found
        code = raw_cell.strip()
        same = [cell.number for cell in cells if cell.is_code and cell.source.strip() == code]
        return same[0] if len(same) == 1 else None

    def _at_exit(self) -> None:
        try:
            if self._running() is None:
                return
            _outlast_sigterm()
            self.settle_params()
            self._refresh_source(force=True)
            run = self._running()
            job = self._snapshot
            if run is None or job is None or job.wait(0.5):
                return  # the tracker's exit hook, which runs next, ends the run
            # a kernel shut down moments after its first tracking call: end the run
            # now, so its status and data are safe whatever comes, then give the
            # snapshot the time left (it goes straight to the store)
            self._attach_snapshot(run)
            run.end(RunStatus.FINISHED)
            job.wait(_EXIT_SNAPSHOT_WAIT)
        except Exception as exc:
            self._warn(f"nbtrack warning: at exit: {exc}")

    # -- %track_status ---------------------------------------------------------------------
    def status(self) -> SessionStatus:
        """What ``%track_status`` shows: the run, where it is stored, what it holds."""
        self.settle_params()
        run = self._running()
        if run is None:
            return SessionStatus(run=None, location=self.location())
        try:
            run.flush(timeout=5.0)
            return SessionStatus(run, self.location(), stored=run.store.get_run(run.id))
        except Exception as exc:  # the in-memory part is still worth showing
            return SessionStatus(run, self.location(), read_error=str(exc))


@dataclass(frozen=True)
class SessionStatus:
    """The session's state for ``%track_status``; the magics render it."""

    run: ActiveRun | None
    location: NotebookLocation
    stored: Run | None = None  # as the store has it, flushed just before
    read_error: str | None = None


def _outlast_sigterm() -> None:
    """Let the kernel finish its exit work when jupyter_client hurries it.

    After a shutdown request jupyter_client waits ``shutdown_wait_time / 2``
    (2.5 s), then sends SIGTERM, which kills a kernel on the spot: no run end,
    no last flush. The exit hooks are bounded, so they ignore SIGTERM and rely
    on the SIGKILL that follows 2.5 s later as the hard stop.
    """
    import signal
    import threading

    kernelapp = sys.modules.get("ipykernel.kernelapp")
    app = getattr(kernelapp, "IPKernelApp", None)
    in_kernel = app is not None and bool(app.initialized())
    if in_kernel and threading.current_thread() is threading.main_thread():
        with suppress(ValueError, OSError):
            signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _set_source(run: ActiveRun, source: Source) -> None:
    """Record *source* on *run*; straight into the store when the run ended meanwhile."""
    try:
        if run.status is RunStatus.RUNNING:
            run.set_source(source)
            return
    except Exception:  # ended between the check and the call
        pass
    with suppress(Exception):  # a snapshot is never worth an error; path and hash are kept
        run.store.set_source(run.id, source)


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None
