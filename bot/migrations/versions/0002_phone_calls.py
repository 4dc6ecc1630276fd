"""Phone calls: who called (their language is remembered for the next call) and when it ended.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE, also on SQLite: rebuilding the table would cascade-delete messages.
    op.add_column("conversations", sa.Column("contact", sa.String(64), nullable=True))
    op.add_column("conversations", sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_conversations_channel_contact", "conversations", ["channel", "contact", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_channel_contact", "conversations")
    op.drop_column("conversations", "ended_at")
    op.drop_column("conversations", "contact")
