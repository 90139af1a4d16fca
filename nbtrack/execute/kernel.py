"""The kernel ``nbtrack run`` starts: ipykernel, less the log lines that are not news.

``nbtrack run`` points its ``python3`` kernelspec at ``python -m
nbtrack.execute.kernel`` (see :func:`nbtrack.execute.engine.kernel_path`).
The kernel's log goes to the user's terminal, at ipykernel's usual WARNING
level, so a real fault in the kernel (an exception in a message handler, a
parent that went away) is still seen. Three kinds of line that stopping a
kernel always produces are dropped, and only those:

* "Kernel is running over TCP without encryption": jupyter_client's local
  kernels always use TCP on 127.0.0.1; nothing the user can or should do.
* "KeyboardInterrupt caught in kernel": jupyter_client interrupts a kernel
  before it asks it to shut down (``KernelManager.shutdown_kernel``), and a
  kernel still inside a message handler at that moment (finishing the last
  reply, or still starting up on a busy machine) logs this. ``nbtrack run`` has
  already collected every cell by then, so nothing was interrupted; a
  KeyboardInterrupt inside a cell is reported by IPython in the cell's output.
* "Exception in message handler" caused by a ``zmq.ZMQError``: a cell that
  ``--timeout`` stopped tries to send its reply after jupyter_client closed
  the kernel's sockets; ``nbtrack run`` has already named that cell.

The kernel adopts what the notebook's processes leave orphaned (a daemon's
double fork) and, as it ends, ends every process below it
(:mod:`nbtrack.processes`), so nothing a cell started outlives the run.

Not for: the user's own code, which runs in the kernel as in any other.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from nbtrack.processes import become_subreaper, end_descendants

__all__ = ["KernelNoiseFilter", "main"]

#: the kernel application's logger (traitlets names it after the class)
KERNEL_LOGGER = "IPKernelApp"
_NOISE = (
    "Kernel is running over TCP without encryption",
    "KeyboardInterrupt caught in kernel",
)


class KernelNoiseFilter(logging.Filter):
    """Drop the routine lines named in the module docstring; keep the rest."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith(_NOISE):
            return False
        error = record.exc_info[1] if record.exc_info else None
        closing = type(error).__module__.startswith("zmq") and "Error" in type(error).__name__
        return not (message.startswith("Exception in message handler") and closing)


def main() -> None:
    """Run ipykernel as ``ipykernel_launcher`` does, with the filter on its logger."""
    # as ipykernel_launcher: the kernel adds the working directory back itself
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]
    # traitlets' logging set-up replaces the logger's handlers, not its filters
    logging.getLogger(KERNEL_LOGGER).addFilter(KernelNoiseFilter())
    become_subreaper()  # what the notebook starts stays below the kernel (a double fork too)
    # ipykernel would leave with os._exit when its parent dies; the run ends KILLED first
    parent = os.environ.get("JPY_PARENT_PID", "")
    if parent.isdigit() and int(parent) == os.getppid():
        from nbtrack.execute.orphan import watch_parent

        # 1 (init) is a parent ipykernel never polls, yet it still knows it has one
        os.environ["JPY_PARENT_PID"] = "1"
        watch_parent(int(parent))
    from ipykernel import kernelapp

    try:
        kernelapp.launch_new_instance()
    finally:
        end_descendants()  # nothing the notebook started outlives the kernel


if __name__ == "__main__":
    main()
