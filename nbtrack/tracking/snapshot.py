"""What did the notebook's code say? The text snapshot of a run's source.

For: :func:`capture_source`, which reads the *saved* file and returns its
jupytext ``py:percent`` text with the sha256 of the file's bytes. Unsaved
edits in a live notebook cannot be seen; ``stale`` records that the file on
disk is older than the last cell the session executed. The magics split it
in two: :func:`read_source` (path, hash, staleness: a millisecond) at run
start, and a :class:`BackgroundSnapshot` thread for the text (jupytext's
import costs about a second the first time), so the first tracked cell does
not wait for it. :func:`default_source` is the capture of a run started
without the magics.

The path a :class:`~nbtrack.model.Source` records is
:func:`~nbtrack.tracking.locate.recorded_path`; the file is read through the
absolute path the caller gives.

Not for: finding which notebook runs (``nbtrack.tracking.locate``) or
keeping a session's runs' source current (``nbtrack.tracking.session_source``).
Nothing here talks to a store or to IPython; jupytext is imported only when
a snapshot is taken.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from nbtrack.errors import NotebookError
from nbtrack.model import Source
from nbtrack.tracking.locate import find_notebook, recorded_path

__all__ = [
    "BackgroundSnapshot",
    "capture_source",
    "content_hash",
    "default_source",
    "file_hash",
    "percent_text",
    "read_source",
    "snapshot_text",
]


def content_hash(text: str) -> str:
    """``"sha256:<hex>"`` of *text* encoded as UTF-8."""
    return file_hash(text.encode("utf-8"))


def file_hash(data: bytes) -> str:
    """``"sha256:<hex>"`` of a file's bytes: what ``sha256sum`` prints for it."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def snapshot_text(path: Path) -> str:
    """The code of a saved notebook as jupytext ``py:percent`` text.

    A script is returned as it is. Notebook-level metadata (kernel, jupytext
    version) is left out, so the text changes only when code or markdown does.
    Raises ``NotebookError`` naming the file when it cannot be read.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NotebookError(f"{path} cannot be read: {exc}.", path=path) from exc
    return percent_text(text, path)


def percent_text(text: str, path: Path) -> str:
    """*text*, the content of *path*, as ``py:percent`` (a script as it is).

    The slow part of a snapshot: the first call imports jupytext (and
    nbformat), about a second; :class:`BackgroundSnapshot` runs it off the
    user's cell.
    """
    if path.suffix != ".ipynb":
        return text
    import jupytext

    try:
        notebook = jupytext.reads(text, fmt="ipynb")
        converted: str = jupytext.writes(
            notebook,
            fmt={"extension": ".py", "format_name": "percent", "notebook_metadata_filter": "-all"},
        )
    except Exception as exc:  # jupytext/nbformat raise many kinds for a broken file
        raise NotebookError(f"{path} is not a readable notebook: {exc}.", path=path) from exc
    return converted


def read_source(
    path: Path,
    *,
    last_cell_at: float | None = None,
    batch: bool = False,
    root: Path | None = None,
) -> tuple[Source, str | None]:
    """The cheap part of a capture: (path, sha256 of the file's bytes, staleness), text.

    The :class:`Source` has no snapshot yet; the second item is the file's
    text to make it from (``None`` when the file cannot be read or decoded,
    so there will be no snapshot). Reading and hashing take about a
    millisecond; see :func:`capture_source` for the meaning of *last_cell_at*,
    *batch* and *root*.
    """
    shown = recorded_path(path, root)
    try:
        data = path.read_bytes()
    except OSError:
        return Source(path=shown), None
    stale: bool | None = None
    if batch:
        stale = False
    elif last_cell_at is not None:
        try:
            stale = path.stat().st_mtime < last_cell_at
        except OSError:
            stale = None
    source = Source(path=shown, snapshot_hash=file_hash(data), stale=stale)
    try:
        return source, data.decode("utf-8")
    except UnicodeDecodeError:
        return source, None


def capture_source(
    path: Path | None,
    *,
    last_cell_at: float | None = None,
    batch: bool = False,
    root: Path | None = None,
) -> Source:
    """The run's :class:`Source` for *path*: snapshot, hash and staleness, all at once.

    *last_cell_at* is when the session's last executed cell started (unix
    time); the snapshot is stale when the file was last saved before that,
    because edits made and run since then are not in the file. In *batch*
    execution (``nbtrack run``, papermill) the file is what ran, so it is
    never stale. The hash is the sha256 of the file's bytes; a file that is
    not a readable notebook keeps its path and hash, with no snapshot.
    *path* is read as given (make it absolute); the recorded path is
    :func:`recorded_path` against *root* (default: the project root of the
    working directory).
    """
    if path is None:
        return Source()
    source, text = read_source(path, last_cell_at=last_cell_at, batch=batch, root=root)
    if text is None:
        return source
    try:
        return replace(source, snapshot=percent_text(text, path))
    except NotebookError:
        return source


class BackgroundSnapshot:
    """The ``py:percent`` snapshot of one capture, made on a daemon thread.

    Converting with jupytext costs about a second the first time (its import),
    which a user would otherwise wait for under the first tracking cell. The
    thread converts the text read at capture time (not the file as it is
    later) and hands the completed :class:`Source` to the sink given to
    :meth:`deliver_to`, once, from whichever thread comes last. A snapshot
    that is :meth:`cancel`-led (a newer capture replaced it) is never
    delivered; a newer capture of the same bytes (*prior*: the one it
    replaces) takes the text from that conversion instead of converting again,
    so re-capturing an unchanged file at a kernel's exit costs no new wait.

    >>> job = BackgroundSnapshot(Source(path="x.py"), "x = 1", Path("x.py"))
    >>> job.wait(5.0)
    True
    >>> job.deliver_to(lambda source: print(source.snapshot))
    x = 1
    """

    def __init__(
        self, source: Source, text: str, path: Path, prior: BackgroundSnapshot | None = None
    ) -> None:
        self.source = source
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._result: Source | None = None
        self._sink: Callable[[Source], None] | None = None
        self._delivered = False
        self._cancelled = False
        # jupytext's import reaches concurrent.futures.thread, whose import registers a
        # threading exit hook: done first at interpreter exit (a kernel shut down right
        # after its last cell) it raises, and no snapshot is ever made. Imported here,
        # before the thread, it is in place however late the conversion runs.
        import concurrent.futures.thread  # noqa: F401

        # the same bytes as a capture this one replaces: its conversion is this one's
        same = prior is not None and prior.source.snapshot_hash == source.snapshot_hash
        self._thread = threading.Thread(
            target=self._convert,
            args=(text, path, prior if same else None),
            name="nbtrack-snapshot",
            daemon=True,
        )
        self._thread.start()

    def _convert(self, text: str, path: Path, prior: BackgroundSnapshot | None) -> None:
        try:
            if prior is not None:  # no second conversion racing the first (a kernel's exit)
                prior._done.wait()
            made = prior._result if prior is not None else None
            snapshot = made.snapshot if made is not None else percent_text(text, path)
            result: Source | None = replace(self.source, snapshot=snapshot)
        except Exception:  # not a readable notebook: path and hash are all there is
            result = None
        with self._lock:
            self._result = result
            try:
                self._deliver_locked()
            finally:
                self._done.set()  # after the hand-over: wait() covers the sink's write

    @property
    def bound(self) -> bool:
        """True once a sink was given."""
        return self._sink is not None

    def deliver_to(self, sink: Callable[[Source], None]) -> None:
        """Hand the snapshot to *sink* when ready (now, if it is); the first sink wins."""
        with self._lock:
            if self._sink is None:
                self._sink = sink
            self._deliver_locked()

    def _deliver_locked(self) -> None:
        sink, result = self._sink, self._result
        if self._delivered or self._cancelled or sink is None or result is None:
            return
        self._delivered = True
        sink(result)

    def cancel(self) -> None:
        """Never deliver (a newer capture of the same run replaces this one)."""
        with self._lock:
            self._cancelled = True

    def wait(self, timeout: float) -> bool:
        """Wait up to *timeout* s for the conversion (and a bound sink's write); True when done."""
        return self._done.wait(timeout)


def default_source() -> Source | None:
    """The :class:`Source` of a run started without the magics.

    A script (``python train.py``, ``ipython train.py``) is found through
    ``sys.argv`` and is what ran, so never stale; in a kernel where only the
    Python API is used, the shell's namespace (if IPython is already loaded;
    it is never imported here) gives the same clues as the magics have.
    """
    try:
        ipython = sys.modules.get("IPython")
        get_ipython = getattr(ipython, "get_ipython", None)
        shell = get_ipython() if callable(get_ipython) else None
        namespace = getattr(shell, "user_ns", None)
        location = find_notebook(namespace if isinstance(namespace, Mapping) else {})
        if location.path is None:
            return None
        # a script is the code that ran, so it is never stale
        return capture_source(location.path, batch=shell is None or location.how == "script")
    except Exception:  # a missing snapshot is never worth failing a run start
        return None
