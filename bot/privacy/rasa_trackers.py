"""Rasa's tracker store, for export, erasure and retention: Rasa keeps every message too.

Rasa 3.6's SQLTrackerStore writes each event of a conversation as a row of its table
`events`, whose `sender_id` is the hub's conversation id (bot/brain.py) and `timestamp`
seconds since the epoch. The database is `Settings.rasa_tracker_store`: a SQLite file of
its own, or the hub's PostgreSQL database. The hub opens it with its async drivers, and
names only the columns it reads: the table is Rasa's, created by Rasa. Before Rasa first
ran there is no table, and so nothing to export, erase or sweep.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, column, delete, inspect, select, table
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.conversations.store import create_engine
from bot.privacy.batches import in_batches
from bot.settings import Settings, async_database_url

EVENTS = table(
    "events",
    column("id"),
    column("sender_id"),
    column("type_name"),
    column("timestamp"),
    column("intent_name"),
    column("action_name"),
    column("data"),
)
ENTRY = "rasa events"  # the name of Rasa's events in exports, erasure counts and the log


class RasaTrackers:
    """The events of Rasa's tracker store: a person's exported or erased, old ones swept."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.session = async_sessionmaker(engine)

    @classmethod
    def open(cls, settings: Settings) -> RasaTrackers:
        """The tracker store the settings give Rasa (no connection is made yet)."""
        return cls(create_engine(async_database_url(settings.rasa_tracker_store)))

    async def close(self) -> None:
        """Release the database connections."""
        await self.engine.dispose()

    async def exists(self) -> bool:
        """Whether Rasa has made its table (it has run at least once)."""
        async with self.engine.connect() as connection:
            return await connection.run_sync(_has_events)

    async def export(self, conversation_ids: Sequence[str]) -> list[dict[str, Any]]:
        """The events of these conversations, oldest first, each event's data decoded."""
        if not conversation_ids or not await self.exists():
            return []
        query = select(EVENTS).where(EVENTS.c.sender_id.in_(conversation_ids)).order_by(EVENTS.c.id)
        async with self.session() as session:
            rows = (await session.execute(query)).mappings()
            return [dict(row) | {"data": json.loads(row["data"] or "null")} for row in rows]

    async def erase(self, conversation_ids: Sequence[str]) -> int:
        """Delete every event of these conversations, in one transaction; how many."""
        if not conversation_ids or not await self.exists():
            return 0
        theirs = EVENTS.c.sender_id.in_(conversation_ids)
        async with self.session.begin() as session:
            return int((await session.execute(delete(EVENTS).where(theirs))).rowcount)

    async def delete_older_than(self, moment: datetime) -> int:
        """Delete the events from before `moment`, in batches; how many."""
        if not await self.exists():
            return 0
        old = EVENTS.c.timestamp < moment.timestamp()
        return await in_batches(self.session, EVENTS.c.id, old)


def _has_events(connection: Connection) -> bool:
    return inspect(connection).has_table(EVENTS.name)
