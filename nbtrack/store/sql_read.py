"""Reading runs back: ids, one run in full, filtered and sorted listings.

For: the read half of ``SqlStore`` — resolving id prefixes, assembling
``Run`` and ``RunSummary`` values, filtered listings (the ``--where``
condition compiled by ``sql_where.py``) and the ``--sort`` keys as SQL.
Not for: writing, connecting, parsing the query text, or compiling ``--where``.

CRASHED is computed, never stored: every read uses ``sql_where.status_expr`` (SQL)
or :func:`effective_status` (Python), which turn a RUNNING run whose
heartbeat is older than the cutoff into CRASHED, so ``status = CRASHED`` in a
``--where`` and the status column of ``nbtrack runs`` always agree.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from nbtrack.errors import RunNotFoundError
from nbtrack.model import (
    Artifact,
    DataRef,
    Environment,
    GitState,
    Metric,
    MetricSummary,
    Param,
    ParamSource,
    Run,
    RunEvent,
    RunStatus,
    RunSummary,
    Source,
)
from nbtrack.store import query, schema
from nbtrack.store.base import ALL_EXPERIMENTS, Deleted, Experiments
from nbtrack.store.schema import decode_text as _text
from nbtrack.store.schema import encode_text as _stored
from nbtrack.store.sql_metrics import NO_STEP
from nbtrack.store.sql_order import RunsFirst, order_by, order_columns
from nbtrack.store.sql_where import compile_where, status_expr

__all__ = [
    "RunQuery",
    "count_runs",
    "deleted_condition",
    "effective_status",
    "experiment_condition",
    "experiment_names",
    "get_run",
    "list_runs",
    "metric_history",
    "not_found",
    "page_rows",
    "resolve_run_id",
    "status_expr",
    "summaries",
]

_CHUNK = 500  # ids per IN (...) when fetching params/metrics/tags of a page
_HEX = re.compile(r"^[0-9a-f]{1,32}$")
runs = schema.runs
#: a one-row table to join runs with, on the condition that picks them by deletion
_ONE = sa.select(sa.literal(1).label("one")).subquery("one_row")


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _opt(stored: str | None) -> str | None:
    return None if stored is None else _text(stored)


def effective_status(status: str, heartbeat_at: float | None, cutoff: float) -> RunStatus:
    """The status a reader sees: RUNNING with a stale heartbeat reads CRASHED."""
    value = RunStatus(status)
    if value is RunStatus.RUNNING and (heartbeat_at is None or heartbeat_at < cutoff):
        return RunStatus.CRASHED
    return value


# -- ids -----------------------------------------------------------------------


def not_found(prefix: str, candidates: Sequence[str], total: int = 0) -> RunNotFoundError:
    if not candidates:
        return RunNotFoundError(
            f"No run matches the id {prefix!r}; `nbtrack runs` lists run ids.", run_id=prefix
        )
    shown = ", ".join(c[:12] for c in candidates[:3])
    more = ", ..." if total > 3 else ""
    return RunNotFoundError(
        f"The id prefix {prefix!r} is ambiguous: it matches {total} runs ({shown}{more}); "
        "give more characters.",
        run_id=prefix,
    )


#: the length of a run id (``uuid4().hex``; ``runs.id`` is VARCHAR(32))
_ID_LENGTH = 32


def resolve_run_id(connection: Connection, id_or_prefix: str) -> str:
    prefix = id_or_prefix.strip().lower()
    if not _HEX.match(prefix):
        raise not_found(id_or_prefix, [])
    if len(prefix) == _ID_LENGTH:
        # a whole id: the primary key's lookup (PostgreSQL's LIKE cannot use that
        # index under a non-C collation: it read all 1,000,000 runs, 88 ms)
        found = connection.execute(sa.select(runs.c.id).where(runs.c.id == prefix)).first()
        if found is None:
            raise not_found(id_or_prefix, [])
        return str(found[0])
    rows = connection.execute(
        sa.select(runs.c.id).where(runs.c.id.like(prefix + "%")).order_by(runs.c.id).limit(4)
    ).all()
    if len(rows) == 1:
        return str(rows[0][0])
    if not rows:
        raise not_found(id_or_prefix, [])
    total = connection.execute(
        sa.select(sa.func.count()).select_from(runs).where(runs.c.id.like(prefix + "%"))
    ).scalar_one()
    raise not_found(id_or_prefix, [r[0] for r in rows], int(total))


# -- one run -------------------------------------------------------------------


def _param(row: Any) -> Param:
    try:
        source = ParamSource(row.source)
    except ValueError:
        source = ParamSource.CODE
    return Param(_text(row.key), json.loads(row.value), source)


def _summary(row: Any) -> MetricSummary:
    last_step = None if row.last_step is None else int(row.last_step)
    return MetricSummary(
        _text(row.key),
        _nan(row.last_value),
        _nan(row.min_value),
        _nan(row.max_value),
        int(row.count),
        last_step,
        None if row.min_step is None else int(row.min_step),
        None if row.max_step is None else int(row.max_step),
    )


def get_run(connection: Connection, run_id: str, cutoff: float) -> Run:
    row = connection.execute(sa.select(runs).where(runs.c.id == run_id)).one()
    details = connection.execute(
        sa.select(schema.run_details).where(schema.run_details.c.run_id == run_id)
    ).first()

    def rows(table: sa.Table, *order: Any) -> list[Any]:
        stmt = sa.select(table).where(table.c.run_id == run_id)
        return list(connection.execute(stmt.order_by(*order)).all())

    p, lt, tg = schema.params, schema.metric_latest, schema.tags
    environment = Environment()
    if details is not None and details.environment:
        env = json.loads(details.environment)
        env["argv"] = tuple(env.get("argv") or ())
        known = set(Environment.__dataclass_fields__)
        environment = Environment(**{k: v for k, v in env.items() if k in known})
    git = GitState(
        commit=row.git_commit,
        branch=_opt(row.git_branch),
        dirty=row.git_dirty,
        diff=_opt(details.git_diff) if details is not None else None,
        diff_truncated=bool(details.git_diff_truncated) if details is not None else False,
        remote=_opt(details.git_remote) if details is not None else None,
        root=_opt(details.git_root) if details is not None else None,
    )
    source = Source(
        path=_opt(row.notebook),
        snapshot=_opt(details.source_snapshot) if details is not None else None,
        snapshot_hash=details.source_hash if details is not None else None,
        stale=details.source_stale if details is not None else None,
    )
    return Run(
        id=row.id,
        name=_opt(row.name),
        status=effective_status(row.status, row.heartbeat_at, cutoff),
        started_at=row.started_at,
        ended_at=row.ended_at,
        heartbeat_at=row.heartbeat_at,
        params=tuple(_param(r) for r in rows(p, p.c.key)),
        metrics=tuple(_summary(r) for r in rows(lt, lt.c.key)),
        tags={_text(r.key): _text(r.value) for r in rows(tg, tg.c.key)},
        data=tuple(
            DataRef(
                _text(r.path),
                _text(r.kind),
                r.digest,
                r.size,
                json.loads(r.detail or "{}"),
                r.logged_at,
                bool(r.resolved),
            )
            for r in rows(schema.data_refs, schema.data_refs.c.id)
        ),
        artifacts=tuple(
            Artifact(_text(r.name), r.digest, r.size, r.media_type, r.uri, r.logged_at, r.step)
            for r in rows(schema.artifacts, schema.artifacts.c.id)
        ),
        events=tuple(
            RunEvent(_text(r.kind), r.timestamp, json.loads(r.detail or "{}"))
            for r in rows(schema.events, schema.events.c.id)
        ),
        git=git,
        environment=environment,
        source=source,
        deleted_at=row.deleted_at,
        note=_opt(details.note) if details is not None else None,
        experiment=_text(row.experiment),
    )


def metric_history(connection: Connection, run_id: str, key: str) -> list[Metric]:
    m = schema.metrics
    run_seq = sa.select(runs.c.seq).where(runs.c.id == run_id).scalar_subquery()
    stmt = (
        sa.select(m.c.key, m.c.value, m.c.step, m.c.timestamp)
        .where(m.c.run_seq == run_seq, m.c.key == _stored(key))
        .order_by(sa.func.coalesce(m.c.step, NO_STEP), m.c.timestamp, m.c.seq)
    )
    return [
        Metric(key, _nan(r.value), None if r.step is None else int(r.step), r.timestamp)
        for r in connection.execute(stmt)
    ]


# -- listing -------------------------------------------------------------------


@dataclass(frozen=True)
class RunQuery:
    """A parsed ``--where`` and ``--sort``, ready to compile, and which runs by deletion."""

    where: query.Expr | None
    sort: tuple[query.SortKey, ...]
    #: False: live runs only; True: soft-deleted runs only; "all": both
    deleted: Deleted = False
    #: the experiments listed (any of them); empty: every experiment
    experiments: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls,
        where: str | None,
        sort: Sequence[str],
        deleted: Deleted = False,
        experiment: Experiments = None,
    ) -> RunQuery:
        expr = query.parse_where(where) if where and where.strip() else None
        sort_keys = tuple(query.parse_sort(s) for s in sort)
        return cls(expr, sort_keys, deleted, experiment_names(experiment))


def experiment_names(experiment: Experiments) -> tuple[str, ...]:
    """*experiment* (a name, names, or None for all) as a tuple of distinct names;
    ``()`` (every experiment) for None or when one of them is ``*``.

    >>> experiment_names(["churn", " churn", "vision"])
    ('churn', 'vision')
    """
    if experiment is None:
        return ()
    listed = [experiment] if isinstance(experiment, str) else list(experiment)
    names: dict[str, None] = {}
    for name in listed:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"experiment must be a non-empty name, not {name!r}")
        names[name.strip()] = None
    return () if ALL_EXPERIMENTS in names else tuple(names)


def deleted_condition(deleted: Deleted) -> ColumnElement[bool] | None:
    """The runs *deleted* selects, as SQL over ``runs`` (None: every run)."""
    if deleted == "all":
        return None
    if deleted is True:
        return runs.c.deleted_at.is_not(None)
    if deleted is False:
        return runs.c.deleted_at.is_(None)
    raise ValueError(f"deleted must be False, True or 'all', not {deleted!r}")


def _without_jit(connection: Connection, q: RunQuery) -> None:
    """Turn PostgreSQL's JIT off for this read's transaction when it filters.

    A ``--where`` of many terms is many small subplans, which the planner
    costs high enough to JIT-compile; compiling them took minutes for 1,000
    terms, running them takes milliseconds.
    """
    if q.where is not None and connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL jit = off")


def experiment_condition(experiments: Sequence[str]) -> ColumnElement[bool] | None:
    """The runs of *experiments* (any of them), as SQL over ``runs`` (None: all).

    One name is an equality, so ``ix_runs_experiment_started`` serves both the
    filter and the newest-first order.
    """
    if not experiments:
        return None
    stored = [_stored(name) for name in experiments]
    if len(stored) == 1:
        return runs.c.experiment == stored[0]
    return runs.c.experiment.in_(stored)


def _filtered(
    q: RunQuery, cutoff: float, extra: ColumnElement[bool] | None = None
) -> sa.Select[Any]:
    """The runs *q* selects (their own columns), and only those under *extra* if given."""
    stmt = sa.select(
        runs.c.id,
        runs.c.name,
        runs.c.status,
        runs.c.notebook,
        runs.c.started_at,
        runs.c.ended_at,
        runs.c.heartbeat_at,
        runs.c.deleted_at,
        runs.c.experiment,
    )
    picked = [
        c
        for c in (deleted_condition(q.deleted), experiment_condition(q.experiments), extra)
        if c is not None
    ]
    if picked:
        # in a join's ON, not beside the --where: an AND around it would nest the
        # --where one level deeper, past what SQLite's parser takes at MAX_NESTING
        stmt = stmt.select_from(RunsFirst(runs, _ONE, sa.and_(*picked)))
    if q.where is not None:
        stmt = stmt.where(compile_where(q.where, cutoff))
    return stmt


def count_runs(connection: Connection, q: RunQuery, cutoff: float) -> int:
    inner = _filtered(q, cutoff).subquery()
    _without_jit(connection, q)
    return int(connection.execute(sa.select(sa.func.count()).select_from(inner)).scalar_one())


def page_rows(
    connection: Connection,
    q: RunQuery,
    limit: int | None,
    cutoff: float,
    *,
    with_total: bool = False,
    offset: int = 0,
) -> list[Any]:
    """The runs' own columns (id, name, status, ...), filtered, sorted
    (:func:`order_columns`) and limited."""
    stmt = _filtered(q, cutoff)
    _without_jit(connection, q)
    if with_total:
        stmt = stmt.add_columns(sa.func.count().over().label("total"))
    stmt = stmt.order_by(*order_by(order_columns(q.sort, cutoff)))
    if limit is not None:
        stmt = stmt.limit(limit)
    if offset:
        stmt = stmt.offset(offset)
    return list(connection.execute(stmt).all())


def list_runs(
    connection: Connection,
    q: RunQuery,
    limit: int | None,
    cutoff: float,
    *,
    with_total: bool = False,
    offset: int = 0,
) -> tuple[list[RunSummary], int]:
    """The page of runs (*offset* runs skipped) and, *with_total*, how many match
    in all (else the page size; 0 when the page is past the end).

    The total comes from ``count(*) OVER ()`` in the same query, so a filtered,
    sorted page and its "N more" line cost one pass over the runs, not two.
    """
    rows = page_rows(connection, q, limit, cutoff, with_total=with_total, offset=offset)
    if not rows:
        return [], 0
    total = int(rows[0].total) if with_total else len(rows)
    return summaries(connection, rows, cutoff), total


def summaries(connection: Connection, rows: Sequence[Any], cutoff: float) -> list[RunSummary]:
    """The listed *rows* (runs' own columns) with their params, last metrics and tags."""
    params: dict[str, dict[str, Any]] = {r.id: {} for r in rows}
    metrics: dict[str, dict[str, float]] = {r.id: {} for r in rows}
    tags: dict[str, dict[str, str]] = {r.id: {} for r in rows}
    ids = list(params)
    p, lt, t = schema.params, schema.metric_latest, schema.tags
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        for row in connection.execute(
            sa.select(p.c.run_id, p.c.key, p.c.value).where(p.c.run_id.in_(chunk))
        ):
            params[row.run_id][_text(row.key)] = json.loads(row.value)
        for row in connection.execute(
            sa.select(lt.c.run_id, lt.c.key, lt.c.last_value).where(lt.c.run_id.in_(chunk))
        ):
            metrics[row.run_id][_text(row.key)] = _nan(row.last_value)
        for row in connection.execute(
            sa.select(t.c.run_id, t.c.key, t.c.value).where(t.c.run_id.in_(chunk))
        ):
            tags[row.run_id][_text(row.key)] = _text(row.value)
    return [
        RunSummary(
            id=r.id,
            name=_opt(r.name),
            status=effective_status(r.status, r.heartbeat_at, cutoff),
            notebook=_opt(r.notebook),
            started_at=r.started_at,
            ended_at=r.ended_at,
            heartbeat_at=r.heartbeat_at,
            params=dict(sorted(params[r.id].items())),
            metrics=dict(sorted(metrics[r.id].items())),
            tags=dict(sorted(tags[r.id].items())),
            deleted_at=r.deleted_at,
            experiment=_text(r.experiment),
        )
        for r in rows
    ]
