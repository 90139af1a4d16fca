"""The child process of ``nbtrack smoke --engine kernel``: nbclient with the notebook's kernel.

For notebooks that need a live kernel (widgets, rich display) or are not
Python. Same protocol as :mod:`nbtrack.smoke._child` -- JSON events on a
pipe, ``k`` being the cell's index in the notebook it was given -- so the
parent's timeouts and reports work unchanged. SIGTERM shuts the kernel down
before the parent kills the process group. Imports nbformat and nbclient,
which is why this is not the default engine.
"""

from __future__ import annotations

import os
import re
import signal
import sys
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _installed(kernel_name: str) -> bool:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        return False
    return True


def main(argv: list[str]) -> int:
    events_fd, plan_fd = int(argv[1]), int(argv[2])
    for fd in (events_fd, plan_fd):
        os.set_inheritable(fd, False)  # the kernel must not hold our pipes open
    # the heavy imports first, while the parent plans the notebook
    import nbformat
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    from nbtrack.smoke._child import EventPipe, receive_plan

    plan = receive_plan(plan_fd)
    if plan is None:
        return 0  # the parent needed no notebook run after all
    events = EventPipe(events_fd)
    emit = events.emit

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt  # unwinds nbclient, which shuts the kernel down

    signal.signal(signal.SIGTERM, stop)

    nb = nbformat.read(plan["notebook"], as_version=4)  # type: ignore[no-untyped-call]
    kwargs: dict[str, Any] = {}
    if plan.get("kernel_name"):
        kwargs["kernel_name"] = plan["kernel_name"]
        if plan.get("language") == "python" and not _installed(plan["kernel_name"]):
            # kernelspec names are per machine ('conda-env-ml-py'): a Python notebook
            # runs in this environment's own Python kernel rather than not at all
            kwargs["kernel_name"] = "python3"
            emit(
                e="notice",
                text=f"ran in the kernel 'python3': the notebook's kernel "
                f"{plan['kernel_name']!r} is not installed here",
            )
    current: dict[str, int] = {}

    def on_cell_execute(cell: Any, cell_index: int) -> None:
        current["k"] = cell_index
        emit(e="start", k=cell_index, count=None)

    def on_cell_executed(cell: Any, cell_index: int, execute_reply: Any) -> None:
        emit(e="end", k=cell_index)

    client = NotebookClient(
        nb,
        timeout=None,
        resources={"metadata": {"path": plan["cwd"]}},
        on_cell_execute=on_cell_execute,
        on_cell_executed=on_cell_executed,
        **kwargs,
    )
    code = 0
    try:
        client.execute()
        emit(e="done")
    except NoSuchKernel as exc:
        emit(e="skipped", reason=f"its kernel {exc.name!r} is not installed here")
    except CellExecutionError as exc:
        k = current.get("k", 0)
        count = nb.cells[k].get("execution_count")
        emit(
            e="error",
            k=k,
            count=count,
            allowed=False,
            ename=exc.ename,
            evalue=_ANSI.sub("", str(exc.evalue)),
            line=None,
            traceback=_ANSI.sub("", exc.traceback or "").splitlines(),
        )
        code = 1
    finally:
        for index, tags in plan.get("restore_tags", {}).items():
            nb.cells[int(index)].metadata["tags"] = tags
        if plan.get("output"):
            os.makedirs(os.path.dirname(plan["output"]) or ".", exist_ok=True)
            nbformat.write(nb, plan["output"])  # type: ignore[no-untyped-call]
        events.close()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
