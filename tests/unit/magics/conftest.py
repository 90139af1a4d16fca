"""A real IPython shell with the nbtrack magics, against the test's own store.

One ``InteractiveShell`` serves the whole session (IPython keeps global
state); every test gets a fresh namespace, a fresh ``TrackMagics`` (so a
fresh notebook session) and a project directory, and leaves no run behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nbtrack.model import Run
from nbtrack.tracking.api import get_tracker


@pytest.fixture(scope="session")
def _shell() -> Any:
    from IPython.core.interactiveshell import InteractiveShell

    return InteractiveShell.instance()


@pytest.fixture
def ip(_shell: Any, project_root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The shell after ``%load_ext nbtrack``, in an empty project, no run active."""
    from nbtrack.magics import TrackMagics, forget_shell

    monkeypatch.chdir(project_root)
    for name in ("NBTRACK_NOTEBOOK", "NBTRACK_RUN_ID_FILE", "JPY_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)
    _shell.reset(new_session=False)
    _shell.register_magics(TrackMagics(_shell))
    try:
        yield _shell
    finally:
        forget_shell(_shell)
        tracker = get_tracker()
        tracker.end_run()
        tracker.source_provider = None


def current_run_id() -> str:
    run = get_tracker().run
    assert run is not None, "no run is active"
    return run.id


def stored(run_id: str | None = None) -> Run:
    """The run as the store has it (its code snapshot made, the active run flushed first)."""
    from IPython.core.interactiveshell import InteractiveShell

    from nbtrack.magics import session_of

    session = session_of(InteractiveShell.instance())
    if session is not None:
        assert session.wait_for_snapshot(30.0), "the code snapshot was never made"
    tracker = get_tracker()
    run_id = run_id or current_run_id()
    if tracker.run is not None:
        tracker.run.flush()
    return tracker.store().get_run(run_id)


def params_of(run: Run) -> dict[str, tuple[object, str]]:
    return {p.key: (p.value, p.source.value) for p in run.params}
