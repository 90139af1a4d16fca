"""``Store.metric_extremes``: a long history as each bucket's extremes, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import uuid

import numpy as np
import pytest

from nbtrack.errors import RunNotFoundError
from nbtrack.store.base import Store
from nbtrack.store.schema import BLOCK

N = 10_000


def logged(store: Store, values: list[float]) -> str:
    run_id = uuid.uuid4().hex
    store.create_run(run_id=run_id, name="long", started_at=1_700_000_000.0)
    store.log_metrics(run_id, [("loss", v, s, 1_700_000_000.0 + s) for s, v in enumerate(values)])
    return run_id


def bucket_starts(points: int, buckets: int) -> list[int]:
    """Where each bucket starts (sql_extremes' docstring): whole blocks for a long
    history (more blocks than buckets), else equal slices of ceil(points / buckets)."""
    blocks = math.ceil(points / BLOCK)
    units, width = (blocks, BLOCK) if blocks > buckets else (buckets, math.ceil(points / buckets))
    return [(i * units // buckets) * width for i in range(buckets)]


def expected_steps(values: list[float], buckets: int) -> set[int]:
    """What the docstring promises, computed over every point with numpy."""
    y = np.array(values)
    starts = bucket_starts(len(y), buckets)
    steps = {0, len(y) - 1}
    for start, end in zip(starts, [*starts[1:], len(y)], strict=True):
        part = y[start:end]
        if not len(part):
            continue
        real = ~np.isnan(part)
        if real.any():
            steps.add(start + int(np.where(real, part, np.inf).argmin()))
            steps.add(start + int(np.where(real, part, -np.inf).argmax()))
        if (~real).any():
            steps.add(start + int(np.argmax(~real)))
    return steps


# 50 buckets: 157 blocks of 64, read from metric_blocks; 200: fewer blocks, a scan
@pytest.mark.parametrize("buckets", [50, 200])
def test_each_bucket_keeps_its_lowest_highest_and_first_nan_point(
    store: Store, buckets: int
) -> None:
    values = [math.sin(s * 0.01) + (s % 97) * 1e-3 for s in range(N)]
    values[7_777] = values[7_790] = -5.0  # the lowest, twice in a bucket: the first is kept
    values[3_000] = math.inf
    values[5_000:5_010] = [math.nan] * 10
    run_id = logged(store, values)
    got = store.metric_extremes(run_id, "loss", buckets)
    steps = got.steps.tolist()
    assert set(steps) == expected_steps(values, buckets)
    assert steps == sorted(steps)  # step order, like metric_arrays
    assert len(steps) <= 3 * buckets + 2
    by_step = dict(zip(steps, got.values.tolist(), strict=True))
    assert by_step[7_777] == -5.0
    assert 7_790 not in by_step
    assert by_step[3_000] == math.inf
    assert math.isnan(by_step[5_000])
    assert got.timestamps.tolist() == [1_700_000_000.0 + s for s in steps]


def test_a_short_history_comes_back_whole(store: Store) -> None:
    values = [float(s) for s in range(100)]
    run_id = logged(store, values)
    got = store.metric_extremes(run_id, "loss", 40)
    assert got.values.tolist() == values
    assert store.metric_extremes(run_id, "no such metric", 40).values.tolist() == []


def test_an_unknown_run_is_refused(store: Store) -> None:
    with pytest.raises(RunNotFoundError):
        store.metric_extremes("f" * 32, "loss", 10)
