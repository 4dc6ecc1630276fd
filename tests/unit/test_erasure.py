"""Export and erasure of one person: after erasure nothing of theirs is left in any table,
the hub's or Rasa's tracker events."""

from __future__ import annotations

import json

from sqlalchemy import String, Text, or_, select

from bot.conversations.model import Base, OptOut
from bot.conversations.store import ConversationStore
from bot.privacy.erasure import Person, erase, export
from bot.privacy.rasa_trackers import ENTRY, RasaTrackers
from tests.unit import test_retention
from tests.unit.test_retention import NOW, add, add_events, rasa_has_run, rasa_senders

NUMBER = "+32470000000"
# The same migrated store and Rasa tracker store, on SQLite and PostgreSQL.
database_url = test_retention.database_url
store = test_retention.store
trackers = test_retention.trackers


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


async def test_a_person_is_exported_then_erased_everywhere(
    store: ConversationStore, trackers: RasaTrackers
):
    await add(store, "theirs-1", days_ago=3, messages=2)
    await add(store, "theirs-2", days_ago=1)
    async with store.session.begin() as session:
        session.add(OptOut(address=NUMBER, opted_out_at=NOW))
    person = Person(contact=NUMBER)

    exported = await export(store, trackers, person)
    assert {row["id"] for row in exported["conversations"]} == {"theirs-1", "theirs-2"}
    assert len(exported["messages"]) == 3
    assert exported["opt_outs"][0]["address"] == NUMBER  # their own data, not redacted
    json.dumps(exported)  # plain JSON

    counts = await erase(store, trackers, person)
    assert counts["conversations"] == 2 and counts["messages"] == 3
    assert await leftovers(store, [NUMBER, "theirs-1", "theirs-2"]) == {}
    assert await export(store, trackers, person) == {}


async def test_erasing_one_conversation_leaves_the_others(
    store: ConversationStore, trackers: RasaTrackers
):
    await add(store, "conv-a", days_ago=1)
    await add(store, "conv-b", days_ago=1)
    await erase(store, trackers, Person(conversation_id="conv-a"))
    assert await leftovers(store, ["conv-a"]) == {}
    assert (await leftovers(store, ["conv-b"]))["conversations"] == 1


async def test_their_rasa_events_are_exported_then_erased_and_others_kept(
    store: ConversationStore, trackers: RasaTrackers
):
    await rasa_has_run(trackers)
    await add(store, "theirs", days_ago=2)
    await add_events(trackers, "theirs", days_ago=2)
    await add_events(trackers, "theirs", days_ago=1)
    await add(store, "other", days_ago=1, number="+32470999999")  # someone else's call
    await add_events(trackers, "other", days_ago=1)
    person = Person(contact=NUMBER)

    events = (await export(store, trackers, person))[ENTRY]
    assert [event["sender_id"] for event in events] == ["theirs"] * 4
    assert events[0]["data"]["text"] == "mon numéro"  # Rasa's JSON, readable in theirs
    json.dumps(events)

    counts = await erase(store, trackers, person)
    assert counts[ENTRY] == 4
    assert await rasa_senders(trackers) == ["other", "other"]
    assert ENTRY in await export(store, trackers, Person(conversation_id="other"))


async def test_rasa_events_are_found_by_a_conversation_id_the_hub_no_longer_has(
    store: ConversationStore, trackers: RasaTrackers
):
    await rasa_has_run(trackers)
    await add_events(trackers, "erased-before", days_ago=1)
    person = Person(conversation_id="erased-before")
    assert list(await export(store, trackers, person)) == [ENTRY]
    assert await erase(store, trackers, person) == {ENTRY: 2}
    assert await rasa_senders(trackers) == []
