"""What a Dask worker runs for each task: the call in a child process it can stop.

For: :func:`call_in_process`, the one function :mod:`nbtrack.cluster.tasks`
submits. It starts ``python -m nbtrack.cluster._call`` with the pickled call
(in a session of its own, with the worker's address in
``NBTRACK_DASK_WORKER``), waits for it, and meanwhile watches the client's
stop event (a ``distributed.Event`` by name): once it is set, the call gets
SIGTERM (a run ends KILLED, a smoke child is closed), and after a grace
period its whole process group gets SIGKILL. A task that starts after the
event was set returns at once without starting its call.

Not for: the client's side (:mod:`nbtrack.cluster.tasks`).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from nbtrack.cluster.connect import distributed
from nbtrack.envvars import DASK_WORKER_ENV

__all__ = ["NOT_STARTED", "STOPPED", "call_in_process"]

#: the kinds of answer besides ``ok`` and ``error``
NOT_STARTED = "not-started"
STOPPED = "stopped"
#: how often the stop event is looked at while the call runs (seconds)
_POLL = 0.5


def _worker_address() -> str:
    dd: Any = distributed()
    try:
        return str(dd.get_worker().address)
    except ValueError:  # not inside a worker (a test calling this directly)
        return "local"


def _stop_requested(stop_name: str | None) -> bool:
    if stop_name is None:
        return False
    dd: Any = distributed()
    try:
        return bool(dd.Event(stop_name).is_set())
    except Exception:  # the scheduler is going away: nobody is left to ask us to stop
        return False


def call_in_process(payload: bytes, stop_name: str | None, grace: float) -> tuple[str, str, bytes]:
    """Run the pickled call; ``(worker, kind, data)``: kind ``ok``/``error``/``stopped``/...

    ``ok`` and ``error`` carry the child's pickled outcome; ``stopped`` the
    same when the child wrote one after SIGTERM, else nothing.
    """
    worker = _worker_address()
    if _stop_requested(stop_name):
        return worker, NOT_STARTED, b""
    folder = Path(tempfile.mkdtemp(prefix="nbtrack-dask-"))
    try:
        source, target = folder / "call.pickle", folder / "outcome.pickle"
        source.write_bytes(payload)
        env = {**os.environ, DASK_WORKER_ENV: worker}
        proc = subprocess.Popen(
            [sys.executable, "-m", "nbtrack.cluster._call", str(source), str(target)],
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        stopped = _wait(proc, stop_name, grace)
        data = target.read_bytes() if target.is_file() else b""
        if stopped:
            return worker, STOPPED, data
        if not data:
            why = f"ended by signal {-proc.returncode}" if proc.returncode < 0 else "ended"
            message = f"the task's process on {worker} {why} (exit code {proc.returncode})"
            return worker, "error", pickle.dumps(("error", message))
        return worker, "ok", data
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _wait(proc: subprocess.Popen[bytes], stop_name: str | None, grace: float) -> bool:
    """Wait for *proc*; True when the stop event ended it."""
    while True:
        try:
            proc.wait(timeout=_POLL)
            return False
        except subprocess.TimeoutExpired:
            pass
        if _stop_requested(stop_name):
            break
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # and whatever it left in its session
    proc.wait()
    return True
