"""The child process of ``nbtrack smoke``: run cells one by one in a fresh IPython.

Started by :mod:`nbtrack.smoke.process` as ``python _child.py EVENTS_FD
PLAN_FD`` in its own process group, *before* the parent has planned the
notebook: it imports IPython and builds its shell, then blocks reading the
plan (cells, working directory, environment) from PLAN_FD. It imports only
the standard library, IPython and :mod:`nbtrack.smoke.protocol` (stdlib
only; the rest of nbtrack is a notebook's ``%load_ext nbtrack`` to import),
so it is ready in about 0.1 s.

Each cell goes through ``InteractiveShell.run_cell``, so magics, ``!cmd``,
``%%capture`` and the display hook behave as in a notebook -- except that an
error ``%%capture`` would hide inside its captured output fails the cell
here (a smoke run exists to see it). The parent learns
what happens through the protocol's events: ``start`` (cell k, with the
execution count IPython gives it), ``end``, ``error`` (structured: name,
value, cell line, traceback, plus the missing name / module / file), ``exit``
(the notebook ended itself with ``sys.exit(0)``, ``raise SystemExit`` or
``exit()``: the cells after it never run) and ``done``. On SIGUSR1 the stacks of
all threads are dumped to the plan's stack file, so a timeout can name the
line a cell was stuck on before the parent kills the process group.
"""

from __future__ import annotations

import atexit
import faulthandler
import os
import signal
import sys
import traceback
from typing import TYPE_CHECKING, Any

from nbtrack.processes import become_subreaper, end_descendants
from nbtrack.smoke.protocol import (
    CELL_FILE,
    DONE,
    END,
    ERROR,
    EXIT,
    START,
    ChildCell,
    Event,
    EventPipe,
    error_line,
    receive_plan,
    relabel_cells,
)

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell


def _format(err: BaseException, labels: dict[int, str]) -> str:
    """The traceback from the cell down, cells named ``<cell 7>``, no IPython frames."""
    frames = traceback.extract_tb(err.__traceback__)
    start = next((i for i, f in enumerate(frames) if CELL_FILE.match(f.filename)), 0)
    exc = traceback.TracebackException(type(err), err, err.__traceback__)
    exc.stack = traceback.StackSummary.from_list(list(exc.stack)[start:])
    return relabel_cells("".join(exc.format()), labels)


def _describe(
    err: BaseException,
    k: int,
    count: int,
    labels: dict[int, str],
    source: str,
    *,
    nested: bool,
    allowed: bool,
) -> Event:
    """The :data:`ERROR` event for *err*, raised by cell *k* (``In [count]``)."""
    if nested:
        # %%capture runs its body as a cell of its own, numbered one on
        labels = {**labels, count + 1: labels[count]}
    evalue = relabel_cells(str(err), labels)
    if nested:
        magic = source.lstrip().split(None, 1)[0]
        evalue += f" (raised inside {magic}, which hid it from the output)"
    filename = None
    if isinstance(err, OSError) and err.filename is not None:
        filename = os.fsdecode(err.filename) if not isinstance(err.filename, int) else None
    return Event(
        ERROR,
        cell=k,
        allowed=allowed,
        ename=type(err).__name__,
        evalue=evalue,
        line=error_line(err, count, source, nested=nested),
        traceback=tuple(_format(err, labels).splitlines()),
        name=getattr(err, "name", None) if isinstance(err, NameError) else None,
        module=err.name if isinstance(err, ModuleNotFoundError) else None,
        filename=filename,
    )


def _shell() -> InteractiveShell:
    """A fresh, plain ``InteractiveShell`` (the slow part: importing IPython)."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class SmokeShell(InteractiveShell):
        def enable_gui(self, gui: str | None = None) -> None:
            """No event loop to start: like a headless kernel, %matplotlib inline/Agg need none."""

        def ask_exit(self) -> None:
            """``exit()`` / ``quit()``: as in Jupyter, the cell ends and then the notebook."""
            self.exit_now = True

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    return SmokeShell.instance(config=config)


def _run_cells(shell: InteractiveShell, cells: tuple[ChildCell, ...], events: EventPipe) -> int:
    """Run *cells* in *shell*, reporting each on *events*; 1 when one failed."""
    emit = events.emit
    labels: dict[int, str] = {}

    def print_plain(
        shell: Any, etype: type[BaseException], value: BaseException, tb: Any, tb_offset: Any = None
    ) -> None:
        # IPython's rich traceback formatting is slow and coloured; this is plain and short
        sys.stderr.write(_format(value, labels))

    shell.set_custom_exc((BaseException,), print_plain)  # type: ignore[no-untyped-call]
    # every run_cell's outcome, including the nested one %%capture makes for its body
    # (whose error IPython prints into the capture and nobody ever sees)
    outcomes: list[BaseException | None] = []

    def after_cell(result: Any) -> None:
        outcomes.append(result.error_before_exec or result.error_in_exec)

    shell.events.register("post_run_cell", after_cell)
    for k, cell in enumerate(cells):
        count = shell.execution_count
        labels[count] = cell.label
        emit(Event(START, cell=k, execution_count=count))
        outcomes.clear()
        result = shell.run_cell(cell.source, store_history=True)  # type: ignore[no-untyped-call]
        err = result.error_before_exec or result.error_in_exec
        nested = err is None and any(outcomes[:-1])
        if nested:
            err = next(e for e in outcomes[:-1] if e is not None)
        sys.stdout.flush()
        sys.stderr.flush()
        if err is None and shell.exit_now:
            emit(Event(EXIT, cell=k, text="exit()"))
            return 0
        if err is None:
            emit(Event(END, cell=k))
            continue
        if isinstance(err, SystemExit) and err.code in (0, None):
            # a clean exit: the notebook passes, and the cells after this one never run
            how = "SystemExit" + ("" if err.code is None else f": {err.code}")
            line = error_line(err, count, cell.source, nested=nested)
            emit(Event(EXIT, cell=k, ename="SystemExit", line=line, text=how))
            return 0
        emit(_describe(err, k, count, labels, cell.source, nested=nested, allowed=cell.allow_error))
        if not cell.allow_error:
            return 1
    emit(Event(DONE))
    return 0


def main(argv: list[str]) -> int:
    events_fd, plan_fd = int(argv[1]), int(argv[2])
    for fd in (events_fd, plan_fd):
        os.set_inheritable(fd, False)  # `!server &` must not hold our pipes open
    # like a kernel: the working directory (the notebook's folder) is importable,
    # nbtrack's own folder is not, and argv holds nothing argparse would choke on
    sys.path[0] = ""
    sys.argv = ["nbtrack-smoke"]
    shell = _shell()

    # ready: now wait for the plan (the parent planned the notebook meanwhile)
    plan = receive_plan(plan_fd)
    if plan is None:
        return 0  # the parent needed no notebook run after all
    shell.user_ns["_dh"] = [plan.cwd]
    events = EventPipe(events_fd)
    stack_file = open(plan.stack_file, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    faulthandler.register(signal.SIGUSR1, file=stack_file, all_threads=True)
    code = _run_cells(shell, plan.cells, events)
    events.close()
    return code


if __name__ == "__main__":
    become_subreaper()  # what the notebook starts stays below us, to be ended with us
    status = main(sys.argv)
    # what a kernel does at exit (atexit: tracking ends its run and flushes), then
    # leave without tearing down every module IPython imported: the parent is waiting
    atexit._run_exitfuncs()
    end_descendants()  # nothing the notebook started outlives it
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
