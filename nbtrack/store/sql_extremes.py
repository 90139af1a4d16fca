"""A long metric history read as its extremes, computed by the database.

For: ``SqlStore.metric_extremes``, which the static report uses to draw
100 runs x 100,000 points without fetching 30 million rows into Python. The
history's logging order (``metrics.seq``) is cut into equal buckets; for each
the database returns the lowest and the highest point (not NaN; on a tie the
one logged first) and the first NaN point, and the first and the last point
of the whole history come too. Each bucket is a range of the table's primary
key, so the database reads every point once, in C, and sends back at most
three a bucket.
Not for: a history short enough to fetch whole (``metric_arrays`` answers
then), or any rule about which points a chart keeps (``compare.downsample``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from nbtrack.store.base import HistoryArrays
from nbtrack.store.schema import encode_text as _stored

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from nbtrack.store.sql_metrics import MetricWriter

__all__ = ["ExtremeReads"]

_SERIES = "run_seq = :r AND {key} = :k"
_RANGE = _SERIES + " AND seq >= i * :w AND seq < (i + 1) * :w"
#: the statements name columns through the dialect's quoting ({key}, {value}, ...)
#: SQLite: a bare column beside min()/max() comes from the row that holds it (one pass)
_SQLITE = """
WITH RECURSIVE b(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM b WHERE i + 1 < :n)
SELECT (SELECT seq FROM (SELECT min({value}), seq FROM {metrics} WHERE {range})),
       (SELECT seq FROM (SELECT max({value}), seq FROM {metrics} WHERE {range}))
FROM b
"""
#: PostgreSQL: the same points through a top-1 sort per bucket
_POSTGRES = """
WITH RECURSIVE b(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM b WHERE i + 1 < :n)
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
        import sqlalchemy as sa

        if self.missing:
            return self.metric_arrays(run_id, key)
        with self._read() as connection:
            run_seq = self._metrics.run_seq(connection, run_id)
            q = connection.dialect.identifier_preparer.quote
            names = {"metrics": q("metrics"), "value": q("value"), "key": q("key")}
            names["timestamp"], names["series"] = q("timestamp"), _SERIES.format(key=q("key"))
            series = {"r": run_seq, "k": _stored(key)}

            def run(sql: str, **more: int) -> list[Any]:
                statement = sa.text(sql.format(range=_RANGE.format(**names), **names))
                return list(connection.execute(statement, {**series, **more}).all())

            ((last,),) = run("SELECT max(seq) FROM {metrics} WHERE {series}")
            if last is None or last + 1 <= 3 * buckets + 2:
                return self.metric_arrays(run_id, key)
            width = math.ceil((last + 1) / buckets)
            postgres = connection.dialect.name == "postgresql"
            found = run(_POSTGRES if postgres else _SQLITE, n=buckets, w=width)
            # NaN is stored as NULL: one pass finds them all; the first of each bucket stays
            nans = run("SELECT seq FROM {metrics} WHERE {series} AND {value} IS NULL ORDER BY seq")
            first_nan: dict[int, int] = {}
            for (seq,) in nans:
                first_nan.setdefault(int(seq) // width, int(seq))
            picked = {int(s) for row in found for s in row if s is not None}
            seqs = sorted({0, int(last)} | picked | set(first_nan.values()))
            # whole numbers from the database itself, written into the statement as such
            listed = ", ".join(str(int(seq)) for seq in seqs)
            rows = run(
                "SELECT {value}, step, {timestamp} FROM {metrics} WHERE {series} "
                f"AND seq IN ({listed}) ORDER BY seq"
            )
        return _in_step_order([tuple(row) for row in rows])


def _in_step_order(rows: list[Any]) -> HistoryArrays:
    """Rows ``(value, step, timestamp)`` in logging order as arrays in step order."""
    from nbtrack.store.sql_columns import _arrays

    return _arrays(rows)
