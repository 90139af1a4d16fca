"""Which notebook is this kernel running, and which of its cells is this?

For: :func:`find_notebook`, the notebook (or script) path from inside a
kernel, as a :class:`NotebookLocation` that says which clue found it. A
kernel is not told which file it serves, so this tries, in order: an
explicit override (``%track_run --notebook`` or ``NBTRACK_NOTEBOOK``, which
``nbtrack run`` sets for the kernel it starts), papermill's injected
``PAPERMILL_INPUT_PATH`` (``papermill --inject-paths``), VS Code's
``__vsc_ipynb_file__``, jupyter_server's ``JPY_SESSION_NAME`` /
``__session__`` (absolute or relative to the server root, see
:func:`resolve_session_path`), for a plain script or ``ipython file.py``
the script itself, and last the code the kernel executed
(:func:`match_executed_cells`: the one notebook in the working directory, or
a folder below it, holding every executed cell; how ``jupyter execute``,
nbclient and VS Code's remote kernels are found). A terminal IPython (no
kernel, no file) is a session of its own (``how="terminal"``), not a
notebook that went missing. :func:`cell_number` finds a cell's number in
the saved notebook, for the events that name a cell.

The path a run records is :func:`recorded_path`: relative to the project
root (POSIX separators, like data refs) when the file is inside it, so
teammates' runs of one notebook share a path in a shared store, and
absolute when it is outside. The absolute :class:`~pathlib.Path` stays with
the caller for reading the file; the recorded string is never opened.

Not for: reading or snapshotting the file (``nbtrack.tracking.snapshot``).
Nothing here talks to a store or to IPython (the caller hands in the
executed cells); a notebook is read (by ``nbtrack.notebook``) to number a
cell, and as plain JSON to match executed code.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from nbtrack.envvars import NOTEBOOK_ENV

__all__ = [
    "NOT_FOUND_MESSAGE",
    "NotebookLocation",
    "cell_number",
    "find_notebook",
    "match_executed_cells",
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
    #: "override", "env", "papermill", "vscode", "jupyter-server", "script",
    #: "cells" (matched by the executed code), "terminal" (a terminal IPython), or "none"
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
    executed: Sequence[str] | None = None,
    terminal: bool = False,
) -> NotebookLocation:
    """The notebook or script this session runs, or ``path=None`` when unknown.

    *namespace* is the user namespace of the shell (``ip.user_ns``); *env*,
    *cwd* and *argv* default to the process's own. *executed* is the raw code
    of the cells the shell ran so far (IPython's raw input history), matched
    against the notebooks in *cwd* when no clue names the file; *terminal*
    says the shell is a terminal IPython, which has no notebook to find.

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
    if terminal:
        return NotebookLocation(None, "terminal")
    if executed:
        matched = match_executed_cells(executed, here)
        if matched is not None:
            return NotebookLocation(matched, "cells")
    return NotebookLocation(None, "none")


#: a notebook file bigger than this (outputs, mostly) is not read to match code
MATCH_MAX_BYTES = 20 * 1024 * 1024
#: at most this many bytes of notebooks are read, in all, to match code
MATCH_MAX_TOTAL_BYTES = 64 * 1024 * 1024
#: at most this many notebook files are read to match code
MATCH_MAX_FILES = 200
#: at most this many directory entries are looked at to find them
MATCH_MAX_ENTRIES = 5000


def match_executed_cells(executed: Sequence[str], folder: Path) -> Path | None:
    """The one notebook in *folder* (or a folder right below it) holding every executed cell.

    A notebook matches when the code of each executed cell (*executed*,
    blank ones aside) is, whitespace at its ends aside, the source of one of
    its code cells. The scan is bounded: *folder* and its direct subfolders
    (hidden ones, such as ``.ipynb_checkpoints``, skipped), at most
    :data:`MATCH_MAX_ENTRIES` directory entries, :data:`MATCH_MAX_FILES`
    notebooks of up to :data:`MATCH_MAX_BYTES` each and
    :data:`MATCH_MAX_TOTAL_BYTES` in all. A file is parsed (as plain JSON)
    only when its bytes hold the longest executed line, as JSON writes it.
    A notebook ``nbtrack run`` or ``nbtrack smoke`` wrote
    (``metadata.nbtrack.output_of``) is an output, never the source. None
    unless exactly one of the notebooks read matches: two copies of a
    notebook are a guess, and nothing is guessed.

    >>> match_executed_cells(["x = 1"], Path("/nonexistent"))
    """
    wanted = {text.strip() for text in executed} - {""}
    if not wanted:
        return None
    probe = _probe(wanted)
    matches: list[Path] = []
    for path, data in _notebooks_near(folder):
        if probe not in data:
            continue  # the cheap check: it cannot hold that line
        cells = _code_cell_sources(path, data)
        if cells is not None and wanted <= cells:
            matches.append(path)
            if len(matches) > 1:
                return None
    return matches[0].resolve() if matches else None


def _probe(cells: set[str]) -> bytes:
    """The longest ASCII line of *cells* as a notebook's JSON spells it (b"" when none is)."""
    lines = (line.strip() for cell in cells for line in cell.splitlines())
    ascii_lines = [line for line in lines if line.isascii()]
    if not ascii_lines:
        return b""
    return json.dumps(max(ascii_lines, key=len))[1:-1].encode("ascii")


def _notebooks_near(folder: Path) -> Iterator[tuple[Path, bytes]]:
    """The ``.ipynb`` files of *folder* and of its visible subfolders, read, within the bounds."""
    budget = {"entries": MATCH_MAX_ENTRIES, "files": MATCH_MAX_FILES}
    budget["bytes"] = MATCH_MAX_TOTAL_BYTES
    top = list(_entries(folder, budget))
    below = [Path(e.path) for e in top if not e.name.startswith(".") and _is_dir(e)]
    for listing in (top, *(_entries(directory, budget) for directory in below)):
        for entry in listing:
            if not entry.name.endswith(".ipynb") or entry.name.startswith("."):
                continue
            try:
                size = entry.stat().st_size
                if not entry.is_file() or size > MATCH_MAX_BYTES:
                    continue
                if budget["files"] <= 0 or budget["bytes"] < size:
                    return
                budget["files"] -= 1
                budget["bytes"] -= size
                data = Path(entry.path).read_bytes()
            except OSError:
                continue
            yield Path(entry.path), data


def _entries(directory: Path, budget: dict[str, int]) -> Iterator[os.DirEntry[str]]:
    """The entries of *directory* in name order, while the entry budget lasts."""
    try:
        with os.scandir(directory) as scan:
            entries = []
            for entry in scan:
                if budget["entries"] <= 0:
                    break
                budget["entries"] -= 1
                entries.append(entry)
    except OSError:
        return
    yield from sorted(entries, key=lambda entry: entry.name)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _code_cell_sources(path: Path, data: bytes) -> set[str] | None:
    """The stripped sources of the code cells of *data*, read from *path*.

    None for a file that is not a notebook, or is an output nbtrack wrote.
    """
    from nbtrack.notebook.document import notebook_from_bytes, output_of

    try:
        notebook = notebook_from_bytes(data, path)
    except Exception:  # unreadable, not a notebook: not the one
        return None
    if output_of(notebook.metadata) is not None:
        return None
    return {cell.source.strip() for cell in notebook.cells if cell.is_code}


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
    from nbtrack.data.files import project_relative_path

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
