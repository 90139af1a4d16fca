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
``exit()``: the cells after it never run), ``line`` (a top-level statement
of the cell starts: the last one names the line if the process is killed
without a word) and ``done``. A formatter error while the display hook builds
the cell's result fails the cell, as in a kernel. On SIGUSR1 the stacks of
all threads are dumped to the plan's stack file, so a timeout can name the
line a cell was stuck on before the parent kills the process group.
"""

from __future__ import annotations

import atexit
import contextlib
import dis
import faulthandler
import os
import signal
import sys
import traceback
from typing import TYPE_CHECKING, Any

from nbtrack.processes import become_subreaper, end_descendants
from nbtrack.smoke.protocol import (
    CELL_FILE,
    DISPLAY_NOTE,
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
    result_line,
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
    result_line: int | None = None,
) -> Event:
    """The :data:`ERROR` event for *err*, raised by cell *k* (``In [count]``).

    *result_line*: *err* was raised building the display data of the cell's
    result, the expression on that line (None: raised by the cell's code).
    """
    if nested:
        # %%capture runs its body as a cell of its own, numbered one on
        labels = {**labels, count + 1: labels[count]}
    evalue = relabel_cells(str(err), labels)
    if nested:
        magic = source.lstrip().split(None, 1)[0]
        evalue += f" (raised inside {magic}, which hid it from the output)"
    line = error_line(err, count, source, nested=nested)
    if result_line is not None:
        evalue += f" ({DISPLAY_NOTE})"
        line = line or result_line
    filename = None
    if isinstance(err, OSError) and err.filename is not None:
        filename = os.fsdecode(err.filename) if not isinstance(err.filename, int) else None
    return Event(
        ERROR,
        cell=k,
        allowed=allowed,
        ename=type(err).__name__,
        evalue=evalue,
        line=line,
        traceback=tuple(_format(err, labels).splitlines()),
        name=getattr(err, "name", None) if isinstance(err, NameError) else None,
        module=err.name if isinstance(err, ModuleNotFoundError) else None,
        filename=filename,
    )


def _result_line(shell: InteractiveShell, source: str) -> int | None:
    """The line the cell's last expression starts on: the result a kernel displays."""
    try:
        code = shell.transform_cell(source)  # type: ignore[no-untyped-call]
    except (SyntaxError, ValueError):
        return None
    return result_line(code, source)


def _shell() -> InteractiveShell:
    """A fresh, plain ``InteractiveShell`` (the slow part: importing IPython)."""
    from IPython.core.displayhook import DisplayHook
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class SmokeDisplayHook(DisplayHook):
        """The display hook, knowing when it is building a cell's result for display."""

        building = False

        def start_displayhook(self) -> None:
            self.building = True
            super().start_displayhook()  # type: ignore[no-untyped-call]

        def finish_displayhook(self) -> None:
            super().finish_displayhook()  # type: ignore[no-untyped-call]
            self.building = False

    class SmokeShell(InteractiveShell):
        displayhook_class = SmokeDisplayHook
        #: the first error a formatter raised while the display hook built the
        #: cell's result (IPython's formatters catch it and show its traceback)
        display_error: BaseException | None = None

        #: called with each code object IPython runs (one per top-level statement)
        on_code: Any = None

        async def run_code(self, code_obj: Any, *args: Any, **kwargs: Any) -> Any:
            """As IPython, telling ``on_code`` first which statement starts."""
            if self.on_code is not None:
                self.on_code(code_obj)
            return await super().run_code(code_obj, *args, **kwargs)  # type: ignore[no-untyped-call]

        def showtraceback(self, exc_tuple: Any = None, *args: Any, **kwargs: Any) -> None:
            """As IPython, and remember an error raised building the cell's result.

            A kernel fails such a cell (ipykernel marks the execute request failed
            when a traceback is shown while its display hook runs); a ``display()``
            call outside the display hook only shows the traceback, there as here.
            """
            building = getattr(self.displayhook, "building", False)
            if building and self.display_error is None:
                with contextlib.suppress(ValueError):
                    self.display_error = self._get_exc_info(exc_tuple)[1]  # type: ignore[no-untyped-call]
            super().showtraceback(exc_tuple, *args, **kwargs)

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
    running: dict[str, Any] = {}

    def on_code(code: Any) -> None:
        # the line each top-level statement of the cell starts on, as it starts: if the
        # process dies without a word (SIGKILL, out of memory), the last one names the line
        if not code.co_filename.startswith(running["file"]):
            return  # a magic's body, compiled under a name of its own
        line = next((n for _, n in dis.findlinestarts(code) if n), None)
        if line is not None:
            events.emit_line(running["k"], line)

    shell.on_code = on_code  # type: ignore[attr-defined]
    for k, cell in enumerate(cells):
        count = shell.execution_count
        labels[count] = cell.label
        running.update(k=k, file=f"<ipython-input-{count}-")
        emit(Event(START, cell=k, execution_count=count))
        outcomes.clear()
        shell.display_error = None  # type: ignore[attr-defined]
        # an error escaping the hook may have left it set
        shell.displayhook.building = False  # type: ignore[attr-defined]
        result = shell.run_cell(cell.source, store_history=True)  # type: ignore[no-untyped-call]
        err = result.error_before_exec or result.error_in_exec
        nested = err is None and any(outcomes[:-1])
        if nested:
            err = next(e for e in outcomes[:-1] if e is not None)
        displaying: BaseException | None = shell.display_error  # type: ignore[attr-defined]
        result_line = None
        if err is None and displaying is not None:
            err, result_line = displaying, _result_line(shell, cell.source)
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
        emit(
            _describe(
                err,
                k,
                count,
                labels,
                cell.source,
                nested=nested,
                allowed=cell.allow_error,
                result_line=result_line,
            )
        )
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
