"""Phone calls in the store, on SQLite and PostgreSQL: a caller's language is remembered
for their next call, and a call that ends closes its conversation."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.conversations.model import State
from bot.conversations.store import ConversationStore, create_engine
from bot.languages import LanguageSource
from bot.migrations import upgrade
from tests.databases import fresh_postgres_database

CALLER = "+32470123456"
START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ConversationStore]:
    """A migrated, empty store on each database."""
    async with contextlib.AsyncExitStack() as stack:
        url = (
            f"sqlite+aiosqlite:///{tmp_path / 'calls.sqlite3'}"
            if request.param == "sqlite"
            else await stack.enter_async_context(fresh_postgres_database())
        )
        await asyncio.to_thread(upgrade, url)
        store = ConversationStore(create_engine(url))
        yield store
        await store.close()


async def call(
    store: ConversationStore, number: int, contact: str | None, chosen: str | None = None
) -> str | None:
    """A call `number` minutes after START; the caller chooses `chosen` if given."""
    conversation_id = f"call-{number}"
    now = START + timedelta(minutes=number)
    remembered = await store.open_conversation(conversation_id, "phone", contact, now)
    if chosen:
        await store.update_conversation(
            conversation_id, language=chosen, language_source=LanguageSource.EXPLICIT
        )
    return remembered


async def test_a_caller_is_greeted_in_the_language_of_their_last_call(store):
    assert await call(store, 1, CALLER, chosen="nl") is None
    assert await call(store, 2, CALLER) == "nl"
    conversation = await store.get("call-2")
    assert (conversation.language, conversation.language_source) == ("nl", LanguageSource.HINT)
    assert conversation.contact == CALLER
    assert conversation.channel == "phone"


async def test_the_latest_choice_wins_and_calls_without_one_are_skipped(store):
    await call(store, 1, CALLER, chosen="nl")
    await call(store, 2, CALLER, chosen="en")
    await call(store, 3, CALLER)  # hung up at the language menu
    assert await store.last_language("phone", CALLER) == "en"
    assert await call(store, 4, CALLER) == "en"


async def test_languages_are_not_shared_between_callers(store):
    await call(store, 1, CALLER, chosen="nl")
    assert await call(store, 2, "+32470999999") is None
    assert await call(store, 3, None) is None  # a withheld number remembers nothing
    assert await store.last_language("webchat", CALLER) is None


async def test_starting_a_call_twice_keeps_the_first_conversation(store):
    await call(store, 1, CALLER, chosen="fr")
    await call(store, 2, CALLER, chosen="en")
    # The session asks again once the stream starts: same call, same answer, nothing reset.
    assert await store.open_conversation("call-2", "phone", CALLER, START) == "en"
    conversation = await store.get("call-2")
    assert conversation.language_source == LanguageSource.EXPLICIT


async def test_a_call_ends_once(store):
    await call(store, 1, CALLER)
    assert await store.end("call-1", START + timedelta(minutes=5))
    assert not await store.end("call-1", START + timedelta(minutes=9))  # a repeated callback
    assert not await store.end("call-unknown", START)
    conversation = await store.get("call-1")
    assert conversation.state == State.CLOSED
    # SQLite gives back UTC without its zone; PostgreSQL with it.
    assert conversation.ended_at.replace(tzinfo=UTC) == START + timedelta(minutes=5)
