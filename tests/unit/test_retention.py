"""Retention: rows older than their period go (or are blanked), newer stay, in batches:
the hub's transcripts, caller numbers and problem reports, and Rasa's tracker events."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, func, select

from bot.conversations.model import Callback, Conversation, Message, ProblemReport
from bot.conversations.store import ConversationStore, create_engine
from bot.migrations import upgrade
from bot.privacy import batches
from bot.privacy.rasa_trackers import EVENTS, RasaTrackers
from bot.privacy.retention import Periods, Swept, sweep
from bot.settings import Settings
from tests.dashboard import report
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
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The hub's empty database on SQLite or PostgreSQL."""
    async with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[ConversationStore]:
    """A migrated, empty store."""
    await asyncio.to_thread(upgrade, database_url)
    opened = ConversationStore(create_engine(database_url))
    yield opened
    await opened.close()


@pytest.fixture
async def trackers(database_url: str, tmp_path: Path) -> AsyncIterator[RasaTrackers]:
    """Rasa's tracker store where the settings put it: a SQLite file of its own next to
    the hub's, or the hub's PostgreSQL database. Rasa has not run: no table yet."""
    settings = Settings(data_dir=tmp_path, database_url=database_url, _env_file=None)
    opened = RasaTrackers.open(settings)
    yield opened
    await opened.close()


async def rasa_has_run(trackers: RasaTrackers) -> None:
    """Rasa's table, as Rasa 3.6 makes it: the same columns, types and index as
    SQLTrackerStore.SQLEvent (rasa/core/tracker_store.py)."""
    events = Table(
        "events",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("sender_id", String(255), nullable=False, index=True),
        Column("type_name", String(255), nullable=False),
        Column("timestamp", Float),
        Column("intent_name", String(255)),
        Column("action_name", String(255)),
        Column("data", Text),
    )
    async with trackers.engine.begin() as connection:
        await connection.run_sync(events.metadata.create_all)


async def add_events(trackers: RasaTrackers, sender_id: str, days_ago: int) -> None:
    """What Rasa writes for one message of a person: the user's event and the bot's."""
    when = (NOW - timedelta(days=days_ago)).timestamp()
    said = {"event": "user", "timestamp": when, "text": "mon numéro", "parse_data": {}}
    answered = {"event": "bot", "timestamp": when, "text": "Merci."}
    async with trackers.engine.begin() as connection:
        await connection.execute(
            EVENTS.insert(),
            [
                {"sender_id": sender_id, "type_name": "user", "timestamp": when,
                 "intent_name": "give_number", "action_name": None, "data": json.dumps(said)},
                {"sender_id": sender_id, "type_name": "bot", "timestamp": when,
                 "intent_name": None, "action_name": None, "data": json.dumps(answered)},
            ],
        )  # fmt: skip


async def rasa_senders(trackers: RasaTrackers) -> list[str]:
    """The conversation of each event left in Rasa's table, in order."""
    async with trackers.engine.connect() as connection:
        query = select(EVENTS.c.sender_id).order_by(EVENTS.c.sender_id, EVENTS.c.id)
        return list(await connection.scalars(query))


async def add(
    store: ConversationStore, name: str, days_ago: int, messages: int = 1,
    number: str = "+32470000000",
) -> None:  # fmt: skip
    """A phone conversation with its caller's number, messages and a callback, days ago."""
    when = NOW - timedelta(days=days_ago)
    async with store.session.begin() as session:
        session.add(
            Conversation(
                id=name,
                channel="phone",
                contact=number,
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
                phone=number,
                language="fr",
                created_at=when,
            )
        )


async def count(store: ConversationStore, statement) -> int:
    async with store.session() as session:
        return int(await session.scalar(statement) or 0)


async def test_old_rows_go_and_new_ones_stay(store: ConversationStore, trackers: RasaTrackers):
    await add(store, "old", days_ago=100)
    await add(store, "middle", days_ago=40)
    await add(store, "new", days_ago=1)

    periods = Periods(transcripts=90, caller_numbers=30, problem_reports=0)
    swept = await sweep(store, trackers, periods, NOW)

    assert (swept.messages, swept.contacts, swept.callback_phones) == (1, 2, 2)
    assert swept.rasa_events == 0  # Rasa never ran: nothing to do, and no error
    kept = select(Message.conversation_id).order_by(Message.conversation_id)
    async with store.session() as session:
        assert list(await session.scalars(kept)) == ["middle", "new"]
        numbers = select(Conversation.id).where(Conversation.contact.is_not(None))
        assert list(await session.scalars(numbers)) == ["new"]
        phones = select(Callback.conversation_id).where(Callback.phone.is_not(None))
        assert list(await session.scalars(phones)) == ["new"]
    # The conversations stay, anonymous, for the statistics.
    assert await count(store, select(func.count()).select_from(Conversation)) == 3


async def test_old_rasa_events_and_problem_reports_go_and_recent_ones_stay(
    store: ConversationStore, trackers: RasaTrackers
):
    await rasa_has_run(trackers)
    for name, days_ago in (("old", 100), ("new", 1)):
        await add(store, name, days_ago)
        await add_events(trackers, name, days_ago)
        await report(store, "irisbox", "error", NOW - timedelta(days=days_ago), None, None, name)

    periods = Periods(transcripts=90, caller_numbers=0, problem_reports=30)
    swept = await sweep(store, trackers, periods, NOW)

    assert (swept.rasa_events, swept.problem_reports) == (2, 1)
    assert await rasa_senders(trackers) == ["new", "new"]
    reported = select(ProblemReport.conversation_id)
    async with store.session() as session:
        assert list(await session.scalars(reported)) == ["new"]


async def test_zero_days_keeps_everything(store: ConversationStore, trackers: RasaTrackers):
    await rasa_has_run(trackers)
    await add(store, "old", days_ago=1000)
    await add_events(trackers, "old", days_ago=1000)
    await report(store, "irisbox", "error", NOW - timedelta(days=1000), None, None, "old")
    swept = await sweep(store, trackers, Periods(0, 0, 0), NOW)
    assert swept == Swept(0, 0, 0, 0, 0)
    assert len(await rasa_senders(trackers)) == 2


async def test_each_transaction_holds_at_most_one_batch(
    store: ConversationStore, trackers: RasaTrackers, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(batches, "BATCH", 3)
    await add(store, "old", days_ago=100, messages=7)
    transactions = 0
    begin = store.session.begin

    def counted():
        nonlocal transactions
        transactions += 1
        return begin()

    monkeypatch.setattr(store.session, "begin", counted)
    swept = await sweep(store, trackers, Periods(90, 0, 0), NOW)
    assert swept.messages == 7
    assert transactions == 4  # 3 + 3 + 1, and the one that finds nothing left


def test_rasa_trackers_are_opened_with_the_hubs_async_driver_whatever_rasa_uses():
    for rasa_url, opened_with in (
        ("postgresql+psycopg2://rasa@db/trackers", "postgresql+asyncpg"),
        ("sqlite:////srv/loket/rasa.db", "sqlite+aiosqlite"),
    ):
        settings = Settings(tracker_store_url=rasa_url, _env_file=None)
        assert RasaTrackers.open(settings).engine.url.drivername == opened_with
