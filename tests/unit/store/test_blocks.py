"""``metric_blocks``: each block's extremes, kept as points arrive, on SQLite and PostgreSQL.

The rows must equal what a brute-force pass over the history gives, whatever
the batches look like (sizes across block boundaries, several keys in one
batch, NaN, ±inf, ties, steps out of order); ``metric_extremes`` read from
them must equal the scan of every point over the same buckets; a store made
at 0001 gets them folded from its metrics by ``db upgrade``; purging a run
removes them.
"""

from __future__ import annotations

import math
import random
import uuid
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from nbtrack.store import schema
from nbtrack.store.base import MetricRow, Store
from nbtrack.store.migrations import upgrade
from nbtrack.store.schema import BLOCK

NAN = math.nan
# few distinct values, so ties are common; inf and -inf among them
CHOICES = [0.0, 1.0, 1.0, 2.5, -3.0, math.inf, -math.inf, NAN, 7.0, -0.5]


def brute_blocks(run_seq: int, key: str, values: list[float]) -> list[tuple[Any, ...]]:
    """``metric_blocks`` rows of one history (values in logging order), point by point."""
    rows = []
    for block in range(math.ceil(len(values) / BLOCK)):
        seqs = range(block * BLOCK, min(len(values), (block + 1) * BLOCK))
        real = [s for s in seqs if not math.isnan(values[s])]
        nans = [s for s in seqs if math.isnan(values[s])]
        low = min((values[s] for s in real), default=None)
        high = max((values[s] for s in real), default=None)
        rows.append(
            (
                run_seq,
                key,
                block,
                low,
                next((s for s in real if values[s] == low), None),
                high,
                next((s for s in real if values[s] == high), None),
                nans[0] if nans else None,
            )
        )
    return rows


def stored_blocks(store: Store, run_id: str | None = None) -> list[tuple[Any, ...]]:
    """The ``metric_blocks`` rows of one run (or every run), in key order."""
    t = schema.metric_blocks
    query = sa.select(t).order_by(t.c.run_seq, t.c.key, t.c.block)
    if run_id is not None:
        query = query.where(t.c.run_seq == run_seq(store, run_id))
    with store._read() as connection:  # type: ignore[attr-defined]
        return [tuple(row) for row in connection.execute(query)]


def run_seq(store: Store, run_id: str) -> int:
    with store._read() as connection:  # type: ignore[attr-defined]
        seq = connection.execute(sa.select(schema.runs.c.seq).where(schema.runs.c.id == run_id))
        return int(seq.scalar_one())


def random_run(
    rng: random.Random, store: Store, keys: list[str]
) -> tuple[str, dict[str, list[float]]]:
    """A run whose *keys* are logged in random batches: its id, each key's values in order."""
    run_id = uuid.uuid4().hex
    store.create_run(run_id=run_id, name="random", started_at=0.0)
    logged: dict[str, list[float]] = {key: [] for key in keys}
    t = 0.0
    for size in [1, 63, 1, 64, 65, 130, 2, 300, 17, 256, 5]:
        rows: list[MetricRow] = []
        for _ in range(size):
            key = rng.choice(keys)
            value = rng.choice(CHOICES) if rng.random() < 0.5 else rng.uniform(-9, 9)
            step = rng.choice([None, rng.randrange(-5, 50)])  # out of order, repeated
            t += 1.0
            rows.append((key, value, step, t))
            logged[key].append(value)
        store.log_metrics(run_id, rows)
    return run_id, logged


def test_blocks_equal_a_brute_force_pass_over_random_batches(store: Store) -> None:
    rng = random.Random(10)
    keys = ["loss", "acc", "lr\x00odd"]
    for _ in range(3):
        run_id, logged = random_run(rng, store, keys)
        seq = run_seq(store, run_id)
        stored = sorted(schema.encode_text(k) for k in keys)
        expected = [
            row for key in stored for row in brute_blocks(seq, key, logged[schema.decode_text(key)])
        ]
        assert _same(stored_blocks(store, run_id), expected)
        # metric_latest's min and max (and their steps) come from the same fold
        summaries = {m.key: m for m in store.get_run(run_id).metrics}
        for key, values in logged.items():
            real = [v for v in values if not math.isnan(v)]
            assert (summaries[key].min, summaries[key].max) == (min(real), max(real))


def test_every_point_nan_leaves_a_block_without_extremes(store: Store) -> None:
    run_id = uuid.uuid4().hex
    store.create_run(run_id=run_id, name=None, started_at=0.0)
    store.log_metrics(run_id, [("k", NAN, s, float(s)) for s in range(BLOCK + 3)])
    store.log_metrics(run_id, [("k", 2.0, 99, 99.0), ("k", NAN, 100, 100.0)])
    seq = run_seq(store, run_id)
    assert stored_blocks(store, run_id) == [
        (seq, "k", 0, None, None, None, None, 0),
        (seq, "k", 1, 2.0, BLOCK + 3, 2.0, BLOCK + 3, BLOCK),
    ]


