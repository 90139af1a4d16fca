"""Managing runs: a soft-delete time on ``runs`` and a free-text note per run.

``runs.deleted_at`` (unix seconds; NULL = a live run) is on ``runs`` because
every listing filters on it. ``run_details.note`` is on ``run_details``, the
per-run table of wide text (git diff, source snapshot) that only the view of
one run reads, so listings never carry notes they do not show.

Both columns are nullable and added in place: a store at 0001 keeps every row,
and its runs read as live and without a note.

Revision ID: 0002_manage_runs
Revises: 0001_initial
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_manage_runs"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("deleted_at", sa.Float, nullable=True))
    with op.batch_alter_table("run_details") as batch:
        batch.add_column(sa.Column("note", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("run_details") as batch:
        batch.drop_column("note")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("deleted_at")
