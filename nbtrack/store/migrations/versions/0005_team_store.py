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
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("experiment", sa.Text, nullable=True))
    runs = sa.table("runs", sa.column("experiment", sa.Text))
    op.execute(runs.update().values(experiment=name))
    with op.batch_alter_table("runs") as batch:
        batch.alter_column("experiment", existing_type=sa.Text, nullable=False)
    op.create_index("ix_runs_experiment_started", "runs", ["experiment", "started_at"])
    op.create_table(
        "store_settings",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("store_settings")
    op.drop_index("ix_runs_experiment_started", "runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("experiment")
