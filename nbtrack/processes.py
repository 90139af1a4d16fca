"""The processes a notebook started, found and ended wherever they went.

A notebook's cells may start processes that leave its process group and its
session (``os.setsid()`` after a double fork, ``subprocess.Popen(...,
start_new_session=True)``, a daemonising server), so killing the notebook's
group does not reach them, and once their parent exits they belong to init.
Two marks find them all the same:

* **the environment**: every process of one notebook is started with a mark
  of its own (:func:`new_mark`, a ``NBTRACK_PROCESS_TAG`` variable), which
  ``fork``, ``exec`` and ``setsid`` all pass on; :func:`marked` lists the
  processes whose starting environment carries it;
* **the tree**: :func:`tree` lists what runs below a process, so a child
  started with an environment of its own is found while the notebook's own
  process still lives. That process (the smoke child, the kernel of
  ``nbtrack run``) makes itself a child subreaper (:func:`become_subreaper`),
  so a double fork's orphan stays below it too, and ends everything below
  it as it exits (:func:`end_descendants`).

:func:`end_processes` ends both sets: SIGTERM, a short grace, then SIGKILL,
again until none is left (a process may fork while it is being ended). A
mark identifies one notebook, so ``nbtrack smoke -j 2`` ends one notebook's
processes without touching the other's.

This reads ``/proc`` (Linux). Elsewhere nothing is found and the callers'
process-group kill is all there is: a process that left the group survives.
Stdlib only, imported by the smoke parent and by ``nbtrack run``.

Not for: starting processes, or reading their output (:mod:`nbtrack.smoke.process`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from nbtrack.envvars import PROCESS_TAG_ENV

__all__ = [
    "Seen",
    "become_subreaper",
    "contained",
    "end_descendants",
    "end_processes",
    "marked",
    "new_mark",
    "tree",
]

_PROC = Path("/proc")
#: how often a wait for processes to end looks again
_TICK = 0.02
#: prctl(2) option: orphaned descendants are re-parented to this process
_PR_SET_CHILD_SUBREAPER = 36
#: rounds of SIGKILL before giving up on a process that keeps forking
_ROUNDS = 20


def new_mark() -> dict[str, str]:
    """The environment entry that marks the processes of one notebook (unique per call)."""
    return {PROCESS_TAG_ENV: f"{os.getpid()}-{os.urandom(8).hex()}"}


#: a process as seen once: its pid and its start time (which a reused pid does not share)
Seen = tuple[int, int]


def _table() -> dict[int, tuple[int, int]]:
    """Every running process (zombies left out): pid -> (parent pid, start time)."""
    if not _PROC.is_dir():
        return {}
    table = {}
    for entry in os.listdir(_PROC):
        if not entry.isdigit():
            continue
        try:
            text = (_PROC / entry / "stat").read_bytes()
        except OSError:  # gone
            continue
        # "pid (command) state ppid ...": the command may hold spaces and parentheses
        fields = text[text.rfind(b")") + 2 :].split()
        if fields[0] != b"Z":
            table[int(entry)] = (int(fields[1]), int(fields[19]))
    return table


def tree(root: int, table: dict[int, tuple[int, int]] | None = None) -> set[Seen]:
    """The running processes below *root* (children, theirs, ...), *root* left out."""
    table = _table() if table is None else table
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in table.items():
        children.setdefault(parent, []).append(pid)
    found: set[Seen] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), ()):
            if (child, table[child][1]) not in found:
                found.add((child, table[child][1]))
                todo.append(child)
    return found


def marked(
    mark: dict[str, str] | None, table: dict[int, tuple[int, int]] | None = None
) -> set[Seen]:
    """The running processes whose starting environment carries *mark* (None: none).

    Only processes of this user can be read, and only theirs are looked for.
    """
    if not mark:
        return set()
    table = _table() if table is None else table
    wanted = {f"{key}={value}".encode() for key, value in mark.items()}
    found = set()
    for pid, (_, start) in table.items():
        try:
            environ = (_PROC / str(pid) / "environ").read_bytes()
        except OSError:  # another user's, or gone
            continue
        if wanted <= set(environ.split(b"\0")):
            found.add((pid, start))
    return found


def _signal(processes: Iterable[Seen], sig: int) -> None:
    for pid, _ in processes:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def end_processes(
    mark: dict[str, str] | None,
    roots: Iterable[int] = (),
    seen: Iterable[Seen] = (),
    grace: float = 1.0,
) -> set[Seen]:
    """End every process carrying *mark*, running below *roots* or *seen* before; return them.

    SIGTERM first and up to *grace* seconds to exit, then SIGKILL, looking
    again after each round for processes started meanwhile. *roots* themselves
    and this process are left alone; a process in *seen* only if it still runs
    (same pid, same start time). A zombie counts as ended: its parent (init,
    once the notebook's own process is gone) reaps it.
    """
    roots, seen = tuple(roots), frozenset(seen)
    spared = {os.getpid(), *roots}

    def find() -> set[Seen]:
        table = _table()
        found = marked(mark, table) | {s for s in seen if table.get(s[0], (0, -1))[1] == s[1]}
        for root in roots:
            found |= tree(root, table)
        return {s for s in found if s[0] not in spared}

    def alive(processes: set[Seen]) -> set[Seen]:
        table = _table()
        return {s for s in processes if table.get(s[0], (0, -1))[1] == s[1]}

    ended = find()
    if not ended:
        return ended
    _signal(ended, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while alive(ended) and time.monotonic() < deadline:
        time.sleep(_TICK)
    for _ in range(_ROUNDS):
        left = alive(ended) | find()
        if not left:
            break
        ended |= left
        _signal(left, signal.SIGKILL)
        time.sleep(_TICK)
    return ended


def become_subreaper() -> bool:
    """Adopt this process's orphaned descendants, as init would (Linux); True if it does.

    A process that forks and lets the middle process exit (a daemon's double
    fork) stays below this one, so :func:`tree` still finds it: what a
    notebook's own process calls before it runs cells. An adopted orphan that
    exits stays a zombie until this process ends (init would reap it at
    once): for a process that runs one notebook, not for a server.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def end_descendants(grace: float = 1.0) -> set[Seen]:
    """End every process below this one (what a notebook's own process calls last)."""
    return end_processes(None, roots=[os.getpid()], grace=grace)


@contextlib.contextmanager
def contained(grace: float = 1.0) -> Iterator[dict[str, str]]:
    """A fresh mark to start processes with; on leaving the block, they are ended."""
    mark = new_mark()
    try:
        yield mark
    finally:
        end_processes(mark, grace=grace)
