"""Persistence of conversations and messages (SQLite by default, PostgreSQL at scale).

Every method is one transaction: nothing is ever stored half-way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Insert, Select, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.conversations.model import (
    Agent,
    Author,
    Callback,
    CallbackStatus,
    Conversation,
    Message,
    ProblemReport,
    State,
    StateChange,
    Status,
)
from bot.conversations.records import (
    AgentRecord,
    CallbackRecord,
    ConversationRecord,
    MessageRecord,
)
from bot.conversations.states import Move, transition
from bot.languages import LanguageSource
from bot.settings import Language

# A person's message the bot has still to answer: being answered, kept, or broken off.
UNANSWERED = (Status.RECEIVED, Status.PENDING, Status.FAILED)
LanguageDecision = Callable[[tuple[str | None, str] | None], tuple[str, LanguageSource]]


@dataclass(frozen=True)
class NewReply:
    """A message about to be stored: the bot's, an agent's (or note), or the system's."""

    text: str
    buttons: Sequence[dict[str, str]] = ()
    author: Author = Author.BOT
    agent_id: int | None = None
    internal: bool = False


@dataclass(frozen=True)
class Received:
    """A person's message as stored: `repeated` when the client had sent it before (same
    idempotency key), and `message` is then the first one, not a new one."""

    conversation: ConversationRecord
    message: MessageRecord
    repeated: bool = False


@dataclass(frozen=True)
class StateMove:
    """A move of the state machine, with who made it and why (recorded in state_changes)."""

    move: Move
    actor: str
    reason: str


