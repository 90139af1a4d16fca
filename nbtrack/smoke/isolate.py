"""``--isolate``: a throwaway copy of what git tracks, so untracked files surface.

The copy holds the working-tree version of every file ``git ls-files``
lists (uncommitted edits included: they are what the author is testing),
the notebooks being run, and whatever ``[tool.nbtrack.smoke] include`` names
relative to the project root. Anything else a notebook reads -- a CSV made
by hand, a ``helpers.py`` never added -- is missing, as it would be in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

from nbtrack.errors import UsageError

__all__ = ["copy_tracked_files", "git_root"]


def git_root(path: Path) -> Path | None:
    """The top of the git work tree holding *path*, or None outside one."""
    folder = path if path.is_dir() else path.parent
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0 or not done.stdout.strip():
        return None
    return Path(done.stdout.strip()).resolve()


def _tracked_files(root: Path) -> list[str]:
    try:
        done = subprocess.run(
            ["git", "ls-files", "-z", "--cached"],
            cwd=root,
            capture_output=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise UsageError(
            f"--isolate could not list the files git tracks in {root}: {exc}."
        ) from None
    return [name for name in os.fsdecode(done.stdout).split("\0") if name]


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_symlink():
        target.symlink_to(os.readlink(source))
    elif source.is_dir():
        shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    elif source.is_file():
        shutil.copy2(source, target)


def copy_tracked_files(
    root: Path,
    dest: Path,
    *,
    extra: Iterable[Path] = (),
    include: Iterable[str] = (),
    include_base: Path | None = None,
) -> Path:
    """Copy git-tracked files of *root* (plus *extra* and *include* globs) into *dest*.

    *include* globs are relative to *include_base* (the project root; default
    *root*). Returns the copy's root.
    """
    root = root.resolve()
    dest.mkdir(parents=True, exist_ok=True)
    for name in _tracked_files(root):
        source = root / name
        if source.exists() or source.is_symlink():
            _copy(source, dest / name)
    for path in extra:
        path = path.resolve()
        if path.is_relative_to(root):
            _copy(path, dest / path.relative_to(root))
    base = (include_base or root).resolve()
    for pattern in include:
        for match in sorted(base.glob(pattern)):
            resolved = match.resolve()
            if resolved.is_relative_to(root):
                _copy(resolved, dest / resolved.relative_to(root))
    return dest
