"""The agents' side of the core: the queue, taking a conversation, replying, handing back.

The console (bot/console/) calls only this; it never talks to a channel or the brain.
Every change goes through the state machine, is stored in one unit of work, published
to the consoles and the person's page, and every message to the person is delivered
through the outbound path into their own channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.conversations.events import QUEUE_TOPIC, Event
from bot.conversations.model import Author, CallbackStatus, State, Status
from bot.conversations.records import (
    AgentRecord,
    CallbackRecord,
    ConversationRecord,
    MessageRecord,
)
from bot.conversations.states import Move
from bot.conversations.store import NewReply, StateMove

if TYPE_CHECKING:
    from bot.conversations.service import ConversationService

OUTCOMES = ("answered", "referred", "callback_planned", "no_reply", "other")
"""How an agent closes a conversation (the dashboard counts them)."""
SUMMARY_ITEMS = 5
TOUCH_SECONDS = 10.0
"""Signs of life closer together than this are not written again (the idle limit is minutes)."""


class TakenBy(Exception):
    """Another agent holds the conversation."""

    def __init__(self, name: str | None) -> None:
        super().__init__(f"taken by {name or 'another agent'}")
        self.name = name


class NotYours(Exception):
    """The agent does not hold this conversation: take it first."""


@dataclass(frozen=True)
class QueueEntry:
    """One line of the agents' queue."""

    conversation: ConversationRecord
    waiting_seconds: float
    agent_name: str | None
    last_text: str | None


@dataclass(frozen=True)
class HandoffSummary:
    """What an agent reads first: where the person was and why a person is needed."""

    topic: str | None
    step: int | None
    language: str
    reason: str | None
    tried: list[str]
    not_understood: list[str]


@dataclass(frozen=True)
class ConversationView:
    """A conversation as the console shows it: summary, whole transcript, who has it."""

    conversation: ConversationRecord
    messages: list[MessageRecord]
    summary: HandoffSummary
    agent_name: str | None


