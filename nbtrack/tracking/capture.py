"""What a run records about where it came from: git, environment, data versions.

For: :func:`capture_git` (commit, branch, dirty flag, size-capped diff of
tracked changes with its secrets redacted, remote without credentials, via
the git CLI with a short timeout), :func:`capture_environment` (python,
platform, host, user, cwd, argv with its secrets redacted, installed
distributions; cached per process) and :func:`hash_data` (the version of a
file or directory a run used, streaming; Git LFS and DVC
versions are read from their pointer files instead of hashing the data).

Not for: the notebook path and its snapshot (the magics capture those) or
writing anything to the store. Nothing here raises for a missing git: the
answer is ``None``.
"""

from __future__ import annotations

import functools
import getpass
import hashlib
import json
import os
import platform
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from nbtrack.envvars import COMMAND_ENV
from nbtrack.errors import UsageError
from nbtrack.model import DataRef, Environment, GitState
from nbtrack.redact import redact_argv, redact_code

__all__ = [
    "DIFF_LIMIT",
    "GIT_TIMEOUT",
    "capture_environment",
    "capture_git",
    "hash_data",
    "installed_distributions",
    "project_relative_path",
    "strip_credentials",
]

#: the diff of tracked changes is cut at this many bytes (and flagged truncated)
DIFF_LIMIT = 256 * 1024
#: seconds any one git command may take before we give up on it
GIT_TIMEOUT = 5.0
#: directory names never hashed as part of a data directory
SKIP_DIRS = frozenset({".git", "__pycache__", ".ipynb_checkpoints", ".dvc"})

_LFS_HEADER = b"version https://git-lfs.github.com/spec/v1"
_LFS_MAX_POINTER = 1024  # the spec caps pointer files below 1024 bytes
_GIT_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    # `git status` refreshes the index and would take index.lock otherwise
    "GIT_OPTIONAL_LOCKS": "0",
    "LC_ALL": "C",
}


# -- git -----------------------------------------------------------------------


def _git(args: list[str], cwd: Path, timeout: float = GIT_TIMEOUT) -> str | None:
    """stdout of one git command, or None if git is missing, fails or hangs."""
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            timeout=timeout,
            env={**os.environ, **_GIT_ENV},
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace").strip()


