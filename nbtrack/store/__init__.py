"""Run stores: the only place that speaks SQL.

``open_store()`` picks the URL from settings (``NBTRACK_STORE``,
``[tool.nbtrack] store``, else ``.nbtrack/runs.db`` at the project root) and
returns a :class:`~nbtrack.store.base.Store`. SQLAlchemy is imported only
here, on first use.

* ``base``: the ``Store`` interface every reader and writer goes through.
* ``sql``: ``SqlStore``, the one implementation, for SQLite and PostgreSQL.
* ``sql_read`` / ``sql_metrics``: reading runs back; the metric write hot path,
  which also folds each batch into ``metric_latest`` and ``metric_blocks``.
* ``artifacts``: artifact files, stored once per content (sha256) under a
  folder; written whole or not at all.
* ``artifact_roots``: which root a store uses (the ``artifacts`` setting, the
  root the store records, the default folder), URLs made canonical with no
  credentials, ``LocalRoot`` (folders and ``file://``).
* ``artifact_remote``: ``RemoteRoot``, a root in object storage through fsspec
  (``s3://``, ``gs://``, ``az://``): streamed, retried, size-checked uploads,
  a spill folder while it is down, digest-checked downloads into a cache.
* ``sql_artifacts``: ``SqlStore``'s artifact methods; records the root in
  ``store_settings`` on the first write so every client finds it.
* ``sql_manage``: soft delete and restore, notes, tag removal, purging deleted
  runs and the artifact files only they used (``nbtrack rm``/``gc``).
* ``sql_extremes``: a long metric history as each bucket's extremes
  (``metric_extremes``, for the static report), folded from ``metric_blocks``
  (per-block extremes kept at write time) or, for a shorter one, picked by
  the database from every point.
* ``keyset`` / ``sql_page``: keyset pagination: the opaque cursor of a
  listing's next page (refused by a listing with another filter or order),
  the SQL that starts after it, and "N more" counted in levels within a time
  budget (``Store.run_page``).
* ``sql_order``: the listing order as SQL (``--sort`` keys, newest first) and
  the runs-first join of every listing.
* ``query``: the ``--where`` and ``--sort`` languages (parsing only).
* ``sql_where``: a parsed ``--where`` compiled into SQL; ``status_expr``.
* ``schema`` / ``migrations``: the tables and their Alembic history.
* ``_engine``: engines, SQLite pragmas, driver errors as one sentence
  (``StoreUnreachableError`` when a retry can cure it), schema checks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbtrack.store.base import MetricRow, Store

if TYPE_CHECKING:
    from nbtrack.config import Settings

__all__ = ["MetricRow", "Store", "open_store"]


def open_store(
    url: str | None = None,
    *,
    settings: Settings | None = None,
    create: bool = True,
) -> Store:
    """Open (and, for a new SQLite file, create) the run store.

    With *create* False a store that does not exist yet is a ``StoreError``
    instead of being created (read-only commands use that).
    """
    from nbtrack.config import load_settings
    from nbtrack.store.sql import SqlStore

    settings = settings or load_settings()
    return SqlStore(url or settings.store_url, settings=settings, create=create)