class AgentDesk:
    """What agents do with conversations; built by and on the conversation service."""

    def __init__(self, service: ConversationService) -> None:
        self._service = service
        self._store = service.store
        self._touched: dict[int, datetime] = {}  # agent id -> last sign of life written

    async def queue(self, limit: int | None = None) -> tuple[list[QueueEntry], int]:
        """Conversations waiting for or with an agent (most urgent, then longest waiting,
        the first `limit` of them), and how many there are in all."""
        now = self._service.now()
        rows, total = await self._store.handed_over(limit)
        entries = [
            QueueEntry(
                conversation,
                (now - (conversation.waiting_since or now)).total_seconds(),
                agent_name,
                last_text,
            )
            for conversation, agent_name, last_text in rows
        ]
        return entries, total

    async def open(self, conversation_id: str) -> ConversationView | None:
        """The conversation with its summary and whole transcript, notes included."""
        conversation = await self._store.get(conversation_id)
        if conversation is None:
            return None
        messages = await self._store.messages(conversation_id, internal=True)
        holder = await self._store.agent(conversation.agent_id) if conversation.agent_id else None
        return ConversationView(
            conversation,
            messages,
            _summary(conversation, messages),
            holder.name if holder else None,
        )

    async def take(self, conversation_id: str, agent: AgentRecord) -> ConversationRecord:
        """Take a waiting conversation (MoveRefused if it is not waiting; TakenBy if held)."""
        conversation, holder = await self._store.claim(conversation_id, agent, self._service.now())
        if holder is not None or (
            conversation.state == State.WITH_AGENT and conversation.agent_id != agent.id
        ):
            raise TakenBy(holder)
        self._service.publish_state(conversation)
        return conversation

    async def reply(self, conversation_id: str, agent: AgentRecord, text: str) -> MessageRecord:
        """Send the agent's reply into the person's channel."""
        await self._held_by(conversation_id, agent)
        reply = NewReply(text, author=Author.AGENT, agent_id=agent.id)
        conversation, [stored] = await self._store.answer(
            conversation_id,
            [reply],
            self._service.now(),
            status=Status.QUEUED,
            changes={"agent_seen_at": self._service.now()},
        )
        self._service.publish_messages(conversation_id, [stored])
        await self._service.deliver(conversation, [stored])
        return stored

    async def note(self, conversation_id: str, agent: AgentRecord, text: str) -> MessageRecord:
        """An internal note on the conversation: agents see it, the person never does."""
        note = NewReply(text, author=Author.AGENT, agent_id=agent.id, internal=True)
        _, [stored] = await self._store.answer(conversation_id, [note], self._service.now())
        self._service.publish_messages(conversation_id, [stored])
        return stored

    async def hand_back(self, conversation_id: str, agent: AgentRecord) -> ConversationRecord:
        """Give the conversation back to the bot, which greets the person again."""
        await self._held_by(conversation_id, agent)
        move = StateMove(Move.HAND_BACK, f"agent:{agent.name}", "handed back")
        return await self._service.move_and_say(conversation_id, move, "handed_back")

    async def release(self, conversation_id: str, agent: AgentRecord) -> ConversationRecord:
        """Put the conversation back in the queue for another agent."""
        await self._held_by(conversation_id, agent)
        move = StateMove(Move.RELEASE, f"agent:{agent.name}", "released")
        return await self._service.move_and_say(conversation_id, move, "released")

    async def close(
        self, conversation_id: str, agent: AgentRecord, outcome: str
    ) -> ConversationRecord:
        """Close the conversation with an outcome (one of OUTCOMES)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}: one of {', '.join(OUTCOMES)}")
        conversation = await self._store.get(conversation_id)
        if conversation is not None and conversation.state == State.WITH_AGENT:
            await self._held_by(conversation_id, agent)
        move = StateMove(Move.CLOSE, f"agent:{agent.name}", outcome)
        return await self._service.move_and_say(
            conversation_id, move, "closed_by_agent", changes={"outcome": outcome}
        )

    async def callbacks(
        self, status: str | None = CallbackStatus.REQUESTED
    ) -> list[CallbackRecord]:
        """Callback requests and messages left, soonest due first."""
        return await self._store.callbacks(status)

    async def settle_callback(
        self, callback_id: int, agent: AgentRecord, status: str, note: str
    ) -> CallbackRecord | None:
        """Mark a callback done or failed, with a note."""
        settled = CallbackStatus(status)
        if settled == CallbackStatus.REQUESTED:
            raise ValueError("a callback is settled as done or failed")
        record = await self._store.settle_callback(
            callback_id, agent.id, settled, note, self._service.now()
        )
        if record is not None:
            self._service.events.publish(QUEUE_TOPIC, Event("callback", record.conversation_id))
        return record

    async def set_available(self, agent_id: int, available: bool) -> None:
        """The agent can (or cannot) take conversations now."""
        await self._store.set_available(agent_id, available, self._service.now())
        self._service.events.publish(QUEUE_TOPIC, Event("agent", None, {"available": available}))

    async def touch(self, agent_id: int) -> None:
        """A sign of life of an agent (a page view, an open console): while there is one,
        the conversations they hold stay theirs. Written at most every TOUCH_SECONDS."""
        now = self._service.now()
        last = self._touched.get(agent_id)
        if last is not None and (now - last).total_seconds() < TOUCH_SECONDS:
            return
        self._touched[agent_id] = now
        await self._store.touch_agent(agent_id, now)

    async def _held_by(self, conversation_id: str, agent: AgentRecord) -> ConversationRecord:
        conversation = await self._store.get(conversation_id)
        if conversation is None:
            raise LookupError(conversation_id)
        if conversation.state != State.WITH_AGENT or conversation.agent_id != agent.id:
            raise NotYours(conversation_id)
        return conversation


def _summary(conversation: ConversationRecord, messages: list[MessageRecord]) -> HandoffSummary:
    bot_said = [m.text for m in messages if m.author == Author.BOT]
    not_understood = [
        m.text for m in messages if m.author == Author.PERSON and m.understood is False
    ]
    return HandoffSummary(
        topic=conversation.topic,
        step=conversation.step,
        language=conversation.language,
        reason=conversation.handoff_reason,
        tried=bot_said[-SUMMARY_ITEMS:],
        not_understood=not_understood[-SUMMARY_ITEMS:],
    )
