"""Keyset pagination: the cursor of a listing's next page, and the SQL that starts there.

For: ``Store.run_page(after=...)`` (``nbtrack runs --after``, the read API's
pages, the UI's ``?after=``). A page after another is the runs that sort
strictly after the last run shown, found through the index of the listing
order (``runs.started_at``), so page 10,000 costs what page 1 costs; an
offset would read and drop every run before it.
Not for: the listing's filter and order themselves (``sql_read``), or
parsing ``--where`` (``query``).

A cursor is opaque text (URL-safe base64 of JSON): a version, a fingerprint
of the listing it belongs to (the parsed ``--where``, the sort keys, which
runs by deletion, the experiment), and the last run's values of the ordering
columns: one or two per sort key, then ``started_at`` and ``id``. A cursor
handed to a listing with another fingerprint, or text that is not a cursor,
is refused with one sentence (:class:`~nbtrack.errors.QueryError`, exit 2):
applied to another order it would skip or repeat runs silently.

Ordering columns sort NULLs last (a run without the key), both ways, so
"after *v*" is "beyond *v* in the column's direction, or NULL"; after a
NULL only NULLs follow, which tie. Ties go to the next column, and the last
two (``started_at``, ``id``) never tie, so no run is skipped or repeated.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from nbtrack.errors import QueryError

__all__ = ["VERSION", "Order", "after_condition", "decode", "encode", "fingerprint"]

#: the cursor format's version (a cursor of another version is refused)
VERSION = 1


@dataclass(frozen=True)
class Order:
    """One column of the listing order: the expression and its direction."""

    expr: Any  # a column, a CASE, or a scalar subquery (a param's value)
    descending: bool
    #: the column is never NULL (a run's own column): lets the first column bound an index
    not_null: bool = False


def fingerprint(*parts: object) -> str:
    """A short digest of what a listing is (its ``repr``-able parts)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return {"f": repr(value)}  # JSON has no inf/nan; NaN is stored as NULL anyway
    return value


def _unplain(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"f"} and value["f"] in ("inf", "-inf", "nan"):
        return float(value["f"])
    return value


def encode(mark: str, values: Sequence[Any]) -> str:
    """The cursor after a run whose ordering values are *values*, in listing *mark*."""
    data = json.dumps([VERSION, mark, [_plain(v) for v in values]], separators=(",", ":"))
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def decode(cursor: str, mark: str, width: int) -> list[Any]:
    """The ordering values *cursor* holds, checked against the listing *mark*.

    Raises QueryError naming the cursor when it is not one of this listing's.
    """
    shown = cursor if len(cursor) <= 40 else cursor[:37] + "..."
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, got, values = json.loads(text)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as exc:
        raise QueryError(
            f"Cannot continue after {shown!r}: it is not a page cursor of nbtrack runs "
            "(copy the one a listing printed)."
        ) from exc
    if version != VERSION:
        raise QueryError(
            f"Cannot continue after {shown!r}: it is not a page cursor of this nbtrack version."
        )
    if got != mark:
        raise QueryError(
            f"Cannot continue after {shown!r}: that cursor belongs to a listing with another "
            "--where, --sort, --experiment or --deleted; list again with the options that "
            "printed it, or start from the first page."
        )
    if not isinstance(values, list) or len(values) != width:
        raise QueryError(f"Cannot continue after {shown!r}: the cursor is damaged.")
    return [_unplain(v) for v in values]


def _beyond(order: Order, value: Any) -> ColumnElement[bool]:
    """Rows strictly after *value* in this column (NULLs sort last)."""
    if value is None:
        return sa.false()
    strictly: ColumnElement[bool] = order.expr < value if order.descending else order.expr > value
    if order.not_null:
        return strictly
    return sa.or_(strictly, order.expr.is_(None))


def _same(order: Order, value: Any) -> ColumnElement[bool]:
    same: ColumnElement[bool] = order.expr.is_(None) if value is None else order.expr == value
    return same


def after_condition(orders: Sequence[Order], values: Sequence[Any]) -> ColumnElement[bool]:
    """SQL for "sorts strictly after *values*" in the order *orders*.

    ``c1 beyond v1 or (c1 = v1 and (c2 beyond v2 or (c2 = v2 and ...)))``,
    built from the last column up; when the first column is never NULL it is
    also bounded (``c1 <= v1``), which an index on it can seek to.
    """
    condition = _beyond(orders[-1], values[-1])
    for order, value in zip(reversed(orders[:-1]), reversed(values[:-1]), strict=True):
        condition = sa.or_(_beyond(order, value), sa.and_(_same(order, value), condition))
    first, value = orders[0], values[0]
    if first.not_null and value is not None:
        bound = first.expr <= value if first.descending else first.expr >= value
        condition = sa.and_(bound, condition)
    return condition
