"""The Store interface: everything that reads or writes runs goes through it.

One implementation (``nbtrack.store.sql.SqlStore``) serves SQLite and
PostgreSQL. This module is import-light (no SQLAlchemy) so the tracking layer
can name the type without paying for the driver.

Contract notes, for implementers and callers:

* Run ids are 32-char lowercase hex (uuid4); any unique prefix resolves.
* ``log_metrics`` takes already-validated rows ``(key, value, step, ts)`` and
  writes them in one transaction; NaN and +-inf round-trip.
* A run stored as RUNNING whose heartbeat is older than ``heartbeat_timeout``
  seconds reads as ``RunStatus.CRASHED`` from every read method.
* Errors are ``StoreError`` (read-only, locked for too long, bad
  credentials...), its subclass ``StoreUnreachableError`` when the server
  cannot be reached right now and a retry may cure it (connection refused, a
  timeout), ``SchemaError`` (store needs ``nbtrack db upgrade`` or is newer
  than this nbtrack) or ``RunNotFoundError`` (unknown/ambiguous id).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, NamedTuple

from nbtrack.model import (
    Artifact,
    DataRef,
    Environment,
    GitState,
    Metric,
    MetricHistory,
    Param,
    Run,
    RunEvent,
    RunPage,
    RunStatus,
    RunSummary,
    RunTable,
    Source,
)

__all__ = [
    "ALL_EXPERIMENTS",
    "Deleted",
    "DigestUse",
    "Experiments",
    "HistoryArrays",
    "MetricRow",
    "Store",
    "arrays_to_history",
    "summaries_table",
]

#: one buffered metric point: key, value, step (or None), unix timestamp
MetricRow = tuple[str, float, int | None, float]
#: which runs a listing shows: False live runs (the default), True only
#: soft-deleted ones, "all" both
Deleted = bool | Literal["all"]
#: which experiments a listing shows: one name, several (any of them), or
#: None (or :data:`ALL_EXPERIMENTS` among them) for every experiment
Experiments = str | Sequence[str] | None
#: the experiment filter that lists every experiment (never a name: see
#: ``config.experiment_name``)
ALL_EXPERIMENTS = "*"


class DigestUse(NamedTuple):
    """A run's artifact or data ref holding a digest (what lineage links by).

    ``name`` is the artifact's name or the ref's path; ``kind`` the artifact's
    media type or the ref's kind; ``step`` the artifact's step (None for a
    ref, or an artifact of the whole run); ``logged_at`` when it was logged;
    ``run_name`` the run's name (read in the same query, for labels).
    """

    run_id: str
    name: str
    kind: str
    step: int | None
    digest: str
    logged_at: float
    run_name: str | None = None


class HistoryArrays(NamedTuple):
    """A metric history as numpy arrays, in ``MetricHistory``'s step order.

    ``steps`` is int64 with 0 where ``has_step`` is False (a point logged
    without a step); ``values`` float64 with NaN/±inf; ``timestamps`` unix
    seconds as float64.
    """

    steps: Any
    has_step: Any
    values: Any
    timestamps: Any


def arrays_to_history(run_id: str, key: str, arrays: HistoryArrays) -> MetricHistory:
    """*arrays* as a ``MetricHistory`` of plain Python values (None for no step)."""
    steps: list[Any] = arrays.steps.tolist()
    if not arrays.has_step.all():
        steps = [s if has else None for s, has in zip(steps, arrays.has_step.tolist(), strict=True)]
    return MetricHistory(
        run_id=run_id,
        key=key,
        steps=tuple(steps),
        values=tuple(arrays.values.tolist()),
        timestamps=tuple(arrays.timestamps.tolist()),
    )


class Store(abc.ABC):
    """A run store. Thread-safe: the tracking flusher and the caller share one."""

    url: str
    heartbeat_timeout: float

    # -- writing ---------------------------------------------------------------
    @abc.abstractmethod
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
        """Insert a RUNNING run whose heartbeat is *started_at*.

        *experiment* None puts the run in the settings' experiment.
        """

    @abc.abstractmethod
    def log_params(self, run_id: str, params: Sequence[Param]) -> None:
        """Insert params; a key already present for the run is replaced."""

    @abc.abstractmethod
    def log_metrics(self, run_id: str, rows: Sequence[MetricRow]) -> None:
        """Append metric points in one transaction."""

    @abc.abstractmethod
    def heartbeat(self, run_id: str, at: float, rows: Sequence[MetricRow] = ()) -> None:
        """Beat the heartbeat, appending *rows* in the same transaction."""

    @abc.abstractmethod
    def set_tags(self, run_id: str, tags: dict[str, str]) -> None:
        """Insert or replace tags."""

    @abc.abstractmethod
    def set_name(self, run_id: str, name: str | None) -> None: ...

    @abc.abstractmethod
    def set_source(self, run_id: str, source: Source) -> None:
        """Record (or replace) the notebook path and text snapshot."""

    @abc.abstractmethod
    def add_data_ref(self, run_id: str, ref: DataRef) -> None: ...

    @abc.abstractmethod
    def put_artifact(self, path: Path) -> tuple[str, int, str]:
        """Copy a file into the artifact root; return (digest, size, uri)."""

    @abc.abstractmethod
    def put_artifact_bytes(self, data: bytes) -> tuple[str, int, str]:
        """Store bytes in the artifact root; return (digest, size, uri)."""

    @abc.abstractmethod
    def add_artifact(self, run_id: str, artifact: Artifact) -> None: ...

    @abc.abstractmethod
    def add_event(self, run_id: str, event: RunEvent) -> None: ...

    @abc.abstractmethod
    def end_run(self, run_id: str, status: RunStatus, ended_at: float) -> None:
        """Set a terminal status, the end time and a last heartbeat."""

    # -- managing runs (rm, restore, note, tag --remove, gc) ------------------------
    @abc.abstractmethod
    def delete_run(self, run_id: str, at: float) -> None:
        """Soft-delete: listings hide the run from *at* on; everything it holds stays."""

    @abc.abstractmethod
    def restore_run(self, run_id: str) -> None:
        """Undo :meth:`delete_run`."""

    @abc.abstractmethod
    def set_note(self, run_id: str, note: str | None) -> None:
        """Set (None: clear) the run's free-text note."""

    @abc.abstractmethod
    def remove_tags(self, run_id: str, keys: Sequence[str]) -> None:
        """Remove these tags (a key the run lacks is ignored)."""

    @abc.abstractmethod
    def purge_runs(self, run_ids: Sequence[str]) -> int:
        """Remove every row of these soft-deleted runs for good; how many went.

        A run that is not soft-deleted is never purged. Artifact files stay:
        see :meth:`artifacts_only_in` and :meth:`remove_artifact`.
        """

    @abc.abstractmethod
    def artifacts_only_in(self, run_ids: Sequence[str]) -> list[Artifact]:
        """Artifacts of *run_ids*, one per digest, that no other run references."""

    @abc.abstractmethod
    def referenced_digests(self, digests: Sequence[str]) -> set[str]:
        """Which of *digests* some stored run's artifact references."""

    @abc.abstractmethod
    def artifact_written_at(self, artifact: Artifact) -> float | None:
        """When the artifact's file was last written (None: there is no file)."""

    @abc.abstractmethod
    def remove_artifact(self, artifact: Artifact) -> bool:
        """Remove the artifact's file; False when there was none."""

    # -- reading ---------------------------------------------------------------
    @abc.abstractmethod
    def resolve_run_id(self, id_or_prefix: str) -> str:
        """The full id of the one run matching; ``RunNotFoundError`` otherwise."""

    @abc.abstractmethod
    def get_run(self, id_or_prefix: str) -> Run: ...

    @abc.abstractmethod
    def list_runs(
        self,
        *,
        where: str | None = None,
        sort: Sequence[str] = (),
        limit: int | None = None,
        deleted: Deleted = False,
        experiment: Experiments = None,
    ) -> list[RunSummary]:
        """Runs newest first (or by *sort*, e.g. ``-metrics.val_acc``), filtered.

        Soft-deleted runs are left out unless *deleted* is True (only them)
        or ``"all"``. *experiment* keeps the runs of that experiment (or of
        any of several names); None lists every experiment.

        *where* is the ``--where`` language: comparisons on ``params.X``,
        ``metrics.X`` (last value), ``tags.X``, ``status``, ``name``,
        ``notebook``, ``id``, ``started``, ``experiment``, joined with
        ``and``/``or``/``not`` and parentheses. Malformed input raises
        ``QueryError``.
        """

    def count_runs(
        self, *, where: str | None = None, deleted: Deleted = False, experiment: Experiments = None
    ) -> int:
        """How many runs match *where* (for the "N more" line of ``nbtrack runs``)."""
        return len(self.list_runs(where=where, deleted=deleted, experiment=experiment))

    def list_page(
        self,
        *,
        where: str | None = None,
        sort: Sequence[str] = (),
        limit: int | None = None,
        deleted: Deleted = False,
        offset: int = 0,
        experiment: Experiments = None,
    ) -> tuple[list[RunSummary], int]:
        """``list_runs`` plus how many runs match in all (a store may do both at once).

        *offset* skips that many runs of the listing order first (a later page).
        """
        if offset < 0:
            raise ValueError(f"offset must be >= 0, not {offset}")
        end = None if limit is None else offset + limit
        listed = self.list_runs(
            where=where, sort=sort, limit=end, deleted=deleted, experiment=experiment
        )[offset:]
        if offset == 0 and (limit is None or len(listed) < limit):
            return listed, len(listed)
        return listed, self.count_runs(where=where, deleted=deleted, experiment=experiment)

    @abc.abstractmethod
    def run_page(
        self,
        *,
        where: str | None = None,
        sort: Sequence[str] = (),
        limit: int | None = None,
        deleted: Deleted = False,
        after: str | None = None,
        count_cap: int = 10_000,
        experiment: Experiments = None,
    ) -> RunPage:
        """The *limit* runs of the listing after the cursor *after* (None: from the
        first), how many follow (counted up to *count_cap*; 0 skips the count)
        and the cursor of the next page (keyset pagination, ``store/keyset.py``).

        A cursor of another *where*, *sort*, *deleted* or *experiment* raises
        ``QueryError``.
        """

    @abc.abstractmethod
    def metric_history(self, run_id: str, key: str) -> list[Metric]: ...

    def metric_columns(self, run_id: str, key: str) -> MetricHistory:
        """Every point of *key* of the run *run_id* (a full id), as columns.

        The read side's fast path (a store reads the columns without an object
        per point); same points and order as :meth:`metric_history`.
        """
        points = self.metric_history(run_id, key)
        return MetricHistory(
            run_id=run_id,
            key=key,
            steps=tuple(p.step for p in points),
            values=tuple(p.value for p in points),
            timestamps=tuple(p.timestamp for p in points),
        )

    def metric_arrays(self, run_id: str, key: str) -> HistoryArrays:
        """:meth:`metric_columns` as numpy arrays (what a DataFrame is built from)."""
        import numpy as np

        history = self.metric_columns(run_id, key)
        return HistoryArrays(
            np.array([0 if s is None else s for s in history.steps], dtype=np.int64),
            np.array([s is not None for s in history.steps], dtype=bool),
            np.array(history.values, dtype=np.float64),
            np.array(history.timestamps, dtype=np.float64),
        )

    def metric_extremes(self, run_id: str, key: str, buckets: int) -> HistoryArrays:
        """At most ``3 * buckets + 2`` points of the history: the first and the last,
        and of each of *buckets* equal slices of the logging order the lowest and
        highest point (not NaN) and the first NaN, in step order. A store that
        cannot pick them answers every point (:meth:`metric_arrays`).
        """
        return self.metric_arrays(run_id, key)

    def run_table(
        self,
        *,
        where: str | None = None,
        sort: Sequence[str] = (),
        limit: int | None = None,
        experiment: Experiments = None,
    ) -> RunTable:
        """The runs :meth:`list_runs` lists, as columns (for DataFrames)."""
        listed = self.list_runs(where=where, sort=sort, limit=limit, experiment=experiment)
        return summaries_table(listed)

    # -- lineage ---------------------------------------------------------------
    @abc.abstractmethod
    def artifacts_with_digests(
        self, digests: Sequence[str], *, deleted: bool = False
    ) -> list[DigestUse]:
        """The artifacts holding any of *digests*, newest logged first (through an index).

        Artifacts of soft-deleted runs are left out unless *deleted* is True.
        """

    @abc.abstractmethod
    def data_refs_with_digests(
        self, digests: Sequence[str], *, deleted: bool = False
    ) -> list[DigestUse]:
        """The data refs holding any of *digests*, newest logged first (through an index).

        An empty digest (an unresolved ref) matches nothing; refs of
        soft-deleted runs are left out unless *deleted* is True.
        """

    @abc.abstractmethod
    def artifact_path(self, artifact: Artifact) -> Path:
        """Where the bytes of a stored artifact are on this machine."""

    # -- lifetime --------------------------------------------------------------
    @abc.abstractmethod
    def schema_status(self) -> dict[str, Any]:
        """``{"current": rev|None, "head": rev, "url": ...}`` for ``nbtrack db``."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def summaries_table(listed: Sequence[RunSummary]) -> RunTable:
    """Listed runs as columns (params, metrics, tags by key), for DataFrames."""
    params: dict[str, dict[int, Any]] = {}
    metrics: dict[str, dict[int, float]] = {}
    tags: dict[str, dict[int, str]] = {}
    for i, run in enumerate(listed):
        for key, value in run.params.items():
            params.setdefault(key, {})[i] = value
        for key, number in run.metrics.items():
            metrics.setdefault(key, {})[i] = number
        for key, text in run.tags.items():
            tags.setdefault(key, {})[i] = text
    return RunTable(
        ids=tuple(r.id for r in listed),
        names=tuple(r.name for r in listed),
        statuses=tuple(r.status for r in listed),
        notebooks=tuple(r.notebook for r in listed),
        started_at=tuple(r.started_at for r in listed),
        ended_at=tuple(r.ended_at for r in listed),
        heartbeat_at=tuple(r.heartbeat_at for r in listed),
        experiments=tuple(r.experiment for r in listed),
        params=params,
        metrics=metrics,
        tags=tags,
    )
