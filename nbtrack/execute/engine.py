"""A notebook's cells on a ``python3`` kernel of this interpreter, with nbtrack loaded from cell 1.

:func:`execute` runs the cells one by one through nbclient
(:class:`~nbtrack.execute.client.SpoolingClient`, which keeps printed
output on disk) and returns an :class:`Execution`: the cell that raised,
what else stopped the notebook, or the signal that interrupted
``nbtrack run``. The kernel is :mod:`nbtrack.execute.kernel`, found through a
kernelspec in a temporary ``JUPYTER_PATH`` (:func:`kernel_path`); the run is
described to it in environment variables set only while it starts
(:func:`environment`).

How the run ends is decided here, and written to the kernel's *end file*
before the kernel is asked to stop, so the kernel's own exit hook records
it whichever process goes first: KILLED when Ctrl-C or SIGTERM reached
``nbtrack run`` (both unwind the execution, which stops the kernel), FAILED
when a cell raised, ran past the timeout or the kernel died, FINISHED
otherwise (a clean early ``sys.exit(0)`` or ``exit()`` included).

Imports nbclient inside :func:`execute` only, so importing this costs nothing.

Not for: reading the notebook or naming the failing cell
(:mod:`nbtrack.execute.runner`, :mod:`nbtrack.execute.locate`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbtrack import processes
from nbtrack.model import RunStatus

__all__ = [
    "KERNEL_SETUP",
    "AskedToExit",
    "CellError",
    "Execution",
    "environment",
    "execute",
    "kernel_path",
    "stop_on_signals",
]

#: run in the kernel before the first cell: the extension by its public name, as
#: ``%load_ext nbtrack`` would, then forgotten by IPython's extension manager, so
#: the notebook's own ``%load_ext nbtrack`` loads it again silently instead of
#: printing "already loaded" into the executed notebook; binds no user name
KERNEL_SETUP = (
    "get_ipython().run_line_magic('load_ext', 'nbtrack');"
    " get_ipython().extension_manager.loaded.discard('nbtrack')"
)


class AskedToExit(Exception):
    """A cell called ``exit()``: execution stops after it.

    A kernel only passes ``exit()`` on to its frontend (an ``ask_exit``
    payload); Jupyter then shuts the kernel down, nbclient would run on.
    """

    def __init__(self, cell_index: int) -> None:
        super().__init__(f"cell {cell_index} called exit()")
        self.cell_index = cell_index


@dataclass(frozen=True)
class CellError:
    """The error a cell raised, as the kernel reported it (the cell index is the executed one)."""

    index: int
    execution_count: int | None
    source: str
    ename: str
    evalue: str


@dataclass
class Execution:
    """How the cells ran; ``cells`` are the executed notebook's (outputs bounded)."""

    cells: list[Any] = field(default_factory=list)
    #: the cell that raised (a clean ``SystemExit`` too: the runner tells them apart)
    raised: CellError | None = None
    #: what else stopped the notebook: a timeout, the kernel died or would not start
    stopped: BaseException | None = None
    #: the executed cell running when it stopped, or the one that called ``exit()``
    cell: int | None = None
    asked_exit: bool = False
    #: SIGINT or SIGTERM, when one reached ``nbtrack run`` while the notebook ran
    signal: int | None = None
    status: RunStatus = RunStatus.FINISHED


def _stop_at_exit(cell: Any, cell_index: int, execute_reply: Any) -> None:
    payloads = (execute_reply or {}).get("content", {}).get("payload") or ()
    if any(payload.get("source") == "ask_exit" for payload in payloads):
        raise AskedToExit(cell_index)


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set variables for the kernel we are about to start; restore them after."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def kernel_path(tmp: Path) -> str:
    """A JUPYTER_PATH whose ``python3`` kernel is this interpreter.

    A ``python3`` kernelspec in the user's data directory may point at
    another environment, one without nbtrack (or the project's packages);
    JUPYTER_PATH comes first in the search, so this one wins.
    """
    spec = tmp / "kernels" / "python3"
    spec.mkdir(parents=True)
    # ipykernel, less two routine log lines (see nbtrack.execute.kernel)
    argv = [sys.executable, "-m", "nbtrack.execute.kernel", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "Python 3 (nbtrack run)", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel), encoding="utf-8")
    return os.pathsep.join(p for p in (str(tmp), os.environ.get("JUPYTER_PATH", "")) if p)


class _Signalled:
    signal: int | None = None


