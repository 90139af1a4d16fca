"""Finished runs with metric histories, written straight into a store (for read-side tests)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence

from nbtrack.model import Param, RunStatus
from nbtrack.store.base import MetricRow, Store

#: when every run made here started (seconds since the epoch)
T0 = 1_700_000_000.0

#: a history as (value, step or None, seconds after the run started) per point
Points = Sequence[tuple[float, int | None, float]]


def add_run(
    store: Store, name: str | None, params: Mapping[str, object], metrics: Mapping[str, Points]
) -> str:
    """A FINISHED run started at :data:`T0` with *params* and *metrics*; its id."""
    run_id = uuid.uuid4().hex
    store.create_run(run_id=run_id, name=name, started_at=T0)
    store.log_params(run_id, [Param(k, v) for k, v in params.items()])
    rows: list[MetricRow] = [
        (key, value, step, T0 + offset)
        for key, points in metrics.items()
        for value, step, offset in points
    ]
    store.log_metrics(run_id, rows)
    store.end_run(run_id, RunStatus.FINISHED, time.time())
    return run_id


def steps(values: Sequence[float], start: float = 10.0) -> list[tuple[float, int | None, float]]:
    """*values* logged at steps 0, 1, 2, ... one second apart from *start* seconds in."""
    return [(v, i, start + i) for i, v in enumerate(values)]
