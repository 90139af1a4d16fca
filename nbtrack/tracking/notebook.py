"""Which notebook is this kernel running, and what did its code say?

Two jobs, both for the run's :class:`~nbtrack.model.Source`:

* :func:`find_notebook` finds the notebook (or script) path from inside a
  kernel. A kernel is not told which file it serves, so this tries, in order:
  an explicit override (``%track_run --notebook`` or ``NBTRACK_NOTEBOOK``,
  which ``nbtrack run`` sets for the kernel it starts), papermill's injected
  ``PAPERMILL_INPUT_PATH`` (``papermill --inject-paths``), VS Code's
  ``__vsc_ipynb_file__``, jupyter_server's ``JPY_SESSION_NAME`` /
  ``__session__`` (absolute or relative to the server root), and for a plain
  script or ``ipython file.py`` the script itself.
* :func:`capture_source` reads the *saved* file and returns its jupytext
  ``py:percent`` text with the sha256 of the file's bytes. Unsaved edits in
  a live notebook cannot be seen; ``stale`` records that the file on disk is
  older than the last cell the session executed. The magics split it in two:
  :func:`read_source` (path, hash, staleness: a millisecond) at run start,
  and a :class:`BackgroundSnapshot` thread for the text (jupytext's import
  costs about a second the first time), so the first tracked cell does not
  wait for it.

The path a :class:`Source` records is :func:`recorded_path`: relative to the
project root (POSIX separators, like data refs) when the file is inside it,
so teammates' runs of one notebook share a path in a shared store, and
absolute when it is outside. The absolute :class:`~pathlib.Path` stays with
the caller for reading the file; the recorded string is never opened.

Nothing here talks to a store or to IPython; jupytext is imported only when a
snapshot is taken.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from nbtrack.config import NOTEBOOK_ENV
from nbtrack.errors import NotebookError
from nbtrack.model import Source

__all__ = [
    "NOT_FOUND_MESSAGE",
    "BackgroundSnapshot",
    "NotebookLocation",
    "capture_source",
    "content_hash",
    "default_source",
    "file_hash",
    "find_notebook",
    "percent_text",
    "read_source",
    "recorded_path",
    "resolve_session_path",
    "snapshot_text",
]

NOT_FOUND_MESSAGE = (
    "nbtrack: could not tell which notebook this kernel runs, so the run has no code "
    f"snapshot; set {NOTEBOOK_ENV} or use %track_run --notebook PATH."
)


@dataclass(frozen=True)
class NotebookLocation:
    """Where the code of this session lives, and which clue said so."""

    path: Path | None
    #: "override", "env", "papermill", "vscode", "jupyter-server", "script", or "none"
    how: str

    @property
    def found(self) -> bool:
        return self.path is not None


def find_notebook(
    namespace: Mapping[str, object] | None = None,
    *,
    override: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    argv: Sequence[str] | None = None,
) -> NotebookLocation:
    """The notebook or script this session runs, or ``path=None`` when unknown.

    *namespace* is the user namespace of the shell (``ip.user_ns``); *env*,
    *cwd* and *argv* default to the process's own.

    >>> find_notebook({"__vsc_ipynb_file__": "/tmp/x.ipynb"}, env={}).how
    'vscode'
    """
    ns: Mapping[str, object] = namespace if namespace is not None else {}
    env = os.environ if env is None else env
    here = Path.cwd() if cwd is None else cwd

    if override:
        return NotebookLocation(_absolute(Path(override), here), "override")
    if env.get(NOTEBOOK_ENV):
        return NotebookLocation(_absolute(Path(env[NOTEBOOK_ENV]), here), "env")
    for name, how in (("PAPERMILL_INPUT_PATH", "papermill"), ("__vsc_ipynb_file__", "vscode")):
        value = ns.get(name)
        if isinstance(value, str) and value and "://" not in value:
            return NotebookLocation(_absolute(Path(value), here), how)
    for session in (env.get("JPY_SESSION_NAME"), ns.get("__session__")):
        if isinstance(session, str) and session:
            resolved = resolve_session_path(session, here)
            if resolved is not None:
                return NotebookLocation(resolved, "jupyter-server")
    script = _script_path(ns, here, sys.argv if argv is None else argv)
    if script is not None:
        return NotebookLocation(script, "script")
    return NotebookLocation(None, "none")


def resolve_session_path(value: str, cwd: Path) -> Path | None:
    """A jupyter_server session path as an existing file, or None.

    jupyter_server hands the kernel the notebook's path either absolute or
    relative to the server's root directory, while the kernel's working
    directory is (by default) the notebook's own directory. So a relative
    path is tried against the working directory and each of its ancestors
    (one of which is the server root), then as a bare file name in the
    working directory.
    """
    path = Path(value).expanduser()
    if path.is_absolute():
        if path.is_file():
            return path
        # an API path ("/analysis/eda.ipynb") is relative to the root, slash or not
        path = Path(value.lstrip("/"))
        if not str(path) or path.is_absolute():
            return None
    for base in (cwd, *cwd.parents):
        candidate = base / path
        if candidate.is_file():
            return candidate.resolve()
    candidate = cwd / path.name
    return candidate.resolve() if candidate.is_file() else None


def _absolute(path: Path, cwd: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else (cwd / path).resolve()


def _script_path(ns: Mapping[str, object], cwd: Path, argv: Sequence[str]) -> Path | None:
    """The file of ``ipython file.py`` / ``python file.py``, never a launcher."""
    candidates: list[object] = [ns.get("__file__")]
    if argv:
        candidates.append(argv[0])
    for value in candidates:
        if not isinstance(value, str) or not value.endswith((".py", ".ipynb")):
            continue
        path = _absolute(Path(value), cwd)
        if path.is_file() and not _is_installed_file(path):
            return path
    return None


def _is_installed_file(path: Path) -> bool:
    """True for launchers that live in the Python installation (ipykernel, pytest)."""
    prefixes = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    resolved = path.resolve()
    return any(resolved.is_relative_to(prefix) for prefix in prefixes)


def recorded_path(path: Path, root: Path | None = None) -> str:
    """*path* as a run records it: relative to *root* when inside it, else absolute.

    *root* defaults to the project root found from the working directory,
    the one ``load_settings()`` gives a run started there.

    >>> recorded_path(Path("/proj/notebooks/train.ipynb"), Path("/proj"))
    'notebooks/train.ipynb'
    >>> recorded_path(Path("/elsewhere/eda.ipynb"), Path("/proj"))
    '/elsewhere/eda.ipynb'
    """
    from nbtrack.tracking.capture import project_relative_path

    if root is None:
        from nbtrack.config import find_project_root

        root = find_project_root()
    return project_relative_path(path, root)


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
    delivered.

    >>> job = BackgroundSnapshot(Source(path="x.py"), "x = 1", Path("x.py"))
    >>> job.wait(5.0)
    True
    >>> job.deliver_to(lambda source: print(source.snapshot))
    x = 1
    """

    def __init__(self, source: Source, text: str, path: Path) -> None:
        self.source = source
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._result: Source | None = None
        self._sink: Callable[[Source], None] | None = None
        self._delivered = False
        self._cancelled = False
        self._thread = threading.Thread(
            target=self._convert, args=(text, path), name="nbtrack-snapshot", daemon=True
        )
        self._thread.start()

    def _convert(self, text: str, path: Path) -> None:
        try:
            result: Source | None = replace(self.source, snapshot=percent_text(text, path))
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
