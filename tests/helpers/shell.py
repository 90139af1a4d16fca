"""A real IPython shell with the nbtrack magics, and the run it drives.

IPython keeps one ``InteractiveShell`` per process; ``nbtrack_shell`` gives it
a fresh namespace and a fresh ``TrackMagics`` (so a fresh notebook session)
in a project directory, and leaves no run behind. The ``ip`` fixture in
``tests/conftest.py`` is built from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from nbtrack.model import Run

#: the variables by which a kernel learns which notebook it runs
NOTEBOOK_CLUES = ("NBTRACK_NOTEBOOK", "NBTRACK_RUN_ID_FILE", "JPY_SESSION_NAME")


def forget_notebook_clues(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset what the machine's own Jupyter (or a parent run) would tell the test's kernel."""
    for name in NOTEBOOK_CLUES:
        monkeypatch.delenv(name, raising=False)


@contextmanager
def nbtrack_shell(project: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The shell after ``%load_ext nbtrack``, working in *project*, no run active."""
    from IPython.core.interactiveshell import InteractiveShell

    from nbtrack.magics import TrackMagics, forget_shell
    from nbtrack.tracking.api import get_tracker

    shell: Any = InteractiveShell.instance()
    monkeypatch.chdir(project)
    forget_notebook_clues(monkeypatch)
    shell.reset(new_session=False)
    shell.register_magics(TrackMagics(shell))
    try:
        yield shell
    finally:
        forget_shell(shell)
        tracker = get_tracker()
        tracker.end_run()
        tracker.source_provider = None


def current_run_id() -> str:
    from nbtrack.tracking.api import get_tracker

    run = get_tracker().run
    assert run is not None, "no run is active"
    return run.id


def stored(run_id: str | None = None) -> Run:
    """The run as the store has it (its code snapshot made, the active run flushed first)."""
    from IPython.core.interactiveshell import InteractiveShell

    from nbtrack.magics import session_of
    from nbtrack.tracking.api import get_tracker

    session = session_of(InteractiveShell.instance())
    if session is not None:
        assert session.wait_for_snapshot(30.0), "the code snapshot was never made"
    tracker = get_tracker()
    run_id = run_id or current_run_id()
    if tracker.run is not None:
        tracker.run.flush()
    return tracker.store().get_run(run_id)
