"""What a run records about where it came from: git, environment, data versions.

For: :func:`capture_git` (commit, branch, dirty flag, size-capped diff of
tracked changes with its secrets redacted, remote without credentials, via
the git CLI with a short timeout), :func:`capture_environment` (python,
platform, host, user, cwd, argv with its secrets redacted, installed
distributions; cached per process).

Not for: data versions (``nbtrack.data``), the notebook path and its
snapshot (the magics capture those) or writing anything to the store.
Nothing here raises for a missing git: the answer is ``None``.
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import platform
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from nbtrack.envvars import COMMAND_ENV
from nbtrack.model import Environment, GitState
from nbtrack.redact import redact_argv, redact_code

__all__ = [
    "DIFF_LIMIT",
    "GIT_TIMEOUT",
    "capture_environment",
    "capture_git",
    "installed_distributions",
    "strip_credentials",
]

#: the diff of tracked changes is cut at this many bytes (and flagged truncated)
DIFF_LIMIT = 256 * 1024
#: seconds any one git command may take before we give up on it
GIT_TIMEOUT = 5.0
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
