"""work items: priority, lease owner, failure, and a partial index on unfinished work

Revision ID: 0005_worker
Revises: 0008_outcomes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_worker"
down_revision: str | Sequence[str] | None = "0008_outcomes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNFINISHED = sa.text("done_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("work_items") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("owner", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("error_class", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_work_items_unfinished",
        "work_items",
        ["priority", "due_at"],
        postgresql_where=UNFINISHED,
        sqlite_where=UNFINISHED,
    )
    op.create_index(
        "ix_work_items_failed",
        "work_items",
        ["failed_at"],
        postgresql_where=sa.text("failed_at IS NOT NULL"),
        sqlite_where=sa.text("failed_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_work_items_failed", table_name="work_items")
    op.drop_index("ix_work_items_unfinished", table_name="work_items")
    with op.batch_alter_table("work_items") as batch:
        batch.drop_column("failed_at")
        batch.drop_column("error_class")
        batch.drop_column("owner")
        batch.drop_column("priority")
