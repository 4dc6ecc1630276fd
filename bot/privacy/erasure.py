"""One person's data on request: found by their number or a conversation id, exported, erased.

Tables are read from the model's metadata, not listed here: a table added later with a
`conversation_id` column (problem reports...) is exported and erased without a change.
The person's own export is not redacted: it is their data, given back to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, false, func, or_, select

from bot.conversations.model import Base, Callback, Conversation, OptOut
from bot.conversations.store import ConversationStore


@dataclass(frozen=True)
class Person:
    """Who asked: a phone number or messaging address, and/or one conversation id."""

    contact: str | None = None
    conversation_id: str | None = None


async def conversations_of(store: ConversationStore, person: Person) -> list[str]:
    """The ids of every conversation of this person."""
    found = [Conversation.id == person.conversation_id] if person.conversation_id else []
    if person.contact:
        called_back = select(Callback.conversation_id).where(Callback.phone == person.contact)
        found += [Conversation.contact == person.contact, Conversation.id.in_(called_back)]
    if not found:
        return []
    async with store.session() as session:
        return list(await session.scalars(select(Conversation.id).where(or_(*found))))


def _theirs(table: Table, ids: list[str], person: Person) -> ColumnElement[bool]:
    """The rows of `table` that belong to the person."""
    if table.name == Conversation.__tablename__:
        return table.c.id.in_(ids)
    if table.name == OptOut.__tablename__:
        return table.c.address == person.contact if person.contact else false()
    if "conversation_id" in table.c:
        return table.c.conversation_id.in_(ids)
    return false()  # agents, accounts: not a person's data


def _tables() -> list[Table]:
    """Every table, children before their parents (the order deletes need)."""
    return list(reversed(Base.metadata.sorted_tables))


async def export(store: ConversationStore, person: Person) -> dict[str, list[dict[str, Any]]]:
    """Every row of the person, by table, as JSON-ready dictionaries."""
    ids = await conversations_of(store, person)
    rows: dict[str, list[dict[str, Any]]] = {}
    async with store.session() as session:
        for table in _tables():
            result = await session.execute(select(table).where(_theirs(table, ids, person)))
            if found := [_plain(dict(row._mapping)) for row in result]:
                rows[table.name] = found
    return rows


async def erase(store: ConversationStore, person: Person) -> dict[str, int]:
    """Delete every row of the person, in one transaction; how many, by table."""
    ids = await conversations_of(store, person)
    counts: dict[str, int] = {}
    async with store.session.begin() as session:
        for table in _tables():
            theirs = _theirs(table, ids, person)
            count = await session.scalar(select(func.count()).select_from(table).where(theirs))
            if count:
                await session.execute(delete(table).where(theirs))
                counts[table.name] = int(count)
    return counts


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """Dates and times as ISO text, so the export is plain JSON."""
    return {
        key: value.isoformat() if hasattr(value, "isoformat") else value
        for key, value in row.items()
    }
