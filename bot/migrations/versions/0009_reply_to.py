"""Replies say which person's message they answer, so each of two messages sent at once
gets its own answer back, whichever turn stored it.

Revision ID: 0009_reply_to
Revises: 0008_signed_out_sessions
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_reply_to"
down_revision = "0008_signed_out_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE, also on SQLite: rebuilding the table would cascade-delete messages.
    op.add_column("messages", sa.Column("reply_to", sa.Integer, nullable=True))


def downgrade() -> None:
    op.drop_column("messages", "reply_to")
