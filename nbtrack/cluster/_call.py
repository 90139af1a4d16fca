"""``python -m nbtrack.cluster._call IN OUT``: one task's call, in a process of its own.

A Dask worker runs tasks in threads; a call that installs signal handlers
(a run stopping its kernel on SIGTERM, a smoke run unwinding its child) can
only do so in a main thread, and a task that must be stopped on Ctrl-C can
only be stopped from outside if it is a process. So each task's call runs
here: IN holds the pickled ``(function, args, kwargs)``, OUT receives the
pickled ``("ok", value)`` or ``("error", sentence)``. SIGTERM raises
``KeyboardInterrupt`` in the call (unless the call installs its own
handler), as Ctrl-C would at a terminal; so does the death of the worker that
started it (this process is in a session of its own, out of reach of the
signals that end the worker), so a killed worker's runs end KILLED instead
of running on unattended.

Not for: anything but that (stdlib and :mod:`nbtrack.errors` only until the
call's own module is unpickled).
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
import time
from pathlib import Path

from nbtrack.errors import NbtrackError

#: how often the parent is looked for (seconds)
_WATCH = 0.5


def _sentence(exc: BaseException) -> str:
    if isinstance(exc, NbtrackError):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return "stopped (SIGTERM) before it finished"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _watch_parent(parent: int) -> None:
    """SIGTERM to this process once its parent (the worker) is gone."""
    while os.getppid() == parent:
        time.sleep(_WATCH)
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str]) -> int:
    source, target = Path(argv[1]), Path(argv[2])
    # the calls' own handlers replace only these defaults (see engine.stop_on_signals)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    outcome: tuple[str, object]
    try:
        function, args, kwargs = pickle.loads(source.read_bytes())
        outcome = ("ok", function(*args, **kwargs))
    except BaseException as exc:  # everything goes back to the client as one sentence
        outcome = ("error", _sentence(exc))
    try:
        data = pickle.dumps(outcome)
    except Exception as exc:
        data = pickle.dumps(("error", f"the result could not be pickled: {_sentence(exc)}"))
    target.write_bytes(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
