"""A page of a listing by keyset, and how many runs follow it, counted up to a cap.

For: ``SqlStore.run_page`` (``nbtrack runs``, the UI's runs page, the read
API's pages). The page is the first *limit* runs of the listing order after
the cursor (``keyset.after_condition`` in the join, so the runs' index on
``started_at`` is read from the cursor on); one more row is read to know
whether a next page exists. "How many more" counts the runs after the page's
last one, by levels (100, 1,000, ... ``count_cap``) within
:data:`COUNT_BUDGET` seconds: a count of every match of a ``--where`` over a
million runs evaluates the filter for each (seconds), where the page itself
stops after the first matches; so a page says "more than 1,000" rather than
make the listing wait for an exact figure.
Not for: the filter and the order (``sql_read``), the cursor format (``keyset``).
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nbtrack.model import RunPage
from nbtrack.store import keyset, schema
from nbtrack.store.sql_order import order_by, order_columns
from nbtrack.store.sql_read import RunQuery, _filtered, _without_jit, summaries

__all__ = ["COUNT_CAP", "mark", "run_page"]

#: "N more" stops counting here: "more than 10,000"
COUNT_CAP = 10_000
#: and stops after this many seconds, saying how far it got ("more than 1,000")
COUNT_BUDGET = 0.15


def mark(q: RunQuery, *extra: object) -> str:
    """The fingerprint a cursor of the listing *q* carries (and must match)."""
    return keyset.fingerprint(q, *extra)


def run_page(
    connection: Connection,
    q: RunQuery,
    limit: int | None,
    cutoff: float,
    *,
    after: str | None,
    listing: str,
    count_cap: int = COUNT_CAP,
) -> RunPage:
    """The page of *limit* runs after the cursor *after* (None: the first page).

    *listing* is :func:`mark` of the query; a cursor of another listing is
    refused (``QueryError``). *count_cap* 0 skips the count (``more`` is then
    1 when a next page exists).
    """
    orders = order_columns(q.sort, cutoff)
    extra = None
    if after is not None:
        values = keyset.decode(after, listing, len(orders))
        extra = keyset.after_condition(orders, values)
    keys = [o.expr.label(f"_k{i}") for i, o in enumerate(orders)]
    stmt = _filtered(q, cutoff, extra).add_columns(*keys).order_by(*order_by(orders))
    if limit is not None:
        stmt = stmt.limit(limit + 1)
    _without_jit(connection, q)
    rows = list(connection.execute(stmt).all())
    if limit is None or len(rows) <= limit:
        return RunPage(summaries(connection, rows, cutoff))
    rows = rows[:limit]
    last = [getattr(rows[-1], f"_k{i}") for i in range(len(orders))]
    more, capped = 1, False
    if count_cap > 0:
        more, capped = _count_after(connection, q, cutoff, orders, last, count_cap)
    listed = summaries(connection, rows, cutoff)
    return RunPage(listed, more, capped, keyset.encode(listing, last))


def _count_after(
    connection: Connection,
    q: RunQuery,
    cutoff: float,
    orders: list[keyset.Order],
    last: list[Any],
    cap: int,
) -> tuple[int, bool]:
    """How many runs of *q* sort after *last*: (the number, False) when counted to
    the end, else (a number that many exceed, True).

    Counted up to 100, then 1,000, ... up to *cap*, each level stopping at its
    limit plus one, within :data:`COUNT_BUDGET` seconds in all; the levels keep
    a filter that matches few runs from reading every run before it says
    "more than 100".
    """
    after = keyset.after_condition(orders, last)
    matching = _filtered(q, cutoff, after).with_only_columns(schema.runs.c.id)
    deadline = time.monotonic() + COUNT_BUDGET
    floor, level = 1, min(100, cap)
    while True:
        inner = matching.limit(level + 1).subquery()
        stmt = sa.select(sa.func.count()).select_from(inner)
        found = _within(connection, stmt, deadline)
        if found is None:  # out of time: at least `floor` follow
            return floor, True
        if found <= level:
            return found, False
        if level >= cap:
            return cap, True
        floor, level = level, min(level * 10, cap)


def _within(connection: Connection, stmt: Any, deadline: float) -> int | None:
    """*stmt*'s count, or None when it would run past *deadline* (it is cancelled)."""
    left = deadline - time.monotonic()
    if left <= 0:
        return None
    if connection.dialect.name == "postgresql":
        with connection.begin_nested() as savepoint:
            connection.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(left * 1000))}")
            try:
                found = int(connection.execute(stmt).scalar_one())
            except sa.exc.OperationalError as exc:  # QueryCanceled: out of time
                if "statement timeout" not in str(exc):
                    raise
                savepoint.rollback()
                return None
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
            return found
    raw = connection.connection.driver_connection
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)  # type: ignore[union-attr]
    try:
        return int(connection.execute(stmt).scalar_one())
    except sa.exc.OperationalError as exc:
        if "interrupted" not in str(exc):
            raise
        return None
    finally:
        raw.set_progress_handler(None, 0)  # type: ignore[union-attr]
