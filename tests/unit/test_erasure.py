"""Export and erasure of one person: after erasure nothing of theirs is left in any table."""

from __future__ import annotations

import json

from sqlalchemy import String, Text, or_, select

from bot.conversations.model import Base, OptOut
from bot.conversations.store import ConversationStore
from bot.privacy.erasure import Person, erase, export
from tests.unit import test_retention
from tests.unit.test_retention import NOW, add

NUMBER = "+32470000000"
store = test_retention.store  # the same migrated store, on SQLite and PostgreSQL


async def leftovers(db: ConversationStore, needles: list[str]) -> dict[str, int]:
    """Rows of every table holding one of `needles` in any text column."""
    found: dict[str, int] = {}
    async with db.session() as session:
        for table in Base.metadata.sorted_tables:
            texts = [c for c in table.c if isinstance(c.type, String | Text)]
            matches = [c.contains(needle) for c in texts for needle in needles]
            if matches:
                rows = (await session.execute(select(table).where(or_(*matches)))).all()
                if rows:
                    found[table.name] = len(rows)
    return found


async def test_a_person_is_exported_then_erased_everywhere(store: ConversationStore):
    await add(store, "theirs-1", days_ago=3, messages=2)
    await add(store, "theirs-2", days_ago=1)
    async with store.session.begin() as session:
        session.add(OptOut(address=NUMBER, opted_out_at=NOW))
    person = Person(contact=NUMBER)

    exported = await export(store, person)
    assert {row["id"] for row in exported["conversations"]} == {"theirs-1", "theirs-2"}
    assert len(exported["messages"]) == 3
    assert exported["opt_outs"][0]["address"] == NUMBER  # their own data, not redacted
    json.dumps(exported)  # plain JSON

    counts = await erase(store, person)
    assert counts["conversations"] == 2 and counts["messages"] == 3
    assert await leftovers(store, [NUMBER, "theirs-1", "theirs-2"]) == {}
    assert await export(store, person) == {}


async def test_erasing_one_conversation_leaves_the_others(store: ConversationStore):
    await add(store, "conv-a", days_ago=1)
    await add(store, "conv-b", days_ago=1)
    await erase(store, Person(conversation_id="conv-a"))
    assert await leftovers(store, ["conv-a"]) == {}
    assert (await leftovers(store, ["conv-b"]))["conversations"] == 1
