"""The metric hot path: appending batches of points as fast as the database takes them.

For: ``SqlStore.log_metrics`` and ``heartbeat``. SQL text is built once per
dialect and rows go straight to ``cursor.executemany`` as tuples; one Python
pass over the batch converts NaN to NULL, numbers each key's points and folds
them into their blocks of ``schema.BLOCK`` points (lowest, highest, first NaN:
``metric_blocks``, one row a block); last/min/max/count (and the steps of min
and max, taken from the blocks) go into ``metric_latest`` with one upsert per
key.
Not for: reading metrics back (``sql_read.py``).

Points are keyed ``(runs.seq, key, ordinal)``: the run's small integer instead
of its 32-char id, and the ordinal continuing from ``metric_latest.count``.
That keeps SQLite's insert to one compact b-tree (a WITHOUT ROWID table).
Two writers appending to the same run at once are serialised (SQLite's write
lock; a per-run advisory lock on PostgreSQL), so ordinals never collide.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from itertools import chain
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nbtrack.errors import RunNotFoundError
from nbtrack.store.base import MetricRow
from nbtrack.store.schema import BLOCK, encode_text

__all__ = ["NO_STEP", "MetricWriter"]

#: orders a point logged without a step before every stepped point
NO_STEP = -(2**63 - 1)
_PG_RUN_LOCK_SPACE = 0x6E62  # first key of the per-run advisory lock


def _rows_per_insert(width: int) -> int:
    """Rows per INSERT statement on SQLite: one multi-row VALUES saves the per-row
    statement step and reset of executemany (about a third of the insert time); at
    most 128, and under the 999 parameters of older SQLite builds."""
    return min(128, 999 // width)


#: metric_blocks.block = seq >> _BLOCK_SHIFT (schema.BLOCK is a power of two)
_BLOCK_SHIFT = BLOCK.bit_length() - 1


class MetricWriter:
    """Builds the hot-path SQL for one engine and appends batches with it."""

    def __init__(self, engine: sa.Engine) -> None:
        dialect = engine.dialect
        self.postgres = dialect.name == "postgresql"
        q = dialect.identifier_preparer.quote
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        self._seqs: dict[str, int] = {}  # run id -> runs.seq; runs are never renumbered
        self._lock = threading.Lock()

        def marks(n: int) -> str:
            return ", ".join([mark] * n)

        key, count, lt = q("key"), q("count"), q("metric_latest")
        self.insert = (
            f"INSERT INTO {q('metrics')} (run_seq, {key}, seq, {q('value')}, step, "
            f"{q('timestamp')}) VALUES ({marks(6)})"
        )
        self.insert_block = self.insert + f", ({marks(6)})" * (_rows_per_insert(6) - 1)
        self.copy = (
            f"COPY {q('metrics')} (run_seq, {key}, seq, {q('value')}, step, {q('timestamp')}) "
            "FROM STDIN"
        )
        self.seq = f"SELECT seq FROM {q('runs')} WHERE id = {mark}"
        self.counts = f"SELECT {key}, {count} FROM {lt} WHERE run_id = {mark}"
        self.run_lock = f"SELECT pg_advisory_xact_lock({_PG_RUN_LOCK_SPACE}, {mark})"
        newer = (
            f"(COALESCE(excluded.last_step, {NO_STEP}) > COALESCE({lt}.last_step, {NO_STEP}) "
            f"OR (COALESCE(excluded.last_step, {NO_STEP}) = COALESCE({lt}.last_step, {NO_STEP}) "
            f"AND excluded.last_timestamp >= {lt}.last_timestamp))"
        )

        def pick(col: str) -> str:
            return f"{col} = CASE WHEN {newer} THEN excluded.{col} ELSE {lt}.{col} END"

        def extreme(col: str, op: str, by: str | None = None, table: str = lt) -> str:
            # *col* follows the value column *by* (itself by default): a strictly better
            # value replaces it, so a tie keeps the point logged first; SET reads the old row
            by = by or col
            return (
                f"{col} = CASE WHEN {table}.{by} IS NULL THEN excluded.{col} "
                f"WHEN excluded.{by} IS NULL THEN {table}.{col} "
                f"WHEN excluded.{by} {op} {table}.{by} THEN excluded.{col} ELSE {table}.{col} END"
            )

        self.latest = (
            f"INSERT INTO {lt} (run_id, {key}, last_value, last_step, last_timestamp, "
            f"min_value, max_value, {count}, min_step, max_step) VALUES ({marks(10)}) "
            f"ON CONFLICT (run_id, {key}) DO UPDATE SET "
            f"{pick('last_value')}, {pick('last_step')}, {pick('last_timestamp')}, "
            f"{extreme('min_value', '<')}, {extreme('max_value', '>')}, "
            f"{extreme('min_step', '<', 'min_value')}, {extreme('max_step', '>', 'max_value')}, "
            f"{count} = {lt}.{count} + excluded.{count}"
        )
        bt = q("metric_blocks")
        block_columns = (
            f"{bt} (run_seq, {key}, block, min_value, min_seq, max_value, max_seq, nan_seq)"
        )
        self.new_blocks = f"INSERT INTO {block_columns} VALUES ({marks(8)})"
        self.new_blocks_many = self.new_blocks + f", ({marks(8)})" * (_rows_per_insert(8) - 1)
        self.copy_blocks = f"COPY {block_columns} FROM STDIN"
        self.blocks = (
            f"{self.new_blocks} ON CONFLICT (run_seq, {key}, block) DO UPDATE SET "
            f"{extreme('min_value', '<', table=bt)}, {extreme('max_value', '>', table=bt)}, "
            f"{extreme('min_seq', '<', 'min_value', bt)}, "
            f"{extreme('max_seq', '>', 'max_value', bt)}, "
            f"nan_seq = COALESCE({bt}.nan_seq, excluded.nan_seq)"
        )
        self.beat = f"UPDATE {q('runs')} SET heartbeat_at = {mark} WHERE id = {mark}"

    def run_seq(self, connection: Connection, run_id: str) -> int:
        """The run's small integer; ``RunNotFoundError`` for an id not in the store."""
        seq = self._seqs.get(run_id)
        if seq is None:
            row = connection.exec_driver_sql(self.seq, (run_id,)).first()
            if row is None:
                raise RunNotFoundError(f"No run with id {run_id!r} in the store.", run_id=run_id)
            seq = int(row[0])
            with self._lock:
                self._seqs[run_id] = seq
        return seq

    def append(self, connection: Connection, run_id: str, rows: Sequence[MetricRow]) -> None:
        """Insert *rows* for *run_id*; fold them into ``metric_latest`` and ``metric_blocks``."""
        run_seq = self.run_seq(connection, run_id)
        if self.postgres:
            connection.exec_driver_sql(self.run_lock, (run_seq,))
        counts = {str(k): int(n) for k, n in connection.exec_driver_sql(self.counts, (run_id,))}
        out: list[tuple[int, str, int, float | None, int | None, float]] = []
        add = out.append
        # key -> [last value, last step, last ts, count in batch, order, first ordinal,
        #         key as stored, the seq that starts the next block, that block's fold]
        latest: dict[str, list[Any]] = {}
        # every block the batch touches, in order: [block, min, its index in out,
        # max, its index, index of the first NaN]; the key's min and max come from these.
        # A block the batch starts at its first point is new; one it enters midway may
        # have a row already (the previous batch's tail), so it is upserted
        fresh: list[tuple[list[Any], list[Any]]] = []
        joined: list[tuple[list[Any], list[Any]]] = []
        shift, mask = _BLOCK_SHIFT, BLOCK - 1
        value: float | None
        for i, (key, value, step, ts) in enumerate(rows):
            if value != value:
                value = None  # NaN
            order = NO_STEP if step is None else step
            agg = latest.get(key)
            if agg is None:
                stored = encode_text(key)
                first = counts.get(stored, 0)
                agg = latest[key] = [value, step, ts, 0, order, first, stored, first, None]
            elif order > agg[4] or (order == agg[4] and ts >= agg[2]):
                agg[0], agg[1], agg[2], agg[4] = value, step, ts, order
            seq = agg[5] + agg[3]
            if seq >= agg[7]:  # the first point of the batch, or of a new block
                fold = agg[8] = [seq >> shift, None, 0, None, 0, None]
                agg[7] = (fold[0] + 1) << shift
                (joined if seq & mask else fresh).append((agg, fold))
            else:
                fold = agg[8]
            # a strictly better value replaces: on a tie the point logged first stays
            if value is None:
                if fold[5] is None:
                    fold[5] = i
            else:
                if fold[1] is None or value < fold[1]:
                    fold[1], fold[2] = value, i
                if fold[3] is None or value > fold[3]:
                    fold[3], fold[4] = value, i
            add((run_seq, agg[6], seq, value, step, ts))
            agg[3] += 1
        # a key's joined block (at most one) comes before its fresh ones
        summaries = _latest_rows(run_id, latest, joined + fresh, out)
        new = [_block_row(run_seq, *b, out) for b in fresh]
        if self.postgres:
            self._copy(connection, out, self.copy)
            self._copy(connection, new, self.copy_blocks)
        else:
            self._insert(connection, out, self.insert, self.insert_block)
            if new:
                self._insert(connection, new, self.new_blocks, self.new_blocks_many)
        connection.exec_driver_sql(self.latest, summaries)
        if joined:
            connection.exec_driver_sql(self.blocks, [_block_row(run_seq, *b, out) for b in joined])

    def _insert(self, connection: Connection, out: list[Any], one: str, many: str) -> None:
        # whole blocks of rows as one flat parameter list each (*many* takes a block),
        # the rest row by row (*one*)
        width = len(out[0])
        block = _rows_per_insert(width)
        whole = len(out) - len(out) % block
        if whole:
            flat = list(chain.from_iterable(out[:whole] if whole < len(out) else out))
            width *= block
            blocks = [tuple(flat[i : i + width]) for i in range(0, len(flat), width)]
            connection.exec_driver_sql(many, blocks)
        if whole < len(out):
            connection.exec_driver_sql(one, out[whole:])

    def _copy(self, connection: Connection, out: list[Any], sql: str) -> None:
        # COPY is several times faster than executemany on PostgreSQL; it runs on
        # the same driver connection, so inside the same transaction
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(sql) as copy:
            for row in out:
                copy.write_row(row)


