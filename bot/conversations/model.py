"""The stored shape of a conversation and its messages (SQLAlchemy 2 ORM)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Timestamps are stored in UTC; the clock is injectable in the service, not here."""
    return datetime.now(UTC)


class State(StrEnum):
    """Who answers the person now."""

    BOT = "bot"
    WAITING_FOR_AGENT = "waiting_for_agent"
    WITH_AGENT = "with_agent"
    CLOSED = "closed"


class Author(StrEnum):
    """Who wrote a message."""

    PERSON = "person"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class Status(StrEnum):
    """Where a message is in its life.

    A person's message is `received` when stored, `answered` once the brain replied,
    `pending` when the brain could not be reached (it is answered later, in order).
    An outgoing message is `sent` once handed to the channel.
    """

    RECEIVED = "received"
    ANSWERED = "answered"
    PENDING = "pending"
    SENT = "sent"


class Base(DeclarativeBase):
    """Base class of the hub's tables."""

    type_annotation_map: ClassVar = {datetime: DateTime(timezone=True)}


class Conversation(Base):
    """One conversation with one person on one channel."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_channel_contact", "channel", "contact", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    # How to reach the person again on this channel (a caller's number): never logged.
    contact: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(2))
    language_source: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20), default=State.BOT)
    handoff_requested_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]  # when the person left (a call hung up)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.id", lazy="raise"
    )


class Message(Base):
    """One message, in either direction, with its delivery status."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        Index("ix_messages_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages", lazy="raise")
