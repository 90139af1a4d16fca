"""The per-shell state behind the magics: the cell hooks and the tracking session.

Kept per shell, so loading the extension twice never registers the hooks twice
or splits the session; the session module is imported on the first tracking call.
"""

from __future__ import annotations

import os
import time
import weakref
from contextlib import suppress
from typing import TYPE_CHECKING

from nbtrack.envvars import RUN_ID_FILE_ENV
from nbtrack.magics.door import is_magic_usage_error, warn

if TYPE_CHECKING:
    from IPython.core.interactiveshell import ExecutionInfo, ExecutionResult, InteractiveShell

    from nbtrack.tracking.session import NotebookSession

__all__ = ["forget_shell", "session_of", "state_of"]


class _ShellState:
    """The cell hooks and the tracking session of one shell.

    Kept per shell, not per ``TrackMagics``, so loading the extension twice
    (``nbtrack run`` loads it at kernel start, the notebook loads it again)
    never registers the hooks twice or splits the session.
    """

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell
        self.session: NotebookSession | None = None
        self.cell_started_at: float | None = None
        shell.events.register("pre_run_cell", self.pre_run_cell)
        shell.events.register("post_run_cell", self.post_run_cell)
        if os.environ.get(RUN_ID_FILE_ENV):
            # ``nbtrack run`` loads this at kernel start: start the run now, so its
            # cost is not charged to the first cell's --timeout
            try:
                self.get_session().ensure_run()
            except Exception as exc:  # retried at the first cell
                warn(str(exc))

    def disconnect(self) -> None:
        for event, hook in (
            ("pre_run_cell", self.pre_run_cell),
            ("post_run_cell", self.post_run_cell),
        ):
            with suppress(ValueError):
                self.shell.events.unregister(event, hook)

    def get_session(self) -> NotebookSession:
        if self.session is None:
            from nbtrack.tracking.session import NotebookSession

            self.session = NotebookSession(
                self.shell.user_ns,
                last_cell_at=self.cell_started_at,
                executed=self.executed_cells,
                terminal=_is_terminal(self.shell),
            )
        return self.session

    def executed_cells(self) -> list[str]:
        """The raw code of the cells this shell ran (``In`` holds them transformed)."""
        history = getattr(self.shell, "history_manager", None)
        raw = getattr(history, "input_hist_raw", None)
        return [cell for cell in raw if isinstance(cell, str)] if raw else []

    def pre_run_cell(self, info: ExecutionInfo) -> None:
        self.cell_started_at = time.time()
        if self.session is None and not os.environ.get(RUN_ID_FILE_ENV):
            return  # nothing tracked yet: this is all the hook costs
        try:
            self.get_session().cell_started(info.raw_cell or "")
        except Exception as exc:  # a hook must never break the user's cell
            warn(str(exc))

    def post_run_cell(self, result: ExecutionResult) -> None:
        if self.session is None:
            return
        info = result.info
        error = result.error_in_exec
        if is_magic_usage_error(error):
            error = None  # a mistyped %track_* call is not the experiment failing
        try:
            self.session.cell_finished(
                error=error,
                execution_count=result.execution_count,
                cell_id=getattr(info, "cell_id", None) if info is not None else None,
                raw_cell=(info.raw_cell or "") if info is not None else "",
            )
        except Exception as exc:
            warn(str(exc))


def _is_terminal(shell: InteractiveShell) -> bool:
    """A terminal IPython (``ipython`` at a prompt): no kernel, so no notebook to find."""
    return any(cls.__name__ == "TerminalInteractiveShell" for cls in type(shell).__mro__)


_STATES: weakref.WeakKeyDictionary[InteractiveShell, _ShellState] = weakref.WeakKeyDictionary()


def state_of(shell: InteractiveShell) -> _ShellState:
    state = _STATES.get(shell)
    if state is None:
        state = _STATES[shell] = _ShellState(shell)
    return state


def session_of(shell: InteractiveShell) -> NotebookSession | None:
    """The tracking session of *shell*, if a tracking call has made one."""
    state = _STATES.get(shell)
    return state.session if state is not None else None


def forget_shell(shell: InteractiveShell) -> None:
    """Unregister the cell hooks of *shell* and drop its session (the run stays open)."""
    state = _STATES.pop(shell, None)
    if state is not None:
        state.disconnect()
