"""Papermill on a ``python3`` kernel of this interpreter, with nbtrack loaded from cell 1.

The one module of ``nbtrack run`` that imports papermill (inside
:func:`execute`, so importing this costs nothing). The kernel is
:mod:`nbtrack.execute.kernel`, found through a kernelspec in a temporary
``JUPYTER_PATH`` (:func:`kernel_path`); the run is described to it in
environment variables set only while it starts (:func:`environment`).

Not for: reading the notebook or naming the failing cell
(:mod:`nbtrack.execute.runner`, :mod:`nbtrack.execute.locate`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = ["KERNEL_SETUP", "AskedToExit", "environment", "execute", "kernel_path"]

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


def execute(
    source: Path,
    executed: Path,
    workdir: Path,
    env: Mapping[str, str],
    timeout: float | None,
    hooks: Mapping[str, Any] | None = None,
) -> tuple[Any, Exception | None]:
    """Run papermill: (a cell's PapermillExecutionError, or what else stopped it).

    A cell that called ``exit()`` stops it with :class:`AskedToExit`. *hooks*
    are more nbclient hooks (``on_cell_execute``, ...).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    # papermill logs each failure too; the caller says it once, naming the cell
    quiet = logging.getLogger("papermill")
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    with environment(env):
        try:
            papermill.execute_notebook(
                str(source),
                str(executed),
                kernel_name="python3",
                cwd=str(workdir),
                progress_bar=False,
                log_output=False,
                execution_timeout=timeout,
                # the magics, and so the run, from cell 1
                extra_arguments=[f"--IPKernelApp.exec_lines={KERNEL_SETUP}"],
                on_cell_executed=_stop_at_exit,
                **dict(hooks or {}),
            )
        except PapermillExecutionError as exc:
            return exc, None
        except Exception as exc:  # timed out, the kernel died or would not start...
            return None, exc
        finally:
            quiet.setLevel(level)
    return None, None
