"""Problem reports: a person's report of a problem with an online public procedure.

Revision ID: 0006_problem_reports
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_problem_reports"
down_revision = "0005"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "problem_reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(12), nullable=False, unique=True),
        # No cascade: erasure deletes the reports itself, so that it counts them.
        sa.Column(
            "conversation_id", sa.String(64), sa.ForeignKey("conversations.id"), nullable=True
        ),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("service", sa.String(32), nullable=False),
        sa.Column("service_text", sa.Text, nullable=True),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("contact", sa.String(16), nullable=False),
        sa.Column("contact_number", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="new"),
        sa.Column("filed_by", sa.String(64), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
    )
    op.create_index("ix_problem_reports_conversation_id", "problem_reports", ["conversation_id"])
    op.create_index("ix_problem_reports_created_at", "problem_reports", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_problem_reports_created_at", "problem_reports")
    op.drop_index("ix_problem_reports_conversation_id", "problem_reports")
    op.drop_table("problem_reports")
