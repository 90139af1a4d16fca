"""The functions behind ``nbtrack.start_run``, ``nbtrack.log_metric`` and friends.

For: :class:`Tracker`, the one object that holds this process's current run
and its store (created lazily by :func:`get_tracker`; no module globals
beyond that one reference), and the thin module-level functions the public
API re-exports.

Semantics a user relies on:

* One run at a time per process. ``start_run`` while one is active raises
  ``RunError`` saying how to end it (nested runs are out of scope).
* Logging with no active run starts one implicitly, as ``start_run()`` would:
  a notebook session keeps that run across cells until ``end_run()``, the
  kernel exits, or the magics start another.
* ``end_run()`` with no active run does nothing, so clean-up code can call it.
* At interpreter exit an active run ends FINISHED, or FAILED if the script
  died of an uncaught exception (KILLED for Ctrl-C). SIGTERM (``docker
  stop``, ``timeout``) ends it KILLED, flushed, before the process dies of
  the signal (:mod:`nbtrack.tracking.sigterm`).
* A forked child does not inherit its parent's run: it starts its own.
* A store that cannot be reached right now (a PostgreSQL server down:
  connection refused, a timeout; the store raises ``StoreUnreachableError``)
  does not stop ``start_run``: the run starts in memory with its id, name,
  start time and captured git/environment/source, a ``StoreOutageWarning``
  says so, and the flusher creates it in the store once the store answers
  (or spills it, creation included, when the run ends first). Bad
  configuration (a malformed URL, a schema mismatch, a read-only SQLite path,
  bad credentials) still raises ``StoreError`` at once.

Not for: SQL (``store/``), validation (``run.py``, ``ledger.py``) or
notebook/IPython concerns (the ``nbtrack.magics`` door sits on top of this module).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nbtrack.errors import NbtrackError, RunError, StoreError, StoreUnreachableError
from nbtrack.model import Artifact, DataRef, Param, Run, RunStatus, RunSummary, Source
from nbtrack.redact import redact_source
from nbtrack.tracking import sigterm
from nbtrack.tracking.flusher import DEFAULT_INTERVAL, DEFAULT_MAX_PENDING
from nbtrack.tracking.late_store import LateStore
from nbtrack.tracking.run import (
    DEFAULT_END_TIMEOUT,
    ActiveRun,
    normalise_tags,
    status_for_exception,
)
from nbtrack.tracking.spill import Op

if TYPE_CHECKING:
    from nbtrack.config import Settings
    from nbtrack.store.base import Store

__all__ = [
    "Tracker",
    "active_run",
    "end_run",
    "get_run",
    "get_tracker",
    "list_runs",
    "log_artifact",
    "log_figure",
    "log_image",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "set_tag",
    "set_tags",
    "start_run",
    "track_data",
]


class Tracker:
    """This process's current run and the store it writes to.

    ``source_provider``, when set (the magics set it), is called at every run
    start that is not given a ``source`` and returns the notebook's
    :class:`~nbtrack.model.Source`.
    """

    def __init__(self) -> None:
        self.run: ActiveRun | None = None
        self.source_provider: Callable[[], Source | None] | None = None
        #: seconds between background flushes of a run started from now on
        self.flush_interval = DEFAULT_INTERVAL
        #: points held in memory during a store outage before they are spilled
        self.max_pending = DEFAULT_MAX_PENDING
        self._store: Store | None = None
        self._lock = threading.RLock()
        self._atexit = False
        # kept alive in a forked child so finalisers never close the parent's sockets
        self._left_by_fork: list[object] = []
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork)

    # -- runs ------------------------------------------------------------------------
    def start_run(
        self,
        name: str | None = None,
        tags: Mapping[str, Any] | None = None,
        *,
        settings: Settings | None = None,
        source: Source | None = None,
        experiment: str | None = None,
    ) -> ActiveRun:
        """Create a RUNNING run in the store, capture git and environment, return it.

        When the store cannot be reached right now the run starts anyway and is
        created in the store later (see the module notes).
        """
        import uuid

        from nbtrack.tracking.capture import capture_environment, capture_git

        with self._lock:
            current = self.run
            if current is not None and current.status is RunStatus.RUNNING:
                label = f" ({current.name!r})" if current.name else ""
                raise RunError(
                    f"run {current.id[:8]}{label} is still active; end it with"
                    " nbtrack.end_run() (or leave its with-block) before starting"
                    " another: nested runs are not supported."
                )
            if name is not None and not isinstance(name, str):
                raise RunError(f"a run name must be a string, not {name!r}.")
            settings = settings or _load_settings()
            clean_tags = normalise_tags(tags, redact=settings.redact_secrets)
            outage: StoreError | None = None
            try:
                store = self.store(settings)
            except StoreUnreachableError as error:
                store, outage = self._late_store(settings), error
            if source is None and self.source_provider is not None:
                source = self.source_provider()
            elif source is None:  # no magics: a script, or the API alone in a kernel
                from nbtrack.tracking.snapshot import default_source

                source = default_source()
            source = redact_source(source) if source and settings.redact_secrets else source
            run_id = uuid.uuid4().hex
            started = time.time()
            record: dict[str, Any] = {
                "name": name,
                "started_at": started,
                "tags": clean_tags,
                "git": capture_git(settings.root, redact=settings.redact_secrets),
                "environment": capture_environment(redact=settings.redact_secrets),
                "source": source,
                "experiment": _experiment(experiment, settings),
            }
            if outage is None:
                try:
                    store.create_run(run_id=run_id, **record)
                except StoreUnreachableError as error:
                    outage = error
                except NbtrackError:
                    raise
                except Exception as exc:  # a driver error the store did not translate
                    raise StoreError(
                        f"cannot create a run in the store {store.url}: {exc}", uri=store.url
                    ) from exc
            run = ActiveRun(
                run_id=run_id,
                name=name,
                store=store,
                settings=settings,
                started_at=started,
                on_end=self._run_ended,
                interval=self.flush_interval,
                max_pending=self.max_pending,
                create=None if outage is None else Op("create_run", record),
                outage=None if outage is None else str(outage),
            )
            self.run = run
            self._hook_exit()
            return run

    def _hook_exit(self) -> None:
        """End the run at interpreter exit, and on SIGTERM (see :mod:`nbtrack.tracking.sigterm`)."""
        if not self._atexit:
            atexit.register(self._at_exit)
            self._atexit = True
        sigterm.install(self._on_sigterm)

    def current(self) -> ActiveRun:
        """The active run, started implicitly if there is none."""
        run = self.run
        if run is None:
            with self._lock:
                run = self.run or self.start_run()
        return run

    def end_run(
        self, status: RunStatus | str = RunStatus.FINISHED, *, timeout: float = DEFAULT_END_TIMEOUT
    ) -> None:
        """End the active run with *status*; nothing to do when none is active."""
        run = self.run
        if run is not None:
            run.end(status, timeout=timeout)

    def _run_ended(self, run: ActiveRun) -> None:
        with self._lock:
            if self.run is run:
                self.run = None
                sigterm.uninstall()

    # -- the store ----------------------------------------------------------------
    def store(self, settings: Settings | None = None) -> Store:
        """The store for *settings* (default: found from the working directory).

        Opened on first use and kept; a different store URL (a changed
        ``NBTRACK_STORE``) closes the old one when no run is using it.
        """
        settings = settings or _load_settings()
        with self._lock:
            if self._store is not None and self._store.url == settings.store_url:
                return self._store
            from nbtrack.store import open_store

            store = open_store(settings.store_url, settings=settings)
            old, self._store = self._store, store
            if old is not None and (self.run is None or self.run.store is not old):
                old.close()
            return store

    def _late_store(self, settings: Settings) -> Store:
        """A store for *settings* that opens once it can be reached (kept, like ``store``)."""
        with self._lock:
            # its forwarding methods are made at import, where mypy cannot see them
            late = LateStore(settings.store_url, settings)  # type: ignore[abstract]
            old, self._store = self._store, late
            if old is not None and (self.run is None or self.run.store is not old):
                old.close()
            return late

    def _reading_store(self) -> Store:
        return self.reading_store() or self.store()

    def reading_store(self) -> Store | None:
        """The active run's store with the run flushed first, or None without a run.

        For readers in the same process (``nbtrack.compare.Reader.current``): what
        the run logged so far is in the store when the read starts.
        """
        run = self.run
        if run is None:
            return None
        run.flush(timeout=5.0)  # bounded: a store outage must not wedge a read
        return run.store

    def get_run(self, run_id: str) -> Run:
        """A run from the store by id or unique prefix (the active run flushed first)."""
        return self._reading_store().get_run(run_id)

    def list_runs(
        self,
        *,
        where: str | None = None,
        sort: Sequence[str] = (),
        limit: int | None = None,
        experiment: str | Sequence[str] | None = None,
    ) -> list[RunSummary]:
        """Runs newest first, filtered with the ``--where`` language; *experiment*
        as ``nbtrack runs --experiment`` (None: the project's when it sets one)."""
        from nbtrack.config import listed_experiments

        given = [experiment] if isinstance(experiment, str) else list(experiment or ())
        scope = listed_experiments(given, _load_settings())
        return self._reading_store().list_runs(
            where=where, sort=sort, limit=limit, experiment=scope or None
        )

    # -- process life ----------------------------------------------------------------
    def _at_exit(self) -> None:
        run = self.run
        if run is None or run.status is not RunStatus.RUNNING:
            return
        try:
            run.end(_exit_status())
        except Exception as exc:  # never turn exit into a traceback
            print(f"nbtrack: could not end run {run.id[:8]} at exit: {exc}", file=sys.stderr)

    def _on_sigterm(self) -> None:
        """SIGTERM arrived (see :mod:`nbtrack.tracking.sigterm`): end the run KILLED."""
        run = self.run
        if run is None or run.status is not RunStatus.RUNNING:
            return
        try:
            run.end(RunStatus.KILLED)
        except Exception as exc:  # the process dies of the signal all the same
            print(f"nbtrack: could not end run {run.id[:8]} on SIGTERM: {exc}", file=sys.stderr)

    def _after_fork(self) -> None:
        self._left_by_fork.extend(x for x in (self.run, self._store) if x is not None)
        self.run = None
        self._store = None
        self._lock = threading.RLock()


def _experiment(experiment: str | None, settings: Settings) -> str:
    """The experiment of a new run: *experiment* checked, else the settings'.

    Always a name, never None: a run spilled and replayed later, by another
    process, lands in its own experiment.
    """
    if experiment is None:
        return settings.experiment
    from nbtrack.config import experiment_name

    return experiment_name(experiment, "start_run(experiment=...)")


def _load_settings() -> Settings:
    from nbtrack.config import load_settings

    return load_settings()


def _exit_status() -> RunStatus:
    """How the interpreter is leaving: an uncaught exception in a script fails the run."""
    ipython = sys.modules.get("IPython")
    if ipython is not None and getattr(ipython, "get_ipython", lambda: None)() is not None:
        return RunStatus.FINISHED  # a kernel sets sys.last_value for any cell error
    return status_for_exception(getattr(sys, "last_value", None))


_tracker: Tracker | None = None
_tracker_lock = threading.Lock()


def get_tracker() -> Tracker:
    """The process's tracker, created on first use."""
    global _tracker
    if _tracker is None:
        with _tracker_lock:
            if _tracker is None:
                _tracker = Tracker()
    return _tracker


# -- the public functions -----------------------------------------------------------


def start_run(
    name: str | None = None,
    tags: Mapping[str, Any] | None = None,
    *,
    settings: Settings | None = None,
    source: Source | None = None,
    experiment: str | None = None,
) -> ActiveRun:
    """Start a run; use it as a context manager or end it with :func:`end_run`.

    *experiment* groups the run (default: ``[tool.nbtrack] experiment``,
    ``NBTRACK_EXPERIMENT``, else the project's name).

    >>> with nbtrack.start_run(name="baseline", tags={"team": "vision"}):  # doctest: +SKIP
    ...     nbtrack.log_metric("loss", 0.3, step=1)
    """
    return get_tracker().start_run(
        name, tags, settings=settings, source=source, experiment=experiment
    )


def end_run(
    status: RunStatus | str = RunStatus.FINISHED, *, timeout: float = DEFAULT_END_TIMEOUT
) -> None:
    """End the active run (FINISHED unless told otherwise); a no-op without one."""
    get_tracker().end_run(status, timeout=timeout)


def active_run() -> ActiveRun | None:
    """The run in progress, or None."""
    return get_tracker().run


def log_metric(key: str, value: float, step: int | None = None) -> None:
    """Buffer one metric point (well under a microsecond); see ``ActiveRun.log_metric``."""
    (_tracker or get_tracker()).current().log_metric(key, value, step)


def log_metrics(metrics: Mapping[str, Any], step: int | None = None) -> None:
    """Buffer several metrics at one step."""
    get_tracker().current().log_metrics(metrics, step)


def log_param(key: str, value: Any, *, redact: bool | None = None) -> Param | None:
    """Record one param; a different value for a logged key raises ``ParamError``."""
    return get_tracker().current().log_param(key, value, redact=redact)


def log_params(params: Mapping[str, Any], *, redact: bool | None = None) -> list[Param]:
    """Record several params (all or, on a conflict, none)."""
    return get_tracker().current().log_params(params, redact=redact)


def set_tags(tags: Mapping[str, Any]) -> None:
    """Set or replace tags on the active run."""
    get_tracker().current().set_tags(tags)


def set_tag(key: str, value: Any) -> None:
    """Set or replace one tag on the active run."""
    get_tracker().current().set_tag(key, value)


def track_data(target: str | os.PathLike[str], *, version: str | int | None = None) -> DataRef:
    """Record the version of a dataset the active run read.

    *target* is a local file or directory (hashed; a DVC or Git LFS version
    read from its pointer; a Delta Lake table's version), or a URI:
    ``s3://bucket/key``, ``lakefs://repo/ref/path``, ``dolt://host:port/db@branch``,
    ``pfs://repo@branch/path``. *version* pins one (a Delta table version, an
    S3 version id). A system that cannot answer now gives an unresolved ref
    and one ``DataUnresolvedWarning``; the run goes on.
    """
    return get_tracker().current().track_data(target, version=version)


def log_artifact(path: str | os.PathLike[str], name: str | None = None) -> Artifact:
    """Store a file content-addressed and attach it to the active run."""
    return get_tracker().current().log_artifact(path, name)


def log_figure(figure: Any, name: str, step: int | None = None) -> Artifact:
    """Store a matplotlib figure as a PNG artifact of the active run, at *step* if given.

    Logged every epoch with ``step=epoch``, the figures of one name are a series:
    ``nbtrack show``, the report and the UI page through its steps.
    """
    return get_tracker().current().log_figure(figure, name, step=step)


def log_image(png: bytes, name: str, step: int | None = None) -> Artifact:
    """Store the bytes of a PNG file as an image artifact of the active run, at *step*."""
    return get_tracker().current().log_image(png, name, step=step)


def get_run(run_id: str) -> Run:
    """Everything stored about one run, by id or unique prefix."""
    return get_tracker().get_run(run_id)


def list_runs(
    *,
    where: str | None = None,
    sort: Sequence[str] = (),
    limit: int | None = None,
    experiment: str | Sequence[str] | None = None,
) -> list[RunSummary]:
    """Runs newest first; *where* and *experiment* filter like ``nbtrack runs``."""
    return get_tracker().list_runs(where=where, sort=sort, limit=limit, experiment=experiment)
