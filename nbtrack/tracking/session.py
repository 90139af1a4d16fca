"""One run per notebook session: what the magics and the cell hooks drive.

For: :class:`NotebookSession`, the kernel-side policy on top of the
process's :class:`~nbtrack.tracking.api.Tracker`:

* the first tracking call starts a run; later cells add to it. Its
  :class:`~nbtrack.model.Source` is kept current by a
  :class:`~nbtrack.tracking.session_source.SessionSource`, whose snapshot a
  run's end waits for.
* the parameters cell is a
  :class:`~nbtrack.tracking.params_cell.ParametersCell`: its values are
  logged when known (after an injected cell), with source ``cli``/``file``
  for injected ones.
* in an interactive session a param re-logged with a new value ends the run
  and starts another (saying so in one line); under ``nbtrack run`` it is the
  tracker's ``ParamError``.
* an exception in a cell does not end the run; it is recorded as a
  ``cell_error`` event (execution count, cell number, exception type).
* at kernel exit the params and the source are settled before the tracker's
  own exit hook ends the run.

Not for: parsing magic lines (``nbtrack.magics``), finding the notebook
(``nbtrack.tracking.locate``) or snapshotting it (``nbtrack.tracking.snapshot``).
Nothing here imports IPython.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TextIO

from nbtrack.envvars import RUN_END_FILE_ENV, RUN_ID_FILE_ENV, RUN_NAME_ENV, RUN_TAGS_ENV
from nbtrack.model import ParamSource, Run, RunStatus
from nbtrack.tracking.api import Tracker, get_tracker
from nbtrack.tracking.ledger import carried_over, change_summary
from nbtrack.tracking.locate import NotebookLocation, cell_number
from nbtrack.tracking.params_cell import ParametersCell, ParamGroups
from nbtrack.tracking.run import ActiveRun
from nbtrack.tracking.session_exit import SessionExit
from nbtrack.tracking.session_source import SessionSource

__all__ = ["NotebookSession", "SessionStatus"]

#: seconds a run's end waits for its snapshot (the first one imports jupytext)
_SNAPSHOT_WAIT = 30.0


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
        executed: Callable[[], Sequence[str]] | None = None,
        terminal: bool = False,
    ) -> None:
        self.ns = namespace
        self.env = os.environ if env is None else env
        self.tracker = tracker or get_tracker()
        self._out = out
        self.batch_id_file = self.env.get(RUN_ID_FILE_ENV) or None
        #: executed by ``nbtrack run``: files do not change under us, conflicts are errors
        self.batch = self.batch_id_file is not None
        self._batch_started = False
        self.source = SessionSource(
            namespace,
            self.env,
            batch=self.batch,
            running=self._running,
            warn=self._warn,
            last_cell_at=last_cell_at,
            executed=executed,
            terminal=terminal,
        )
        self.tracker.source_provider = self.source.for_new_run
        self.params_cell = ParametersCell(
            namespace,
            self.env,
            batch=self.batch,
            log=self._log_params,
            ensure_run=self.ensure_run,
            note=self.say,
        )
        self._exit = SessionExit(
            running=self._running,
            settle_params=self.settle_params,
            source=self.source,
            warn=self._warn,
            end_file=self.env.get(RUN_END_FILE_ENV) if self.batch else None,
        )
        self._tags: dict[str, str] = {}

    # -- printing ------------------------------------------------------------------
    def say(self, message: str) -> None:
        print(message, file=self._out or sys.stdout)

    def _warn(self, message: str) -> None:
        print(message, file=self._out or sys.stderr)

    # -- the notebook ----------------------------------------------------------------
    def set_notebook(self, path: str) -> None:
        """``%track_run --notebook PATH``: use this path, now and for later runs."""
        self.source.set_notebook(path)

    def wait_for_snapshot(self, timeout: float = 30.0) -> bool:
        """Wait (at most *timeout* s) until the latest snapshot is made and handed over.

        The session does this itself before it ends a run and at kernel exit,
        so a run's snapshot is not lost; True when there is nothing left to wait for.
        """
        return self.source.wait(timeout)

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
        self.source.attach(run)
        if self.batch and self.batch_id_file:
            with open(self.batch_id_file, "a", encoding="utf-8") as fh:
                fh.write(run.id + "\n")
        self._batch_started = True
        self._exit.register()
        return run

    def _end(self, run: ActiveRun, status: RunStatus = RunStatus.FINISHED) -> None:
        """End *run*, its code snapshot on it first."""
        self.source.wait(_SNAPSHOT_WAIT)
        run.end(status)

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
        self.source.refresh(force=True)
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
    def defer_params_cell(self, source: str, execution_count: int | None = None) -> None:
        """``%%track_params`` ran *source*: log its literal names once their values are known.

        The names it computes are said once in a note, not logged.
        """
        self.params_cell.defer(self.params_cell.literal_names(source, execution_count))

    def settle_params(self) -> None:
        """Log the parameters cell's deferred names with their values now."""
        self.params_cell.settle()

    def log_notebook_params(self, values: Mapping[str, Any]) -> None:
        """``%track_params NAMES``: log these values now, source notebook."""
        self.settle_params()
        self._log_params({ParamSource.NOTEBOOK: dict(values)})

    def log_param_file(self, path: str) -> dict[str, object]:
        """``%track_params -f FILE``: log the file's (dotted) keys and its hash.

        Returns the file's top-level mapping, for the caller to put into the
        user namespace.
        """
        from nbtrack.data.files import hash_data
        from nbtrack.notebook.params import flatten_params, load_param_file

        data = load_param_file(path)
        self.settle_params()
        run = self._log_params({ParamSource.FILE: flatten_params(data)})
        ref = hash_data(path, root=run.settings.root)
        run.add_data_ref(replace(ref, kind="config", logged_at=time.time()))
        return data

    def _log_params(self, groups: ParamGroups) -> ActiveRun:
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
        self, old: ActiveRun, changed: list[tuple[str, Any]], groups: ParamGroups
    ) -> ActiveRun:
        """A param got a new value in an interactive session: a new run carries on."""
        relogged = {key for values in groups.values() for key in values}
        carried = carried_over(old.params, relogged)
        shown = change_summary(old.params, changed)
        self._end(old)
        run = self._start(None)
        for source, values in carried.items():
            run.log_params(values, source=source)
        self.say(
            f"nbtrack: {shown}: ended run {old.id[:8]} and started"
            f" run {run.id[:8]} for the new values."
        )
        return run

    # -- metrics, data, artifacts -------------------------------------------------------------
    def log_metrics(self, values: Mapping[str, float], step: int | None) -> None:
        self.settle_params()
        self.ensure_run().log_metrics(values, step)

    def track_data(self, target: str, version: str | None = None) -> None:
        self.settle_params()
        self.ensure_run().track_data(target, version=version)

    def log_artifact(self, path: str) -> None:
        self.settle_params()
        self.ensure_run().log_artifact(path)

    # -- cell events -------------------------------------------------------------------------
    def cell_started(self, raw_cell: str) -> None:
        """Before each cell: start the batch run, settle deferred params."""
        self.source.last_cell_at = time.time()
        if self.batch and not self._batch_started:
            self.ensure_run()
        self.params_cell.cell_started(raw_cell)

    def cell_finished(
        self,
        *,
        error: BaseException | None,
        execution_count: int | None,
        cell_id: str | None = None,
        raw_cell: str = "",
    ) -> None:
        """After each cell: settle injected params, record an error, re-snapshot."""
        self.params_cell.cell_finished(raw_cell, error, execution_count)
        run = self._running()
        if run is None:
            return
        self._exit.register()  # also for a run the Python API started
        self.source.after_cell(run)
        if error is not None and not _clean_exit(error):
            detail: dict[str, Any] = {
                "execution_count": execution_count,
                "exception": type(error).__name__,
                "message": str(error)[:500],
            }
            if cell_id:
                detail["cell_id"] = cell_id
            number = cell_number(self.source.location().path, cell_id, raw_cell)
            if number is not None:
                detail["cell"] = number
            run.add_event("cell_error", **detail)
        if self.batch:
            # the kernel's owner may stop it harder than atexit can see (jupyter_client
            # sends SIGTERM after 2.5 s): a batch run is never more than a cell behind
            run.flush(timeout=10.0)
        self.source.refresh()

    # -- kernel exit -------------------------------------------------------------------------
    def _at_exit(self) -> None:
        """What ``atexit`` calls when the kernel shuts down (see :class:`SessionExit`)."""
        self._exit.run()

    # -- %track_status ---------------------------------------------------------------------
    def status(self) -> SessionStatus:
        """What ``%track_status`` shows: the run, where it is stored, what it holds."""
        self.settle_params()
        run = self._running()
        location = self.source.location
        if run is None:
            return SessionStatus(run=None, location=location())
        try:
            run.flush(timeout=5.0)
            return SessionStatus(run, location(), stored=run.store.get_run(run.id))
        except Exception as exc:  # the in-memory part is still worth showing
            return SessionStatus(run, location(), read_error=str(exc))


@dataclass(frozen=True)
class SessionStatus:
    """The session's state for ``%track_status``; the magics render it."""

    run: ActiveRun | None
    location: NotebookLocation
    stored: Run | None = None  # as the store has it, flushed just before
    read_error: str | None = None


def _clean_exit(error: BaseException) -> bool:
    """``sys.exit(0)`` / ``sys.exit()``: the cell ended the notebook, it did not fail.

    ``nbtrack run`` records such an end as an ``early_exit`` event naming the
    cells that never ran; a non-zero or non-numeric code is a failure.
    """
    return isinstance(error, SystemExit) and error.code in (0, None)
