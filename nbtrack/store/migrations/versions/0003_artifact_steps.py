"""Artifacts carry a step: a figure logged every epoch keeps one image a step.

``artifacts.step`` (a signed 64-bit integer, like ``metrics.step``) is the
training step an artifact was logged at. Artifacts of one run and name with
different steps are one series (``log_figure(fig, "confusion_matrix",
step=epoch)``, images imported from TensorBoard event files); a lookup by name
takes the latest step unless asked for another.

The column is nullable and added in place: a store at 0002 keeps every row,
and its artifacts read as belonging to the whole run (no step), which is what
they were.

Revision ID: 0003_artifact_steps
Revises: 0002_manage_runs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_artifact_steps"
down_revision = "0002_manage_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("artifacts") as batch:
        batch.add_column(sa.Column("step", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("artifacts") as batch:
        batch.drop_column("step")