def _block_row(run_seq: int, agg: list[Any], fold: list[Any], out: list[Any]) -> tuple[Any, ...]:
    """The ``metric_blocks`` row of a block's fold (indexes into *out* become seqs)."""
    block, low, at_low, high, at_high, nan = fold
    return (
        run_seq,
        agg[6],
        block,
        low,
        None if low is None else out[at_low][2],
        high,
        None if high is None else out[at_high][2],
        None if nan is None else out[nan][2],
    )


def _latest_rows(
    run_id: str,
    latest: dict[str, list[Any]],
    blocks: list[tuple[list[Any], list[Any]]],
    out: list[Any],
) -> list[tuple[Any, ...]]:
    """``metric_latest`` rows of a batch: last point, count, and min and max from its blocks.

    The blocks come in logging order and a strictly better one replaces, so
    a tie keeps the point logged first, as within a block.
    """
    # key as stored -> [min, index in out, max, index in out]
    best: dict[str, list[Any]] = {}
    for agg, fold in blocks:
        b = best.get(agg[6])
        if b is None:
            best[agg[6]] = fold[1:5]
            continue
        if fold[1] is not None and (b[0] is None or fold[1] < b[0]):
            b[0], b[1] = fold[1], fold[2]
        if fold[3] is not None and (b[2] is None or fold[3] > b[2]):
            b[2], b[3] = fold[3], fold[4]
    rows = []
    for agg in latest.values():
        low, at_low, high, at_high = best[agg[6]]
        rows.append(
            (
                run_id,
                agg[6],
                agg[0],
                agg[1],
                agg[2],
                low,
                high,
                agg[3],
                None if low is None else out[at_low][4],
                None if high is None else out[at_high][4],
            )
        )
    return rows
