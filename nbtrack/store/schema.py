"""The run store's tables, as SQLAlchemy Core metadata, and the schema revision.

For: the single description of what the store holds, used by ``sql.py`` to
build statements and by tests to compare against what migrations create.
Not for: creating or changing a database. Tables are created and changed only
by the Alembic migrations in ``nbtrack/store/migrations/versions``; the first
revision is a frozen copy of these tables, and every later change is a new
revision plus an edit here plus a new entry in :data:`REVISIONS`.

Encodings shared by both dialects:

* times are unix seconds as floats (``started_at``, ``timestamp``, ...);
* ``metrics.value`` NULL means NaN (SQLite cannot store NaN; PostgreSQL could,
  but one encoding keeps the two stores identical); ±inf are stored as is;
* ``params.value`` is JSON text; ``params.num`` holds the value when it is an
  int or float (for ``params.lr < 0.1``) and ``params.text`` its plain string
  form (the string itself, or the JSON text otherwise) for ``=`` and sorting;
* ``metric_latest`` keeps last/min/max/count per (run, key), and the step at
  which min and max were first logged, maintained by ``log_metrics`` so
  listing, filtering and comparing never scan metric histories;
  ``metrics.seq`` numbers a key's points in logging order (0, 1, ...), taken
  from ``metric_latest.count`` in the same transaction;
* ``metric_blocks`` keeps, per block of ``BLOCK`` consecutive points of a
  (run, key) (block = ``metrics.seq // BLOCK``), the lowest and the highest
  value that is not NaN with the seq of the first point holding each, and the
  seq of the first NaN point; ``log_metrics`` folds each batch in as it
  writes, so a long history's extremes (the static report) are read from a
  few rows a block instead of every point; like ``metrics`` it has no
  foreign key and is keyed by ``runs.seq``;
* ``runs.deleted_at`` is when ``nbtrack rm`` soft-deleted the run (NULL: a
  live run); listings hide such runs unless asked, ``gc`` purges them;
* ``artifacts.step`` is the training step an artifact was logged at (NULL:
  it belongs to the whole run); rows of one run and name with different steps
  are one series (a figure per epoch), a name lookup takes the latest step;
* ``runs.experiment`` names the experiment (0005); runs of an older store
  get the name of the project that upgraded it;
* ``store_settings`` (0005) holds what every client must agree on, such as
  the artifact root URL, so a team's clients need no per-person setting;
* ``runs.seq`` is a small integer per run (max + 1 under the write lock) that
  ``metrics`` uses instead of the 32-char id;
* free text (names, keys, tag values, ``params.text``, paths, snapshots) goes
  through :func:`encode_text` / :func:`decode_text` on both dialects, because
  PostgreSQL text cannot hold NUL: NUL is written as U+E000 ``0`` and U+E000
  itself as U+E000 ``1``. Text without either character is stored as is, and
  the code maps a string to one stored form, so ``=`` and ``contains`` keep
  working on the encoded column. JSON columns need nothing (JSON escapes NUL).
"""

from __future__ import annotations

import re

import sqlalchemy as sa

__all__ = [
    "BLOCK",
    "HEAD",
    "REVISIONS",
    "artifacts",
    "data_refs",
    "decode_text",
    "encode_text",
    "events",
    "metadata",
    "metric_blocks",
    "metric_latest",
    "metrics",
    "params",
    "run_details",
    "runs",
    "store_settings",
    "tags",
]

#: every schema revision this nbtrack knows, oldest first (Alembic revision ids)
REVISIONS: tuple[str, ...] = (
    "0001_initial",
    "0002_manage_runs",
    "0003_artifact_steps",
    "0004_data_lineage",
    "0005_team_store",
)
#: the revision this nbtrack reads and writes
HEAD = REVISIONS[-1]

metadata = sa.MetaData()

_ESC = "\ue000"  # a private-use character: the escape of the text encoding
_DECODE = re.compile(_ESC + "([01])")


def encode_text(text: str) -> str:
    """*text* in a form both databases store exactly (no NUL characters).

    >>> encode_text("a\x00b") == "a\ue0000b", encode_text("plain")
    (True, 'plain')
    """
    if "\x00" not in text and _ESC not in text:
        return text
    return text.replace(_ESC, _ESC + "1").replace("\x00", _ESC + "0")


def decode_text(stored: str) -> str:
    """The text :func:`encode_text` was given."""
    if _ESC not in stored:
        return stored
    return _DECODE.sub(lambda m: "\x00" if m.group(1) == "0" else _ESC, stored)


def _run_fk() -> sa.ForeignKey:
    return sa.ForeignKey("runs.id", ondelete="CASCADE")


runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.Text, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("ended_at", sa.Float, nullable=True),
    sa.Column("heartbeat_at", sa.Float, nullable=True),
    sa.Column("notebook", sa.Text, nullable=True),
    sa.Column("git_commit", sa.String(64), nullable=True),
    sa.Column("git_branch", sa.Text, nullable=True),
    sa.Column("git_dirty", sa.Boolean, nullable=True),
    sa.Column("username", sa.Text, nullable=True),
    sa.Column("hostname", sa.Text, nullable=True),
    # a small integer per run, so the metrics table stores 8 bytes, not 32 hex chars
    sa.Column("seq", sa.BigInteger, nullable=False),
    # soft delete (0002): when `nbtrack rm` hid the run; NULL = a live run
    sa.Column("deleted_at", sa.Float, nullable=True),
    # 0005: the experiment the run belongs to (default: the project's name)
    sa.Column("experiment", sa.Text, nullable=False),
    sa.Index("ix_runs_started_at", "started_at"),
    sa.Index("ix_runs_experiment_started", "experiment", "started_at"),
    sa.UniqueConstraint("seq", name="uq_runs_seq"),
)

