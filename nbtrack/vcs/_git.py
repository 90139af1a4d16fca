"""Thin, typed calls to the ``git`` command line for nbtrack's vcs features.

Only plumbing that init, sync and diff need: find the repository, read and
write its local config, verify revisions, list changed paths, read blobs.
Every failure becomes a ``VcsError`` with one sentence; git's own stderr is
never shown raw. Not a general git library.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from nbtrack.errors import VcsError

__all__ = [
    "config_get",
    "config_set",
    "git",
    "git_dir",
    "is_ancestor",
    "last_commit",
    "list_changes",
    "merge_base",
    "read_blob",
    "read_blobs",
    "repo_root",
    "verify_revision",
]


def git(root: Path, *args: str, check: bool = True, input_bytes: bytes | None = None) -> bytes:
    """Run ``git args`` in ``root`` and return stdout; raise ``VcsError`` on failure."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, input=input_bytes, env=env, check=False
        )
    except FileNotFoundError:
        raise VcsError("git is not installed or not on PATH") from None
    if check and done.returncode != 0:
        first = done.stderr.decode(errors="replace").strip().splitlines()
        reason = first[0] if first else f"exit code {done.returncode}"
        raise VcsError(f"'git {' '.join(args)}' failed in {root}: {reason}")
    return done.stdout


def repo_root(start: Path) -> Path | None:
    """The work tree root containing ``start``, or None outside a repository."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], cwd=start, capture_output=True, check=False
        )
    except FileNotFoundError:
        raise VcsError("git is not installed or not on PATH") from None
    except NotADirectoryError:
        return None
    if done.returncode != 0:
        return None
    return Path(done.stdout.decode().strip())


def git_dir(root: Path) -> Path:
    """The repository's .git directory (worktrees and submodules included)."""
    out = git(root, "rev-parse", "--absolute-git-dir").decode().strip()
    return Path(out)


def config_get(root: Path, key: str, *, local: bool = True) -> str | None:
    """A key from the repository's own config (``--local``), or None.

    ``local=False`` reads the value git uses (system, global, local, ...).
    """
    scope = ["--local"] if local else []
    out = git(root, "config", *scope, "--get", key, check=False)
    value = out.decode().strip()
    return value or None


def config_set(root: Path, key: str, value: str) -> None:
    git(root, "config", "--local", key, value)


def verify_revision(root: Path, revision: str) -> str:
    """The commit sha ``revision`` names; ``VcsError`` naming it when there is none."""
    out = git(
        root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}",
        check=False,
    )  # fmt: skip
    sha = out.decode().strip()
    if not sha:
        raise VcsError(f"revision '{revision}' does not exist in the repository at {root}")
    return sha


def merge_base(root: Path, a: str, b: str) -> str:
    out = git(root, "merge-base", a, b, check=False).decode().strip()
    if not out:
        raise VcsError(f"revisions '{a}' and '{b}' have no common ancestor (no merge base)")
    return out


def list_changes(
    root: Path, old: str, new: str | None, pathspecs: list[str]
) -> list[tuple[str, str | None, str | None]]:
    """(status letter, old path, new path) for each changed file; ``new=None`` is the work tree.

    Renames (90% similar or more) are detected (``R``: both paths); additions have no old path and
    deletions no new path.
    """
    # notebook JSON boilerplate makes unrelated small notebooks look 50% alike: only
    # near-identical files count as renames
    args = ["diff", "--name-status", "-z", "-M90%", "--no-ext-diff", old]
    if new is not None:
        args.append(new)
    out = git(root, *args, "--", *pathspecs).decode("utf-8", errors="surrogateescape")
    tokens = out.split("\0")
    changes: list[tuple[str, str | None, str | None]] = []
    k = 0
    while k < len(tokens) and tokens[k]:
        status = tokens[k][0]
        if status in "RC":
            changes.append((status, tokens[k + 1], tokens[k + 2]))
            k += 3
            continue
        path = tokens[k + 1]
        if status == "A":
            changes.append((status, None, path))
        elif status == "D":
            changes.append((status, path, None))
        else:
            changes.append((status, path, path))
        k += 2
    return changes


def read_blob(root: Path, revision: str, path: str) -> bytes | None:
    """The bytes of ``path`` at ``revision``, or None when it is not there."""
    done = subprocess.run(
        ["git", "cat-file", "blob", f"{revision}:{path}"],
        cwd=root,
        capture_output=True,
        check=False,
    )
    return done.stdout if done.returncode == 0 else None


def read_blobs(
    root: Path, wanted: Sequence[tuple[str | None, str]]
) -> dict[tuple[str, str], bytes | None]:
    """{(revision, path): bytes or None when absent} through one ``git cat-file --batch``.

    Pairs whose revision is None (the work tree) or whose path has a line break (the
    batch protocol is line based) are left out; callers read those one by one.
    """
    asked = [(rev, path) for rev, path in wanted if rev is not None and "\n" not in path]
    found: dict[tuple[str, str], bytes | None] = {}
    if not asked:
        return found
    request = "".join(f"{rev}:{path}\n" for rev, path in asked).encode("utf-8", "surrogateescape")
    out = git(root, "cat-file", "--batch", input_bytes=request, check=False)
    pos = 0
    for rev, path in asked:
        end = out.find(b"\n", pos)
        if end == -1:
            break  # git stopped early: the rest is read one by one
        header = out[pos:end].split()
        pos = end + 1
        if len(header) == 3 and header[1] == b"blob":
            size = int(header[2])
            found[(rev, path)] = out[pos : pos + size]
            pos += size + 1
        elif len(header) == 3:  # a tree or commit of that name: skip its body
            pos += int(header[2]) + 1
            found[(rev, path)] = None
        else:
            found[(rev, path)] = None  # "<name> missing" / "ambiguous"
    return found


def tree_has(root: Path, revision: str, path: str) -> bool:
    """True when ``path`` (file or directory) exists at ``revision``."""
    out = git(root, "ls-tree", "--name-only", revision, "--", path, check=False)
    return bool(out.strip())


def last_commit(root: Path, path: str) -> str:
    """The sha of the last commit (from HEAD) that changed ``path``."""
    return git(root, "rev-list", "-1", "HEAD", "--", path).decode().strip()


def is_ancestor(root: Path, ancestor: str, descendant: str) -> bool:
    """True when commit ``ancestor`` is an ancestor of (or equal to) ``descendant``."""
    done = subprocess.run(
        ["git", "merge-base", "--is-ancestor", ancestor, descendant],
        cwd=root,
        capture_output=True,
        check=False,
    )
    return done.returncode == 0
