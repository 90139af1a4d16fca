"""The child process of ``nbtrack smoke --engine kernel``: nbclient with the notebook's kernel.

For notebooks that need a live kernel (widgets, rich display) or are not
Python. Same protocol (:mod:`nbtrack.smoke.protocol`) as the script child
-- events on a pipe, ``cell`` being the cell's index in the notebook it was
given -- so the parent's timeouts and reports work unchanged; the failing line
is read from the kernel's traceback text here. SIGTERM shuts the kernel down
before the parent kills the process group.

A notebook that ends itself is an ``exit`` event, as in the script child:
``sys.exit(0)`` or ``raise SystemExit`` (an error to nbclient, a clean end
here, as papermill has it) and ``exit()`` (which a kernel only passes on to
the frontend, as an ``ask_exit`` payload: Jupyter then shuts the kernel down,
nbclient would run on). Imports nbformat and nbclient,
which is why this is not the default engine.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from nbtrack.processes import become_subreaper, end_descendants
from nbtrack.smoke.protocol import (
    ANSI,
    DONE,
    END,
    ERROR,
    EXIT,
    NOTICE,
    SKIPPED,
    START,
    ChildPlan,
    Event,
    EventPipe,
    receive_plan,
    traceback_line,
)


def _installed(kernel_name: str) -> bool:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        return False
    return True


def _kernel_name(plan: ChildPlan, events: EventPipe) -> dict[str, Any]:
    """The ``kernel_name`` argument for nbclient (none: the notebook's own)."""
    if not plan.kernel_name:
        return {}
    if plan.language == "python" and not _installed(plan.kernel_name):
        # kernelspec names are per machine ('conda-env-ml-py'): a Python notebook
        # runs in this environment's own Python kernel rather than not at all
        events.emit(
            Event(
                NOTICE,
                text=f"ran in the kernel 'python3': the notebook's kernel "
                f"{plan.kernel_name!r} is not installed here",
            )
        )
        return {"kernel_name": "python3"}
    return {"kernel_name": plan.kernel_name}


#: what a kernel's error text says for ``SystemExit`` with code 0 or None
_CLEAN_EXIT = ("", "0", "None")


class _AskedToExit(Exception):
    """A cell called ``exit()``: stop nbclient after it."""


def _asked_to_exit(execute_reply: Any) -> bool:
    payloads = (execute_reply or {}).get("content", {}).get("payload") or ()
    return any(payload.get("source") == "ask_exit" for payload in payloads)


def main(argv: list[str]) -> int:
    events_fd, plan_fd = int(argv[1]), int(argv[2])
    for fd in (events_fd, plan_fd):
        os.set_inheritable(fd, False)  # the kernel must not hold our pipes open
    # the heavy imports first, while the parent plans the notebook
    import nbformat
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    plan = receive_plan(plan_fd)
    if plan is None:
        return 0  # the parent needed no notebook run after all
    events = EventPipe(events_fd)
    emit = events.emit

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # unwinds nbclient, which shuts the kernel down

    signal.signal(signal.SIGTERM, stop)

    nb = nbformat.read(plan.notebook, as_version=4)  # type: ignore[no-untyped-call]
    kwargs = _kernel_name(plan, events)
    current: dict[str, int] = {}

    def on_cell_execute(cell: Any, cell_index: int) -> None:
        current["k"] = cell_index
        emit(Event(START, cell=cell_index))

    def on_cell_executed(cell: Any, cell_index: int, execute_reply: Any) -> None:
        if _asked_to_exit(execute_reply):
            raise _AskedToExit
        emit(Event(END, cell=cell_index))

    client = NotebookClient(
        nb,
        timeout=None,
        resources={"metadata": {"path": plan.cwd}},
        on_cell_execute=on_cell_execute,
        on_cell_executed=on_cell_executed,
        **kwargs,
    )
    code = 0
    try:
        client.execute()
        emit(Event(DONE))
    except NoSuchKernel as exc:
        emit(Event(SKIPPED, reason=f"its kernel {exc.name!r} is not installed here"))
    except _AskedToExit:
        emit(Event(EXIT, cell=current.get("k", 0), text="exit()"))
    except CellExecutionError as exc:
        k = current.get("k", 0)
        count = nb.cells[k].get("execution_count")
        text = ANSI.sub("", exc.traceback or "")
        evalue = ANSI.sub("", str(exc.evalue)).strip()
        if exc.ename == "SystemExit" and evalue in _CLEAN_EXIT:
            line = traceback_line(text, count, nb.cells[k].source)
            how = "SystemExit" + (f": {evalue}" if evalue else "")
            emit(Event(EXIT, cell=k, ename="SystemExit", line=line, text=how))
            return 0
        emit(
            Event(
                ERROR,
                cell=k,
                execution_count=count,
                ename=exc.ename,
                evalue=ANSI.sub("", str(exc.evalue)),
                line=traceback_line(text, count, nb.cells[k].source),
                traceback=tuple(text.splitlines()),
            )
        )
        code = 1
    finally:
        for index, tags in plan.restore_tags.items():
            nb.cells[index].metadata["tags"] = tags
        if plan.output:
            os.makedirs(os.path.dirname(plan.output) or ".", exist_ok=True)
            nbformat.write(nb, plan.output)  # type: ignore[no-untyped-call]
        events.close()
    return code


if __name__ == "__main__":
    become_subreaper()  # what the notebook starts stays below us, to be ended with us
    status = main(sys.argv)
    end_descendants()  # nothing the notebook started outlives it
    sys.exit(status)
