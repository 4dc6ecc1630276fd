"""Retention: what is older than its period goes, in small batches, without holding the hub.

Each batch is its own short transaction of at most `BATCH` rows, and the job yields to the
event loop between batches: people keep being answered while an old backlog is cleared.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import InstrumentedAttribute

from bot.conversations.model import Callback, Conversation, Message
from bot.conversations.store import ConversationStore

log = logging.getLogger(__name__)
BATCH = 500


@dataclass(frozen=True)
class Periods:
    """Days each kind of data is kept (0: kept without limit)."""

    transcripts: int
    caller_numbers: int


@dataclass(frozen=True)
class Swept:
    """How many rows one pass deleted or blanked, by kind."""

    messages: int
    contacts: int
    callback_phones: int


async def sweep(store: ConversationStore, periods: Periods, now: datetime) -> Swept:
    """Delete transcripts and blank caller numbers older than their periods.

    The conversations themselves stay, anonymous, for the statistics.
    """
    messages = contacts = phones = 0
    if periods.transcripts:
        cutoff = now - timedelta(days=periods.transcripts)
        messages = await _in_batches(store, Message.id, Message.created_at < cutoff, None)
    if periods.caller_numbers:
        cutoff = now - timedelta(days=periods.caller_numbers)
        old_contact = (Conversation.created_at < cutoff) & Conversation.contact.is_not(None)
        contacts = await _in_batches(store, Conversation.id, old_contact, {"contact": None})
        old_phone = (Callback.created_at < cutoff) & Callback.phone.is_not(None)
        phones = await _in_batches(store, Callback.id, old_phone, {"phone": None})
    return Swept(messages, contacts, phones)


async def _in_batches(
    store: ConversationStore,
    key: InstrumentedAttribute[int] | InstrumentedAttribute[str],
    old: ColumnElement[bool],
    blank: dict[str, None] | None,
) -> int:
    """Delete (blank None) or blank the rows matching `old`, BATCH at a time."""
    table = key.class_
    done = 0
    while True:
        async with store.session.begin() as session:
            ids = list((await session.scalars(select(key).where(old).limit(BATCH))).all())
            if not ids:
                return done
            chosen = key.in_(ids)
            statement = delete(table) if blank is None else update(table).values(**blank)
            await session.execute(statement.where(chosen))
        done += len(ids)
        await asyncio.sleep(0)  # let the hub answer people between two batches


async def sweep_forever(
    store: ConversationStore, periods: Periods, interval: float, now: Callable[[], datetime]
) -> None:
    """Sweep every `interval` seconds; a failure waits for the next.

    The first sweep waits one interval too: a start-up stays quick, and a test's rows are
    never swept from under it while it runs.
    """
    while True:
        await asyncio.sleep(interval)
        try:
            swept = await sweep(store, periods, now())
            log.info("Retention: %s", swept)
        except Exception:
            log.exception("Retention sweep failed; will try again")
