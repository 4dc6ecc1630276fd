"""The conversation store on PostgreSQL: migrations and a whole turn, on a fresh database.

Uses the server named by LOKET_TEST_POSTGRES_URL (see tests/databases.py). Skipped only
outside CI when no server answers.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import create_app
from bot.conversations.model import Base
from bot.migrations import MIGRATION_LOCK, upgrade
from tests.databases import fresh_postgres_database
from tests.fakes import FakeBrain

pytestmark = pytest.mark.postgres

WAITING_FOR_ADVISORY_LOCKS = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
)


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


async def test_hubs_that_start_at_once_migrate_the_database_once(database):
    """Two hubs start on an empty database: one migrates, the other waits, neither fails.

    The test holds the migration lock itself until both are waiting for it, so that they
    start migrating at the same moment (without the lock, both create the tables at once
    and one fails)."""
    engine = create_async_engine(database)
    migrate = f"from bot.migrations import upgrade; upgrade({database!r})"
    async with engine.connect() as holder:
        await holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        hubs = [
            await asyncio.create_subprocess_exec(
                sys.executable, "-c", migrate, stderr=asyncio.subprocess.PIPE
            )
            for _ in range(2)
        ]

        async def waiting() -> int:
            async with engine.connect() as connection:
                return await connection.scalar(text(WAITING_FOR_ADVISORY_LOCKS))

        for _ in range(600):  # the processes start Python and SQLAlchemy first
            if await waiting() == 2:
                break
            await asyncio.sleep(0.1)
        assert await waiting() == 2, "the hubs did not wait for the migration lock"
        await holder.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
        errors = [(await hub.communicate())[1].decode() for hub in hubs]
    assert [hub.returncode for hub in hubs] == [0, 0], errors
    async with engine.connect() as connection:
        assert await connection.scalar(text("SELECT count(*) FROM alembic_version")) == 1
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
