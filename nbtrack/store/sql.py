"""SqlStore: the one Store implementation, for SQLite and PostgreSQL alike.

For: writing runs (this module) and delegating reads to ``sql_read.py``,
managing runs (delete, purge, ...) to ``sql_manage.py`` and
the metric hot path to ``sql_metrics.py`` (``executemany`` on SQLite, ``COPY``
on PostgreSQL, SQL text built once per dialect).
Not for: connecting and schema checks (``_engine.py``), the ``--where``
language (``query.py``), or deciding what to log (``nbtrack.tracking``).

Encoding (see also ``schema.py``): a metric value NaN is stored as NULL on
both dialects and read back as ``float("nan")``; ±inf are stored as
themselves. Param values are JSON text. Artifacts are files named by their
sha256 under the store's artifact root (a folder or a URL), handled by
``sql_artifacts.py``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nbtrack.config import mask_url
from nbtrack.errors import RunNotFoundError, StoreError
from nbtrack.model import (
    Artifact,
    DataRef,
    Environment,
    GitState,
    Metric,
    Param,
    Run,
    RunEvent,
    RunPage,
    RunStatus,
    RunSummary,
    Source,
)
from nbtrack.store import _engine, keyset, schema, sql_order, sql_page, sql_read
from nbtrack.store.base import Deleted, Experiments, MetricRow, Store
from nbtrack.store.schema import encode_text as _text
from nbtrack.store.sql_artifacts import ArtifactFiles
from nbtrack.store.sql_columns import ColumnReads
from nbtrack.store.sql_extremes import ExtremeReads
from nbtrack.store.sql_lineage import LineageReads
from nbtrack.store.sql_manage import RunManagement
from nbtrack.store.sql_metrics import MetricWriter

if TYPE_CHECKING:
    from nbtrack.config import Settings

__all__ = ["SqlStore"]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=repr)


def _opt(text: str | None) -> str | None:
    return None if text is None else _text(text)


def _tag_rows(run_id: str, tags: dict[str, str]) -> list[dict[str, Any]]:
    return [{"run_id": run_id, "key": _text(k), "value": _text(str(v))} for k, v in tags.items()]


def _param_columns(param: Param) -> dict[str, Any]:
    value = param.value
    num = None
    if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
        num = float(value)
    return {
        "key": _text(param.key),
        "value": _json(value),
        "num": num,
        "text": _text(value) if isinstance(value, str) else _json(value),
        "source": getattr(param.source, "value", str(param.source)),
    }


class SqlStore(ArtifactFiles, RunManagement, ColumnReads, ExtremeReads, LineageReads, Store):
    """A run store over SQLAlchemy Core. Thread-safe; one per process is enough.

    >>> store = SqlStore("sqlite:////tmp/x/runs.db", settings=settings)  # doctest: +SKIP
    """

    def __init__(
        self, url: str, *, settings: Settings, create: bool = True, check: bool = True
    ) -> None:
        """Open the store at *url*, creating an empty one if *create*.

        *check* False skips the schema comparison (``nbtrack db`` inspects and
        upgrades stores of other schemas); everything else needs it.
        """
        self.url = url
        self.settings = settings
        self.heartbeat_timeout = settings.heartbeat_timeout
        # the default artifact folder belongs to this store's URL, which may differ from
        # settings'; a set or recorded root replaces it (sql_artifacts.py)
        self.artifact_root = dataclasses.replace(settings, store_url=url).artifact_root
        #: no store exists and create=False: reads see an empty store, writes fail
        self.missing = False
        #: why this SQLite store cannot be written (it is opened read-only); None if it can
        self.read_only: str | None = None
        path = _engine.sqlite_path(url)
        if path is not None and path.is_dir():
            raise StoreError(
                f"The SQLite store {path} is a directory, not a SQLite file; point the store "
                f"at a file (e.g. {path / 'runs.db'}) or move the directory away.",
                uri=mask_url(url),
            )
        if path is not None and not path.exists():
            if not create:
                self.missing = True
            else:
                _engine.make_parent(path)
        elif path is not None:
            self.read_only = _engine.read_only_reason(path)
        self.engine = _engine.make_engine(url, read_only=self.read_only is not None)
        self._writer = _engine.write_engine(self.engine)
        self.dialect = self.engine.dialect.name
        self._metrics = MetricWriter(self.engine)
        if not self.missing:
            try:
                self._open(create, check)
            except BaseException:
                self.engine.dispose()
                raise

    def _open(self, create: bool, check: bool) -> None:
        with _engine.guard(self.url), self.engine.connect() as connection:
            revision, has_tables = _engine.current_revision(connection)
            connection.rollback()
        if revision == schema.HEAD:
            return
        if revision is None and not has_tables:
            if not create:
                self.missing = True
                return
            _engine.ensure_schema(
                self.engine, self.url, upgrade=False, experiment=self.settings.experiment
            )
            return
        if check:
            _engine.check_schema(revision, has_tables, self.url)

    # -- plumbing --------------------------------------------------------------
    @contextmanager
    def _write(self, run_id: str | None = None) -> Iterator[Connection]:
        if self.missing:
            raise StoreError(
                f"There is no run store at {mask_url(self.url)} yet.",
                uri=mask_url(self.url),
            )
        if self.read_only is not None:
            self._refuse_write()
        try:
            with _engine.guard(self.url), self._writer.begin() as connection:
                yield connection
        except StoreError as error:
            # metrics rows are checked through metric_latest's foreign key
            if run_id is not None and "foreign key" in str(error).lower():
                raise RunNotFoundError(
                    f"No run with id {run_id!r} in the store.", run_id=run_id
                ) from None
            raise

    def _refuse_write(self) -> None:
        raise StoreError(
            f"The SQLite store {_engine.sqlite_path(self.url)} can be read but not written:"
            f" {self.read_only}.",
            uri=mask_url(self.url),
        )

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with _engine.guard(self.url), self.engine.connect() as connection:
            yield connection

    def _upsert(self, connection: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        from sqlalchemy.dialects import postgresql, sqlite

        keys = [c.name for c in table.primary_key.columns]
        stmt: sqlite.Insert | postgresql.Insert
        stmt = sqlite.insert(table) if self.dialect == "sqlite" else postgresql.insert(table)
        update = {c.name: stmt.excluded[c.name] for c in table.columns if c.name not in keys}
        connection.execute(stmt.on_conflict_do_update(index_elements=keys, set_=update), rows)

    def _require_run(self, connection: Connection, run_id: str) -> None:
        found = connection.execute(
            sa.select(schema.runs.c.id).where(schema.runs.c.id == run_id)
        ).first()
        if found is None:
            raise RunNotFoundError(f"No run with id {run_id!r} in the store.", run_id=run_id)

    # -- writing ---------------------------------------------------------------
    def create_run(
        self,
        *,
        run_id: str,
        name: str | None,
        started_at: float,
        tags: dict[str, str] | None = None,
        git: GitState | None = None,
        environment: Environment | None = None,
        source: Source | None = None,
        experiment: str | None = None,
    ) -> None:
        git = git or GitState()
        environment = environment or Environment()
        source = source or Source()
        runs = schema.runs
        with self._write() as connection:
            if self.dialect == "postgresql":  # max(seq) + 1 must not race
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_engine.PG_LOCK_KEY})")
            next_seq = sa.select(sa.func.coalesce(sa.func.max(runs.c.seq), 0) + 1)
            connection.execute(
                runs.insert().values(
                    seq=next_seq.scalar_subquery(),
                    id=run_id,
                    name=_opt(name),
                    status=RunStatus.RUNNING.value,
                    started_at=started_at,
                    heartbeat_at=started_at,
                    notebook=_opt(source.path),
                    git_commit=git.commit,
                    git_branch=_opt(git.branch),
                    git_dirty=git.dirty,
                    username=_opt(environment.user or None),
                    hostname=_opt(environment.host or None),
                    experiment=_text(experiment or self.settings.experiment),
                )
            )
            connection.execute(
                schema.run_details.insert().values(
                    run_id=run_id,
                    git_diff=_opt(git.diff),
                    git_diff_truncated=git.diff_truncated,
                    git_remote=_opt(git.remote),
                    git_root=_opt(git.root),
                    environment=_json(dataclasses.asdict(environment)),
                    source_snapshot=_opt(source.snapshot),
                    source_hash=source.snapshot_hash,
                    source_stale=source.stale,
                )
            )
            if tags:
                connection.execute(schema.tags.insert(), _tag_rows(run_id, tags))

    def log_params(self, run_id: str, params: Sequence[Param]) -> None:
        if not params:
            return
        rows = [{"run_id": run_id, **_param_columns(p)} for p in params]
        with self._write() as connection:
            self._require_run(connection, run_id)
            self._upsert(connection, schema.params, rows)

    def log_metrics(self, run_id: str, rows: Sequence[MetricRow]) -> None:
        if not rows:
            return
        with self._write(run_id) as connection:
            self._metrics.append(connection, run_id, rows)

    def heartbeat(self, run_id: str, at: float, rows: Sequence[MetricRow] = ()) -> None:
        with self._write(run_id) as connection:
            if rows:
                self._metrics.append(connection, run_id, rows)
            connection.exec_driver_sql(self._metrics.beat, (at, run_id))

    def set_tags(self, run_id: str, tags: dict[str, str]) -> None:
        if not tags:
            return
        rows = _tag_rows(run_id, tags)
        with self._write() as connection:
            self._require_run(connection, run_id)
            self._upsert(connection, schema.tags, rows)

    def set_name(self, run_id: str, name: str | None) -> None:
        with self._write() as connection:
            self._require_run(connection, run_id)
            connection.execute(
                schema.runs.update().where(schema.runs.c.id == run_id).values(name=_opt(name))
            )

    def set_source(self, run_id: str, source: Source) -> None:
        with self._write() as connection:
            self._require_run(connection, run_id)
            connection.execute(
                schema.runs.update()
                .where(schema.runs.c.id == run_id)
                .values(notebook=_opt(source.path))
            )
            connection.execute(
                schema.run_details.update()
                .where(schema.run_details.c.run_id == run_id)
                .values(
                    source_snapshot=_opt(source.snapshot),
                    source_hash=source.snapshot_hash,
                    source_stale=source.stale,
                )
            )

    def add_data_ref(self, run_id: str, ref: DataRef) -> None:
        with self._write() as connection:
            self._require_run(connection, run_id)
            connection.execute(
                schema.data_refs.insert().values(
                    run_id=run_id,
                    path=_text(ref.path),
                    kind=_text(ref.kind),
                    digest=ref.digest,
                    size=ref.size,
                    detail=_json(ref.detail),
                    logged_at=ref.logged_at,
                    resolved=ref.resolved,
                )
            )

    def add_artifact(self, run_id: str, artifact: Artifact) -> None:
        with self._write() as connection:
            self._require_run(connection, run_id)
            connection.execute(
                schema.artifacts.insert().values(
                    run_id=run_id,
                    name=_text(artifact.name),
                    digest=artifact.digest,
                    size=artifact.size,
                    media_type=artifact.media_type,
                    uri=artifact.uri,
                    logged_at=artifact.logged_at,
                    step=artifact.step,
                )
            )

    def add_event(self, run_id: str, event: RunEvent) -> None:
        with self._write() as connection:
            self._require_run(connection, run_id)
            connection.execute(
                schema.events.insert().values(
                    run_id=run_id,
                    kind=_text(event.kind),
                    timestamp=event.timestamp,
                    detail=_json(event.detail),
                )
            )

    def end_run(self, run_id: str, status: RunStatus, ended_at: float) -> None:
        with self._write() as connection:
            self._require_run(connection, run_id)
            connection.execute(
                schema.runs.update()
                .where(schema.runs.c.id == run_id)
                .values(status=status.value, ended_at=ended_at, heartbeat_at=ended_at)
            )

    # -- reading ---------------------------------------------------------------
    def _cutoff(self) -> float:
        import time

        return time.time() - self.heartbeat_timeout

    def resolve_run_id(self, id_or_prefix: str) -> str:
        if self.missing:
            raise sql_read.not_found(id_or_prefix, [])
        with self._read() as connection:
            return sql_read.resolve_run_id(connection, id_or_prefix)

    def get_run(self, id_or_prefix: str) -> Run:
        if self.missing:
            raise sql_read.not_found(id_or_prefix, [])
        with self._read() as connection:
            run_id = sql_read.resolve_run_id(connection, id_or_prefix)
            return sql_read.get_run(connection, run_id, self._cutoff())

    def list_runs(
        self,
        *,
        where: str | None = None,
        sort: Sequence[str] = (),
        limit: int | None = None,
        deleted: Deleted = False,
        experiment: Experiments = None,
    ) -> list[RunSummary]:
        query = sql_read.RunQuery.parse(where, sort, deleted, experiment)
        if self.missing:
            return []
        with self._read() as connection:
            return sql_read.list_runs(connection, query, limit, self._cutoff())[0]

    def list_page(
        self, *, where: str | None = None, sort: Sequence[str] = (), limit: int | None = None,
        deleted: Deleted = False, offset: int = 0, experiment: Experiments = None,
    ) -> tuple[list[RunSummary], int]:  # fmt: skip
        if offset < 0:
            raise ValueError(f"offset must be >= 0, not {offset}")
        query = sql_read.RunQuery.parse(where, sort, deleted, experiment)
        if self.missing:
            return [], 0
        with self._read() as connection:
            cutoff = self._cutoff()
            paged = limit is not None or offset > 0
            listed, total = sql_read.list_runs(
                connection, query, limit, cutoff, with_total=paged, offset=offset
            )
            if offset > 0 and not listed:  # past the end: no row carried the total
                total = sql_read.count_runs(connection, query, cutoff)
            return listed, total

    def run_page(
        self, *, where: str | None = None, sort: Sequence[str] = (), limit: int | None = None,
        deleted: Deleted = False, after: str | None = None, count_cap: int = sql_page.COUNT_CAP,
        experiment: Experiments = None,
    ) -> RunPage:  # fmt: skip
        query = sql_read.RunQuery.parse(where, sort, deleted, experiment)
        listing = sql_page.mark(query)
        if self.missing:
            if after is not None:  # still refuse a cursor of another listing
                keyset.decode(after, listing, len(sql_order.order_columns(query.sort, 0.0)))
            return RunPage([])
        with self._read() as connection:
            return sql_page.run_page(
                connection, query, limit, self._cutoff(), after=after, listing=listing,
                count_cap=count_cap,
            )  # fmt: skip

    def count_runs(
        self, *, where: str | None = None, deleted: Deleted = False, experiment: Experiments = None
    ) -> int:
        """How many runs match *where* (for "N more" lines)."""
        query = sql_read.RunQuery.parse(where, (), deleted, experiment)
        if self.missing:
            return 0
        with self._read() as connection:
            return sql_read.count_runs(connection, query, self._cutoff())

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        if self.missing:
            return []
        with self._read() as connection:
            return sql_read.metric_history(connection, run_id, key)

    # -- lifetime --------------------------------------------------------------
    def schema_status(self) -> dict[str, Any]:
        """current/head revisions, the URL; ``lost_record`` with the ``detected`` revision
        when the tables are there but ``alembic_version`` is not."""
        current, tables, detected = None, False, None
        if not self.missing:
            with self._read() as connection:
                current, tables = _engine.current_revision(connection)
                if current is None and tables:
                    detected = _engine.detect_revision(connection)
        lost = current is None and tables
        return {"current": current, "head": schema.HEAD, "url": mask_url(self.url),
                "lost_record": lost, "detected": detected}  # fmt: skip

    def upgrade(self) -> tuple[str | None, str | None]:
        """Apply migrations; (revision before, after). Creates a missing store."""
        if self.missing:
            path = _engine.sqlite_path(self.url)
            if path is not None:
                _engine.make_parent(path)
            self.missing = False
        if self.read_only is not None:
            current = self.schema_status()["current"]
            if current == schema.HEAD:
                return current, current
            self._refuse_write()
        return _engine.ensure_schema(
            self.engine, self.url, upgrade=True, experiment=self.settings.experiment
        )

    def close(self) -> None:
        self.engine.dispose()
