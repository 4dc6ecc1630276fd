"""Deleting or blanking many rows without holding a database: small batches, each its own
short transaction, with the event loop free between two (people keep being answered)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

BATCH = 500


async def in_batches(
    sessions: async_sessionmaker[AsyncSession],
    key: ColumnElement[Any],
    old: ColumnElement[bool],
    blank: dict[str, None] | None = None,
) -> int:
    """Delete the rows matching `old` (or, given `blank`, set those columns to None),
    BATCH at a time; `key` is the table's primary key. How many rows were done."""
    table: Table = key.table  # type: ignore[attr-defined]
    done = 0
    while True:
        async with sessions.begin() as session:
            ids = list((await session.scalars(select(key).where(old).limit(BATCH))).all())
            if not ids:
                return done
            statement = delete(table) if blank is None else update(table).values(**blank)
            await session.execute(statement.where(key.in_(ids)))
        done += len(ids)
        await asyncio.sleep(0)  # let the hub answer people between two batches
