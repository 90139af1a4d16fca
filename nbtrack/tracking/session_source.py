"""A session's notebook source: found once, captured at each run start, refreshed on save.

For: :class:`SessionSource`, which keeps the :class:`~nbtrack.model.Source`
(notebook path, ``py:percent`` snapshot, staleness) of a kernel session's
runs current. It is captured at every run start, recaptured when the file
was saved since, and once more at kernel exit. The path and the file's hash
are recorded at once; the text is made on a
:class:`~nbtrack.tracking.snapshot.BackgroundSnapshot` thread and lands on
the run a moment later (the session waits for it before it ends a run). The
path recorded is relative to the run's project root when the notebook is
inside it (:func:`~nbtrack.tracking.locate.recorded_path`); this class keeps
the absolute path for every read of the file. Under ``nbtrack run`` the
parent process records the text once the kernel is done, so none of that
is charged to the notebook.

Not for: finding the notebook (``nbtrack.tracking.locate``), making a
snapshot (``nbtrack.tracking.snapshot``) or deciding when a run starts or
ends (``nbtrack.tracking.session``). Nothing here imports IPython.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from pathlib import Path

from nbtrack.model import RunStatus, Source
from nbtrack.tracking.locate import NOT_FOUND_MESSAGE, NotebookLocation, find_notebook
from nbtrack.tracking.run import ActiveRun
from nbtrack.tracking.snapshot import BackgroundSnapshot, content_hash, read_source

__all__ = ["SessionSource"]


class SessionSource:
    """Where a session's code lives and its latest capture, handed to the running run.

    *running* returns the session's running run (or None); *warn* prints a
    warning for the user. In a *batch* session the file does not change
    under the run, so it is neither refreshed nor snapshotted here.
    *executed* returns the raw code of the cells the shell ran so far, the
    last clue to the notebook (matched against the notebooks in the working
    directory while the session has not said it cannot tell). A *terminal*
    session (a terminal IPython) has no notebook: its snapshot is the code
    typed so far, taken at run start and at exit, and no warning is given.
    """

    def __init__(
        self,
        namespace: Mapping[str, object],
        env: Mapping[str, str],
        *,
        batch: bool,
        running: Callable[[], ActiveRun | None],
        warn: Callable[[str], None],
        last_cell_at: float | None = None,
        executed: Callable[[], Sequence[str]] | None = None,
        terminal: bool = False,
    ) -> None:
        self.ns = namespace
        self._executed = executed
        self.terminal = terminal
        #: a terminal session's cells as of its last cell (IPython clears them before exit)
        self._typed: list[str] = []
        self.env = env
        self.batch = batch
        self._running = running
        self._warn = warn
        #: when the session's last executed cell started
        self.last_cell_at = last_cell_at
        self._override: str | None = None
        self._location: NotebookLocation | None = None
        self._warned_not_found = False
        self._mtime: float | None = None
        #: the project root the latest capture's path was made relative to
        self._root: Path | None = None
        #: the py:percent text of the latest capture, being made on a thread
        self._snapshot: BackgroundSnapshot | None = None

    def location(self) -> NotebookLocation:
        """Where this session's code lives (found once, then remembered)."""
        if self._location is None or not self._location.found:
            executed = None
            if self._executed is not None and not self._warned_not_found:
                executed = self._executed()  # once said "cannot tell", no more scans
            self._location = find_notebook(
                self.ns,
                override=self._override,
                env=self.env,
                executed=executed,
                terminal=self.terminal,
            )
        return self._location

    def set_notebook(self, path: str) -> None:
        """``%track_run --notebook PATH``: use this path, now and for later runs."""
        from nbtrack.errors import NotebookError

        if not Path(path).expanduser().is_file():
            raise NotebookError(f"Notebook {path} does not exist.", path=Path(path))
        self._override = path
        self._location = None
        run = self._running()
        if run is not None:
            self.recapture(run)

    def for_new_run(self) -> Source | None:
        """The source of a run being started (the tracker's ``source_provider``).

        Called at every run start, also for ``nbtrack.log_metric(...)``; the
        snapshot is handed to the run once it exists (:meth:`attach`).
        """
        try:
            return self._capture()
        except Exception as exc:  # a snapshot is never worth failing a run start
            self._warn(f"nbtrack warning: no code snapshot: {exc}")
            return None

    def _capture(self) -> Source | None:
        """Path, hash and staleness now; the text from a thread (see :meth:`attach`)."""
        location = self.location()
        if location.how == "terminal":
            return self._typed_source()
        if location.path is None:
            return None  # said once, after the cell (papermill's path may come later)
        # a file matched by the executed cells holds every one of them as it ran
        ran_as_is = self.batch or location.how in ("script", "cells")
        root = self._project_root()
        source, text = read_source(
            location.path, last_cell_at=self.last_cell_at, batch=ran_as_is, root=root
        )
        self._root = root
        self._mtime = _mtime(location.path)
        prior, self._snapshot = self._snapshot, None
        if prior is not None:
            prior.cancel()  # an older capture must not land after this one
        if text is not None and not self.batch:
            # under ``nbtrack run`` the parent process records the text once the
            # kernel is done (``nbtrack.execute``): none of it is the notebook's time
            self._snapshot = BackgroundSnapshot(source, text, location.path, prior)
        return source

    def _typed_source(self) -> Source | None:
        """A terminal session's source: no file, the cells typed so far as ``py:percent``."""
        cells = [c.strip() for c in (self._executed() if self._executed else ()) or self._typed]
        text = "".join(f"# %%\n{cell}\n\n" for cell in cells if cell).rstrip("\n")
        if not text:
            return None
        text += "\n"
        return Source(snapshot=text, snapshot_hash=content_hash(text), stale=False)

    def _project_root(self) -> Path:
        """The project root the run's settings use, for the recorded notebook path.

        Before a run exists (the tracker asks for its source while starting it)
        that is the root ``load_settings()`` finds from the working directory.
        """
        run = self._running()
        if run is not None:
            return run.settings.root
        from nbtrack.config import find_project_root

        return find_project_root()

    def attach(self, run: ActiveRun) -> None:
        """Send the pending snapshot to *run* as soon as it is made (now, if it is)."""
        job = self._snapshot
        if job is not None and not job.bound:
            job.deliver_to(lambda source: _set_source(run, source))

    def recapture(self, run: ActiveRun) -> None:
        """A new capture for the running *run*: path and hash now, the text when made."""
        source = self._capture()
        if source is not None:
            run.set_source(source)
            self.attach(run)

    def wait(self, timeout: float = 30.0) -> bool:
        """Wait (at most *timeout* s) until the latest snapshot is made and handed over.

        True when there is nothing left to wait for.
        """
        job = self._snapshot
        if job is None:
            return True
        if not job.bound:
            run = self._running()
            if run is not None:
                self.attach(run)
        return job.wait(timeout)

    def made(self, timeout: float) -> bool:
        """Wait (at most *timeout* s) for the latest snapshot's text, handed over or not."""
        job = self._snapshot
        return job is None or job.wait(timeout)

    def refresh(self, force: bool = False) -> None:
        """Re-snapshot the run's source when the file was saved since the last one."""
        run = self._running()
        location = self._location
        if run is not None and force and location is not None and location.how == "terminal":
            self.recapture(run)  # at exit: every cell typed
            return
        if run is None or location is None or location.path is None or self.batch:
            return
        mtime = _mtime(location.path)
        if force or (mtime is not None and mtime != self._mtime):
            self.recapture(run)

    def after_cell(self, run: ActiveRun) -> None:
        """After a cell of *run*: hand over the snapshot, find a late path, follow the root."""
        self.attach(run)
        if self._location is not None and self._location.how == "terminal":
            if self._executed is not None:  # no notebook to find; the code is taken at exit
                self._typed = list(self._executed())
            return
        if self._location is None or not self._location.found:
            self._locate_late(run)
        elif self._root is not None and self._root != run.settings.root:
            # started with explicit settings (nbtrack.start_run(settings=...)): the
            # path is recorded relative to that run's root, not the working directory's
            self.recapture(run)

    def _locate_late(self, run: ActiveRun) -> None:
        """A path that shows up after the run started (papermill's injected one)."""
        source = self._capture()
        if source is not None:
            run.set_source(source)
            self.attach(run)
        elif not self._warned_not_found:
            self._warned_not_found = True
            self._warn(NOT_FOUND_MESSAGE)


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
