"""The privacy log: who exported or erased a person's data, when, and how many rows.

Revision ID: 0007_privacy
Revises: 0006_problem_reports
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_privacy"
down_revision = "0006_problem_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("action", sa.String(16), nullable=False),
        # The kind of key ("contact" or "conversation"), never the key itself.
        sa.Column("key_kind", sa.String(16), nullable=False),
        sa.Column("done_by", sa.String(64), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("tables", sa.JSON, nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_privacy_actions_done_at", "privacy_actions", ["done_at"])


def downgrade() -> None:
    op.drop_index("ix_privacy_actions_done_at", "privacy_actions")
    op.drop_table("privacy_actions")
