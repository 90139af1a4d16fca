"""The kernel of ``nbtrack run`` outliving its parent: the run ends KILLED, then the kernel.

ipykernel watches the process that started it (``JPY_PARENT_PID``) and,
once it is gone, leaves with ``os._exit``: no exit hook runs, so the run
would stay RUNNING until its heartbeat went stale (CRASHED), its last
points lost. ``nbtrack run``'s kernel watches instead (:func:`watch_parent`,
started by :mod:`nbtrack.execute.kernel`): when the parent is gone (killed
with SIGKILL, say, so it could not stop the kernel), it ends the run KILLED,
flushing what was logged, and then leaves as ipykernel would.

Not for: the normal end of a run, which ``nbtrack run`` decides and the
session's exit hook records (:mod:`nbtrack.tracking.session_exit`).
"""

from __future__ import annotations

import os
import sys
import threading
import time

__all__ = ["POLL_SECONDS", "watch_parent"]

#: how often the parent is looked for (ipykernel's own poller: every second)
POLL_SECONDS = 0.5


def watch_parent(parent: int) -> threading.Thread:
    """Start a daemon thread that ends the run KILLED and exits once *parent* is gone."""
    thread = threading.Thread(target=_watch, args=(parent,), name="nbtrack-parent", daemon=True)
    thread.start()
    return thread


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    try:
        from nbtrack.model import RunStatus
        from nbtrack.tracking.api import get_tracker

        get_tracker().end_run(RunStatus.KILLED)
    except Exception as exc:  # leave all the same
        print(f"nbtrack: could not end the run after nbtrack run went away: {exc}", file=sys.stderr)
    finally:
        from nbtrack.processes import end_descendants

        end_descendants()  # as the kernel does when it ends: nothing outlives the run
        os._exit(1)
