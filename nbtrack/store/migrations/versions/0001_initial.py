"""The first run-store schema: runs, details, params, metrics, tags, data, artifacts, events.

A frozen copy of ``schema.py`` as it was at this revision; never edit it once
released (change the schema with a new revision instead).

Revision ID: 0001_initial
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def _run_fk() -> sa.ForeignKey:
    return sa.ForeignKey("runs.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "runs",
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
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("seq", name="uq_runs_seq"),
    )
    op.create_index("ix_runs_started_at", "runs", ["started_at"])
    op.create_table(
        "run_details",
        sa.Column("run_id", sa.String(32), _run_fk(), primary_key=True),
        sa.Column("git_diff", sa.Text, nullable=True),
        sa.Column("git_diff_truncated", sa.Boolean, nullable=False),
        sa.Column("git_remote", sa.Text, nullable=True),
        sa.Column("git_root", sa.Text, nullable=True),
        sa.Column("environment", sa.Text, nullable=True),
        sa.Column("source_snapshot", sa.Text, nullable=True),
        sa.Column("source_hash", sa.String(80), nullable=True),
        sa.Column("source_stale", sa.Boolean, nullable=True),
    )
    op.create_table(
        "params",
        sa.Column("run_id", sa.String(32), _run_fk(), primary_key=True),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("num", sa.Float, nullable=True),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
    )
    op.create_index("ix_params_key_num", "params", ["key", "num"])
    op.create_table(
        "metrics",
        sa.Column("run_seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("step", sa.BigInteger, nullable=True),
        sa.Column("timestamp", sa.Float, nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "metric_latest",
        sa.Column("run_id", sa.String(32), _run_fk(), primary_key=True),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("last_value", sa.Float, nullable=True),
        sa.Column("last_step", sa.BigInteger, nullable=True),
        sa.Column("last_timestamp", sa.Float, nullable=False),
        sa.Column("min_value", sa.Float, nullable=True),
        sa.Column("max_value", sa.Float, nullable=True),
        sa.Column("count", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_metric_latest_key_last", "metric_latest", ["key", "last_value"])
    op.create_table(
        "tags",
        sa.Column("run_id", sa.String(32), _run_fk(), primary_key=True),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "data_refs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), _run_fk(), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("digest", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("logged_at", sa.Float, nullable=False),
    )
    op.create_index("ix_data_refs_run_id", "data_refs", ["run_id"])
    op.create_table(
        "artifacts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), _run_fk(), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("digest", sa.String(80), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("media_type", sa.Text, nullable=False),
        sa.Column("uri", sa.Text, nullable=False),
        sa.Column("logged_at", sa.Float, nullable=False),
    )
    op.create_index("ix_artifacts_run_id", "artifacts", ["run_id"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(32), _run_fk(), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("timestamp", sa.Float, nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
    )
    op.create_index("ix_events_run_id", "events", ["run_id"])


def downgrade() -> None:
    for table in (
        "events",
        "artifacts",
        "data_refs",
        "tags",
        "metric_latest",
        "metrics",
        "params",
        "run_details",
        "runs",
    ):
        op.drop_table(table)
