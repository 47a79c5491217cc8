"""delivery: slack_posts (intent and result of every bot message), channel_pacing

Revision ID: 0006_delivery
Revises: 0001
Create Date: 2026-12-02 03:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_delivery"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slack_posts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("thread_ts", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_channel", sa.String(length=40), nullable=True),
        sa.Column("ts", sa.String(length=40), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index(op.f("ix_slack_posts_lead_id"), "slack_posts", ["lead_id"], unique=False)
    op.create_index(op.f("ix_slack_posts_created_at"), "slack_posts", ["created_at"], unique=False)
    op.create_table(
        "channel_pacing",
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("channel"),
    )


def downgrade() -> None:
    op.drop_table("channel_pacing")
    op.drop_index(op.f("ix_slack_posts_created_at"), table_name="slack_posts")
    op.drop_index(op.f("ix_slack_posts_lead_id"), table_name="slack_posts")
    op.drop_table("slack_posts")
