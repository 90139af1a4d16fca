"""The child process of ``nbtrack smoke``: run cells one by one in a fresh IPython.

Started by :mod:`nbtrack.smoke.process` as ``python _child.py EVENTS_FD
PLAN_FD`` in its own process group, *before* the parent has planned the
notebook: it imports IPython and builds its shell, then blocks reading the
plan (cells, working directory, environment) from PLAN_FD. It imports only
the standard library and IPython (never nbtrack: a notebook's ``%load_ext
nbtrack`` does that itself), so it is ready in about 0.1 s.

Each cell goes through ``InteractiveShell.run_cell``, so magics, ``!cmd``,
``%%capture`` and the display hook behave as in a notebook -- except that an
error ``%%capture`` would hide inside its captured output fails the cell
here (a smoke run exists to see it). The parent learns
what happens through JSON lines on the events pipe: ``start`` (cell k, with
the execution count IPython gives it), ``end``, ``error`` (structured: name,
value, cell line, traceback, plus the missing name / module / file), ``exit``
(the notebook called ``sys.exit(0)``) and ``done``. On SIGUSR1 the stacks of
all threads are dumped to the plan's stack file, so a timeout can name the
line a cell was stuck on before the parent kills the process group.
"""

from __future__ import annotations

import atexit
import faulthandler
import json
import os
import re
import signal
import sys
import traceback
from typing import Any

_CELL_FILE = re.compile(r"<ipython-input-(\d+)-[0-9a-f]+>")


def _format(err: BaseException, labels: dict[int, str]) -> str:
    """The traceback from the cell down, cells named ``<cell 7>``, no IPython frames."""
    frames = traceback.extract_tb(err.__traceback__)
    start = next((i for i, f in enumerate(frames) if _CELL_FILE.match(f.filename)), 0)
    exc = traceback.TracebackException(type(err), err, err.__traceback__)
    exc.stack = traceback.StackSummary.from_list(list(exc.stack)[start:])

    def relabel(match: re.Match[str]) -> str:
        return f"<{labels.get(int(match.group(1)), 'cell')}>"

    return _CELL_FILE.sub(relabel, "".join(exc.format()))


#: where IPython's cell magics compile the cell's body (the line after the ``%%`` line)
_BODY_FILES = ("<timed exec>", "<magic-timeit>")


def _magic_line(source: str) -> int:
    """1-based line of the ``%%magic`` line that opens *source* (0: not a cell magic)."""
    for number, text in enumerate(source.splitlines(), start=1):
        if text.strip():
            return number if text.startswith("%%") else 0
    return 0


def _describe(
    err: BaseException, count: int, labels: dict[int, str], source: str, *, nested: bool = False
) -> dict[str, Any]:
    prefix = f"<ipython-input-{count}-"
    # the body of %%time / %%timeit / %%capture is numbered from the line below %%
    offset = _magic_line(source)
    if nested:
        # %%capture runs its body as a cell of its own, numbered one on
        prefix = f"<ipython-input-{count + 1}-"
        labels = {**labels, count + 1: labels[count]}
    line = None
    if isinstance(err, SyntaxError) and (err.filename or "").startswith(prefix):
        line = err.lineno + offset if nested and err.lineno else err.lineno
    for frame in traceback.extract_tb(err.__traceback__):
        if frame.filename.startswith(prefix):
            line = frame.lineno + offset if nested and frame.lineno else frame.lineno
        elif frame.filename in _BODY_FILES and offset and frame.lineno:
            line = frame.lineno + offset
    info: dict[str, Any] = {
        "ename": type(err).__name__,
        "evalue": _CELL_FILE.sub(lambda m: f"<{labels.get(int(m.group(1)), 'cell')}>", str(err)),
        "line": line,
        "traceback": _format(err, labels).splitlines(),
    }
    if isinstance(err, NameError):
        info["name"] = getattr(err, "name", None)
    if isinstance(err, ModuleNotFoundError):
        info["module"] = err.name
    if isinstance(err, OSError) and err.filename is not None:
        info["filename"] = os.fsdecode(err.filename) if not isinstance(err.filename, int) else None
    return info


class EventPipe:
    """The child's end of the events pipe: one JSON object a line, flushed at once."""

    def __init__(self, fd: int) -> None:
        self._file = os.fdopen(fd, "w", buffering=1, encoding="utf-8")

    def emit(self, **fields: Any) -> None:
        self._file.write(json.dumps(fields) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def receive_plan(plan_fd: int) -> dict[str, Any] | None:
    """Block until the parent's plan arrives, then move into its directory and env.

    None when the parent closed the pipe without a plan (no run needed after all).
    Shared by both engines' children (``_kernel_child`` imports it from here).
    """
    with os.fdopen(plan_fd, "rb") as fh:
        raw = fh.read()
    if not raw:
        return None
    plan: dict[str, Any] = json.loads(raw)
    os.chdir(plan["cwd"])
    os.environ.update(plan["env"])  # a kernel started from here inherits it
    return plan


def main(argv: list[str]) -> int:
    events_fd, plan_fd = int(argv[1]), int(argv[2])
    for fd in (events_fd, plan_fd):
        os.set_inheritable(fd, False)  # `!server &` must not hold our pipes open
    # like a kernel: the working directory (the notebook's folder) is importable,
    # nbtrack's own folder is not, and argv holds nothing argparse would choke on
    sys.path[0] = ""
    sys.argv = ["nbtrack-smoke"]

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class SmokeShell(InteractiveShell):
        def enable_gui(self, gui: str | None = None) -> None:
            """No event loop to start: like a headless kernel, %matplotlib inline/Agg need none."""

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    shell = SmokeShell.instance(config=config)

    # ready: now wait for the plan (the parent planned the notebook meanwhile)
    plan = receive_plan(plan_fd)
    if plan is None:
        return 0  # the parent needed no notebook run after all
    shell.user_ns["_dh"] = [plan["cwd"]]
    events = EventPipe(events_fd)
    emit = events.emit

    stack_file = open(plan["stack_file"], "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
    faulthandler.register(signal.SIGUSR1, file=stack_file, all_threads=True)

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
    code = 0
    for k, cell in enumerate(plan["cells"]):
        count = shell.execution_count
        labels[count] = cell["label"]
        emit(e="start", k=k, count=count)
        outcomes.clear()
        result = shell.run_cell(cell["source"], store_history=True)  # type: ignore[no-untyped-call]
        err = result.error_before_exec or result.error_in_exec
        nested = err is None and any(outcomes[:-1])
        if nested:
            err = next(e for e in outcomes[:-1] if e is not None)
        sys.stdout.flush()
        sys.stderr.flush()
        if err is None:
            emit(e="end", k=k)
            continue
        if isinstance(err, SystemExit) and err.code in (0, None):
            emit(e="exit", k=k)
            break
        info = _describe(err, count, labels, cell["source"], nested=nested)
        if nested:
            magic = cell["source"].lstrip().split(None, 1)[0]
            info["evalue"] += f" (raised inside {magic}, which hid it from the output)"
        emit(e="error", k=k, allowed=bool(cell["allow_error"]), **info)
        if not cell["allow_error"]:
            code = 1
            break
    else:
        emit(e="done")
    events.close()
    return code


if __name__ == "__main__":
    status = main(sys.argv)
    # what a kernel does at exit (atexit: tracking ends its run and flushes), then
    # leave without tearing down every module IPython imported: the parent is waiting
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
