"""A long metric history read as its extremes, without reading every point.

For: ``SqlStore.metric_extremes``, which the static report uses to draw
100 runs x 100,000 points without fetching 30 million rows into Python. The
history's logging order (``metrics.seq``) is cut into buckets; for each the
store answers the lowest and the highest point (not NaN; on a tie the one
logged first) and the first NaN point, and the first and the last point of
the whole history come too, in ``MetricHistory``'s step order.
Not for: a history short enough to fetch whole (``metric_arrays`` answers
then), or any rule about which points a chart keeps (``compare.downsample``).

Two ways to the same answer:

* a long history (more blocks of ``schema.BLOCK`` points than buckets): each
  bucket is a run of whole blocks, and its extremes are folded from the
  ``metric_blocks`` rows ``log_metrics`` keeps as it writes, a few rows a
  block; then only the chosen points are read, by primary key;
* a shorter one: each bucket is a range of the ``metrics`` primary key, and
  the database reads every point once, in C, and picks them.

Bucket *i* of *n* over *units* units of *width* points covers the seqs from
``(i * units // n) * width`` up to ``((i + 1) * units // n) * width``: the
blocks of a long history (``width = BLOCK``) or equal slices of a short one
(``units = n``). The scan takes the same buckets either way, so it is the
reference the blocks are tested against.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from nbtrack.store.base import HistoryArrays
from nbtrack.store.schema import BLOCK
from nbtrack.store.schema import encode_text as _stored

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from nbtrack.store.sql_metrics import MetricWriter

__all__ = ["ExtremeReads"]

_SERIES = "run_seq = {mark} AND {key} = {mark}"
#: the buckets 0 .. n - 1, counted by a recursive CTE; _RANGE bounds bucket i (integer division)
_BUCKETS = (
    "WITH RECURSIVE b(i) AS (SELECT CAST(0 AS BIGINT) "
    "UNION ALL SELECT i + 1 FROM b WHERE i + 1 < {n})"
)
_RANGE = (
    "run_seq = {mark} AND {key} = {mark} "
    "AND seq >= (i * {u} / {n}) * {w} AND seq < ((i + 1) * {u} / {n}) * {w}"
)
#: the statements name columns through the dialect's quoting ({key}, {value}, ...)
#: SQLite: a bare column beside min()/max() comes from the row that holds it (one pass)
_SQLITE = """
{buckets}
SELECT (SELECT seq FROM (SELECT min({value}), seq FROM {metrics} WHERE {range})),
       (SELECT seq FROM (SELECT max({value}), seq FROM {metrics} WHERE {range}))
FROM b
"""
#: PostgreSQL: the same points through a top-1 sort per bucket
_POSTGRES = """
{buckets}
SELECT (SELECT seq FROM {metrics} WHERE {range} AND {value} IS NOT NULL
        ORDER BY {value}, seq LIMIT 1),
       (SELECT seq FROM {metrics} WHERE {range} AND {value} IS NOT NULL
        ORDER BY {value} DESC, seq LIMIT 1)
