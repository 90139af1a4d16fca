"""``--isolate``: a throwaway copy of what git tracks, so untracked files surface.

The copy holds the working-tree version of every file ``git ls-files``
lists (uncommitted edits included: they are what the author is testing),
the notebooks being run, and whatever ``[tool.nbtrack.smoke] include`` names
relative to the project root. Anything else a notebook reads -- a CSV made
by hand, a ``helpers.py`` never added -- is missing, as it would be in CI.
An :class:`Isolation` makes each repository's copy once per run and shares
it among the run's notebooks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

from nbtrack.errors import UsageError
from nbtrack.smoke.options import SmokeConfig

__all__ = ["Isolation", "copy_tracked_files", "git_root"]


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


class Isolation:
    """Clean copies of git repositories, made once per run and shared by its notebooks."""

    def __init__(self, config: SmokeConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._copies: dict[Path, Path] = {}
        self._tmp = Path(tempfile.mkdtemp(prefix="nbtrack-isolate-"))

    def roots_for(self, notebook: Path) -> tuple[Path, Path]:
        """(copy root, repository root) for *notebook*, copying the repository once."""
        root = git_root(notebook.resolve())
        if root is None:
            raise UsageError(f"--isolate needs a git repository, and {notebook} is not in one.")
        with self._lock:
            if root not in self._copies:
                dest = self._tmp / f"{len(self._copies)}-{root.name}"
                self._copies[root] = copy_tracked_files(
                    root, dest, include=self._config.include, include_base=self._config.root
                )
            copy = self._copies[root]
            # a notebook git does not track yet is still the one being tested
            target = copy / notebook.resolve().relative_to(root)
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(notebook, target)
        return copy, root

    def run_dir_for(self, notebook: Path) -> Path:
        copy, root = self.roots_for(notebook)
        return copy / notebook.resolve().parent.relative_to(root)

    def close(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)
