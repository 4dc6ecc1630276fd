"""Exactly once: what a menu number meant when sent, and the client's idempotency key.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE, also on SQLite: rebuilding the table would cascade-delete messages.
    op.add_column("messages", sa.Column("payload", sa.Text, nullable=True))
    op.add_column("messages", sa.Column("idempotency_key", sa.String(64), nullable=True))
    # Messages without a key (NULL) never collide: both databases let NULLs repeat.
    op.create_index(
        "ux_messages_idempotency_key",
        "messages",
        ["conversation_id", "idempotency_key"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ux_messages_idempotency_key", "messages")
    op.drop_column("messages", "idempotency_key")
    op.drop_column("messages", "payload")
