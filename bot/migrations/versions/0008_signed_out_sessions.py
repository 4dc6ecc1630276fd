"""Signed-out console sessions, shared by every hub replica and kept across restarts.

Revision ID: 0008_signed_out_sessions
Revises: 0007_privacy
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_signed_out_sessions"
down_revision = "0007_privacy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signed_out_sessions",
        sa.Column("session_id", sa.String(32), primary_key=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_signed_out_sessions_until", "signed_out_sessions", ["until"])


def downgrade() -> None:
    op.drop_index("ix_signed_out_sessions_until", "signed_out_sessions")
    op.drop_table("signed_out_sessions")
