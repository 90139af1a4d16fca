"""Runs written straight into a store, shaped for comparing them.

``add_run(store, "base", params={"lr": 0.1}, metrics={"val_acc": [0.5, 0.7]})``
writes a finished run whose metric points are logged at steps 0, 1, ...;
each run starts a second after the one before, so the order runs are added
is the order ``--where`` lists them oldest first.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from typing import Any

from nbtrack.model import DataRef, Environment, GitState, Param, RunStatus, Source
from nbtrack.store.base import Store

_COUNTER = itertools.count()
T0 = time.time() - 100_000


def add_run(
    store: Store,
    name: str | None,
    *,
    params: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Sequence[float]] | None = None,
    data: Sequence[tuple[str, str]] = (),
    packages: Mapping[str, str] | None = None,
    snapshot: str | None = None,
    notebook: str | None = "train.ipynb",
    commit: str | None = "c0ffee" + "0" * 34,
    dirty: bool | None = False,
) -> str:
    """A finished run; *data* is (path, digest) pairs; returns its id."""
    number = next(_COUNTER)
    run_id = f"{number:06x}" + "a" * 26
    started = T0 + number
    store.create_run(
        run_id=run_id,
        name=name,
        started_at=started,
        source=Source(path=notebook, snapshot=snapshot),
        git=GitState(commit=commit, branch="main", dirty=dirty),
        environment=Environment(python="3.12.1", platform="Linux", packages=dict(packages or {})),
    )
    if params:
        store.log_params(run_id, [Param(k, v) for k, v in params.items()])
    rows = [
        (key, float(value), step, started + step / 1000)
        for key, values in (metrics or {}).items()
        for step, value in enumerate(values)
    ]
    if rows:
        store.log_metrics(run_id, rows)
    for k, (path, digest) in enumerate(data):
        store.add_data_ref(
            run_id, DataRef(path=path, kind="file", digest=digest, size=10, logged_at=started + k)
        )
    store.end_run(run_id, RunStatus.FINISHED, started + 0.5)
    return run_id
