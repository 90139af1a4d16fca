"""Managing and comparing runs: a soft-delete time, a note, the steps of a metric's best.

``runs.deleted_at`` (unix seconds; NULL = a live run) is on ``runs`` because
every listing filters on it. ``run_details.note`` is on ``run_details``, the
per-run table of wide text (git diff, source snapshot) that only the view of
one run reads, so listings never carry notes they do not show.

``metric_latest.min_step`` / ``max_step`` hold the step of the first point
logged with the metric's min / max value, kept by ``log_metrics`` as it folds
min and max in, so a comparison's "best at step N" reads no history. A store
at 0001 gets them filled from its metrics (one pass per run's metric).

Every column is nullable and added in place: a store at 0001 keeps every row,
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
    with op.batch_alter_table("metric_latest") as batch:
        batch.add_column(sa.Column("min_step", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("max_step", sa.BigInteger, nullable=True))
    for column, value in (("min_step", "min_value"), ("max_step", "max_value")):
        op.execute(
            f"UPDATE metric_latest SET {column} = (SELECT m.step FROM metrics m "
            "JOIN runs r ON r.seq = m.run_seq WHERE r.id = metric_latest.run_id "
            f"AND m.key = metric_latest.key AND m.value = metric_latest.{value} "
            f"ORDER BY m.seq LIMIT 1) WHERE {value} IS NOT NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("metric_latest") as batch:
        batch.drop_column("max_step")
        batch.drop_column("min_step")
    with op.batch_alter_table("run_details") as batch:
        batch.drop_column("note")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("deleted_at")
