"""Managing and comparing runs: a soft-delete time, a note, a metric's best, its blocks.

``runs.deleted_at`` (unix seconds; NULL = a live run) is on ``runs`` because
every listing filters on it. ``run_details.note`` is on ``run_details``, the
per-run table of wide text (git diff, source snapshot) that only the view of
one run reads, so listings never carry notes they do not show.

``metric_latest.min_step`` / ``max_step`` hold the step of the first point
logged with the metric's min / max value, kept by ``log_metrics`` as it folds
min and max in, so a comparison's "best at step N" reads no history. A store
at 0001 gets them filled from its metrics (one pass per run's metric).

``metric_blocks`` holds each block of 64 consecutive points of a metric
(block = ``metrics.seq // 64``): the lowest and highest value that is not NaN
with the seq of the first point holding each, and the seq of the first NaN, so
the static report reads a long history's extremes without scanning it. A
store at 0001 gets its blocks folded from its metrics here, one pass over the
table in its key order, by the same rules ``log_metrics`` folds new points with.

Every new column is nullable and added in place: a store at 0001 keeps every row,
and its runs read as live and without a note.

Revision ID: 0002_manage_runs
Revises: 0001_initial
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002_manage_runs"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


#: frozen with this revision: schema.BLOCK as it is here (a later change is a new revision)
_BLOCK = 64
_ROWS_PER_INSERT = 5_000


def _blocks(points: Iterable[Sequence[Any]]) -> Iterator[tuple[Any, ...]]:
    """``metric_blocks`` rows of points ``(run_seq, key, seq, value)`` in key order.

    Ties keep the point logged first: only a strictly lower (higher) value
    replaces the block's min (max); NULL is NaN.
    """
    current: list[Any] | None = None
    for run_seq, key, seq, value in points:
        block = seq // _BLOCK
        if current is None or current[:3] != [run_seq, key, block]:
            if current is not None:
                yield tuple(current)
            current = [run_seq, key, block, None, None, None, None, None]
        if value is None:
            if current[7] is None:
                current[7] = seq
            continue
        if current[3] is None or value < current[3]:
            current[3], current[4] = value, seq
        if current[5] is None or value > current[5]:
            current[5], current[6] = value, seq
    if current is not None:
        yield tuple(current)


def _fill_blocks() -> None:
    connection = op.get_bind()
    names = (
        "run_seq",
        "key",
        "block",
        "min_value",
        "min_seq",
        "max_value",
        "max_seq",
        "nan_seq",
    )
    table = sa.table("metric_blocks", *(sa.column(name) for name in names))
    # streamed (the statement's option: the connection's would outlive it)
    points = connection.execute(
        sa.text("SELECT run_seq, key, seq, value FROM metrics ORDER BY run_seq, key, seq"),
        execution_options={"stream_results": True, "yield_per": 10_000},
    )
    rows: list[dict[str, Any]] = []
    for row in _blocks(points):
        rows.append(dict(zip(names, row, strict=True)))
        if len(rows) >= _ROWS_PER_INSERT:
            connection.execute(table.insert(), rows)
            rows = []
    if rows:
        connection.execute(table.insert(), rows)


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
    op.create_table(
        "metric_blocks",
        sa.Column("run_seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("block", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("min_value", sa.Float, nullable=True),
        sa.Column("min_seq", sa.BigInteger, nullable=True),
        sa.Column("max_value", sa.Float, nullable=True),
        sa.Column("max_seq", sa.BigInteger, nullable=True),
        sa.Column("nan_seq", sa.BigInteger, nullable=True),
        sqlite_with_rowid=False,
    )
    _fill_blocks()


def downgrade() -> None:
    op.drop_table("metric_blocks")
    with op.batch_alter_table("metric_latest") as batch:
        batch.drop_column("max_step")
        batch.drop_column("min_step")
    with op.batch_alter_table("run_details") as batch:
        batch.drop_column("note")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("deleted_at")
