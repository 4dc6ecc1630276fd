"""The conversation store on PostgreSQL: migrations and a whole turn, on a fresh database.

Uses the server named by LOKET_TEST_POSTGRES_URL (see tests/databases.py). Skipped only
outside CI when no server answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import create_app
from bot.conversations.model import Base
from bot.migrations import upgrade
from tests.databases import fresh_postgres_database
from tests.fakes import FakeBrain

pytestmark = pytest.mark.postgres


@pytest.fixture
async def database() -> AsyncIterator[str]:
    """A new, empty database, dropped afterwards."""
    async with fresh_postgres_database() as url:
        yield url


async def test_migrations_create_the_schema_and_are_idempotent(database):
    await asyncio.to_thread(upgrade, database)
    await asyncio.to_thread(upgrade, database)  # a second run changes nothing
    engine = create_async_engine(database)
    async with engine.connect() as connection:
        tables = await connection.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        )
        assert list(tables) == sorted(["alembic_version", *Base.metadata.tables])
        differences = await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )
        assert differences == [], "the migrations and the ORM model differ"
    await engine.dispose()


async def test_a_conversation_is_stored_in_postgresql(database, settings, brain: FakeBrain):
    on_postgres = settings.model_copy(update={"database_url": database})
    async with TestClient(TestServer(create_app(on_postgres))) as hub:
        response = await hub.post(
            "/api/conversations/pg-1/messages", json={"text": "Ik ben verhuisd naar Elsene"}
        )
        assert response.status == 200
        assert (await response.json())["language"] == "nl"
    # A new hub on the same database sees the whole transcript.
    async with TestClient(TestServer(create_app(on_postgres))) as hub:
        transcript = await (await hub.get("/api/conversations/pg-1")).json()
        assert [m["author"] for m in transcript["messages"]] == ["person", "bot"]
        assert transcript["messages"][0]["text"] == "Ik ben verhuisd naar Elsene"