def _git_diff(cwd: Path, limit: int) -> tuple[str | None, bool]:
    """Diff of tracked changes against HEAD, read at most *limit* bytes of it."""
    cmd = ["git", "diff", "HEAD", "--no-color", "--no-ext-diff", "--no-textconv"]
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **_GIT_ENV},
        )
    except OSError:
        return None, False
    assert proc.stdout is not None
    # a git that hangs (a lock, a slow file system) must not hold up the run's start:
    # killing it closes the pipe, so the read below returns
    gave_up = threading.Event()

    def give_up() -> None:
        gave_up.set()
        proc.kill()

    watchdog = threading.Timer(GIT_TIMEOUT, give_up)
    watchdog.daemon = True
    watchdog.start()
    try:
        data = proc.stdout.read(limit + 1)
    finally:
        watchdog.cancel()
        proc.stdout.close()
        if proc.poll() is None:
            proc.kill()  # the rest of a huge diff is not wanted
        try:
            proc.wait(timeout=GIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            return None, False
    if gave_up.is_set():
        return None, False
    truncated = len(data) > limit
    text = data[:limit].decode("utf-8", "replace")
    return text, truncated


def strip_credentials(url: str) -> str:
    """A remote URL without user:password (scp-style ``git@host:path`` kept as is).

    >>> strip_credentials("https://user:tok@github.com/a/b.git")
    'https://github.com/a/b.git'
    """
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def capture_git(
    path: Path | None = None, *, diff_limit: int = DIFF_LIMIT, redact: bool = True
) -> GitState | None:
    """Git state of the repository holding *path* (default: cwd); None outside one.

    ``dirty`` means tracked files differ from HEAD (staged or not); untracked
    files do not count, as they are not in the diff either. With *redact*,
    the diff is code like a snapshot: secrets in it are hidden
    (:func:`nbtrack.redact.redact_code`).
    """
    cwd = (path or Path.cwd()).resolve()
    if cwd.is_file():
        cwd = cwd.parent
    root = _git(["rev-parse", "--show-toplevel"], cwd)
    if root is None:
        return None
    commit = _git(["rev-parse", "--verify", "-q", "HEAD"], cwd) or None
    branch = _git(["symbolic-ref", "--short", "-q", "HEAD"], cwd) or None
    status = _git(["status", "--porcelain", "--untracked-files=no"], cwd)
    dirty = None if status is None else bool(status)
    diff: str | None = None
    truncated = False
    if dirty and commit:
        diff, truncated = _git_diff(cwd, diff_limit)
        if diff and redact:
            diff = redact_code(diff)
    remote = _git(["config", "--get", "remote.origin.url"], cwd)
    return GitState(
        commit=commit,
        branch=branch,
        dirty=dirty,
        diff=diff,
        diff_truncated=truncated,
        remote=strip_credentials(remote) if remote else None,
        root=root,
    )


# -- environment ---------------------------------------------------------------


def _canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.cache
def installed_distributions() -> dict[str, str]:
    """Installed distributions ``{canonical name: version}``, cached per process.

    ``*.dist-info`` directory names carry name and version (the wheel spec),
    so they are read from ``sys.path`` listings: about 0.3 ms for 130
    distributions here, where ``importlib.metadata`` parsing every METADATA
    file takes about 85 ms. ``importlib.metadata`` still answers for the few
    ``.egg-info`` installs whose directory name does not say the version.
    """
    found: dict[str, str] = {}
    slow: list[Path] = []
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                dist, sep, version = name[: -len(".dist-info")].partition("-")
                if sep and version:
                    found.setdefault(_canonical_name(dist), version)
                    continue
                slow.append(Path(entry or ".") / name)
            elif name.endswith(".egg-info"):
                slow.append(Path(entry or ".") / name)
    if slow:
        import importlib.metadata  # ~13 ms to import; most environments never need it
    for path in slow:
        try:
            meta = importlib.metadata.PathDistribution(path).metadata
            dist_name, version = meta["Name"], meta["Version"]
        except (OSError, KeyError, ValueError):
            continue
        if dist_name and version:
            found.setdefault(_canonical_name(dist_name), version)
    return dict(sorted(found.items()))


@functools.cache
def _static_environment() -> tuple[str, str, str, str]:
    try:
        user = getpass.getuser()
    except (OSError, KeyError, ImportError):
        user = ""  # a container without a passwd entry for our uid
    return platform.python_version(), platform.platform(), socket.gethostname(), user


def capture_environment(*, redact: bool = True) -> Environment:
    """Python, platform, host, user, cwd, argv and installed packages.

    With *redact*, secrets on the command line are hidden
    (:func:`nbtrack.redact.redact_argv`: ``--password X``, ``-p api_token=X``,
    a URL's credentials).
    """
    python, plat, host, user = _static_environment()
    argv = _command()
    return Environment(
        python=python,
        platform=plat,
        host=host,
        user=user,
        cwd=os.getcwd(),
        argv=redact_argv(argv) if redact else argv,
        packages=installed_distributions(),
    )


def _command() -> tuple[str, ...]:
    """This process's argv, or the user's command that started it (``nbtrack run``'s).

    The command is taken only by the process it was meant for, the direct
    child of the process that set it (its kernel), not by whatever a cell starts.
    """
    given = os.environ.get(COMMAND_ENV)
    if given:
        try:
            told = json.loads(given)
        except ValueError:
            told = None
        argv = told.get("argv") if isinstance(told, dict) else None
        mine = isinstance(told, dict) and told.get("pid") == os.getppid()
        if mine and isinstance(argv, list) and all(isinstance(arg, str) for arg in argv):
            return tuple(argv)
    return tuple(sys.argv)


# -- data versions -------------------------------------------------------------


def project_relative_path(path: Path, root: Path) -> str:
    """*path* relative to the project root when inside it, else absolute."""
    absolute = path.absolute()
    try:
        return absolute.relative_to(root.resolve()).as_posix() or "."
    except ValueError:
        pass
    try:
        return path.resolve().relative_to(root.resolve()).as_posix() or "."
    except ValueError:
        return absolute.as_posix()


def _sha256_file(path: Path) -> tuple[str, int]:
    """sha256 hex digest and size of the bytes read (hashlib's own loop, no GIL held)."""
    with path.open("rb") as fh:
        digest = hashlib.file_digest(fh, "sha256")
        return digest.hexdigest(), fh.tell()


def _lfs_pointer(path: Path) -> tuple[str, int] | None:
    """(oid, size) if *path* is a Git LFS pointer file, else None."""
    try:
        if path.stat().st_size >= _LFS_MAX_POINTER:
            return None
        with path.open("rb") as fh:
            head = fh.read(_LFS_MAX_POINTER)
    except OSError:
        return None
    if not head.startswith(_LFS_HEADER):
        return None
    fields: dict[str, str] = {}
    for line in head.decode("utf-8", "replace").splitlines()[1:]:
        key, _, value = line.partition(" ")
        fields[key] = value.strip()
    oid = fields.get("oid", "")
    if not oid.startswith("sha256:") or not fields.get("size", "").isdigit():
        return None
    return oid.removeprefix("sha256:"), int(fields["size"])


def _load_yaml(path: Path) -> Any:
    import yaml  # only DVC users pay for it

    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"{path} cannot be read as DVC YAML: {exc}.") from None


