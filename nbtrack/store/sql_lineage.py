"""Lineage lookups in SQL: which runs wrote or read a digest.

For: the half of ``SqlStore`` behind ``nbtrack why`` and ``nbtrack lineage``
(:class:`LineageReads`, a base class of ``SqlStore`` that uses its
connections): the artifacts and the data refs holding any of a set of
digests, through the indexes ``ix_artifacts_digest`` and
``ix_data_refs_digest`` (migration 0004), so a lookup reads the rows it
answers and never scans a table.
Not for: walking the graph or deciding what links (``nbtrack.compare.lineage``).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from nbtrack.store import schema
from nbtrack.store.base import DigestUse
from nbtrack.store.schema import decode_text

__all__ = ["LineageReads"]

_CHUNK = 500  # digests per IN (...)


def _chunks(items: Sequence[str]) -> list[list[str]]:
    unique = [d for d in dict.fromkeys(items) if d]  # "" is an unresolved ref: never a link
    return [unique[i : i + _CHUNK] for i in range(0, len(unique), _CHUNK)]


class LineageReads:
    """``SqlStore``'s lookups by digest (see ``Store`` for the contract)."""

    missing: bool

    if TYPE_CHECKING:  # provided by SqlStore

        def _read(self) -> AbstractContextManager[Connection]: ...

    def _uses(
        self,
        table: sa.Table,
        label: sa.Column[str],
        kind: sa.Column[str],
        step: sa.ColumnElement[Any],
        digests: Sequence[str],
        deleted: bool,
    ) -> list[DigestUse]:
        if self.missing:
            return []
        runs = schema.runs
        found: list[DigestUse] = []
        with self._read() as connection:
            for chunk in _chunks(digests):
                stmt = (
                    sa.select(
                        table.c.run_id,
                        label,
                        kind,
                        step,
                        table.c.digest,
                        table.c.logged_at,
                        runs.c.name,
                    )
                    .join(runs, runs.c.id == table.c.run_id)
                    .where(table.c.digest.in_(chunk))
                )
                if not deleted:
                    stmt = stmt.where(runs.c.deleted_at.is_(None))
                for r in connection.execute(stmt):
                    found.append(
                        DigestUse(
                            r[0],
                            decode_text(r[1]),
                            decode_text(r[2]),
                            r[3],
                            r[4],
                            r[5],
                            None if r[6] is None else decode_text(r[6]),
                        )
                    )
        found.sort(key=lambda u: (-u.logged_at, u.run_id, u.name, u.step or 0))
        return found

    def artifacts_with_digests(
        self, digests: Sequence[str], *, deleted: bool = False
    ) -> list[DigestUse]:
        a = schema.artifacts
        return self._uses(a, a.c.name, a.c.media_type, a.c.step, digests, deleted)

    def data_refs_with_digests(
        self, digests: Sequence[str], *, deleted: bool = False
    ) -> list[DigestUse]:
        d = schema.data_refs
        no_step = sa.null().label("step")
        return self._uses(d, d.c.path, d.c.kind, no_step, digests, deleted)
