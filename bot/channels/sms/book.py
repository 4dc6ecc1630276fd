"""What the SMS and WhatsApp channel remembers: opt-outs and the rest of long replies.

Both are tables of the hub's database (bot/conversations/model.py: `OptOut`, `KeptPage`),
read and written here in one transaction each, through the store's sessions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select

from bot.conversations.model import Author, Conversation, KeptPage, Message, OptOut
from bot.conversations.store import ConversationStore


class MessagingBook:
    """Opt-outs by address, kept pages by conversation, and when a person last wrote."""

    def __init__(self, store: ConversationStore) -> None:
        self._session = store.session

    async def opted_out(self, address: str) -> bool:
        """True when `address` sent STOP and has not sent START since."""
        async with self._session() as session:
            row = await session.get(OptOut, address)
            return row is not None and row.opted_in_at is None

    async def opt_out(self, address: str, now: datetime) -> None:
        """`address` sent STOP (a repeat keeps the first time)."""
        async with self._session.begin() as session:
            row = await session.get(OptOut, address, with_for_update=True)
            if row is None:
                session.add(OptOut(address=address, opted_out_at=now))
            elif row.opted_in_at is not None:
                row.opted_out_at, row.opted_in_at = now, None

    async def opt_in(self, address: str, now: datetime) -> None:
        """`address` sent START after a STOP: messages may go to it again."""
        async with self._session.begin() as session:
            row = await session.get(OptOut, address, with_for_update=True)
            if row is not None and row.opted_in_at is None:
                row.opted_in_at = now

    async def last_written(self, channel: str, address: str) -> datetime | None:
        """When the person at `address` last wrote on `channel`, in any conversation."""
        async with self._session() as session:
            return await session.scalar(
                select(func.max(Message.created_at))
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(
                    Conversation.channel == channel,
                    Conversation.contact == address,
                    Message.author == Author.PERSON,
                )
            )

    async def kept(self, conversation_id: str) -> KeptPage | None:
        """The rest of the conversation's last long reply, if any (detached)."""
        async with self._session() as session:
            return await session.get(KeptPage, conversation_id)

    async def keep(
        self,
        conversation_id: str,
        rest: str,
        now: datetime,
        asked_by: str | None = None,
        page: str | None = None,
    ) -> None:
        """Keep `rest` for the person's next "more" (nothing kept: forget the last rest).

        `asked_by`, `page`: the message that asked for a page, and the page it got.
        """
        async with self._session.begin() as session:
            await session.execute(
                delete(KeptPage).where(KeptPage.conversation_id == conversation_id)
            )
            if rest or asked_by:
                session.add(
                    KeptPage(
                        conversation_id=conversation_id,
                        rest=rest,
                        asked_by=asked_by,
                        page=page,
                        updated_at=now,
                    )
                )
