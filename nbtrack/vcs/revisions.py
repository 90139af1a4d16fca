"""What ``nbtrack diff``'s arguments mean, and loading both sides of each notebook.

Arguments follow ``git diff``: two files; or revisions ``A B``, ``A..B``,
``A...B`` (from the merge base), a single ``A`` (against the working tree),
nothing (working tree against HEAD); optional paths after ``--``. This module
turns them into notebook pairs and runs the engine on each. It does not
render, and it does not know about the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nbtrack.errors import NotebookError, VcsError
from nbtrack.notebook.document import Notebook, notebook_from_bytes, read_notebook
from nbtrack.vcs import _git
from nbtrack.vcs.diffmodel import DiffOptions, DiffResult, NotebookDiff
from nbtrack.vcs.engine import diff_notebooks

__all__ = ["WORKTREE", "diff_arguments", "diff_files"]

WORKTREE = "working tree"


def diff_files(
    old: Path,
    new: Path,
    options: DiffOptions | None = None,
    *,
    labels: tuple[str, str] | None = None,
) -> DiffResult:
    """Diff two notebook files (no git involved); ``labels`` name them in the output."""
    opts = options or DiffOptions()
    old_label, new_label = labels or (str(old), str(new))
    a, b = _read_file(old, old_label), _read_file(new, new_label)
    nb = diff_notebooks(
        a, b, path=new_label, old_label=old_label, new_label=new_label, options=opts
    )
    return DiffResult(old_label, new_label, (nb,), opts)


def _read_file(path: Path, label: str) -> Notebook:
    try:
        return read_notebook(path)
    except NotebookError:
        _refuse_conflict(path, label)
        raise


def diff_arguments(
    args: Sequence[str],
    paths: Sequence[str] = (),
    *,
    cwd: Path | None = None,
    options: DiffOptions | None = None,
) -> DiffResult:
    """Resolve ``nbtrack diff`` arguments the way ``git diff`` does, and diff.

    Raises ``VcsError`` / ``NotebookError`` (one sentence each) for a revision
    that does not exist, a path outside the repository, unreadable notebooks.
    """
    here = (cwd or Path.cwd()).resolve()
    opts = options or DiffOptions()
    files, args, paths = _split_arguments(list(args), list(paths), here)
    if files is not None:
        return diff_files(here / files[0], here / files[1], opts, labels=files)
    root = _git.repo_root(here)
    single_file = len(args) == 1 and not paths and (here / args[0]).is_file()
    if single_file and (root is None or not _is_revision(root, args[0])):
        if root is None:
            raise VcsError(
                f"{args[0]} is a single file outside a git repository; "
                "give two notebook files to compare"
            )
        args, paths = [], [args[0]]
    if root is None:
        named = f"'{args[0]}' is not a file, and " if args else ""
        raise VcsError(
            f"{named}{here} is not inside a git repository; "
            "to compare two notebooks, give both file paths"
        )
    return _diff_revisions(root, here, args, paths, opts)


def _split_arguments(
    args: list[str], paths: list[str], here: Path
) -> tuple[tuple[str, str] | None, list[str], list[str]]:
    """``(two files to compare, or None; revisions; paths)``, read as ``git diff`` reads them."""
    if len(args) > 2 and not paths:
        # "nbtrack diff main HEAD train.ipynb": revisions, then paths that exist, as git reads it
        split = next((k for k in range(len(args)) if (here / args[k]).exists()), len(args))
        if 0 < split <= 2:
            args, paths = args[:split], args[split:]
    if len(args) > 2:
        raise VcsError(
            f"nbtrack diff takes two files or at most two revisions, got {len(args)} arguments "
            "(put paths after '--')"
        )
    if len(args) == 2 and not paths:
        first, second = ((here / arg).is_file() for arg in args)
        if first and second:
            return (args[0], args[1]), args, paths
        if first or second:
            root = _git.repo_root(here)
            if (
                second
                and root is not None
                and _is_revision(root, args[0])
                and not _is_revision(root, args[1])
            ):
                # "nbtrack diff main train.ipynb": a revision and a path, as git reads it
                return None, [args[0]], [args[1]]
            return (args[0], args[1]), args, paths
    return None, args, paths


def _diff_revisions(
    root: Path, here: Path, args: list[str], paths: list[str], opts: DiffOptions
) -> DiffResult:
    """The notebooks that changed between the revisions *args* names, under *paths*."""
    old, new, old_label, new_label = _resolve(root, args)
    # a notebook's own label is a `git show`-able revision:path (the merge base's sha for A...B)
    old_rev = old[:7] if old_label.startswith("merge-base(") else old_label
    specs = [_repo_relative(root, here, p) for p in paths]
    for spec, raw in zip(specs, paths, strict=True):
        if not _exists_somewhere(root, spec, old, new):
            other = new_label if new else "the working tree"
            raise VcsError(f"path '{raw}' is in neither {old_label} nor {other}")
    notebooks: list[NotebookDiff] = []
    # every notebook is listed and the paths filter afterwards: a pathspec would hide a
    # renamed notebook's old name from git's rename detection (shown as added instead)
    changes = [
        (old_path, new_path)
        for _status, old_path, new_path in _git.list_changes(root, old, new, ["*.ipynb"])
        if any(p and p.endswith(".ipynb") for p in (old_path, new_path))
        and (not specs or any(_under(p, spec) for p in (old_path, new_path) for spec in specs))
    ]
    # every blob through one `git cat-file --batch` (a process per notebook costs ~3 ms each)
    wanted = [(old, o) for o, _ in changes if o] + [(new, n) for _, n in changes if n and new]
    blobs = _git.read_blobs(root, wanted)
    for old_path, new_path in changes:
        a = _load(root, old, old_path, old_rev, blobs) if old_path else None
        b = _load(root, new, new_path, new_label, blobs) if new_path else None
        shown = new_path or old_path or ""
        notebooks.append(
            diff_notebooks(
                a,
                b,
                path=shown,
                old_label=f"{old_rev}:{old_path}" if old_path else old_rev,
                new_label=f"{new_label}:{new_path}" if new and new_path else new_label,
                options=opts,
                old_path=old_path,
            )
        )
    return DiffResult(
        old_label, new_label, tuple(notebooks), opts, old_commit=old, new_commit=new,
        root=str(root),
    )  # fmt: skip


def _is_revision(root: Path, text: str) -> bool:
    try:
        _git.verify_revision(root, text)
    except VcsError:
        return False
    return True


def _resolve(root: Path, args: list[str]) -> tuple[str, str | None, str, str]:
    """(old commit, new commit or None for the work tree, old label, new label)."""
    if not args:
        if not _is_revision(root, "HEAD"):
            raise VcsError(f"the repository at {root} has no commits yet, so nothing to diff")
        return _revision(root, "HEAD"), None, "HEAD", WORKTREE
    if len(args) == 2:
        a, b = args
        return _revision(root, a), _revision(root, b), a, b
    (spec,) = args
    if "..." in spec:
        a, b = spec.split("...", 1)
        a, b = a or "HEAD", b or "HEAD"
        sha_a, sha_b = _revision(root, a), _revision(root, b)
        base = _git.merge_base(root, sha_a, sha_b)
        return base, sha_b, f"merge-base({a}, {b}) {base[:7]}", b
    if ".." in spec:
        a, b = spec.split("..", 1)
        a, b = a or "HEAD", b or "HEAD"
        return _revision(root, a), _revision(root, b), a, b
    return _revision(root, spec), None, spec, WORKTREE


def _revision(root: Path, text: str) -> str:
    """``verify_revision``, with a notebook-looking name read as the missing file it is."""
    try:
        return _git.verify_revision(root, text)
    except VcsError:
        if text.endswith(".ipynb"):
            raise VcsError(
                f"'{text}' is neither a file nor a revision in the repository at {root}"
            ) from None
        raise


def _repo_relative(root: Path, here: Path, raw: str) -> str:
    full = (here / raw).resolve() if not Path(raw).is_absolute() else Path(raw).resolve()
    try:
        relative = full.relative_to(root.resolve())
    except ValueError:
        raise VcsError(f"path '{raw}' is outside the repository at {root}") from None
    text = relative.as_posix()
    return "" if text == "." else text


def _under(path: str | None, spec: str) -> bool:
    """True when repository path ``path`` is ``spec`` or inside directory ``spec``."""
    if path is None:
        return False
    return not spec or path == spec or path.startswith(spec.rstrip("/") + "/")


def _exists_somewhere(root: Path, spec: str, old: str, new: str | None) -> bool:
    if not spec:
        return True
    if new is None and (root / spec).exists():
        return True
    return _git.tree_has(root, old, spec) or (new is not None and _git.tree_has(root, new, spec))


def _load(
    root: Path,
    revision: str | None,
    path: str,
    label: str,
    blobs: dict[tuple[str, str], bytes | None] | None = None,
) -> Notebook:
    if revision is None:
        try:
            return read_notebook(root / path)
        except NotebookError:
            _refuse_conflict(root / path, f"{path} in the working tree")
            raise
    if blobs is not None and (revision, path) in blobs:
        data = blobs[(revision, path)]
    else:
        data = _git.read_blob(root, revision, path)
    if data is None:
        raise VcsError(f"{path} cannot be read from revision {label}")
    try:
        return notebook_from_bytes(data, Path(path), name=f"{path} at {label}")
    except NotebookError:
        _refuse_conflict(data, f"{path} at {label}")
        raise


_MARKERS = (b"<<<<<<< ", b"=======", b">>>>>>> ")


def _refuse_conflict(source: Path | bytes, what: str) -> None:
    """A clearer sentence than "not valid JSON" for a notebook left mid-merge by git.

    *what* names the notebook: a file as given, or a path and its revision.
    """
    try:
        data = source.read_bytes() if isinstance(source, Path) else source
    except OSError:
        return
    lines = data.splitlines()
    if all(any(line.startswith(marker) for line in lines) for marker in _MARKERS):
        first = next(k for k, line in enumerate(lines) if line.startswith(_MARKERS[0])) + 1
        raise VcsError(
            f"{what} has unresolved merge conflict markers (line {first}); "
            "resolve the conflict first (e.g. 'nbdime mergetool')"
        )