FROM b
"""


class ExtremeReads:
    """The extremes half of ``SqlStore`` (a mixin: it uses the store's connection)."""

    missing: bool
    _metrics: MetricWriter

    def _read(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # provided by SqlStore

    #: provided by ColumnReads (an annotation, not a method, so it shadows nothing)
    metric_arrays: Callable[[str, str], HistoryArrays]

    def metric_extremes(self, run_id: str, key: str, buckets: int) -> HistoryArrays:
        """At most ``3 * buckets + 2`` points of *key* of *run_id*: each bucket's extremes.

        In ``MetricHistory``'s step order, like :meth:`metric_arrays`, which
        answers instead when the history is not longer than that.
        """
        return self._extremes(run_id, key, buckets, blocks=True)

    def _extremes(self, run_id: str, key: str, buckets: int, *, blocks: bool) -> HistoryArrays:
        """:meth:`metric_extremes`; with *blocks* False a long history is scanned
        instead of read from ``metric_blocks`` (the same buckets: the reference)."""
        if self.missing:
            return self.metric_arrays(run_id, key)
        with self._read() as connection:
            series = _Series(connection, self._metrics.run_seq(connection, run_id), key)
            last = series.last()
            if last is None or last + 1 <= 3 * buckets + 2:
                return self.metric_arrays(run_id, key)
            count = last // BLOCK + 1
            if count <= buckets:  # a bucket would be less than a block: as today
                picked = series.scan(buckets, buckets, math.ceil((last + 1) / buckets))
            elif blocks:
                picked = series.from_blocks(buckets, count)
            else:
                picked = series.scan(buckets, count, BLOCK)
            rows = series.points(sorted({0, last} | picked))
        return _in_step_order(rows)


class _Series:
    """The statements that read one (run, key) history's extremes."""

    def __init__(self, connection: Connection, run_seq: int, key: str) -> None:
        self.connection = connection
        self.params = (run_seq, _stored(key))
        q = connection.dialect.identifier_preparer.quote
        self.postgres = connection.dialect.name == "postgresql"
        self.mark = mark = "%s" if self.postgres else "?"
        self.names = {"metrics": q("metrics"), "value": q("value"), "key": q("key")}
        self.names["timestamp"], self.names["blocks"] = q("timestamp"), q("metric_blocks")
        self.names["series"] = _SERIES.format(key=q("key"), mark=mark)

    def _fetch(self, sql: str, params: tuple[Any, ...] | None = None) -> list[Any]:
        """Rows of *sql*, whose ``{metrics}``, ``{series}``, ... name the history."""
        from nbtrack.store.sql_columns import _fetchall

        return _fetchall(self.connection, sql.format(**self.names), params or self.params)

    def last(self) -> int | None:
        """The seq of the history's last point (None: no point)."""
        ((last,),) = self._fetch("SELECT max(seq) FROM {metrics} WHERE {series}")
        return None if last is None else int(last)

    def points(self, seqs: list[int]) -> list[Any]:
        """Rows ``(value, step, timestamp)`` of the points *seqs*, in logging order."""
        # whole numbers from the database itself, written into the statement as such
        listed = ", ".join(str(int(seq)) for seq in seqs)
        return self._fetch(
            "SELECT {value}, step, {timestamp} FROM {metrics} WHERE {series} "
            f"AND seq IN ({listed}) ORDER BY seq"
        )

    def from_blocks(self, n: int, units: int) -> set[int]:
        """Each of *n* buckets' extremes folded from the history's *units* blocks."""
        rows = self._fetch(
            "SELECT block, min_value, min_seq, max_value, max_seq, nan_seq FROM {blocks} "
            "WHERE {series} ORDER BY block"
        )
        # bucket -> [min, its seq, max, its seq, first NaN seq]; blocks come in logging
        # order and only a strictly better value replaces: a tie keeps the first logged
        best: dict[int, list[Any]] = {}
        for block, low, at_low, high, at_high, nan in rows:
            bucket = ((block + 1) * n - 1) // units
            b = best.get(bucket)
            if b is None:
                best[bucket] = [low, at_low, high, at_high, nan]
                continue
            if low is not None and (b[0] is None or low < b[0]):
                b[0], b[1] = low, at_low
            if high is not None and (b[2] is None or high > b[2]):
                b[2], b[3] = high, at_high
            if b[4] is None:
                b[4] = nan
        return {int(s) for b in best.values() for s in (b[1], b[3], b[4]) if s is not None}

    def scan(self, n: int, units: int, width: int) -> set[int]:
        """Each of *n* buckets' extremes, the database reading every point."""
        # whole numbers computed here, written into the statement as such
        bounds = {"n": int(n), "u": int(units), "w": int(width)}
        where = _RANGE.format(mark=self.mark, key=self.names["key"], **bounds)
        template = _POSTGRES if self.postgres else _SQLITE
        sql = template.replace("{buckets}", _BUCKETS.format(**bounds)).replace("{range}", where)
        found = self._fetch(sql, self.params * 2)  # the series, in each of the two subqueries
        # NaN is stored as NULL: one pass finds them all; the first of each bucket stays
        nans = self._fetch(
            "SELECT seq FROM {metrics} WHERE {series} AND {value} IS NULL ORDER BY seq"
        )
        first_nan: dict[int, int] = {}
        for (seq,) in nans:
            first_nan.setdefault(((int(seq) // width + 1) * n - 1) // units, int(seq))
        return {int(s) for row in found for s in row if s is not None} | set(first_nan.values())


def _in_step_order(rows: list[Any]) -> HistoryArrays:
    """Rows ``(value, step, timestamp)`` in logging order as arrays in step order."""
    from nbtrack.store.sql_columns import _arrays

    return _arrays(rows)