def create_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets foreign keys and a busy timeout like a server database."""
    # hide_parameters: a database error's text never quotes what a person wrote.
    engine = create_async_engine(
        url, pool_pre_ping=not url.startswith("sqlite"), hide_parameters=True
    )
    if url.startswith("sqlite"):
        from sqlalchemy import event

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # Safe with WAL after a crash of the process; saves an fsync per commit.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

    return engine


class ChannelMismatch(LookupError):
    """A message for a conversation held in another channel (a web chat post to a call id)."""

    def __init__(self, conversation_id: str, held_in: str, came_from: str) -> None:
        super().__init__(f"conversation {conversation_id} is held in {held_in}, not {came_from}")


class ConversationStore:
    """Reads and writes conversations and their messages."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.session = async_sessionmaker(engine, expire_on_commit=False)
        """Sessions on the hub's database, for modules that keep tables of their own."""

    async def close(self) -> None:
        """Release the database connections."""
        await self.engine.dispose()

    async def get(self, conversation_id: str) -> ConversationRecord | None:
        """The conversation, or None if it does not exist."""
        async with self.session() as session:
            row = await session.get(Conversation, conversation_id)
            return ConversationRecord.of(row) if row else None

    async def open_conversation(
        self, conversation_id: str, channel: str, contact: str | None, now: datetime
    ) -> Language | None:
        """Start the conversation of someone reachable at `contact`, unless it exists.

        Returns the language that contact last chose on this channel, if any; a new
        conversation starts in it, as a hint that the person's explicit choice overrides.
        """
        async with self.session.begin() as session:
            remembered = await self._last_language(session, channel, contact) if contact else None
            source = LanguageSource.HINT if remembered else LanguageSource.DEFAULT
            await self._create_if_new(
                session, conversation_id, channel, now, contact=contact,
                language=remembered, language_source=source,
            )  # fmt: skip
        return remembered

    async def _create_if_new(
        self,
        session: AsyncSession,
        conversation_id: str,
        channel: str,
        now: datetime,
        **values: Any,
    ) -> None:
        """Insert the conversation unless it exists, in one statement: two first messages
        at once never collide (the second waits for the first, then does nothing)."""
        insert: Callable[..., Insert] = (
            postgresql_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        )
        defaults = {"language_source": LanguageSource.DEFAULT} | values
        await session.execute(
            insert(Conversation)
            .values(
                id=conversation_id,
                channel=channel,
                state=State.BOT,
                created_at=now,
                updated_at=now,
                flow_data={},
                **defaults,
            )
            .on_conflict_do_nothing(index_elements=["id"])
        )

    async def latest_open(self, channel: str, contact: str, active_since: datetime) -> str | None:
        """The id of `contact`'s conversation on `channel` that is still going on, if any.

        Going on: not closed, not ended, and either with a person message or reply since
        `active_since`, or waiting for or with an agent (an agent's answer may take longer
        than the quiet time, and must land in the same conversation).
        """
        last_message = (
            select(func.max(Message.created_at))
            .where(Message.conversation_id == Conversation.id)
            .scalar_subquery()
        )
        async with self.session() as session:
            return await session.scalar(
                select(Conversation.id)
                .where(
                    Conversation.channel == channel,
                    Conversation.contact == contact,
                    Conversation.ended_at.is_(None),
                    Conversation.state != State.CLOSED,
                    (func.coalesce(last_message, Conversation.created_at) >= active_since)
                    | Conversation.state.in_([State.WAITING_FOR_AGENT, State.WITH_AGENT]),
                )
                .order_by(Conversation.created_at.desc())
                .limit(1)
            )

    async def last_language(self, channel: str, contact: str) -> Language | None:
        """The language `contact` chose in their latest conversation on `channel` with a choice."""
        async with self.session() as session:
            return await self._last_language(session, channel, contact)

    @staticmethod
    async def _last_language(session: AsyncSession, channel: str, contact: str) -> Language | None:
        language = await session.scalar(
            select(Conversation.language)
            .where(
                Conversation.channel == channel,
                Conversation.contact == contact,
                Conversation.language_source == LanguageSource.EXPLICIT,
            )
            .order_by(Conversation.created_at.desc())
            .limit(1)
        )
        return cast(Language | None, language)

    async def end(self, conversation_id: str, now: datetime) -> ConversationRecord | None:
        """Close a conversation the person has left; None if there is none still open."""
        async with self.session.begin() as session:
            row = await session.get(Conversation, conversation_id, with_for_update=True)
            if row is None or row.ended_at is not None:
                return None
            row.ended_at = now
            if row.state != State.CLOSED:
                self._move(session, row, StateMove(Move.LEAVE, "person", "left"), now)
            await session.execute(
                update(Message)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.author == Author.PERSON,
                    Message.status.in_(UNANSWERED),
                )
                .values(status=Status.UNHEARD)
            )
            return ConversationRecord.of(row)

    async def receive(
        self,
        conversation_id: str,
        channel: str,
        text: str,
        decide_language: LanguageDecision,
        now: datetime,
        *,
        menu_choice: int | None = None,
        idempotency_key: str | None = None,
    ) -> Received:
        """Store a person's message, creating the conversation if it is new.

        `decide_language` gets the conversation's (language, source) and returns the
        language to hold from now on. A closed conversation opens again with the bot.
        `menu_choice` (1 for "1"...) is resolved now against the buttons of the message
        before it, so it keeps its meaning however late it is answered. A message with an
        `idempotency_key` already stored in the conversation is not stored again: the first
        one is returned, `repeated`. All in one transaction, the conversation locked.
        """
        async with self.session.begin() as session:
            await self._create_if_new(session, conversation_id, channel, now)
            row = await session.get(
                Conversation, conversation_id, with_for_update=True, populate_existing=True
            )
            if row is None:  # pragma: no cover - created just above
                raise LookupError(conversation_id)
            if row.channel != channel:
                raise ChannelMismatch(conversation_id, row.channel, channel)
            if idempotency_key and (first := await self._keyed(session, row.id, idempotency_key)):
                return Received(ConversationRecord.of(row), first, repeated=True)
            if row.state == State.CLOSED and row.ended_at is None:
                self._move(session, row, StateMove(Move.REOPEN, "person", "wrote again"), now)
            row.language, row.language_source = decide_language((row.language, row.language_source))
            row.updated_at = now
            payload = await self._menu_payload(session, row.id, menu_choice)
            status = Status.FOR_AGENT if row.state == State.WITH_AGENT else Status.RECEIVED
            message = Message(
                conversation_id=row.id, author=Author.PERSON, text=text, buttons=[],
                language=row.language, status=status, created_at=now,
                payload=payload, idempotency_key=idempotency_key,
            )  # fmt: skip
            session.add(message)
            await session.flush()
            return Received(ConversationRecord.of(row), MessageRecord.of(message))

    @staticmethod
    async def _keyed(
        session: AsyncSession, conversation_id: str, idempotency_key: str
    ) -> MessageRecord | None:
        row = await session.scalar(
            select(Message).where(
                Message.conversation_id == conversation_id,
                Message.idempotency_key == idempotency_key,
            )
        )
        return MessageRecord.of(row) if row else None

    @staticmethod
    async def _menu_payload(
        session: AsyncSession, conversation_id: str, menu_choice: int | None
    ) -> str | None:
        """The payload of button `menu_choice` of the last message sent to the person."""
        if menu_choice is None:
            return None
        buttons = await session.scalar(
            select(Message.buttons)
            .where(
                Message.conversation_id == conversation_id,
                Message.author != Author.PERSON,
                Message.internal.is_(False),
            )
            .order_by(Message.id.desc())
            .limit(1)
        )
        chosen = list(buttons or [])[menu_choice - 1 : menu_choice]
        return chosen[0]["payload"] if chosen else None

    async def answer(
        self,
        conversation_id: str,
        replies: Sequence[NewReply],
        now: datetime,
        *,
        status: Status = Status.SENT,
        answered: int | None = None,
        understood: bool | None = None,
        changes: dict[str, Any] | None = None,
        move: StateMove | None = None,
        callback: Callback | None = None,
        report: ProblemReport | None = None,
    ) -> tuple[ConversationRecord, list[MessageRecord]]:
        """One unit of work after a turn: change the conversation, store what is said back.

        `answered`: the person's message this answers (marked answered, and `understood`);
        `changes`: fields of the conversation to set; `move`: a move of the state machine
        (MoveRefused leaves everything as it was); `callback`: a request to store with it;
        `report`: a problem report to store with it (a retried message never files two).
        Replies are in the conversation's language after the changes.
        """
        async with self.session.begin() as session:
            row = await session.get(Conversation, conversation_id, with_for_update=True)
            if row is None:
                raise LookupError(conversation_id)
            for name, value in (changes or {}).items():
                setattr(row, name, value)
            if move is not None:
                self._move(session, row, move, now)
            row.updated_at = now
            if callback is not None:
                session.add(callback)
            if report is not None:
                session.add(report)
            stored = await self._insert_messages(
                session, conversation_id, replies, row.language, status, now, reply_to=answered
            )
            if answered is not None:
                await session.execute(
                    update(Message)
                    .where(Message.id == answered)
                    .values(status=Status.ANSWERED, understood=understood)
                )
            return ConversationRecord.of(row), stored

    @staticmethod
    def _move(session: AsyncSession, row: Conversation, move: StateMove, now: datetime) -> None:
        """Apply a move of the state machine to `row` and record it."""
        before = row.state
        row.state = transition(before, move.move)
        if row.state == State.WAITING_FOR_AGENT and before != State.WAITING_FOR_AGENT:
            row.waiting_since = now
        if row.state != State.WITH_AGENT:
            row.agent_id = None
        if row.state == State.BOT:
            row.handoff_reason, row.priority, row.waiting_since = None, 0, None
        session.add(
            StateChange(
                conversation_id=row.id,
                from_state=before,
                to_state=row.state,
                event=move.move,
                actor=move.actor,
                reason=move.reason[:200],
                at=now,
            )
        )

    @staticmethod
    async def _insert_messages(
        session: AsyncSession,
        conversation_id: str,
        messages: Sequence[NewReply],
        language: str | None,
        status: Status,
        now: datetime,
        reply_to: int | None = None,
    ) -> list[MessageRecord]:
        stored = [
            Message(
                conversation_id=conversation_id,
                author=message.author,
                text=message.text,
                buttons=list(message.buttons),
                language=language,
                status=status,
                created_at=now,
                agent_id=message.agent_id,
                internal=message.internal,
                reply_to=reply_to,
            )
            for message in messages
        ]
        session.add_all(stored)
        await session.flush()
        return [MessageRecord.of(row) for row in stored]

    async def set_status(self, message_ids: Sequence[int], status: Status) -> None:
        """Change the status of messages (a delivery report that came first stays, and so
        does `unheard`)."""
        if not message_ids:
            return
        query = update(Message).where(Message.id.in_(message_ids))
        if status == Status.SENT:
            query = query.where(Message.status.not_in([Status.DELIVERED, Status.FAILED]))
        if status in UNANSWERED:  # a turn that broke off after its person left: unheard
            query = query.where(Message.status != Status.UNHEARD)
        async with self.session.begin() as session:
            await session.execute(query.values(status=status))

    async def sent_as(self, message_id: int, provider_id: str) -> None:
        """Record the channel provider's id of a message it took (for its delivery reports)."""
        async with self.session.begin() as session:
            await session.execute(
                update(Message).where(Message.id == message_id).values(provider_id=provider_id)
            )

    async def not_delivered(self, message_id: int, reason: str) -> None:
        """Record why a message could not go out (the agents see it); the status is the
        caller's (`deliver` marks it failed)."""
        async with self.session.begin() as session:
            await session.execute(
                update(Message).where(Message.id == message_id).values(delivery_error=reason[:200])
            )

    async def delivery_report(
        self, provider_id: str, status: Status, reason: str | None = None
    ) -> MessageRecord | None:
        """A provider's report on a message it took: sent, delivered or failed (`reason`).

        Reports may come out of order: a message only moves on (sent, then delivered or
        failed), never back. Returns the message as it is now, None if it is not known.
        """
        earlier = [Status.QUEUED] if status == Status.SENT else [Status.QUEUED, Status.SENT]
        async with self.session.begin() as session:
            row = await session.scalar(
                select(Message).where(Message.provider_id == provider_id).with_for_update()
            )
            if row is None:
                return None
            if row.status in earlier:
                row.status = status
                if reason:
                    row.delivery_error = reason[:200]
            return MessageRecord.of(row)

    async def update_conversation(self, conversation_id: str, **values: Any) -> None:
        """Change fields of a conversation (not its state: that is `answer(move=...)`)."""
        async with self.session.begin() as session:
            await session.execute(
                update(Conversation).where(Conversation.id == conversation_id).values(**values)
            )

    async def messages(
        self, conversation_id: str, after: int = 0, internal: bool = False
    ) -> list[MessageRecord]:
        """The conversation's messages with an id above `after`, oldest first.

        Agents' internal notes only with `internal`: the person never sees them.
        """
        query = (
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.id > after)
            .order_by(Message.id)
        )
        if not internal:
            query = query.where(Message.internal.is_(False))
        async with self.session() as session:
            return [MessageRecord.of(row) for row in await session.scalars(query)]

    async def pending(self, conversation_id: str | None = None) -> list[MessageRecord]:
        """Messages kept for replay (the brain was unreachable, or before a restart), oldest
        first; not those of a call that has ended: nobody is there to hear the answer."""
        query = (
            select(Message)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.status == Status.PENDING, Conversation.ended_at.is_(None))
            .order_by(Message.id)
        )
        if conversation_id is not None:
            query = query.where(Message.conversation_id == conversation_id)
        async with self.session() as session:
            return [MessageRecord.of(row) for row in await session.scalars(query)]

    async def unanswered(self, conversation_id: str, up_to: int) -> list[MessageRecord]:
        """The person's messages up to id `up_to` still to be answered by the bot (being
        answered now, or kept for replay), oldest first."""
        query = (
            select(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.id <= up_to,
                Message.status.in_([Status.RECEIVED, Status.PENDING]),
            )
            .order_by(Message.id)
        )
        async with self.session() as session:
            return [MessageRecord.of(row) for row in await session.scalars(query)]

    async def keep_unanswered(self, received_before: datetime | None = None) -> None:
        """At start: a person's message left unanswered by the last run (it stopped or
        crashed before answering, or answering broke) is kept for replay, like one the brain
        could not take; not in calls that have ended.

        With `received_before` (several hubs, the others running): only messages that came
        before then, whose turn is long over (their hub stopped, or answering broke).
        """
        open_conversations = select(Conversation.id).where(Conversation.ended_at.is_(None))
        query = update(Message).where(
            Message.author == Author.PERSON,
            Message.status.in_([Status.RECEIVED, Status.FAILED]),
            Message.conversation_id.in_(open_conversations),
        )
        if received_before is not None:
            query = query.where(Message.created_at < received_before)
        async with self.session.begin() as session:
            await session.execute(query.values(status=Status.PENDING))

    async def replies_to(self, message: MessageRecord) -> list[MessageRecord]:
        """What was said back to a person's message (a repeat of the message gets these
        again): the replies of the turn that answered it; else, when none says so (a
        holding reply, an agent's), the messages after it that the person sees, up to
        their next message."""
        async with self.session() as session:
            rows = list(await session.scalars(_replies_linked_to(message))) or list(
                await session.scalars(_replies_after(message))
            )
        return [MessageRecord.of(row) for row in rows]

    # ---------------------------------------------------------------- the agents' side

    async def handed_over(
        self, limit: int | None = None
    ) -> tuple[list[tuple[ConversationRecord, str | None, str | None]], int]:
        """Conversations waiting for or with an agent: (record, agent name, last person
        text), most urgent first, then longest waiting, at most `limit`; and how many in all.
        """
        handed = Conversation.state.in_([State.WAITING_FOR_AGENT, State.WITH_AGENT])
        last_text = (
            select(Message.text)
            .where(Message.conversation_id == Conversation.id, Message.author == Author.PERSON)
            .order_by(Message.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = (
            select(Conversation, Agent.name, last_text)
            .outerjoin(Agent, Agent.id == Conversation.agent_id)
            .where(handed)
            .order_by(Conversation.priority.desc(), Conversation.waiting_since, Conversation.id)
            .limit(limit)
        )
        async with self.session() as session:
            rows = (await session.execute(query)).all()
            total = await session.scalar(
                select(func.count()).select_from(Conversation).where(handed)
            )
            return [(ConversationRecord.of(c), name, text) for c, name, text in rows], int(
                total or 0
            )

    async def queue_position(self, conversation: ConversationRecord) -> int:
        """1 for the next conversation an agent will take, 2 for the one after..."""
        if conversation.waiting_since is None:
            return 0
        # Same order as `handed_over`: priority, then waiting time, then id (ties at once).
        same_priority = Conversation.priority == conversation.priority
        ahead = (
            (Conversation.priority > conversation.priority)
            | (same_priority & (Conversation.waiting_since < conversation.waiting_since))
            | (
                same_priority
                & (Conversation.waiting_since == conversation.waiting_since)
                & (Conversation.id < conversation.id)
            )
        )
        async with self.session() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(Conversation)
                .where(Conversation.state == State.WAITING_FOR_AGENT, ahead)
            )
        return int(count or 0) + 1

    async def claim(
        self, conversation_id: str, agent: AgentRecord, now: datetime
    ) -> tuple[ConversationRecord, str | None]:
        """Give a waiting conversation to `agent`, unless someone holds it.

        Returns the conversation and, when another agent holds it, that agent's name.
        """
        async with self.session.begin() as session:
            row = await session.get(Conversation, conversation_id, with_for_update=True)
            if row is None:
                raise LookupError(conversation_id)
            if row.state == State.WITH_AGENT and row.agent_id != agent.id:
                holder = await session.get(Agent, row.agent_id) if row.agent_id else None
                return ConversationRecord.of(row), holder.name if holder else None
            if row.state != State.WITH_AGENT:
                self._move(
                    session, row, StateMove(Move.TAKE, f"agent:{agent.name}", "took it"), now
                )
            row.agent_id, row.agent_seen_at, row.updated_at = agent.id, now, now
            return ConversationRecord.of(row), None

    async def idle_with_agents(self, seen_before: datetime) -> list[ConversationRecord]:
        """Conversations whose agent has shown no sign of life since `seen_before`."""
        async with self.session() as session:
            rows = await session.scalars(
                select(Conversation).where(
                    Conversation.state == State.WITH_AGENT,
                    Conversation.agent_seen_at < seen_before,
                )
            )
            return [ConversationRecord.of(row) for row in rows]

    async def waiting(self) -> list[ConversationRecord]:
        """Conversations waiting for an agent, oldest first."""
        async with self.session() as session:
            rows = await session.scalars(
                select(Conversation)
                .where(Conversation.state == State.WAITING_FOR_AGENT)
                .order_by(Conversation.waiting_since)
            )
            return [ConversationRecord.of(row) for row in rows]

    async def touch_agent(self, agent_id: int, now: datetime) -> None:
        """A sign of life from an agent: it keeps every conversation the agent holds."""
        async with self.session.begin() as session:
            await session.execute(
                update(Agent).where(Agent.id == agent_id).values(last_seen_at=now)
            )
            await session.execute(
                update(Conversation)
                .where(Conversation.agent_id == agent_id, Conversation.state == State.WITH_AGENT)
                .values(agent_seen_at=now)
            )

    async def set_available(self, agent_id: int, available: bool, now: datetime) -> None:
        """An agent says they can (or cannot) take conversations now."""
        async with self.session.begin() as session:
            await session.execute(
                update(Agent)
                .where(Agent.id == agent_id)
                .values(available=available, last_seen_at=now)
            )

    async def agents_available(self, seen_after: datetime) -> int:
        """How many agents are available and were seen since `seen_after`."""
        async with self.session() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(Agent)
                .where(Agent.available.is_(True), Agent.last_seen_at >= seen_after)
            )
        return int(count or 0)

    async def agent(self, agent_id: int) -> AgentRecord | None:
        """One console account, without its password hash."""
        async with self.session() as session:
            row = await session.get(Agent, agent_id)
            return AgentRecord.of(row) if row else None

    async def state_changes(self, conversation_id: str) -> list[StateChange]:
        """Every move of a conversation's state, oldest first (detached rows)."""
        async with self.session() as session:
            return list(
                await session.scalars(
                    select(StateChange)
                    .where(StateChange.conversation_id == conversation_id)
                    .order_by(StateChange.id)
                )
            )

    # ---------------------------------------------------------------- callbacks

    async def add_callback(self, callback: Callback) -> CallbackRecord:
        """Store a callback request or a message left for the helpdesk."""
        async with self.session.begin() as session:
            session.add(callback)
            await session.flush()
            return CallbackRecord.of(callback)

    async def callbacks(
        self, status: str | None = CallbackStatus.REQUESTED
    ) -> list[CallbackRecord]:
        """Callback requests, soonest due first; all of them when `status` is None."""
        query = select(Callback).order_by(Callback.due_date, Callback.half_day, Callback.id)
        if status is not None:
            query = query.where(Callback.status == status)
        async with self.session() as session:
            return [CallbackRecord.of(row) for row in await session.scalars(query)]

    async def settle_callback(
        self, callback_id: int, agent_id: int, status: CallbackStatus, note: str, now: datetime
    ) -> CallbackRecord | None:
        """Mark a callback done or failed, with the agent's note."""
        async with self.session.begin() as session:
            row = await session.get(Callback, callback_id, with_for_update=True)
            if row is None:
                return None
            row.status, row.note, row.agent_id, row.done_at = status, note, agent_id, now
            return CallbackRecord.of(row)


def _replies_seen(message: MessageRecord) -> Select[tuple[Message]]:
    """Messages of `message`'s conversation that the person sees said back to them."""
    return select(Message).where(
        Message.conversation_id == message.conversation_id,
        Message.author != Author.PERSON,
        Message.internal.is_(False),
    )


def _replies_linked_to(message: MessageRecord) -> Select[tuple[Message]]:
    """The replies stored by the turn that answered `message`."""
    return _replies_seen(message).where(Message.reply_to == message.id).order_by(Message.id)


def _replies_after(message: MessageRecord) -> Select[tuple[Message]]:
    """What the person saw after `message`, up to their next message."""
    next_message = (
        select(func.min(Message.id))
        .where(
            Message.conversation_id == message.conversation_id,
            Message.author == Author.PERSON,
            Message.id > message.id,
        )
        .scalar_subquery()
    )
    return (
        _replies_seen(message)
        .where(Message.id > message.id, (Message.id < next_message) | next_message.is_(None))
        .order_by(Message.id)
    )
