"""Fresh PostgreSQL databases for the tests that run the store on a real server.

Uses the server named by LOKET_TEST_POSTGRES_URL (default: this machine's local
PostgreSQL). Outside CI, a test is skipped when no server answers.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

SERVER = os.environ.get("LOKET_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")


@contextlib.asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """The URL of a new, empty database, dropped afterwards."""
    name = f"loket_test_{secrets.token_hex(4)}"
    admin = create_async_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OSError as error:
        await admin.dispose()
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no PostgreSQL at {SERVER}: {error}")
    try:
        yield f"{SERVER}/{name}"
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
