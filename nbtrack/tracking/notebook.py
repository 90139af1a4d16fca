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
  ``py:percent`` text with a sha256 of that text. Unsaved edits in a live
  notebook cannot be seen; ``stale`` records that the file on disk is older
  than the last cell the session executed.

Nothing here talks to a store or to IPython; jupytext is imported only when a
snapshot is taken.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from nbtrack.errors import NotebookError
from nbtrack.model import Source

__all__ = [
    "NAME_ENV",
    "NOTEBOOK_ENV",
    "NOT_FOUND_MESSAGE",
    "PARAMS_CELL_ENV",
    "PARAM_SOURCES_ENV",
    "RUN_ID_FILE_ENV",
    "TAGS_ENV",
    "NotebookLocation",
    "capture_source",
    "content_hash",
    "default_source",
    "find_notebook",
    "resolve_session_path",
    "snapshot_text",
]

NOT_FOUND_MESSAGE = (
    "nbtrack: could not tell which notebook this kernel runs, so the run has no code "
    "snapshot; set NBTRACK_NOTEBOOK or use %track_run --notebook PATH."
)

#: names the notebook explicitly (``nbtrack run`` sets it for its kernel)
NOTEBOOK_ENV = "NBTRACK_NOTEBOOK"
#: set by ``nbtrack run`` in its kernel: track from the first cell, and write the
#: id of the run started to this file
RUN_ID_FILE_ENV = "NBTRACK_RUN_ID_FILE"
#: set by ``nbtrack run``: the run's name, and its tags as a JSON object
NAME_ENV = "NBTRACK_RUN_NAME"
TAGS_ENV = "NBTRACK_RUN_TAGS"
#: set by ``nbtrack run``: JSON object of injected name -> "cli" or "file"
PARAM_SOURCES_ENV = "NBTRACK_PARAM_SOURCES"
#: set by ``nbtrack run``: the source of a parameters cell that is only tagged
#: ``parameters`` (no ``%%track_params``), so its defaults are logged all the same
PARAMS_CELL_ENV = "NBTRACK_PARAMETERS_CELL"


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


def content_hash(text: str) -> str:
    """``"sha256:<hex>"`` of *text* encoded as UTF-8."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def snapshot_text(path: Path) -> str:
    """The code of a saved notebook as jupytext ``py:percent`` text.

    A script is returned as it is. Notebook-level metadata (kernel, jupytext
    version) is left out so the hash changes only when code or markdown does.
    Raises ``NotebookError`` naming the file when it cannot be read.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise NotebookError(f"{path} cannot be read: {exc}.", path=path) from exc
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


def capture_source(
    path: Path | None,
    *,
    last_cell_at: float | None = None,
    batch: bool = False,
) -> Source:
    """The run's :class:`Source` for *path*: snapshot, hash and staleness.

    *last_cell_at* is when the session's last executed cell started (unix
    time); the snapshot is stale when the file was last saved before that,
    because edits made and run since then are not in the file. In *batch*
    execution (``nbtrack run``, papermill) the file is what ran, so it is
    never stale. An unreadable file still yields its path, with no snapshot.
    """
    if path is None:
        return Source()
    try:
        text = snapshot_text(path)
    except NotebookError:
        return Source(path=str(path))
    stale: bool | None = None
    if batch:
        stale = False
    elif last_cell_at is not None:
        try:
            stale = path.stat().st_mtime < last_cell_at
        except OSError:
            stale = None
    return Source(path=str(path), snapshot=text, snapshot_hash=content_hash(text), stale=stale)


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
