"""Managing stored runs in SQL: soft delete, restore, notes, tag removal, purging.

For: the half of ``SqlStore`` behind ``nbtrack rm``/``restore``/``note``/``tag
--remove``/``gc`` (:class:`RunManagement`, a base class of ``SqlStore`` that
uses its connections); the artifact files ``gc`` removes are ``sql_artifacts.py``'s.
Not for: deciding what to delete or checking the user's input
(``nbtrack.tracking.edit``), or reading runs (``sql_read.py``).

Purging is the one hard delete. Its rows go in one transaction: the run's
``metrics`` and ``metric_blocks`` by its ``seq`` (those tables have no
foreign key, for speed), then the run, whose foreign keys cascade to every
other table. Artifact files are
content-addressed and shared between runs, so a file goes only when no
remaining run references its digest; the caller asks
:meth:`RunManagement.referenced_digests` after the purge, not before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nbtrack.model import Artifact
from nbtrack.store import schema
from nbtrack.store.schema import decode_text, encode_text

__all__ = ["RunManagement"]

_CHUNK = 500  # ids or digests per IN (...)
runs = schema.runs


def _chunks(items: Sequence[str]) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(items))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


class RunManagement:
    """``SqlStore``'s methods for managing runs (see ``Store`` for the contract)."""

    missing: bool

    if TYPE_CHECKING:  # provided by SqlStore

        def _write(self, run_id: str | None = None) -> AbstractContextManager[Connection]: ...

        def _read(self) -> AbstractContextManager[Connection]: ...

        def _require_run(self, connection: Connection, run_id: str) -> None: ...

    def _set_deleted(self, run_id: str, at: float | None) -> None:
        with self._write() as connection:
            self._require_run(connection, run_id)
            connection.execute(runs.update().where(runs.c.id == run_id).values(deleted_at=at))

    def delete_run(self, run_id: str, at: float) -> None:
        self._set_deleted(run_id, at)

    def restore_run(self, run_id: str) -> None:
        self._set_deleted(run_id, None)

    def set_note(self, run_id: str, note: str | None) -> None:
        details = schema.run_details
        stored = None if note is None else encode_text(note)
        with self._write() as connection:
            self._require_run(connection, run_id)
            updated = connection.execute(
                details.update().where(details.c.run_id == run_id).values(note=stored)
            )
            if updated.rowcount == 0:  # a run recorded without its details row
                connection.execute(
                    details.insert().values(run_id=run_id, git_diff_truncated=False, note=stored)
                )

    def remove_tags(self, run_id: str, keys: Sequence[str]) -> None:
        tags = schema.tags
        with self._write() as connection:
            self._require_run(connection, run_id)
            if keys:
                stored = [encode_text(k) for k in keys]
                connection.execute(
                    tags.delete().where(tags.c.run_id == run_id, tags.c.key.in_(stored))
                )

    def purge_runs(self, run_ids: Sequence[str]) -> int:
        purged = 0
        by_seq = (schema.metrics, schema.metric_blocks)
        with self._write() as connection:
            for chunk in _chunks(run_ids):
                doomed = sa.and_(runs.c.id.in_(chunk), runs.c.deleted_at.is_not(None))
                seqs = sa.select(runs.c.seq).where(doomed).scalar_subquery()
                for table in by_seq:
                    connection.execute(table.delete().where(table.c.run_seq.in_(seqs)))
                purged += connection.execute(runs.delete().where(doomed)).rowcount
        return purged

    def artifacts_only_in(self, run_ids: Sequence[str]) -> list[Artifact]:
        if self.missing or not run_ids:
            return []
        a = schema.artifacts
        found: dict[str, Artifact] = {}
        with self._read() as connection:
            for chunk in _chunks(run_ids):
                other = a.alias("other")
                elsewhere = (
                    sa.select(sa.literal(1))
                    .where(other.c.digest == a.c.digest, other.c.run_id.not_in(list(run_ids)))
                    .exists()
                )
                stmt = sa.select(a).where(a.c.run_id.in_(chunk), ~elsewhere).order_by(a.c.id)
                for r in connection.execute(stmt):
                    found.setdefault(
                        r.digest,
                        Artifact(
                            decode_text(r.name),
                            r.digest,
                            r.size,
                            r.media_type,
                            r.uri,
                            r.logged_at,
                            r.step,
                        ),
                    )
        return list(found.values())

    def referenced_digests(self, digests: Sequence[str]) -> set[str]:
        if self.missing:
            return set()
        a = schema.artifacts
        found: set[str] = set()
        with self._read() as connection:
            for chunk in _chunks(digests):
                stmt = sa.select(a.c.digest).where(a.c.digest.in_(chunk)).distinct()
                found.update(row[0] for row in connection.execute(stmt))
        return found
