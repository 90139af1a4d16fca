"""A notebook session's kernel exit: what is still open is settled before its run ends.

For: :class:`SessionExit`, a session's ``atexit`` hook. It is registered
after the tracker's own exit hook (made at its first run start), so it runs
before it: the parameters cell is settled and the source recaptured while
the run is still open. A kernel shut down moments after its first tracking
call has a snapshot not yet made: that run is ended here, so its status and
data are safe whatever comes, and the text gets the time left (it goes
straight to the store). :func:`_outlast_sigterm` keeps jupyter_client's
SIGTERM from cutting the exit work short.

A kernel of ``nbtrack run`` (*end_file* set) does not decide its run's
status: ``nbtrack run`` writes it to that file before it stops the kernel
(KILLED after Ctrl-C or SIGTERM, FAILED after a cell failed or timed out),
and a kernel whose parent went away without writing it ends the run KILLED
(:func:`batch_end_status`). So an interrupted run never reads FINISHED,
whichever process goes first.

Not for: ending runs in general (the tracker's exit hook does that) or
anything before the kernel exits (``nbtrack.tracking.session``).
"""

from __future__ import annotations

import atexit
import sys
from collections.abc import Callable
from contextlib import suppress

from nbtrack.model import RunStatus
from nbtrack.tracking.run import ActiveRun
from nbtrack.tracking.session_source import SessionSource

__all__ = ["SessionExit", "batch_end_status"]

#: seconds the snapshot gets at kernel exit, after the run was ended (jupyter_client
#: kills a kernel 5 s after asking it to shut down, see _outlast_sigterm); a run
#: whose text did not make it keeps path and hash
_EXIT_SNAPSHOT_WAIT = 10.0


class SessionExit:
    """The exit work of one session; *settle_params* logs the parameters cell's names."""

    def __init__(
        self,
        *,
        running: Callable[[], ActiveRun | None],
        settle_params: Callable[[], None],
        source: SessionSource,
        warn: Callable[[str], None],
        end_file: str | None = None,
    ) -> None:
        self._end_file = end_file
        self._running = running
        self._settle_params = settle_params
        self._source = source
        self._warn = warn
        self._registered = False

    def register(self) -> None:
        """Run :meth:`run` at interpreter exit (once, however often this is called)."""
        if not self._registered:
            atexit.register(self.run)
            self._registered = True

    def run(self) -> None:
        """Settle params and source; end the run now when its snapshot is late."""
        try:
            if self._running() is None:
                return
            _outlast_sigterm()
            self._settle_params()
            self._source.refresh(force=True)
            run = self._running()
            if run is None:
                return
            status = (
                RunStatus.FINISHED if self._end_file is None else batch_end_status(self._end_file)
            )
            if self._source.made(0.5):
                if status is not RunStatus.FINISHED:
                    run.end(status)
                return  # else the tracker's exit hook, which runs next, ends the run
            self._source.attach(run)
            run.end(status)
            self._source.made(_EXIT_SNAPSHOT_WAIT)
        except Exception as exc:
            self._warn(f"nbtrack warning: at exit: {exc}")


def batch_end_status(end_file: str) -> RunStatus:
    """How ``nbtrack run`` said its run ends; KILLED when it did not say (it went away)."""
    try:
        with open(end_file, encoding="utf-8") as fh:
            said = fh.read(16).strip()
    except OSError:
        return RunStatus.KILLED
    if said in (RunStatus.FINISHED.value, RunStatus.FAILED.value):
        return RunStatus(said)
    return RunStatus.KILLED


def _outlast_sigterm() -> None:
    """Let the kernel finish its exit work when jupyter_client hurries it.

    After a shutdown request jupyter_client waits ``shutdown_wait_time / 2``
    (2.5 s), then sends SIGTERM, which kills a kernel on the spot: no run end,
    no last flush. The exit hooks are bounded, so they ignore SIGTERM and rely
    on the SIGKILL that follows 2.5 s later as the hard stop.
    """
    import signal
    import threading

    kernelapp = sys.modules.get("ipykernel.kernelapp")
    app = getattr(kernelapp, "IPKernelApp", None)
    in_kernel = app is not None and bool(app.initialized())
    if in_kernel and threading.current_thread() is threading.main_thread():
        with suppress(ValueError, OSError):
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
