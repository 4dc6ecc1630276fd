"""The stored shape of a conversation and its messages (SQLAlchemy 2 ORM)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


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
    `pending` when the brain could not be reached (it is answered later, in order, unless
    the brain's tracker shows it was processed), `for_agent` when a person, not the bot, is
    to answer it, `failed` when answering it broke (it is tried again after a restart),
    `unheard` when the person left (a caller hung up) before it was answered: nobody is
    there to hear the answer, so it is not answered later.
    A message to the person is `queued` when stored, `sent` once its channel took it,
    `delivered` when the channel confirms it arrived, `failed` when it could not go out.
    """

    RECEIVED = "received"
    ANSWERED = "answered"
    PENDING = "pending"
    FOR_AGENT = "for_agent"
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNHEARD = "unheard"


class Role(StrEnum):
    """What a console account may do: supervisors also see the dashboard and manage agents;
    operators are accounts meant for the dashboard (bot/dashboard)."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    OPERATOR = "operator"


class CallbackKind(StrEnum):
    """A request to be called back, or a message left for the helpdesk to read."""

    CALLBACK = "callback"
    MESSAGE = "message"


class CallbackStatus(StrEnum):
    """Where a callback request (or a message left for the helpdesk) is."""

    REQUESTED = "requested"
    DONE = "done"
    FAILED = "failed"


class UtcDateTime(TypeDecorator[datetime]):
    """A moment, stored in UTC and always read back time-zone aware.

    PostgreSQL keeps the zone; SQLite keeps only text, so without this a moment read back
    would be naive and could not be compared with "now".
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Store in UTC, so that SQLite's text comparisons order moments correctly."""
        return value.astimezone(UTC) if value is not None and value.tzinfo else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Read back as UTC-aware."""
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class Base(DeclarativeBase):
    """Base class of the hub's tables."""

    type_annotation_map: ClassVar = {datetime: UtcDateTime()}


class Conversation(Base):
    """One conversation with one person on one channel."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_channel_contact", "channel", "contact", "created_at"),
        Index("ix_conversations_state", "state", "priority"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    # How to reach the person again on this channel (a caller's number): never logged.
    contact: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(2))
    language_source: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(20), default=State.BOT)
    handoff_requested_at: Mapped[datetime | None]
    # The hand-over: why, how urgent (higher first), since when, and which agent has it.
    handoff_reason: Mapped[str | None] = mapped_column(String(32))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    waiting_since: Mapped[datetime | None]
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    agent_seen_at: Mapped[datetime | None]  # the agent's last sign of life in it
    outcome: Mapped[str | None] = mapped_column(String(32))
    # Where the person is in the brain's procedure, as the brain last said (for agents).
    topic: Mapped[str | None] = mapped_column(String(64))
    step: Mapped[int | None] = mapped_column(Integer)
    # A dialogue the hub leads itself (booking a callback), and what it has gathered.
    flow: Mapped[str | None] = mapped_column(String(16))
    flow_data: Mapped[dict[str, object] | None] = mapped_column(JSON, default=dict)
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
        # A client's retry of a message it sent (same key) is the same message, never a
        # second one: the key is unique in its conversation.
        Index("ux_messages_idempotency_key", "conversation_id", "idempotency_key", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    author: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    language: Mapped[str | None] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    internal: Mapped[bool] = mapped_column(Boolean, default=False)  # an agent's note
    # A person's message the bot did not understand (False), or None when not known.
    understood: Mapped[bool | None] = mapped_column(Boolean)
    # What a person's menu number ("2") meant when it was sent: the button's payload.
    payload: Mapped[str | None] = mapped_column(Text)
    # The client's key for a person's message (web chat's Idempotency-Key), if it gave one.
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    # The channel provider's id of a message sent to the person (Twilio's "SM..."), for its
    # delivery reports; and why it could not be delivered, when it could not.
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    delivery_error: Mapped[str | None] = mapped_column(String(200))
    # The person's message that a turn's reply answers (the id, not a foreign key: the
    # person's message may be erased before the reply). Replies are stored after every
    # message that came meanwhile, so their place alone cannot tell.
    reply_to: Mapped[int | None] = mapped_column(Integer)

    conversation: Mapped[Conversation] = relationship(back_populates="messages", lazy="raise")


class Agent(Base):
    """An account of the agent console. The password is stored as an argon2 hash only."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default=Role.AGENT)
    language: Mapped[str] = mapped_column(String(2), default="fr")  # of the console
    available: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OptOut(Base):
    """A messaging address that sent STOP: nothing is sent to it until it sends START."""

    __tablename__ = "opt_outs"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)  # never logged
    opted_out_at: Mapped[datetime]
    opted_in_at: Mapped[datetime | None]  # set by START: messages may go out again


