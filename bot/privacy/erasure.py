"""One person's data on request: found by their number or a conversation id, exported, erased.

Tables are read from the model's metadata, not listed here: a table added later with a
`conversation_id` column (problem reports...) is exported and erased without a change.
Rasa's tracker events of the person's conversations go with them (bot/privacy/rasa_trackers.py),
under the entry "rasa events".
The person's own export is not redacted: it is their data, given back to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, false, func, or_, select

from bot.conversations.flows import normalise_number
from bot.conversations.inbound import WHATSAPP_PREFIX
from bot.conversations.model import Base, Callback, Conversation, OptOut, ProblemReport
from bot.conversations.store import ConversationStore
from bot.privacy.rasa_trackers import ENTRY, RasaTrackers


@dataclass(frozen=True)
class Person:
    """Who asked: a phone number or messaging address, and/or one conversation id."""

    contact: str | None = None
    conversation_id: str | None = None

    def addresses(self) -> list[str]:
        """The forms the contact takes in the tables: as given and, for a phone number
        however typed ("0470 12 34 56", "whatsapp:+32..."), +32... and its WhatsApp address."""
        if not self.contact:
            return []
        number = normalise_number(self.contact.removeprefix(WHATSAPP_PREFIX))
        forms = [number, f"{WHATSAPP_PREFIX}{number}"] if number else []
        return list(dict.fromkeys([self.contact, *forms]))


async def conversations_of(store: ConversationStore, person: Person) -> list[str]:
    """The ids of every conversation of this person: by id, by their number or address on
    the conversation, on a callback, or left on a problem report."""
    found = [Conversation.id == person.conversation_id] if person.conversation_id else []
    if addresses := person.addresses():
        called_back = select(Callback.conversation_id).where(Callback.phone.in_(addresses))
        reported = select(ProblemReport.conversation_id).where(
            ProblemReport.contact_number.in_(addresses)
        )
        found += [
            Conversation.contact.in_(addresses),
            Conversation.id.in_(called_back),
            Conversation.id.in_(reported),
        ]
    if not found:
        return []
    async with store.session() as session:
        return list(await session.scalars(select(Conversation.id).where(or_(*found))))


def _theirs(table: Table, ids: list[str], person: Person) -> ColumnElement[bool]:
    """The rows of `table` that belong to the person."""
    if table.name == Conversation.__tablename__:
        return table.c.id.in_(ids)
    if table.name == OptOut.__tablename__:
        return table.c.address.in_(person.addresses())
    theirs: ColumnElement[bool] = false()  # agents, accounts, the privacy log: nobody's
    if "conversation_id" in table.c:
        theirs = or_(theirs, table.c.conversation_id.in_(ids))
    if "contact_number" in table.c:  # a number left on a report, whatever conversation
        theirs = or_(theirs, table.c.contact_number.in_(person.addresses()))
    return theirs


def _tables() -> list[Table]:
    """Every table, children before their parents (the order deletes need)."""
    return list(reversed(Base.metadata.sorted_tables))


def _rasa_senders(ids: list[str], person: Person) -> list[str]:
    """The conversations whose Rasa events are the person's: also the id asked for when
    the hub no longer has it (erased before Rasa's events were)."""
    return list(dict.fromkeys([*ids, *filter(None, [person.conversation_id])]))


async def export(
    store: ConversationStore, trackers: RasaTrackers, person: Person
) -> dict[str, list[dict[str, Any]]]:
    """Every row of the person, by table, and their Rasa events, as JSON-ready dictionaries."""
    ids = await conversations_of(store, person)
    rows: dict[str, list[dict[str, Any]]] = {}
    async with store.session() as session:
        for table in _tables():
            result = await session.execute(select(table).where(_theirs(table, ids, person)))
            if found := [_plain(dict(row._mapping)) for row in result]:
                rows[table.name] = found
    if events := await trackers.export(_rasa_senders(ids, person)):
        rows[ENTRY] = events
    return rows


async def erase(store: ConversationStore, trackers: RasaTrackers, person: Person) -> dict[str, int]:
    """Delete every row of the person, in one transaction, and their Rasa events; how
    many, by table.

    Rasa's events go first: should the hub's transaction then fail, the conversations
    are still there to find them by, and erasing again finishes the work.
    """
    ids = await conversations_of(store, person)
    counts: dict[str, int] = {}
    if events := await trackers.erase(_rasa_senders(ids, person)):
        counts[ENTRY] = events
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
