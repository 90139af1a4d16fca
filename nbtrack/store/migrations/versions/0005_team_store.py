"""Runs belong to an experiment; a store remembers settings its clients share.

``runs.experiment`` names the experiment a run belongs to (``[tool.nbtrack]
experiment``, ``NBTRACK_EXPERIMENT``, ``start_run(experiment=...)``, by
default the project's name). Runs of a store made before this revision get
the name of the project that upgrades it (``nbtrack db upgrade`` run in the
project, or the first nbtrack of this version to open the store): Alembic is
handed that name as ``config.attributes["experiment"]``; a store upgraded
with no project name at hand gets ``"default"``. The column is then made NOT
NULL, and ``ix_runs_experiment_started`` lets a listing of one experiment,
newest first, read only that experiment's runs.

``store_settings`` holds a few key/value pairs that every client of the store
must agree on rather than configure one by one: the artifact root URL
(``artifact_root``), so a teammate's nbtrack finds the team's artifacts
without per-person configuration.

Revision ID: 0005_team_store
Revises: 0004_data_lineage
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0005_team_store"
down_revision = "0004_data_lineage"
branch_labels = None
depends_on = None

#: the experiment of runs upgraded without a project name at hand
FALLBACK_EXPERIMENT = "default"


def upgrade() -> None:
    name = context.config.attributes.get("experiment") or FALLBACK_EXPERIMENT
    # One ADD COLUMN with the upgrading project's name as its default fills every
    # old run. SQLite adds it in place: filling a nullable column first and then
    # making it NOT NULL would make Alembic rebuild ``runs`` (copy, drop, rename),
    # and dropping ``runs`` cascades to every table that references it.
    # (a plain ALTER TABLE, not Alembic's batch mode, which rebuilds the table on SQLite)
    op.add_column(
        "runs",
        sa.Column("experiment", sa.Text, nullable=False, server_default=sa.text(_quote(name))),
    )
    if op.get_bind().dialect.name == "postgresql":
        # nbtrack names the experiment of every run it writes; the default was for old rows
        op.alter_column("runs", "experiment", server_default=None)
    op.create_index("ix_runs_experiment_started", "runs", ["experiment", "started_at"])
    op.create_table(
        "store_settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def _quote(text: str) -> str:
    """*text* as an SQL string literal (both dialects double a quote inside)."""
    return "'" + text.replace("'", "''") + "'"


def downgrade() -> None:
    op.drop_table("store_settings")
    op.drop_index("ix_runs_experiment_started", "runs")
    op.drop_column("runs", "experiment")  # SQLite 3.35+ drops a column in place
