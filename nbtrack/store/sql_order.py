"""The listing order as SQL: ``--sort`` keys as columns, then newest first.

For: ``sql_read`` (a listing's ORDER BY) and ``sql_page`` (the same columns,
labelled, are what a keyset cursor holds), and :class:`RunsFirst`, the join
every listing reads runs through. Not for: filtering (``sql_where``) or the
cursor's format (``keyset``).

A param sorts by two columns (its number, then its text), every other key by
one; NULLs (a run without the key) sort last both ways, except on columns
that are never NULL, whose plain ``DESC`` lets an index be read backwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import Join

from nbtrack.store import query, schema
from nbtrack.store.keyset import Order
from nbtrack.store.schema import encode_text as _stored
from nbtrack.store.sql_where import TEXT_COLUMNS, status_expr

__all__ = ["RunsFirst", "order_by", "order_columns"]

runs = schema.runs


class RunsFirst(Join):
    """``runs JOIN one_row ON ...``, which SQLite must read runs first.

    Left to choose, SQLite scans the one-row table first and then every run,
    sorting them all for a page of 20; read runs-first (its ``CROSS JOIN``
    fixes the order), it walks ``ix_runs_started_at`` newest first and stops
    at the page's end (``bench_scale.py --backend sqlite`` prints the plans).
    """

    inherit_cache = True


@compiles(RunsFirst, "sqlite")
def _compile_runs_first(element: RunsFirst, compiler: SQLCompiler, **kw: Any) -> str:
    # "runs JOIN (SELECT 1 AS one) AS one_row ON ..."
    text: str = compiler.visit_join(element, **kw)  # type: ignore[no-untyped-call]
    head, join, rest = text.partition(" JOIN ")
    assert head == "runs", text
    assert join, text
    return f"{head} CROSS JOIN {rest}"


def _sort_columns(key: query.SortKey, cutoff: float) -> list[Order]:
    field = key.field
    stored = _stored(field.key)
    columns: list[Any]
    not_null = False
    if field.namespace == "params":
        p = schema.params
        match = sa.and_(p.c.run_id == runs.c.id, p.c.key == stored)
        columns = [
            sa.select(p.c.num).where(match).scalar_subquery(),
            sa.select(p.c.text).where(match).scalar_subquery(),
        ]
    elif field.namespace == "metrics":
        lt = schema.metric_latest
        columns = [
            sa.select(lt.c.last_value)
            .where(lt.c.run_id == runs.c.id, lt.c.key == stored)
            .scalar_subquery()
        ]
    elif field.namespace == "tags":
        t = schema.tags
        columns = [
            sa.select(t.c.value).where(t.c.run_id == runs.c.id, t.c.key == stored).scalar_subquery()
        ]
    elif field.key == "status":
        columns, not_null = [status_expr(cutoff)], True
    elif field.key == "id":
        columns, not_null = [runs.c.id], True
    elif field.key in ("started", "ended"):
        columns = [runs.c.started_at if field.key == "started" else runs.c.ended_at]
        not_null = field.key == "started"
    else:
        columns = [TEXT_COLUMNS[field.key]]
    return [Order(c, key.descending, not_null) for c in columns]


def order_columns(sort: Sequence[query.SortKey], cutoff: float) -> list[Order]:
    """The listing order: the *sort* keys, then newest first, then id (so pages cut
    anywhere neither repeat nor skip a run)."""
    orders: list[Order] = []
    for key in sort:
        orders.extend(_sort_columns(key, cutoff))
    orders.append(Order(runs.c.started_at, True, True))
    orders.append(Order(runs.c.id, True, True))
    return orders


def order_by(orders: Sequence[Order]) -> list[Any]:
    """*orders* as ORDER BY terms (NULLs last both ways).

    A column that is never NULL gets no ``NULLS LAST``: PostgreSQL reads
    ``started_at DESC`` from its index backwards, but not ``DESC NULLS LAST``.
    """
    terms = [o.expr.desc() if o.descending else o.expr.asc() for o in orders]
    return [t if o.not_null else t.nulls_last() for t, o in zip(terms, orders, strict=True)]
