"""Columnar reads: metric histories and the wide run table, without an object per row.

For: ``SqlStore.metric_columns`` and ``SqlStore.run_table`` (the read side's
DataFrames, curves and comparisons). Rows come from the raw driver cursor in
one ``fetchall`` and become columns in one numpy pass; no ``Metric`` or
``RunSummary`` per row.
Not for: the ``--where`` language (``sql_where.py``) or the listing order
(``sql_read.py``, whose first query ``run_table`` reuses).

A history is fetched in its primary-key order (the logging order, no sort in
the database) and put in the one step order of ``MetricHistory`` here: points
without a step first, then by step, then by time, then by logging order.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, cast

from nbtrack.model import MetricHistory, RunTable
from nbtrack.store import sql_read
from nbtrack.store.base import Experiments, HistoryArrays, arrays_to_history
from nbtrack.store.schema import decode_text
from nbtrack.store.schema import encode_text as _stored

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from nbtrack.store.sql_metrics import MetricWriter

__all__ = ["FAST_READS", "ColumnReads"]

_EXACT = 2.0**53  # steps beyond this do not survive a float64; sort them in Python
_CHUNK = 500  # run ids per IN (...)
_ROW = [("value", "f8"), ("step", "f8"), ("timestamp", "f8")]


class ColumnReads:
    """The columnar half of ``SqlStore`` (a mixin: it uses the store's connection)."""

    url: str
    missing: bool
    heartbeat_timeout: float
    _metrics: MetricWriter

    def _read(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError  # provided by SqlStore

    def metric_columns(self, run_id: str, key: str) -> MetricHistory:
        """Every point of *key* of the run *run_id* (a full id), as columns in step order."""
        return arrays_to_history(run_id, key, self.metric_arrays(run_id, key))

    def metric_arrays(self, run_id: str, key: str) -> HistoryArrays:
        """:meth:`metric_columns` as numpy arrays (what a DataFrame is built from)."""
        if self.missing:
            return _arrays([])
        with self._read() as connection:
            run_seq = self._metrics.run_seq(connection, run_id)
            mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
            q = connection.dialect.identifier_preparer.quote
            if connection.dialect.name == "postgresql":
                return _pg_arrays(connection, run_seq, _stored(key))
            fast = _arrow_arrays(self.url, run_seq, _stored(key))
            if fast is not None:
                return fast
            sql = (
                f"SELECT {q('value')}, step, {q('timestamp')} FROM {q('metrics')} "
                f"WHERE run_seq = {mark} AND {q('key')} = {mark} ORDER BY seq"
            )
            return _arrays(_fetchall(connection, sql, (run_seq, _stored(key))))

    def run_table(
        self,
        *,
        where: str | None = None,
        sort: Sequence[str] = (),
        limit: int | None = None,
        experiment: Experiments = None,
    ) -> RunTable:
        """The runs ``list_runs`` would list, as columns (params, metrics, tags by key)."""
        import time

        query = sql_read.RunQuery.parse(where, sort, experiment=experiment)
        if self.missing:
            return RunTable()
        cutoff = time.time() - self.heartbeat_timeout
        with self._read() as connection:
            rows = sql_read.page_rows(connection, query, limit, cutoff)
            everything = query.where is None and limit is None and not query.experiments
            return _table(connection, rows, cutoff, everything)


def _fetchall(connection: Connection, sql: str, params: Sequence[Any]) -> list[Any]:
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, params)
        return cast("list[Any]", cursor.fetchall())  # a list already: no copy
    finally:
        cursor.close()


def _arrays(rows: list[Any]) -> HistoryArrays:
    """Rows ``(value, step, timestamp)`` in logging order as arrays in step order."""
    import numpy as np

    if not rows:
        empty = np.zeros(0)
        return HistoryArrays(empty.astype(np.int64), empty.astype(bool), empty, empty)
    # one C pass straight into columns; NULL (a NaN value, a point without a step) -> nan
    table = np.fromiter(rows, dtype=_ROW, count=len(rows))
    values, steps, times = table["value"], table["step"], table["timestamp"]
    has_step = ~np.isnan(steps)
    if np.abs(np.where(has_step, steps, 0.0)).max() >= _EXACT:
        return _arrays_exact(rows)
    whole = np.where(has_step, steps, 0.0).astype(np.int64)
    return _ordered(whole, has_step, np.ascontiguousarray(values), np.ascontiguousarray(times))


#: PostgreSQL packs each column of a history into one bytea (big-endian binary),
#: so a million points cross the wire as five values, not a million rows
_PG_HISTORY = (
    "SELECT string_agg(float8send(COALESCE(value, 'NaN'::float8)), ''::bytea), "
    "string_agg(int8send(COALESCE(step, 0)), ''::bytea), "
    "string_agg(decode(CASE WHEN step IS NULL THEN '00' ELSE '01' END, 'hex'), ''::bytea), "
    "string_agg(float8send(\"timestamp\"), ''::bytea), "
    "string_agg(int8send(seq), ''::bytea) "
    'FROM metrics WHERE run_seq = %s AND "key" = %s'
)


def _pg_arrays(connection: Connection, run_seq: int, key: str) -> HistoryArrays:
    """PostgreSQL: the history as five packed columns read straight into arrays."""
    import numpy as np

    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor(binary=True) as cursor:  # bytea as bytes, not hex text
        cursor.execute(_PG_HISTORY, (run_seq, key))
        rows = cursor.fetchall()
    values, steps, has_step, times, seqs = rows[0]
    if values is None:  # no point
        return _arrays([])
    seq = np.frombuffer(seqs, dtype=">i8")
    logged = np.argsort(seq, kind="stable")  # the aggregate's input order is not promised
    return _ordered(
        np.frombuffer(steps, dtype=">i8")[logged].astype(np.int64),
        np.frombuffer(has_step, dtype=np.uint8)[logged].astype(bool),
        np.frombuffer(values, dtype=">f8")[logged].astype(np.float64),
        np.frombuffer(times, dtype=">f8")[logged].astype(np.float64),
    )


_ARROW_HISTORY = (
    'SELECT "value", step, "timestamp" FROM metrics WHERE run_seq = ? AND "key" = ? ORDER BY seq'
)


def _arrow_arrays(url: str, run_seq: int, key: str) -> HistoryArrays | None:
    """SQLite through the optional ADBC driver (``nbtrack[fast]``): columns straight into
    Arrow, no Python object per point; None when it is not installed or cannot answer,
    and the standard driver reads the history instead."""
    from nbtrack.store import _engine

    path = _engine.sqlite_path(url)
    if path is None or not FAST_READS.enabled:
        return None
    try:
        import adbc_driver_sqlite.dbapi as adbc
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:
        return None
    import numpy as np

    try:
        with adbc.connect(str(path)) as connection, connection.cursor() as cursor:
            cursor.execute(_ARROW_HISTORY, (run_seq, key))
            table = cursor.fetch_arrow_table()
    except Exception:  # the optional reader failing must not fail the read
        return None
    value, step, stamp = table.column(0), table.column(1), table.column(2)
    if table.num_rows == 0:
        return _arrays([])
    typed = (
        (pa.types.is_floating(value.type) or value.null_count == table.num_rows)
        and (pa.types.is_integer(step.type) or step.null_count == table.num_rows)
        and pa.types.is_floating(stamp.type)
    )
    if not typed:  # the driver guessed a column's type from its first rows
        return None
    return _ordered(
        np.asarray(pc.fill_null(step.cast(pa.int64()), 0), dtype=np.int64),
        np.asarray(pc.is_valid(step), dtype=bool),
        np.asarray(pc.fill_null(value.cast(pa.float64()), np.nan), dtype=np.float64),
        np.asarray(stamp, dtype=np.float64),
    )


class _FastReads:
    """Whether the optional ADBC reader may be used (tests turn it off to compare)."""

    enabled = True


FAST_READS = _FastReads()


def _ordered(steps: Any, has_step: Any, values: Any, times: Any) -> HistoryArrays:
    """Columns in logging order put in step order (exact for any 64-bit step)."""
    import numpy as np

    same_kind = has_step[1:] == has_step[:-1]
    later = (has_step[1:] & ~has_step[:-1]) | (same_kind & (steps[1:] > steps[:-1]))
    tied = same_kind & (steps[1:] == steps[:-1]) & (times[1:] >= times[:-1])
    if not bool(np.all(later | tied)):
        index = np.lexsort((np.arange(len(steps)), times, steps, has_step))
        steps, has_step, values, times = steps[index], has_step[index], values[index], times[index]
    return HistoryArrays(steps, has_step, values, times)


def _arrays_exact(rows: list[Any]) -> HistoryArrays:
    """The slow path for steps too large for a float64: sort the rows in Python."""
    import numpy as np

    ordered = [
        row
        for _, row in sorted(
            enumerate(rows),
            key=lambda item: (
                (0, 0) if item[1][1] is None else (1, item[1][1]),
                item[1][2],
                item[0],
            ),
        )
    ]
    return HistoryArrays(
        np.array([0 if r[1] is None else int(r[1]) for r in ordered], dtype=np.int64),
        np.array([r[1] is not None for r in ordered], dtype=bool),
        np.array([r[0] for r in ordered], dtype=np.float64),
        np.array([r[2] for r in ordered], dtype=np.float64),
    )


def _table(connection: Connection, rows: list[Any], cutoff: float, everything: bool) -> RunTable:
    if not rows:
        return RunTable()
    ids, names, statuses, notebooks, started, ended, beats, _deleted, experiments = zip(
        *rows, strict=True
    )
    position = {run_id: i for i, run_id in enumerate(ids)}
    q = connection.dialect.identifier_preparer.quote
    key, value = q("key"), q("value")
    found = [
        _by_key(connection, f"SELECT run_id, {key}, {value}, num FROM {q('params')}",
                position, everything),
        _by_key(connection, f"SELECT run_id, {key}, last_value FROM {q('metric_latest')}",
                position, everything),
        _by_key(connection, f"SELECT run_id, {key}, {value} FROM {q('tags')}",
                position, everything),
    ]  # fmt: skip
    nan = math.nan
    return RunTable(
        ids=tuple(ids),
        names=tuple(None if n is None else decode_text(n) for n in names),
        statuses=tuple(
            sql_read.effective_status(status, beat, cutoff)
            for status, beat in zip(statuses, beats, strict=True)
        ),
        notebooks=tuple(None if n is None else decode_text(n) for n in notebooks),
        started_at=tuple(started),
        ended_at=tuple(ended),
        heartbeat_at=tuple(beats),
        params={k: {i: _param(r[2], r[3]) for i, r in c.items()} for k, c in found[0].items()},
        metrics={
            k: {i: nan if r[2] is None else r[2] for i, r in c.items()} for k, c in found[1].items()
        },
        tags={k: {i: decode_text(r[2]) for i, r in c.items()} for k, c in found[2].items()},
        experiments=tuple(decode_text(e) for e in experiments),
    )


def _param(text: str, num: float | None) -> Any:
    """A param's value from its JSON text, without parsing the JSON of a plain number."""
    if num is None:
        return json.loads(text)  # not a number (a string, a bool, a list, NaN, ...)
    if text.lstrip("-").isdigit():
        return int(text)
    return num  # a float: its JSON text is its repr, and num holds the same double


def _by_key(
    connection: Connection, sql: str, position: dict[str, int], everything: bool
) -> dict[str, dict[int, Any]]:
    """key (decoded) -> {row index of the run: its row ``(run_id, key, ...)``}."""
    columns: dict[str, dict[int, Any]] = {}
    stored_keys: dict[str, dict[int, Any]] = {}
    where = position.get
    for rows in _side_rows(connection, sql, list(position), everything):
        for row in rows:
            index = where(row[0])
            if index is None:
                continue
            column = stored_keys.get(row[1])
            if column is None:
                column = stored_keys[row[1]] = columns.setdefault(decode_text(row[1]), {})
            column[index] = row
    return columns


def _side_rows(
    connection: Connection, sql: str, ids: list[str], everything: bool
) -> Iterator[list[Any]]:
    """Batches of rows of a per-run side table for *ids*: all of it when every run is listed."""
    if not ids:
        return
    if everything:
        yield _fetchall(connection, sql, ())
        return
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ", ".join([mark] * len(chunk))
        yield _fetchall(connection, f"{sql} WHERE run_id IN ({marks})", chunk)