run_details = sa.Table(
    "run_details",
    metadata,
    sa.Column("run_id", sa.String(32), _run_fk(), primary_key=True),
    sa.Column("git_diff", sa.Text, nullable=True),
    sa.Column("git_diff_truncated", sa.Boolean, nullable=False, default=False),
    sa.Column("git_remote", sa.Text, nullable=True),
    sa.Column("git_root", sa.Text, nullable=True),
    sa.Column("environment", sa.Text, nullable=True),  # JSON of model.Environment
    sa.Column("source_snapshot", sa.Text, nullable=True),
    sa.Column("source_hash", sa.String(80), nullable=True),
    sa.Column("source_stale", sa.Boolean, nullable=True),
    sa.Column("note", sa.Text, nullable=True),  # free text (0002), `nbtrack note`
)

params = sa.Table(
    "params",
    metadata,
    sa.Column("run_id", sa.String(32), _run_fk(), primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),  # JSON
    sa.Column("num", sa.Float, nullable=True),
    sa.Column("text", sa.Text, nullable=True),
    sa.Column("source", sa.String(16), nullable=False),
    sa.Index("ix_params_key_num", "key", "num"),
)

metrics = sa.Table(
    "metrics",
    metadata,
    # the hot path: one b-tree (WITHOUT ROWID on SQLite) keyed by run, key and the
    # point's ordinal within (run, key); no foreign key, runs.seq is looked up once
    sa.Column("run_seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("value", sa.Float, nullable=True),  # NULL = NaN
    sa.Column("step", sa.BigInteger, nullable=True),
    sa.Column("timestamp", sa.Float, nullable=False),
    sqlite_with_rowid=False,
)

metric_latest = sa.Table(
    "metric_latest",
    metadata,
    sa.Column("run_id", sa.String(32), _run_fk(), primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("last_value", sa.Float, nullable=True),  # NULL = NaN
    sa.Column("last_step", sa.BigInteger, nullable=True),
    sa.Column("last_timestamp", sa.Float, nullable=False),
    sa.Column("min_value", sa.Float, nullable=True),  # NULL = every point NaN
    sa.Column("max_value", sa.Float, nullable=True),
    sa.Column("count", sa.BigInteger, nullable=False),
    # the step of the first point logged with min_value / max_value (NULL: no step)
    sa.Column("min_step", sa.BigInteger, nullable=True),
    sa.Column("max_step", sa.BigInteger, nullable=True),
    sa.Index("ix_metric_latest_key_last", "key", "last_value"),
)

#: points per ``metric_blocks`` row. The report asks for up to 600 buckets a history
#: when it draws 100 runs (``compare.report.curve_points``), and a history can be read
#: from blocks only when a bucket spans at least one whole block: 100,000 points make
#: 1,563 blocks of 64 (2 or 3 a bucket, so the buckets stay near equal), where 256
#: would make only 391. A row per 64 points costs about 3% of the metrics' storage
#: and, for a batch of 100,000 points, 1,563 upserts beside 100,000 inserts.
BLOCK = 64

metric_blocks = sa.Table(
    "metric_blocks",
    metadata,
    # like `metrics`: one b-tree keyed by run, key and block (seq // BLOCK), no foreign key
    sa.Column("run_seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("block", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("min_value", sa.Float, nullable=True),  # NULL: every point of the block NaN
    sa.Column("min_seq", sa.BigInteger, nullable=True),  # the first point holding min_value
    sa.Column("max_value", sa.Float, nullable=True),
    sa.Column("max_seq", sa.BigInteger, nullable=True),
    sa.Column("nan_seq", sa.BigInteger, nullable=True),  # the first NaN point; NULL: none
    sqlite_with_rowid=False,
)

tags = sa.Table(
    "tags",
    metadata,
    sa.Column("run_id", sa.String(32), _run_fk(), primary_key=True),
    sa.Column("key", sa.String(250), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

data_refs = sa.Table(
    "data_refs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(32), _run_fk(), nullable=False, index=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("digest", sa.Text, nullable=False),
    sa.Column("size", sa.BigInteger, nullable=True),
    sa.Column("detail", sa.Text, nullable=True),  # JSON
    sa.Column("logged_at", sa.Float, nullable=False),
    # 0004: False for a ref tracked while its service could not resolve it
    sa.Column("resolved", sa.Boolean, nullable=False, server_default=sa.true()),
    # 0004: lineage finds the runs that read a digest
    sa.Index("ix_data_refs_digest", "digest"),
)

artifacts = sa.Table(
    "artifacts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(32), _run_fk(), nullable=False, index=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("digest", sa.String(80), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("media_type", sa.Text, nullable=False),
    sa.Column("uri", sa.Text, nullable=False),
    sa.Column("logged_at", sa.Float, nullable=False),
    # the training step (0003): a figure logged every epoch is one artifact a step
    sa.Column("step", sa.BigInteger, nullable=True),
    # 0004: `nbtrack why` and lineage find the runs that wrote a digest
    sa.Index("ix_artifacts_digest", "digest"),
)

#: key/value settings every client of a store shares (0005): ``artifact_root``
store_settings = sa.Table(
    "store_settings",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(32), _run_fk(), nullable=False, index=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("timestamp", sa.Float, nullable=False),
    sa.Column("detail", sa.Text, nullable=True),  # JSON
)
