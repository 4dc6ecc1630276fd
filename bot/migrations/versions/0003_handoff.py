"""Human handoff: agents, state changes, callback requests, and the hand-over's fields.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("available", sa.Boolean, nullable=False),
        sa.Column("failed_sign_ins", sa.Integer, nullable=False),
        sa.Column("locked_until", _TIME, nullable=True),
        sa.Column("last_seen_at", _TIME, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
    )
    # Plain ALTER TABLE, also on SQLite: rebuilding the table would cascade-delete messages.
    for column in (
        sa.Column("handoff_reason", sa.String(32), nullable=True),
        sa.Column("priority", sa.Integer, nullable=False, server_default="0"),
        sa.Column("waiting_since", _TIME, nullable=True),
        sa.Column("agent_id", sa.Integer, nullable=True),
        sa.Column("agent_seen_at", _TIME, nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("topic", sa.String(64), nullable=True),
        sa.Column("step", sa.Integer, nullable=True),
        sa.Column("flow", sa.String(16), nullable=True),
        sa.Column("flow_data", sa.JSON, nullable=True),
    ):
        op.add_column("conversations", column)
    op.create_index("ix_conversations_state", "conversations", ["state", "priority"])
    _agent_foreign_key("conversations")
    for column in (
        sa.Column("agent_id", sa.Integer, nullable=True),
        sa.Column("internal", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("understood", sa.Boolean, nullable=True),
    ):
        op.add_column("messages", column)
    _agent_foreign_key("messages")
    op.create_table(
        "state_changes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "conversation_id",
            sa.String(64),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("from_state", sa.String(20), nullable=False),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("event", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("at", _TIME, nullable=False),
    )
    op.create_index("ix_state_changes_conversation_id", "state_changes", ["conversation_id", "id"])
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "conversation_id",
            sa.String(64),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("due_date", sa.Date, nullable=True),
        sa.Column("half_day", sa.String(2), nullable=True),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("agent_id", sa.Integer, sa.ForeignKey("agents.id", ondelete="SET NULL")),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("done_at", _TIME, nullable=True),
    )
    op.create_index("ix_callbacks_status_due", "callbacks", ["status", "due_date"])


def _agent_foreign_key(table: str) -> None:
    """`table.agent_id` refers to agents. SQLite cannot add a constraint to a table without
    rebuilding it (which would cascade-delete messages): there, the ORM keeps to it."""
    if op.get_bind().dialect.name != "sqlite":
        op.create_foreign_key(
            f"fk_{table}_agent_id", table, "agents", ["agent_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    op.drop_table("callbacks")
    op.drop_table("state_changes")
    op.drop_index("ix_conversations_state", "conversations")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_messages_agent_id", "messages")
        op.drop_constraint("fk_conversations_agent_id", "conversations")
    for name in ("understood", "internal", "agent_id"):
        op.drop_column("messages", name)
    for name in (
        "flow_data", "flow", "step", "topic", "outcome", "agent_seen_at",
        "agent_id", "waiting_since", "priority", "handoff_reason",
    ):  # fmt: skip
        op.drop_column("conversations", name)
    op.drop_table("agents")