@pytest.mark.parametrize("buckets", [7, 40, 100])
def test_extremes_from_blocks_equal_the_scan_of_every_point(store: Store, buckets: int) -> None:
    rng = random.Random(buckets)
    run_id = uuid.uuid4().hex
    store.create_run(run_id=run_id, name=None, started_at=0.0)
    t, step = 0.0, 0
    for size in [1000, 37, 64, 2500, 1, 999, 3000]:  # 7,601 points, 119 blocks
        rows: list[MetricRow] = []
        for _ in range(size):
            value = rng.choice(CHOICES) if rng.random() < 0.2 else round(rng.gauss(0, 1), 1)
            step += rng.choice([1, 1, 1, 0, -3])  # ties in step, steps going back
            t += 1.0
            rows.append(("loss", value, step, t))
        store.log_metrics(run_id, rows)
    got = store.metric_extremes(run_id, "loss", buckets)
    scanned = store._extremes(run_id, "loss", buckets, blocks=False)  # type: ignore[attr-defined]
    assert len(got.values) > 3 * buckets / 2  # each bucket answered, not the whole history
    assert len(got.values) <= 3 * buckets + 2
    for mine, reference in zip(got, scanned, strict=True):
        np.testing.assert_array_equal(mine, reference)
    # and both are the points a brute-force pass over the history picks
    history = store.metric_arrays(run_id, "loss")  # type: ignore[attr-defined]
    logged = np.argsort(history.timestamps, kind="stable")  # logging order
    values = history.values[logged].tolist()
    blocks = math.ceil(len(values) / BLOCK)
    starts = [(i * blocks // buckets) * BLOCK for i in range(buckets)]
    expected = {0, len(values) - 1}
    for start, end in zip(starts, [*starts[1:], len(values)], strict=True):
        expected |= {start + i for i in brute_picks(values[start:end])}
    times = history.timestamps[logged]
    assert sorted(got.timestamps.tolist()) == sorted(float(times[s]) for s in expected)


def brute_picks(part: list[float]) -> set[int]:
    """The first lowest, first highest (not NaN) and first NaN point of a bucket."""
    real = [v for v in part if not math.isnan(v)]
    picks = {part.index(min(real)), part.index(max(real))} if real else set()
    nans = [i for i, v in enumerate(part) if math.isnan(v)]
    return picks | set(nans[:1])


def test_a_store_made_at_0001_gets_its_blocks_folded_in_by_the_upgrade(store_url: str) -> None:
    from pathlib import Path

    if store_url.startswith("sqlite"):
        Path(store_url.removeprefix("sqlite:///")).parent.mkdir(parents=True)
    rng = random.Random(1)
    histories = {
        (1, "acc"): [rng.choice(CHOICES) for _ in range(300)],
        (1, "loss"): [NAN] * 70 + [1.0],
        (2, "acc"): [rng.uniform(0, 1) for _ in range(BLOCK)],
    }
    engine = sa.create_engine(store_url)
    try:
        with engine.begin() as connection:
            upgrade(connection, "0001_initial")
            for seq in (1, 2):
                connection.execute(
                    schema.runs.insert().values(
                        id=f"{seq:032x}", status="FINISHED", started_at=1.0, seq=seq
                    )
                )
            connection.execute(
                sa.text(
                    "INSERT INTO metrics (run_seq, key, seq, value, step, timestamp)"
                    " VALUES (:r, :k, :s, :v, :s, 1.0)"
                ),
                [
                    {"r": r, "k": k, "s": s, "v": None if math.isnan(v) else v}
                    for (r, k), values in histories.items()
                    for s, v in enumerate(values)
                ],
            )
        with engine.begin() as connection:
            upgrade(connection)
            t = schema.metric_blocks
            rows = connection.execute(sa.select(t).order_by(t.c.run_seq, t.c.key, t.c.block))
            got = [tuple(row) for row in rows]
    finally:
        engine.dispose()
    expected = [row for (r, k), values in histories.items() for row in brute_blocks(r, k, values)]
    assert _same(got, expected)


def test_purging_a_run_removes_its_blocks_and_only_its(store: Store) -> None:
    doomed, kept = uuid.uuid4().hex, uuid.uuid4().hex
    for run_id in (doomed, kept):
        store.create_run(run_id=run_id, name=None, started_at=0.0)
        store.log_metrics(run_id, [("loss", float(s), s, float(s)) for s in range(3 * BLOCK)])
    before = stored_blocks(store, kept)
    assert len(stored_blocks(store, doomed)) == len(before) == 3
    store.delete_run(doomed, at=1.0)
    assert store.purge_runs([doomed, kept]) == 1  # only a deleted run is purged
    assert stored_blocks(store) == before


def _same(got: list[tuple[Any, ...]], expected: list[tuple[Any, ...]]) -> bool:
    """Rows equal, NaN equal to NaN (none is expected: NaN is not an extreme)."""

    def norm(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [tuple("nan" if isinstance(v, float) and v != v else v for v in r) for r in rows]

    return norm(got) == norm(expected)


def test_block_is_a_power_of_two_the_writer_shifts_by() -> None:
    from nbtrack.store.sql_metrics import _BLOCK_SHIFT

    assert 1 << _BLOCK_SHIFT == BLOCK
