"""Which notebook is this kernel running, and which of its cells is this?

For: :func:`find_notebook`, the notebook (or script) path from inside a
kernel, as a :class:`NotebookLocation` that says which clue found it. A
kernel is not told which file it serves, so this tries, in order: an
explicit override (``%track_run --notebook`` or ``NBTRACK_NOTEBOOK``, which
``nbtrack run`` sets for the kernel it starts), papermill's injected
``PAPERMILL_INPUT_PATH`` (``papermill --inject-paths``), VS Code's
``__vsc_ipynb_file__``, jupyter_server's ``JPY_SESSION_NAME`` /
``__session__`` (absolute or relative to the server root, see
:func:`resolve_session_path`), and for a plain script or ``ipython file.py``
the script itself. :func:`cell_number` finds a cell's number in the saved
notebook, for the events that name a cell.

The path a run records is :func:`recorded_path`: relative to the project
root (POSIX separators, like data refs) when the file is inside it, so
teammates' runs of one notebook share a path in a shared store, and
absolute when it is outside. The absolute :class:`~pathlib.Path` stays with
the caller for reading the file; the recorded string is never opened.

Not for: reading or snapshotting the file (``nbtrack.tracking.snapshot``).
Nothing here talks to a store or to IPython; the notebook is read (by
``nbtrack.notebook``) only to number a cell.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from nbtrack.envvars import NOTEBOOK_ENV

__all__ = [
    "NOT_FOUND_MESSAGE",
    "NotebookLocation",
    "cell_number",
    "find_notebook",
    "recorded_path",
    "resolve_session_path",
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


def cell_number(path: Path | None, cell_id: str | None, code: str) -> int | None:
    """1-based position of a cell in the saved notebook *path*: by id, else by its *code*.

    JupyterLab sends cell ids; nbclient and papermill do not, so a cell is
    also found by its source (the injected cell is not in the file, so the
    number is the one the user sees). None when the cell cannot be told.
    """
    if path is None or path.suffix != ".ipynb":
        return None
    try:
        from nbtrack.notebook.document import read_notebook

        cells = read_notebook(path).cells
    except Exception:
        return None
    if cell_id:
        found = next((cell.number for cell in cells if cell.id == cell_id), None)
        if found is not None:
            return found
    code = code.strip()
    same = [cell.number for cell in cells if cell.is_code and cell.source.strip() == code]
    return same[0] if len(same) == 1 else None