class KeptPage(Base):
    """The rest of a reply too long for one SMS, sent when the person asks for more.

    `asked_by` and `page`: the person's message that asked for the last page, and that
    page, so that a provider's retry of that message gets the same page again.
    """

    __tablename__ = "kept_pages"

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    rest: Mapped[str] = mapped_column(Text)
    asked_by: Mapped[str | None] = mapped_column(String(64))
    page: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StateChange(Base):
    """One move of a conversation's state: from, to, who moved it and why."""

    __tablename__ = "state_changes"
    __table_args__ = (Index("ix_state_changes_conversation_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    event: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(80))  # "person", "bot", "system", "agent:<name>"
    reason: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Callback(Base):
    """A person's request to be called back, or a message left for the helpdesk."""

    __tablename__ = "callbacks"
    __table_args__ = (Index("ix_callbacks_status_due", "status", "due_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # "callback" or "message"
    phone: Mapped[str | None] = mapped_column(String(32))  # never logged
    language: Mapped[str] = mapped_column(String(2))
    due_date: Mapped[date | None] = mapped_column(Date)
    half_day: Mapped[str | None] = mapped_column(String(2))  # "am" or "pm"
    message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=CallbackStatus.REQUESTED)
    note: Mapped[str | None] = mapped_column(Text)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]


class ReportStatus(StrEnum):
    """Where a problem report is: operators move it on from `new`."""

    NEW = "new"
    FORWARDED = "forwarded"
    CLOSED = "closed"


class ProblemReport(Base):
    """A person's report of a problem with an online public procedure (issue 13).

    The conversation link is a plain nullable key, not a cascade: erasure deletes the
    report rows itself (bot/privacy), so that what it deleted is counted and audited.
    """

    __tablename__ = "problem_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Short and said slowly on the phone, character by character ("K7P-4QX").
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    conversation_id: Mapped[str | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2))
    service: Mapped[str] = mapped_column(String(32))  # an id of content/problem_reports.yml
    service_text: Mapped[str | None] = mapped_column(Text)  # the person's own words for it
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)  # in their own words, optional
    contact: Mapped[str] = mapped_column(String(16))  # "none", "channel" or "phone"
    contact_number: Mapped[str | None] = mapped_column(String(32))  # never logged
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.NEW)
    filed_by: Mapped[str | None] = mapped_column(String(64))  # a console account, or the person
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PrivacyAction(Base):
    """A supervisor exported or erased a person's data (bot/privacy, docs/privacy.md).

    Who, when, by which kind of key and how many rows, by table: never the key itself (the
    person's number or conversation id), so the log keeps nothing of an erased person.
    """

    __tablename__ = "privacy_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    action: Mapped[str] = mapped_column(String(16))  # "export" or "erase"
    key_kind: Mapped[str] = mapped_column(String(16))  # "contact" or "conversation"
    done_by: Mapped[str] = mapped_column(String(64))  # the supervisor's account name
    rows: Mapped[int] = mapped_column(Integer)
    tables: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # rows by table
    done_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SignedOutSession(Base):
    """A console session that signed out: its cookie is refused on every hub replica, and
    after a restart, until the cookie would have expired anyway (bot/console/sessions.py)."""

    __tablename__ = "signed_out_sessions"

    session_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    until: Mapped[datetime] = mapped_column(index=True)
