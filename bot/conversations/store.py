"""Persistence of conversations and messages (SQLite by default, PostgreSQL at scale).

Every method is one transaction: nothing is ever stored half-way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.conversations.model import Author, Conversation, Message, State, Status
from bot.languages import LanguageSource
from bot.settings import Language

LanguageDecision = Callable[[tuple[str | None, str] | None], tuple[str, LanguageSource]]


@dataclass(frozen=True)
class NewReply:
    """A message the bot (or later an agent) is about to send."""

    text: str
    buttons: Sequence[dict[str, str]] = ()
    author: Author = Author.BOT


def create_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets foreign keys and a busy timeout like a server database."""
    engine = create_async_engine(url, pool_pre_ping=not url.startswith("sqlite"))
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
        self._session = async_sessionmaker(engine, expire_on_commit=False)

    async def close(self) -> None:
        """Release the database connections."""
        await self.engine.dispose()

    async def get(self, conversation_id: str) -> Conversation | None:
        """The conversation, or None if it does not exist."""
        async with self._session() as session:
            return await session.get(Conversation, conversation_id)

    async def open_conversation(
        self, conversation_id: str, channel: str, contact: str | None, now: datetime
    ) -> Language | None:
        """Start the conversation of someone reachable at `contact`, unless it exists.

        Returns the language that contact last chose on this channel, if any; a new
        conversation starts in it, as a hint that the person's explicit choice overrides.
        """
        async with self._session.begin() as session:
            remembered = await self._last_language(session, channel, contact) if contact else None
            source = LanguageSource.HINT if remembered else LanguageSource.DEFAULT
            if await session.get(Conversation, conversation_id) is None:
                session.add(
                    Conversation(
                        id=conversation_id,
                        channel=channel,
                        contact=contact,
                        language=remembered,
                        language_source=source,
                        state=State.BOT,
                        created_at=now,
                        updated_at=now,
                    )
                )
        return remembered

    async def last_language(self, channel: str, contact: str) -> Language | None:
        """The language `contact` chose in their latest conversation on `channel` with a choice."""
        async with self._session() as session:
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

    async def end(self, conversation_id: str, now: datetime) -> bool:
        """Close a conversation the person has left; False if there is none still open."""
        async with self._session.begin() as session:
            result = await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id, Conversation.ended_at.is_(None))
                .values(state=State.CLOSED, ended_at=now, updated_at=now)
            )
        return result.rowcount > 0

    async def receive(
        self,
        conversation_id: str,
        channel: str,
        text: str,
        decide_language: LanguageDecision,
        now: datetime,
    ) -> tuple[Conversation, Message]:
        """Store a person's message, creating the conversation if it is new.

        `decide_language` gets the conversation's (language, source), or None for a new
        conversation, and returns the language to hold from now on: all in one transaction.
        """
        async with self._session.begin() as session:
            conversation = await session.get(Conversation, conversation_id, with_for_update=True)
            if conversation is not None and conversation.channel != channel:
                raise ChannelMismatch(conversation_id, conversation.channel, channel)
            current = (
                (conversation.language, conversation.language_source) if conversation else None
            )
            if conversation is None:
                conversation = Conversation(
                    id=conversation_id, channel=channel, state=State.BOT, created_at=now
                )
                session.add(conversation)
            conversation.language, conversation.language_source = decide_language(current)
            conversation.updated_at = now
            await session.flush()
            [message] = await self._insert_messages(
                session,
                conversation_id,
                [NewReply(text, author=Author.PERSON)],
                conversation.language,
                Status.RECEIVED,
                now,
            )
        return conversation, message

    async def add_replies(
        self,
        conversation_id: str,
        replies: Sequence[NewReply],
        language: str | None,
        now: datetime,
        answered: int | None = None,
    ) -> list[Message]:
        """Store outgoing messages and, in the same transaction, mark a message answered."""
        async with self._session.begin() as session:
            stored = await self._insert_messages(
                session, conversation_id, replies, language, Status.SENT, now
            )
            if answered is not None:
                await session.execute(
                    update(Message).where(Message.id == answered).values(status=Status.ANSWERED)
                )
        return stored

    @staticmethod
    async def _insert_messages(
        session: AsyncSession,
        conversation_id: str,
        messages: Sequence[NewReply],
        language: str | None,
        status: Status,
        now: datetime,
    ) -> list[Message]:
        rows = [
            {
                "conversation_id": conversation_id,
                "author": message.author,
                "text": message.text,
                "buttons": list(message.buttons),
                "language": language,
                "status": status,
                "created_at": now,
            }
            for message in messages
        ]
        stored = [Message(**row) for row in rows]
        session.add_all(stored)
        await session.flush()
        return stored

    async def set_status(self, message_id: int, status: Status) -> None:
        """Change the status of one message."""
        async with self._session.begin() as session:
            await session.execute(
                update(Message).where(Message.id == message_id).values(status=status)
            )

    async def update_conversation(self, conversation_id: str, **values: Any) -> None:
        """Change fields of a conversation (language, state, hand-off request...)."""
        async with self._session.begin() as session:
            await session.execute(
                update(Conversation).where(Conversation.id == conversation_id).values(**values)
            )

    async def messages(self, conversation_id: str, after: int = 0) -> list[Message]:
        """The conversation's messages with an id above `after`, oldest first."""
        async with self._session() as session:
            result = await session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.id > after)
                .order_by(Message.id)
            )
            return list(result)

    async def message(self, message_id: int) -> Message | None:
        """One message by id."""
        async with self._session() as session:
            return await session.get(Message, message_id)

    async def last_buttons(self, conversation_id: str) -> list[dict[str, str]]:
        """The buttons of the last message sent to the person (for "1", "2"... by SMS)."""
        async with self._session() as session:
            buttons = await session.scalar(
                select(Message.buttons)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.author != Author.PERSON,
                )
                .order_by(Message.id.desc())
                .limit(1)
            )
            return list(buttons or [])

    async def pending(
        self, conversation_id: str | None = None, before: int | None = None
    ) -> list[Message]:
        """Messages the brain has not answered yet because it was unreachable, oldest first."""
        query = select(Message).where(Message.status == Status.PENDING).order_by(Message.id)
        if conversation_id is not None:
            query = query.where(Message.conversation_id == conversation_id)
        if before is not None:
            query = query.where(Message.id < before)
        async with self._session() as session:
            return list(await session.scalars(query))
