"""SMS and WhatsApp: provider message ids and delivery errors, opt-outs, kept pages.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Plain ALTER TABLE, also on SQLite: rebuilding the table would cascade-delete messages.
    op.add_column("messages", sa.Column("provider_id", sa.String(64), nullable=True))
    op.add_column("messages", sa.Column("delivery_error", sa.String(200), nullable=True))
    op.create_index("ix_messages_provider_id", "messages", ["provider_id"])
    op.create_table(
        "opt_outs",
        sa.Column("address", sa.String(64), primary_key=True),
        sa.Column("opted_out_at", _TIME, nullable=False),
        sa.Column("opted_in_at", _TIME, nullable=True),
    )
    op.create_table(
        "kept_pages",
        sa.Column(
            "conversation_id",
            sa.String(64),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("rest", sa.Text, nullable=False),
        sa.Column("asked_by", sa.String(64), nullable=True),
        sa.Column("page", sa.Text, nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kept_pages")
    op.drop_table("opt_outs")
    op.drop_index("ix_messages_provider_id", "messages")
    op.drop_column("messages", "delivery_error")
    op.drop_column("messages", "provider_id")
