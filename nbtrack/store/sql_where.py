"""Compiling a parsed ``--where`` into SQL, and a run's status as SQL.

For: turning the AST of ``query.py`` into one SQLAlchemy Core condition over
``runs``: EXISTS subqueries per param, metric and tag (a run lacking the key
does not match), columns for run attributes, ``status_expr`` for the status a
reader sees. Not for: parsing (``query.py``), or running the statement
(``sql_read.py``).

Depth: an ``and``/``or`` of any number of terms compiles to flat SQL
``AND``/``OR`` lists, never a nested tree (SQLAlchemy compiles nesting
recursively), and a list longer than :data:`GROUP` is cut into parenthesised
groups of at most that many, so SQLite's parser, which reads ``a AND b AND
...`` as a left-deep tree and refuses one deeper than 1000, sees a shallow
one. Nesting itself is bounded by the parser (``query.MAX_NESTING``).

Types (the rule ``query.py`` states): an ordering against a number reads
``params.num`` (NULL unless the param is a number); an ordering, ``contains``
or ``like`` against a string matches only params stored as strings (their
JSON ``value`` starts with a quote), so ``params.lr < 'abc'`` never matches
``lr = 0.1`` on SQLite or PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement

from nbtrack.model import RunStatus
from nbtrack.store import query, schema
from nbtrack.store.schema import encode_text as _stored

__all__ = ["GROUP", "TEXT_COLUMNS", "compile_where", "status_expr"]

#: at most this many terms in one SQL AND/OR list before it is grouped
GROUP = 32
runs = schema.runs

#: the run attributes that are text columns, by their query name
TEXT_COLUMNS = {
    "name": runs.c.name,
    "notebook": runs.c.notebook,
    "user": runs.c.username,
    "host": runs.c.hostname,
    "branch": runs.c.git_branch,
    "commit": runs.c.git_commit,
    "experiment": runs.c.experiment,
}

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "contains": lambda a, b: a.contains(b, autoescape=True),
    "like": lambda a, b: a.like(b),
}


def status_expr(cutoff: float) -> ColumnElement[Any]:
    """SQL for the status a reader sees: RUNNING with a stale heartbeat is CRASHED."""
    stale = sa.and_(
        runs.c.status == RunStatus.RUNNING.value,
        sa.or_(runs.c.heartbeat_at.is_(None), runs.c.heartbeat_at < cutoff),
    )
    return sa.case((stale, sa.literal(RunStatus.CRASHED.value)), else_=runs.c.status)


class _Group(ColumnElement[bool]):
    """``(inner)``: a boolean list SQLAlchemy must not splice into its parent list."""

    __visit_name__ = "nbtrack_group"
    inherit_cache = False  # only long queries build one; they are not cached
    type = sa.Boolean()

    def __init__(self, inner: ColumnElement[bool]) -> None:
        self.inner = inner


@compiles(_Group)
def _compile_group(element: _Group, compiler: SQLCompiler, **kw: Any) -> str:
    return "(" + compiler.process(element.inner, **kw) + ")"


def _joined(
    join: Callable[..., ColumnElement[bool]], clauses: Sequence[ColumnElement[bool]]
) -> ColumnElement[bool]:
    """``join(*clauses)``, as parenthesised groups of at most :data:`GROUP`."""
    level = list(clauses)
    while len(level) > GROUP:
        level = [
            _Group(join(*level[start : start + GROUP])) for start in range(0, len(level), GROUP)
        ]
    return join(*level)


def _time_value(cmp: query.Compare) -> float:
    # the parser has checked that a string here is an ISO time
    if isinstance(cmp.value, float):
        return cmp.value
    return datetime.fromisoformat(cmp.value).timestamp()


def _exists(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """EXISTS a row under *conditions*, kept a per-run subplan on PostgreSQL.

    ``OFFSET 0`` stops PostgreSQL from turning each EXISTS of an ``and`` into
    a semi-join: planning 1,000 joins took minutes, probing an index per run
    takes milliseconds.
    """
    return sa.select(sa.literal(1)).where(*conditions).offset(0).exists()


def _param(cmp: query.Compare) -> ColumnElement[bool]:
    op = _OPS[cmp.op]
    p = schema.params
    text = _stored(cmp.text)
    cond: ColumnElement[bool]
    if cmp.op in ("=", "!="):  # as written: the string param "5" equals 5
        cond = op(p.c.text, text)
        if isinstance(cmp.value, float):
            cond = sa.or_(op(p.c.num, cmp.value), sa.and_(p.c.num.is_(None), cond))
    elif isinstance(cmp.value, float) and cmp.op in query.ORDERING:
        cond = op(p.c.num, cmp.value)  # NULL, so false, unless the param is a number
    else:  # an ordering against a string, contains, like: string params only
        cond = sa.and_(p.c.value.startswith('"'), op(p.c.text, text))
    return _exists(p.c.run_id == runs.c.id, p.c.key == _stored(cmp.field.key), cond)


def _compare(cmp: query.Compare, cutoff: float) -> ColumnElement[bool]:
    op = _OPS[cmp.op]
    field = cmp.field
    key, text = _stored(field.key), _stored(cmp.text)
    if field.namespace == "params":
        return _param(cmp)
    if field.namespace == "metrics":
        lt = schema.metric_latest
        value = float(cmp.text)  # the parser has checked it is a number
        if value != value:  # NaN is stored as NULL; the parser allows only = and !=
            cond = lt.c.last_value.is_(None) if cmp.op == "=" else lt.c.last_value.is_not(None)
        else:
            cond = op(lt.c.last_value, value)
        return _exists(lt.c.run_id == runs.c.id, lt.c.key == key, cond)
    if field.namespace == "tags":
        t = schema.tags
        cond = op(t.c.value, text)
        return _exists(t.c.run_id == runs.c.id, t.c.key == key, cond)
    name = field.key
    if name == "status":
        wanted = cmp.text.upper()
        result: ColumnElement[bool] = op(status_expr(cutoff), wanted)
        return result
    if name == "id":
        if cmp.op == "=":
            return runs.c.id.like(cmp.text.lower().replace("%", "") + "%")
        return op(runs.c.id, cmp.text.lower())  # type: ignore[no-any-return]
    if name in ("started", "ended"):
        column = runs.c.started_at if name == "started" else runs.c.ended_at
        return op(column, _time_value(cmp))  # type: ignore[no-any-return]
    return op(TEXT_COLUMNS[name], text)  # type: ignore[no-any-return]


def compile_where(expr: query.Expr, cutoff: float) -> ColumnElement[bool]:
    """*expr* as one SQL condition over ``runs`` (*cutoff*: the CRASHED heartbeat time).

    Recurses only where the expression nests, which the parser bounds.
    """
    if isinstance(expr, query.And):
        return _joined(sa.and_, [compile_where(term, cutoff) for term in expr.terms])
    if isinstance(expr, query.Or):
        return _joined(sa.or_, [compile_where(term, cutoff) for term in expr.terms])
    if isinstance(expr, query.Not):
        return sa.not_(compile_where(expr.inner, cutoff))
    return _compare(expr, cutoff)
