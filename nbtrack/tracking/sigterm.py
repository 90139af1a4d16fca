"""SIGTERM on a tracked script: the run ends KILLED and flushed, then the process dies of it.

``docker stop``, Kubernetes, SLURM and ``timeout`` stop a process with
SIGTERM, whose default action ends it on the spot: no exit hook, so the run
would read CRASHED with its last second of points lost. While a run is
active, :func:`install` puts a handler in place -- only when the default one
is (a handler the program set is left alone), only in the main thread, and
not in an IPython kernel (whose owner stops it through the exit hooks). The
handler ends the run KILLED (flushing it), puts the default action back and
sends the signal again, so the process still dies of SIGTERM (exit status
128 + 15) as it would have. :func:`uninstall` puts the default back when
the run ends.

Not for: Ctrl-C (``KeyboardInterrupt`` unwinds and ends the run KILLED on
its own) or ``nbtrack run``, which stops its kernel itself.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable

__all__ = ["install", "uninstall"]


class _EndRunThenDie:
    """The handler: *end* the run, then die of the signal as the default action would."""

    def __init__(self, end: Callable[[], None]) -> None:
        self.end = end

    def __call__(self, signum: int, frame: object) -> None:
        try:
            self.end()
        finally:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)


def _in_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    return ipython is not None and getattr(ipython, "get_ipython", lambda: None)() is not None


def install(end: Callable[[], None]) -> bool:
    """Let SIGTERM call *end* before the process dies of it; True when the handler is in place."""
    if threading.current_thread() is not threading.main_thread() or _in_kernel():
        return False
    current = signal.getsignal(signal.SIGTERM)
    if isinstance(current, _EndRunThenDie):
        current.end = end
        return True
    if current is not signal.SIG_DFL:
        return False
    signal.signal(signal.SIGTERM, _EndRunThenDie(end))
    return True


def uninstall() -> None:
    """Put SIGTERM's default action back, if the handler is still :func:`install`'s."""
    if threading.current_thread() is not threading.main_thread():
        return
    if isinstance(signal.getsignal(signal.SIGTERM), _EndRunThenDie):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