def _dvc_out(entry: Any) -> tuple[str, int | None, dict[str, Any]] | None:
    """(md5, size, detail) of one DVC ``outs`` entry."""
    if not isinstance(entry, dict) or not isinstance(entry.get("md5"), str):
        return None
    md5 = entry["md5"]
    detail: dict[str, Any] = {}
    if md5.endswith(".dir"):
        md5 = md5.removesuffix(".dir")
        detail["directory"] = True
    if isinstance(entry.get("nfiles"), int):
        detail["files"] = entry["nfiles"]
    size = entry.get("size")
    return md5, size if isinstance(size, int) else None, detail


def _dvc_version(path: Path, root: Path) -> tuple[str, int | None, dict[str, Any]] | None:
    """What DVC recorded for *path*: its ``.dvc`` sidecar, or a ``dvc.lock`` output."""
    sidecar = path.with_name(path.name + ".dvc")
    if sidecar.is_file():
        data = _load_yaml(sidecar)
        outs = data.get("outs") if isinstance(data, dict) else None
        for entry in outs if isinstance(outs, list) else []:
            found = _dvc_out(entry)
            if found:
                found[2]["source"] = project_relative_path(sidecar, root)
                return found
    target = path.absolute()
    top = root.absolute()
    for folder in target.parents:
        lock = folder / "dvc.lock"
        if lock.is_file():
            data = _load_yaml(lock)
            stages = data.get("stages") if isinstance(data, dict) else None
            for stage_name, stage in (stages or {}).items() if isinstance(stages, dict) else ():
                outs = stage.get("outs") if isinstance(stage, dict) else None
                for entry in outs if isinstance(outs, list) else []:
                    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
                        continue
                    if (folder / entry["path"]).absolute() != target:
                        continue
                    found = _dvc_out(entry)
                    if found:
                        found[2].update(source=project_relative_path(lock, root), stage=stage_name)
                        return found
        if folder == top:
            break
    return None


def _hash_directory(path: Path) -> tuple[str, int, int]:
    """(digest, total size, file count) over sorted relative paths and file digests."""
    files: list[tuple[str, Path]] = []
    for folder, dirnames, filenames in os.walk(path):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        base = Path(folder)
        for name in filenames:
            full = base / name
            if full.is_file():
                files.append((full.relative_to(path).as_posix(), full))
    files.sort()
    outer = hashlib.sha256()
    total = 0
    for rel, full in files:
        digest, size = _sha256_file(full)
        total += size
        outer.update(f"{rel}\0{digest}\n".encode())
    return outer.hexdigest(), total, len(files)


def hash_data(path: str | os.PathLike[str], *, root: Path | None = None) -> DataRef:
    """The version of a data file or directory, without reading more than it must.

    A ``.dvc`` sidecar or ``dvc.lock`` output gives kind ``"dvc"`` and the md5
    DVC recorded; a Git LFS pointer gives kind ``"git-lfs"`` and its oid; a file
    otherwise is hashed (sha256, 1 MiB chunks) and a directory digested over
    its sorted relative paths and file digests.
    """
    given = Path(path).expanduser()
    root = root or Path.cwd()
    shown = project_relative_path(given, root)
    if not given.exists():
        dvc = _dvc_version(given, root)
        if dvc is None:
            raise UsageError(f"cannot track data {os.fspath(path)!r}: no such file or directory.")
    else:
        dvc = _dvc_version(given, root)
    if dvc is not None:
        md5, size, detail = dvc
        return DataRef(path=shown, kind="dvc", digest=f"md5:{md5}", size=size, detail=detail)
    try:
        if given.is_dir():
            digest, size, count = _hash_directory(given)
            return DataRef(
                path=shown,
                kind="directory",
                digest=f"sha256:{digest}",
                size=size,
                detail={"files": count},
            )
        pointer = _lfs_pointer(given)
        if pointer is not None:
            oid, size = pointer
            return DataRef(path=shown, kind="git-lfs", digest=f"sha256:{oid}", size=size)
        digest, size = _sha256_file(given)
    except OSError as exc:
        raise UsageError(f"cannot read data {os.fspath(path)!r}: {exc.strerror or exc}.") from None
    return DataRef(path=shown, kind="file", digest=f"sha256:{digest}", size=size)
