"""``Reader``: the one read-side API over a run store.

For: every door and every module of ``nbtrack.compare`` that reads runs. A
reader either owns a store it opened (the CLI: :meth:`Reader.open`, which
never creates a store that is not there) or borrows the store of the
process's tracker (the Python API: :meth:`Reader.current`, which flushes the
active run first so a notebook sees what it just logged).
Not for: SQL (the store does it) or writing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nbtrack.model import Artifact, MetricHistory, Run, RunPage, RunSummary, RunTable

if TYPE_CHECKING:
    from nbtrack.store.base import Deleted, DigestUse, Experiments, HistoryArrays, Store

__all__ = ["Reader"]


class Reader:
    """Reads runs, histories and artifact files from one store."""

    def __init__(self, store: Store, *, owned: bool = True) -> None:
        self._store = store
        self._owned = owned

    @classmethod
    def open(cls, url: str | None = None) -> Reader:
        """A reader over *url* (default: the project's store), never creating one.

        A store that does not exist yet reads as empty.
        """
        from nbtrack.store import open_store

        return cls(open_store(url, create=False))

    @classmethod
    def current(cls) -> Reader:
        """A reader for the Python API: the active run's store, flushed, or the project's."""
        from nbtrack.tracking.api import get_tracker

        store = get_tracker().reading_store()
        if store is not None:
            return cls(store, owned=False)
        return cls.open()

    @property
    def url(self) -> str:
        """The store's URL, password masked (for messages)."""
        from nbtrack.config import mask_url

        return mask_url(self._store.url)

    # -- runs ----------------------------------------------------------------------
    def runs(
        self,
        *,
        where: str | None = None,
        sort: Sequence[str] = (),
        limit: int | None = None,
        deleted: Deleted = False,
        experiment: Experiments = None,
    ) -> list[RunSummary]:
        """Runs newest first (or by *sort*), filtered with the ``--where`` language.

        Soft-deleted runs (``nbtrack rm``) are left out unless *deleted* is
        True (only them) or ``"all"``; *experiment* (a name or several) keeps
        those experiments' runs, None every experiment's.
        """
        return self._store.list_runs(
            where=where, sort=sort, limit=limit, deleted=deleted, experiment=experiment
        )

    def page(
        self,
        *,
        where: str | None = None,
        sort: Sequence[str] = (),
        limit: int | None = None,
        deleted: Deleted = False,
        offset: int = 0,
        experiment: Experiments = None,
    ) -> tuple[list[RunSummary], int]:
        """:meth:`runs` plus how many runs match in all; *offset* runs skipped first."""
        return self._store.list_page(
            where=where,
            sort=sort,
            limit=limit,
            deleted=deleted,
            offset=offset,
            experiment=experiment,
        )

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
        """A page of :meth:`runs` after the cursor *after* (keyset pagination): its
        runs, how many follow (up to *count_cap*) and the next page's cursor."""
        return self._store.run_page(
            where=where, sort=sort, limit=limit, deleted=deleted, after=after,
            count_cap=count_cap, experiment=experiment,
        )  # fmt: skip

    def table(
        self,
        *,
        where: str | None = None,
        sort: Sequence[str] = (),
        limit: int | None = None,
        experiment: Experiments = None,
    ) -> RunTable:
        """The runs :meth:`runs` lists, as columns (what ``nbtrack.runs()`` turns into a frame)."""
        return self._store.run_table(where=where, sort=sort, limit=limit, experiment=experiment)

    def resolve(self, id_or_prefix: str) -> str:
        """The full id of the one run *id_or_prefix* names (``RunNotFoundError`` otherwise)."""
        return self._store.resolve_run_id(id_or_prefix)

    def run(self, id_or_prefix: str) -> Run:
        """Everything stored about one run (histories excepted), a soft-deleted one too."""
        return self._store.get_run(id_or_prefix)

    # -- metrics -------------------------------------------------------------------
    def history(self, run_id: str, key: str) -> MetricHistory:
        """Every point of metric *key* of the run *run_id* (a full id), as columns.

        Read without an object per point (1,000,000 points in well under a
        second on SQLite; see benchmarks/bench_read_api.py).
        """
        return self._store.metric_columns(run_id, key)

    def history_arrays(self, run_id: str, key: str) -> HistoryArrays:
        """:meth:`history` as numpy arrays (``HistoryArrays``), for DataFrames and plots."""
        return self._store.metric_arrays(run_id, key)

    def extremes(self, run_id: str, key: str, buckets: int) -> HistoryArrays:
        """A long history as each of *buckets* buckets' lowest, highest and first NaN point.

        The database picks them (``Store.metric_extremes``), with the first and last
        point; a history short enough comes whole. For charts of long histories.
        """
        return self._store.metric_extremes(run_id, key, buckets)

    def histories(
        self, run_ids: Sequence[str], keys: Sequence[str]
    ) -> dict[tuple[str, str], MetricHistory]:
        """:meth:`history` of every (run, key) pair, keyed ``(run_id, key)``, in that order.

        A pair the run never logged maps to an empty history.
        """
        return {(r, k): self.history(r, k) for r in run_ids for k in keys}

    # -- lineage -------------------------------------------------------------------
    def artifacts_with_digests(self, digests: Sequence[str]) -> list[DigestUse]:
        """The live runs' artifacts holding any of *digests*, newest first (an index lookup)."""
        return self._store.artifacts_with_digests(digests)

    def data_refs_with_digests(self, digests: Sequence[str]) -> list[DigestUse]:
        """The live runs' data refs holding any of *digests*, newest first (an index lookup)."""
        return self._store.data_refs_with_digests(digests)

    # -- artifacts -----------------------------------------------------------------
    def artifact_path(self, artifact: Artifact) -> Path:
        """Where the bytes of a stored artifact are on this machine."""
        return self._store.artifact_path(artifact)

    # -- lifetime ------------------------------------------------------------------
    def close(self) -> None:
        if self._owned:
            self._store.close()

    def __enter__(self) -> Reader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
