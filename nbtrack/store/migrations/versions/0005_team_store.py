"""Runs belong to an experiment; a store remembers settings its clients share.

``runs.experiment`` names the experiment a run belongs to (``[tool.nbtrack]
experiment``, ``NBTRACK_EXPERIMENT``, ``start_run(experiment=...)``, by
default the project's name). Runs of a store made before this revision get
the name of the project that upgrades it (``nbtrack db upgrade`` run in the
project, or the first nbtrack of this version to open the store): Alembic is
handed that name as ``config.attributes["experiment"]``; a store upgraded
with no project name at hand gets ``"default"``. The column is added NOT NULL
with that name as its default in one statement (no table rebuild: see
``upgrade``), and ``ix_runs_experiment_started`` lets a listing of one
experiment, newest first, read only that experiment's runs.

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
    # One ALTER TABLE ... ADD COLUMN ... NOT NULL DEFAULT on both databases, which
    # fills the existing runs. Not a batch "recreate": on SQLite that copies runs,
    # then DROPs the old table, and with foreign keys on (nbtrack's connections,
    # inside the migration's transaction where they cannot be turned off) the DROP
    # cascades and deletes every run's params, metrics, tags and artifacts.
    op.add_column("runs", sa.Column("experiment", sa.Text, nullable=False, server_default=name))
    if op.get_bind().dialect.name == "postgresql":
        # nbtrack writes the name itself; SQLite keeps the default (dropping it is a
        # recreate there), where no writer ever leaves the column out
        op.alter_column("runs", "experiment", server_default=None)
    op.create_index("ix_runs_experiment_started", "runs", ["experiment", "started_at"])
    op.create_table(
        "store_settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("store_settings")
    op.drop_index("ix_runs_experiment_started", "runs")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch recreate: see upgrade()
    op.drop_column("runs", "experiment")