@contextlib.contextmanager
def stop_on_signals(state: _Signalled) -> Iterator[None]:
    """Inside the block, Ctrl-C and SIGTERM raise ``KeyboardInterrupt`` once, noting which.

    Unwinding stops the kernel (it runs in a session of its own, which the
    signal does not reach); a second signal while it stops is not allowed to
    cut that short. A handler the caller installed (or ``SIG_IGN``) is left
    alone; outside the main thread this is a no-op.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        if state.signal is None:
            state.signal = signum
            raise KeyboardInterrupt

    with stop_signals_to(handler):
        yield


@contextlib.contextmanager
def stop_signals_to(handler: Any) -> Iterator[None]:
    """SIGINT and SIGTERM go to *handler* inside the block, then back to what they were.

    A signal the process ignores (``nohup``, a background job) or that the
    caller gave a handler of its own is left alone.
    """
    saved = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(sig) in (signal.SIG_DFL, signal.default_int_handler):
            saved[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in saved.items():
            signal.signal(sig, old)


def execute(
    source: Path,
    executed: Path,
    workdir: Path,
    env: Mapping[str, str],
    timeout: float | None,
    end_file: Path,
    hooks: Mapping[str, Any] | None = None,
) -> Execution:
    """Run the notebook at *source*, write it executed to *executed*; see the module docstring.

    *hooks* are more nbclient hooks (``on_cell_execute``, ...).
    """
    import nbformat

    from nbtrack.execute.client import Spool, SpoolingClient, write_notebook

    nb = nbformat.read(str(source), as_version=4)  # type: ignore[no-untyped-call]
    spool = Spool(executed.with_name(executed.name + ".outputs"))
    state = _Signalled()
    try:
        client = SpoolingClient(
            nb,
            spool,
            kernel_name="python3",
            timeout=timeout,
            resources={"metadata": {"path": str(workdir)}},
            # the magics, and so the run, from cell 1
            extra_arguments=[f"--IPKernelApp.exec_lines={KERNEL_SETUP}"],
            on_cell_executed=_stop_at_exit,
            **dict(hooks or {}),
        )
        # every process of the run carries a mark; those the kernel leaves behind are ended
        with (
            processes.contained() as mark,
            environment({**env, **mark}),
            stop_on_signals(state),
        ):
            outcome = _run_cells(client, end_file, state)
        outcome.cells = list(nb.cells)
        write_notebook(nb, executed, spool)
    finally:
        spool.close()
        with contextlib.suppress(OSError):
            spool.path.unlink()
    return outcome


def _run_cells(client: Any, end_file: Path, state: _Signalled) -> Execution:
    """Execute every cell; write how the run ends before the kernel is stopped."""
    outcome = Execution()
    try:
        with client.setup_kernel():
            try:
                for index, cell in enumerate(client.nb.cells):
                    client.running = index
                    client.execute_cell(cell, index)
                client.running = None
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    _drop_leftover_tasks()
                _stopped(outcome, exc, client, state)
            finally:
                _write_end(end_file, outcome)
            if outcome.signal is None and outcome.stopped is None:
                _language_info(client)
    except BaseException as exc:
        if outcome.raised is None and outcome.stopped is None and not outcome.asked_exit:
            client.running = None
            _stopped(outcome, exc, client, state)
            _write_end(end_file, outcome)
    return outcome


def _language_info(client: Any) -> None:
    """The kernel's ``language_info`` in the notebook's metadata, as Jupyter saves it."""
    with contextlib.suppress(Exception):
        reply = client.wait_for_reply(client.kc.kernel_info())
        client.nb.metadata["language_info"] = reply["content"]["language_info"]


def _drop_leftover_tasks() -> None:
    """Cancel what an interrupted cell left on nbclient's loop, its end unreported.

    They finish while the kernel is stopped (the loop runs again for that);
    unretrieved, asyncio would print a ``DeadKernelError`` traceback at exit.
    """
    import asyncio

    from jupyter_core.utils import ensure_event_loop

    for task in asyncio.all_tasks(ensure_event_loop()):
        task.add_done_callback(_retrieve)
        task.cancel()


def _retrieve(task: Any) -> None:
    if not task.cancelled():
        task.exception()


def _stopped(outcome: Execution, exc: BaseException, client: Any, state: _Signalled) -> None:
    from nbclient.exceptions import CellExecutionError

    from nbtrack.execute.locate import clean_exit

    index = outcome.cell = client.running
    if isinstance(exc, AskedToExit):
        outcome.cell, outcome.asked_exit = exc.cell_index, True
    elif isinstance(exc, CellExecutionError) and index is not None:
        cell = client.nb.cells[index]
        outcome.raised = CellError(
            index=index,
            execution_count=cell.get("execution_count"),
            source=str(cell.get("source") or ""),
            ename=str(exc.ename),
            evalue=str(exc.evalue),
        )
        if clean_exit(outcome.raised.ename, outcome.raised.evalue) is None:
            outcome.status = RunStatus.FAILED
    elif isinstance(exc, KeyboardInterrupt | SystemExit):
        outcome.signal = state.signal or signal.SIGINT
        outcome.status = RunStatus.KILLED
    else:
        outcome.stopped = exc
        outcome.status = RunStatus.FAILED


def _write_end(end_file: Path, outcome: Execution) -> None:
    """Tell the kernel how its run ends, before it is stopped (see the module docstring)."""
    with contextlib.suppress(OSError):
        end_file.write_text(outcome.status.value, encoding="utf-8")
