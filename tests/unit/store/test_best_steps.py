"""The store keeps the step of each metric's first min and first max as points arrive.

``nbtrack compare`` shows "best at step N" from these, reading no history;
they must agree with the history whatever the batches look like. SQLite and
PostgreSQL.
"""

from __future__ import annotations

import math

from nbtrack.model import MetricSummary, RunStatus
from nbtrack.store.base import MetricRow, Store

RUN = "f" * 32
NAN = math.nan


def summary(store: Store, key: str) -> MetricSummary:
    return next(m for m in store.get_run(RUN).metrics if m.key == key)


def from_history(store: Store, key: str) -> tuple[int | None, int | None]:
    """The steps of the first min and first max point, in logging order, from the history."""
    points = sorted(store.metric_history(RUN, key), key=lambda p: p.timestamp)
    finite = [p for p in points if not math.isnan(p.value)]
    low = min(p.value for p in finite)
    high = max(p.value for p in finite)
    return (
        next(p.step for p in finite if p.value == low),
        next(p.step for p in finite if p.value == high),
    )


def log(store: Store, key: str, points: list[tuple[float, int | None]], t0: float) -> float:
    rows: list[MetricRow] = [(key, v, s, t0 + i) for i, (v, s) in enumerate(points)]
    store.log_metrics(RUN, rows)
    return t0 + len(points)


def test_best_steps_follow_the_first_extreme_across_batches_ties_and_nan(store: Store) -> None:
    store.create_run(run_id=RUN, name=None, started_at=0.0)
    t = 1.0
    # a NaN first, then a tie inside one batch: the first point of a tie keeps it
    t = log(store, "loss", [(NAN, 0), (0.5, 1), (0.4, 2), (0.4, 3)], t)
    # a later batch that ties the min (kept at step 2) and sets a new max
    t = log(store, "loss", [(0.4, 4), (0.9, 5)], t)
    # a later batch with a strictly better min, and a point without a step
    t = log(store, "loss", [(0.1, None), (0.9, 7)], t)
    store.end_run(RUN, RunStatus.FINISHED, t)

    loss = summary(store, "loss")
    assert (loss.min, loss.min_step, loss.max, loss.max_step) == (0.1, None, 0.9, 5)
    assert (loss.min_step, loss.max_step) == from_history(store, "loss")


def test_a_metric_of_only_nan_has_no_best_step_until_a_value_arrives(store: Store) -> None:
    store.create_run(run_id=RUN, name=None, started_at=0.0)
    t = log(store, "acc", [(NAN, 0), (NAN, 1)], 1.0)
    acc = summary(store, "acc")
    assert math.isnan(acc.max)
    assert (acc.min_step, acc.max_step) == (None, None)

    log(store, "acc", [(0.7, 2), (NAN, 3)], t)
    acc = summary(store, "acc")
    assert (acc.min, acc.min_step, acc.max, acc.max_step) == (0.7, 2, 0.7, 2)
