"""Retention: rows older than their period go (or are blanked), newer stay, in batches."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.conversations.model import Callback, Conversation, Message
from bot.conversations.store import ConversationStore, create_engine
from bot.migrations import upgrade
from bot.privacy import retention
from bot.privacy.retention import Periods, sweep
from tests.databases import fresh_postgres_database

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@contextlib.asynccontextmanager
async def database(kind: str, folder: Path) -> AsyncIterator[str]:
    """An empty database's URL: a SQLite file, or a fresh PostgreSQL database."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{folder / 'retention.db'}"
        return
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ConversationStore]:
    """A migrated, empty store on SQLite or PostgreSQL."""
    async with database(request.param, tmp_path) as url:
        await asyncio.to_thread(upgrade, url)
        opened = ConversationStore(create_engine(url))
        yield opened
        await opened.close()


async def add(store: ConversationStore, name: str, days_ago: int, messages: int = 1) -> None:
    """A phone conversation with its caller's number, messages and a callback, days ago."""
    when = NOW - timedelta(days=days_ago)
    async with store.session.begin() as session:
        session.add(
            Conversation(
                id=name,
                channel="phone",
                contact="+32470000000",
                language="fr",
                language_source="menu",
                created_at=when,
                updated_at=when,
            )
        )
        await session.flush()
        for _ in range(messages):
            session.add(
                Message(
                    conversation_id=name,
                    author="person",
                    text="mon numéro",
                    status="done",
                    created_at=when,
                )
            )
        session.add(
            Callback(
                conversation_id=name,
                kind="callback",
                phone="+32470000000",
                language="fr",
                created_at=when,
            )
        )


async def count(store: ConversationStore, statement) -> int:
    async with store.session() as session:
        return int(await session.scalar(statement) or 0)


async def test_old_rows_go_and_new_ones_stay(store: ConversationStore):
    await add(store, "old", days_ago=100)
    await add(store, "middle", days_ago=40)
    await add(store, "new", days_ago=1)

    swept = await sweep(store, Periods(transcripts=90, caller_numbers=30), NOW)

    assert (swept.messages, swept.contacts, swept.callback_phones) == (1, 2, 2)
    kept = select(Message.conversation_id).order_by(Message.conversation_id)
    async with store.session() as session:
        assert list(await session.scalars(kept)) == ["middle", "new"]
        numbers = select(Conversation.id).where(Conversation.contact.is_not(None))
        assert list(await session.scalars(numbers)) == ["new"]
        phones = select(Callback.conversation_id).where(Callback.phone.is_not(None))
        assert list(await session.scalars(phones)) == ["new"]
    # The conversations stay, anonymous, for the statistics.
    assert await count(store, select(func.count()).select_from(Conversation)) == 3


async def test_zero_days_keeps_everything(store: ConversationStore):
    await add(store, "old", days_ago=1000)
    swept = await sweep(store, Periods(transcripts=0, caller_numbers=0), NOW)
    assert (swept.messages, swept.contacts, swept.callback_phones) == (0, 0, 0)


async def test_each_transaction_holds_at_most_one_batch(
    store: ConversationStore, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(retention, "BATCH", 3)
    await add(store, "old", days_ago=100, messages=7)
    transactions = 0
    begin = store.session.begin

    def counted():
        nonlocal transactions
        transactions += 1
        return begin()

    monkeypatch.setattr(store.session, "begin", counted)
    swept = await sweep(store, Periods(transcripts=90, caller_numbers=0), NOW)
    assert swept.messages == 7
    assert transactions == 4  # 3 + 3 + 1, and the one that finds nothing left
