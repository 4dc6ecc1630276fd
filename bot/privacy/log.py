"""The privacy log: every export and erasure of a person's data, by whom and when.

It keeps the kind of key the supervisor searched by ("contact" or "conversation") and how
many rows, by table; never the key itself, so that nothing of an erased person is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.conversations.model import PrivacyAction
from bot.conversations.store import ConversationStore

RECENT = 50  # actions the console's page shows


@dataclass(frozen=True)
class LoggedAction:
    """One export or erasure as the log keeps it."""

    action: str
    key_kind: str
    done_by: str
    rows: int
    done_at: datetime


async def record(
    store: ConversationStore, action: str, key_kind: str, done_by: str,
    tables: dict[str, int], now: datetime,
) -> None:  # fmt: skip
    """Note that `done_by` exported or erased `tables` (rows by table) found by `key_kind`."""
    async with store.session.begin() as session:
        row = PrivacyAction(action=action, key_kind=key_kind, done_by=done_by,
                            rows=sum(tables.values()), tables=tables, done_at=now)  # fmt: skip
        session.add(row)


async def recent(store: ConversationStore, limit: int = RECENT) -> list[LoggedAction]:
    """The latest actions, newest first."""
    query = select(PrivacyAction).order_by(PrivacyAction.id.desc()).limit(limit)
    async with store.session() as session:
        return [
            LoggedAction(row.action, row.key_kind, row.done_by, row.rows, row.done_at)
            for row in await session.scalars(query)
        ]
