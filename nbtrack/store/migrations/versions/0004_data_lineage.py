"""Data refs say whether they were resolved; digests are indexed for lineage.

``data_refs.resolved`` is False for a ref tracked while the system holding it
could not resolve it to an immutable version (a lakeFS server down, no
credentials for a bucket): the run keeps the ref as given. Every ref a store
at 0003 holds was resolved (nbtrack only tracked files then), so the column
is added with the default true.

``ix_artifacts_digest`` and ``ix_data_refs_digest`` let ``nbtrack why`` and
``nbtrack lineage`` find the runs that wrote or read a digest without reading
every artifact.

Revision ID: 0004_data_lineage
Revises: 0003_artifact_steps
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_data_lineage"
down_revision = "0003_artifact_steps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("data_refs") as batch:
        batch.add_column(
            sa.Column("resolved", sa.Boolean, nullable=False, server_default=sa.true())
        )
    op.create_index("ix_data_refs_digest", "data_refs", ["digest"])
    op.create_index("ix_artifacts_digest", "artifacts", ["digest"])


def downgrade() -> None:
    op.drop_index("ix_artifacts_digest", "artifacts")
    op.drop_index("ix_data_refs_digest", "data_refs")
    with op.batch_alter_table("data_refs") as batch:
        batch.drop_column("resolved")
