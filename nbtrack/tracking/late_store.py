"""LateStore: a store that could not be reached when a run started.

For: letting ``Tracker.start_run`` begin a run while its store (a PostgreSQL
server that is down, say) cannot be reached. :class:`LateStore` is a
:class:`~nbtrack.store.base.Store` that opens the real store on first use and
tries again at every call until it answers; until then every call raises the
``StoreUnreachableError`` of the failed attempt, which the run's flusher
treats like any outage (keep, retry, warn, spill at the end).

Artifacts are the one thing that does not wait: ``put_artifact`` needs the
opened store (it writes under the store's artifact root), so logging a file
while the store has never been reached raises ``StoreError`` saying the file
was not stored; log it again once the store answers.

Not for: bad configuration. A malformed URL, a schema mismatch or a
read-only SQLite path fail at ``start_run`` as before; only a
``StoreUnreachableError`` starts a run late.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbtrack.config import mask_url
from nbtrack.errors import StoreError, StoreUnreachableError
from nbtrack.model import (
    Artifact,
    DataRef,
    Environment,
    GitState,
    Metric,
    Param,
    Run,
    RunEvent,
    RunStatus,
    RunSummary,
    Source,
)
from nbtrack.store.base import MetricRow, Store

if TYPE_CHECKING:
    from nbtrack.config import Settings

__all__ = ["LateStore"]


class LateStore(Store):
    """The store at *url*, opened on the first call that finds it reachable."""

    def __init__(self, url: str, settings: Settings) -> None:
        self.url = url
        self.settings = settings
        self.heartbeat_timeout = settings.heartbeat_timeout
        self._store: Store | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def opened(self) -> Store | None:
        """The real store once it has been reached, else None."""
        return self._store

    def _real(self) -> Store:
        store = self._store
        if store is not None:
            return store
        with self._lock:
            if self._store is None:
                if self._closed:
                    raise StoreError(f"The store {self._masked()} is closed.", uri=self._masked())
                from nbtrack.store import open_store

                self._store = open_store(self.url, settings=self.settings)
            return self._store

    def _masked(self) -> str:
        return mask_url(self.url)

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
    ) -> None:
        self._real().create_run(
            run_id=run_id,
            name=name,
            started_at=started_at,
            tags=tags,
            git=git,
            environment=environment,
            source=source,
        )

    def log_params(self, run_id: str, params: Sequence[Param]) -> None:
        self._real().log_params(run_id, params)

    def log_metrics(self, run_id: str, rows: Sequence[MetricRow]) -> None:
        self._real().log_metrics(run_id, rows)

    def heartbeat(self, run_id: str, at: float, rows: Sequence[MetricRow] = ()) -> None:
        self._real().heartbeat(run_id, at, rows)

    def set_tags(self, run_id: str, tags: dict[str, str]) -> None:
        self._real().set_tags(run_id, tags)

    def set_name(self, run_id: str, name: str | None) -> None:
        self._real().set_name(run_id, name)

    def set_source(self, run_id: str, source: Source) -> None:
        self._real().set_source(run_id, source)

    def add_data_ref(self, run_id: str, ref: DataRef) -> None:
        self._real().add_data_ref(run_id, ref)

    def put_artifact(self, path: Path) -> tuple[str, int, str]:
        return self._artifact_store(path.name).put_artifact(path)

    def put_artifact_bytes(self, data: bytes) -> tuple[str, int, str]:
        return self._artifact_store("the figure").put_artifact_bytes(data)

    def _artifact_store(self, what: str) -> Store:
        try:
            return self._real()
        except StoreError as error:
            kind = StoreUnreachableError if isinstance(error, StoreUnreachableError) else StoreError
            raise kind(
                f"{what} was not stored: the store {self._masked()} has not been reachable"
                f" since the run started ({error}); log it again once the store answers.",
                uri=self._masked(),
            ) from error

    def add_artifact(self, run_id: str, artifact: Artifact) -> None:
        self._real().add_artifact(run_id, artifact)

    def add_event(self, run_id: str, event: RunEvent) -> None:
        self._real().add_event(run_id, event)

    def end_run(self, run_id: str, status: RunStatus, ended_at: float) -> None:
        self._real().end_run(run_id, status, ended_at)

    # -- reading ---------------------------------------------------------------
    def resolve_run_id(self, id_or_prefix: str) -> str:
        return self._real().resolve_run_id(id_or_prefix)

    def get_run(self, id_or_prefix: str) -> Run:
        return self._real().get_run(id_or_prefix)

    def list_runs(
        self,
        *,
        where: str | None = None,
        sort: Sequence[str] = (),
        limit: int | None = None,
    ) -> list[RunSummary]:
        return self._real().list_runs(where=where, sort=sort, limit=limit)

    def count_runs(self, *, where: str | None = None) -> int:
        return self._real().count_runs(where=where)

    def list_page(
        self, *, where: str | None = None, sort: Sequence[str] = (), limit: int | None = None
    ) -> tuple[list[RunSummary], int]:
        return self._real().list_page(where=where, sort=sort, limit=limit)

    def metric_history(self, run_id: str, key: str) -> list[Metric]:
        return self._real().metric_history(run_id, key)

    def artifact_path(self, artifact: Artifact) -> Path:
        return self._real().artifact_path(artifact)

    # -- lifetime --------------------------------------------------------------
    def schema_status(self) -> dict[str, Any]:
        return self._real().schema_status()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            store, self._store = self._store, None
        if store is not None:
            store.close()
