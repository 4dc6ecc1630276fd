"""Plain values the core hands to channels and pages: never ORM objects, never lazy loads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.conversations.model import (
    Agent,
    Callback,
    Conversation,
    Message,
    ProblemReport,
    State,
)
from bot.settings import Language


@dataclass(frozen=True)
class ConversationRecord:
    """A conversation as it is now."""

    id: str
    channel: str
    contact: str | None
    language: Language
    language_source: str
    state: State
    created_at: datetime
    updated_at: datetime
    handoff_requested_at: datetime | None = None
    handoff_reason: str | None = None
    priority: int = 0
    waiting_since: datetime | None = None
    agent_id: int | None = None
    agent_seen_at: datetime | None = None
    outcome: str | None = None
    topic: str | None = None
    step: int | None = None
    flow: str | None = None
    flow_data: dict[str, Any] = field(default_factory=dict)
    ended_at: datetime | None = None

    @classmethod
    def of(cls, row: Conversation) -> ConversationRecord:
        """The record of a stored conversation."""
        return cls(
            id=row.id,
            channel=row.channel,
            contact=row.contact,
            language=row.language,  # type: ignore[arg-type]  # always set on receive
            language_source=row.language_source,
            state=State(row.state),
            created_at=row.created_at,
            updated_at=row.updated_at,
            handoff_requested_at=row.handoff_requested_at,
            handoff_reason=row.handoff_reason,
            priority=row.priority or 0,
            waiting_since=row.waiting_since,
            agent_id=row.agent_id,
            agent_seen_at=row.agent_seen_at,
            outcome=row.outcome,
            topic=row.topic,
            step=row.step,
            flow=row.flow,
            flow_data=dict(row.flow_data or {}),
            ended_at=row.ended_at,
        )


@dataclass(frozen=True)
class MessageRecord:
    """One message of a transcript."""

    id: int
    conversation_id: str
    author: str
    text: str
    buttons: list[dict[str, str]]
    language: str | None
    status: str
    created_at: datetime
    agent_id: int | None = None
    internal: bool = False
    understood: bool | None = None
    payload: str | None = None
    provider_id: str | None = None
    delivery_error: str | None = None

    @property
    def meaning(self) -> str:
        """What the person said: the payload of the button a menu number chose, else the text."""
        return self.payload or self.text

    @classmethod
    def of(cls, row: Message) -> MessageRecord:
        """The record of a stored message."""
        return cls(
            id=row.id,
            conversation_id=row.conversation_id,
            author=row.author,
            text=row.text,
            buttons=list(row.buttons or []),
            language=row.language,
            status=row.status,
            created_at=row.created_at,
            agent_id=row.agent_id,
            internal=bool(row.internal),
            understood=row.understood,
            payload=row.payload,
            provider_id=row.provider_id,
            delivery_error=row.delivery_error,
        )

    def public(self) -> dict[str, Any]:
        """The message as the person's side sees it (the web chat API and its live stream)."""
        return {
            "id": self.id,
            "text": self.text,
            "buttons": self.buttons,
            "author": self.author,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class AgentRecord:
    """A console account, without its password hash."""

    id: int
    name: str
    role: str
    language: str
    available: bool
    last_seen_at: datetime | None

    @classmethod
    def of(cls, row: Agent) -> AgentRecord:
        """The record of a stored account."""
        return cls(row.id, row.name, row.role, row.language, row.available, row.last_seen_at)


@dataclass(frozen=True)
class CallbackRecord:
    """A callback request or a message left for the helpdesk."""

    id: int
    conversation_id: str
    kind: str
    phone: str | None
    language: str
    due_date: date | None
    half_day: str | None
    message: str | None
    status: str
    note: str | None
    agent_id: int | None
    created_at: datetime
    done_at: datetime | None

    @classmethod
    def of(cls, row: Callback) -> CallbackRecord:
        """The record of a stored request."""
        return cls(
            row.id,
            row.conversation_id,
            row.kind,
            row.phone,
            row.language,
            row.due_date,
            row.half_day,
            row.message,
            row.status,
            row.note,
            row.agent_id,
            row.created_at,
            row.done_at,
        )


@dataclass(frozen=True)
class ProblemReportRecord:
    """A problem report with an online public procedure, as filed (see model.ProblemReport)."""

    id: int
    reference: str
    conversation_id: str | None
    channel: str
    language: str
    service: str
    service_text: str | None
    category: str
    description: str | None
    contact: str
    contact_number: str | None
    status: str
    filed_by: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: ProblemReport) -> ProblemReportRecord:
        """The record of a stored report."""
        return cls(
            id=row.id,
            reference=row.reference,
            conversation_id=row.conversation_id,
            channel=row.channel,
            language=row.language,
            service=row.service,
            service_text=row.service_text,
            category=row.category,
            description=row.description,
            contact=row.contact,
            contact_number=row.contact_number,
            status=row.status,
            filed_by=row.filed_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
