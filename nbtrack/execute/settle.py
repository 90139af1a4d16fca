"""After the kernel: make the stored run complete, whatever the kernel managed to write.

The kernel's session starts the run and logs what the notebook does; this
side adds what only it has or what is too slow to make on the notebook's
clock: the notebook's ``py:percent`` snapshot, the parameter file's hash as
a ``config`` data ref, the executed notebook as an artifact, an ``error``
event for a failure that is not a cell's, and the final status. A kernel
that never started its run gets one made here.

Not for: executing the notebook (:mod:`nbtrack.execute.engine`).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from nbtrack.model import Artifact, RunEvent, RunStatus, Source

__all__ = ["NOTEBOOK_MEDIA_TYPE", "Prepared", "settle"]

NOTEBOOK_MEDIA_TYPE = "application/x-ipynb+json"


class Prepared:
    """What :func:`settle` needs that is slow to import or make, done on a thread.

    The notebook's ``py:percent`` snapshot (jupytext) and the store's
    SQLAlchemy are a second or so of imports; the kernel's start and the
    notebook's cells take longer, so they cost nothing here.
    """

    def __init__(self, notebook: Path, root: Path) -> None:
        self._notebook = notebook
        self._root = root
        self._source: Source | None = None
        self._thread = threading.Thread(target=self._work, name="nbtrack-prepare", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        from nbtrack.tracking.snapshot import capture_source

        with contextlib.suppress(Exception):  # made again by settle
            self._source = capture_source(self._notebook, batch=True, root=self._root)
        with contextlib.suppress(Exception):
            import nbtrack.store  # noqa: F401  (its first use imports SQLAlchemy)

    def source(self) -> Source | None:
        self._thread.join(timeout=60.0)
        return self._source


def settle(
    url: str,
    settings: Any,
    run_id: str,
    notebook: Path,
    name: str | None,
    tags: Mapping[str, str] | None,
    executed: Path,
    param_file: str | os.PathLike[str] | None,
    status: RunStatus,
    error: str | None,
    source: Source | None = None,
    *,
    root: Path,
    events: Sequence[RunEvent] = (),
) -> float:
    """Make the stored run complete, whatever the kernel managed to write.

    *source* is the notebook's snapshot taken when the run began; *root* the
    project root its path is recorded against; *events* are added to the run
    (an ``early_exit``). *status* is how the run ends: the kernel ended it so
    too when it could (see :mod:`nbtrack.execute.engine`), and what it
    recorded otherwise is corrected. Returns the run's recorded duration.
    """
    from nbtrack.data.files import hash_data
    from nbtrack.redact import redact_source, redact_text
    from nbtrack.store import open_store
    from nbtrack.tracking.locate import recorded_path
    from nbtrack.tracking.run import normalise_tags
    from nbtrack.tracking.snapshot import capture_source

    now = time.time()
    with open_store(url, settings=settings) as store:
        try:
            run = store.get_run(run_id)
        except Exception:
            # the kernel never got to start the run (it did not start, or died at once)
            store.create_run(
                run_id=run_id,
                name=name,
                started_at=now,
                tags=normalise_tags(tags, redact=settings.redact_secrets),
                source=Source(path=recorded_path(notebook.resolve(), root)),
                experiment=settings.experiment,
            )
            run = store.get_run(run_id)
        if run.source.snapshot is None:
            # the kernel records path and hash only; the py:percent text is made
            # here, off the notebook's clock (and kept when the kernel died)
            if source is None or source.snapshot is None:
                source = capture_source(notebook.resolve(), batch=True, root=root)
            store.set_source(run_id, redact_source(source) if settings.redact_secrets else source)
        if error is not None:
            detail = {"error": redact_text(error) if settings.redact_secrets else error}
            store.add_event(run_id, RunEvent(kind="error", timestamp=now, detail=detail))
        for event in events:
            store.add_event(run_id, event)
        if param_file is not None:
            ref = hash_data(param_file, root=settings.root)
            store.add_data_ref(run_id, replace(ref, kind="config", logged_at=now))
        if executed.is_file():
            digest, size, uri = store.put_artifact(executed)
            store.add_artifact(
                run_id,
                Artifact(
                    name=f"executed/{notebook.name}",
                    digest=digest,
                    size=size,
                    media_type=NOTEBOOK_MEDIA_TYPE,
                    uri=uri,
                    logged_at=now,
                ),
            )
        ended = run.ended_at or now
        if status is not run.status:
            store.end_run(run_id, status, ended)
        return ended - run.started_at
