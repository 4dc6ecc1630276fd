"""Helpers for the dashboard's tests: a database filled through the store API."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.conversations.model import Callback, CallbackStatus
from bot.conversations.store import ConversationStore
from bot.languages import LanguageSource
from tests.console import OPEN

DAY = timedelta(days=1)


def _language(_: object) -> tuple[str, LanguageSource]:
    return "fr", LanguageSource.DEFAULT


async def converse(
    store: ConversationStore, cid: str, channel: str, texts: list[str], when: datetime,
    understood: bool = True, topic: str | None = None, handoff: str | None = None,
) -> None:  # fmt: skip
    """A conversation with the person's `texts`, each answered (understood or not)."""
    for text in texts:
        received = await store.receive(cid, channel, text, _language, when)
        changes = {"topic": topic}
        if handoff:
            changes |= {"handoff_requested_at": when, "handoff_reason": handoff}
        await store.answer(
            cid, [], when, answered=received.message.id, understood=understood, changes=changes
        )


async def fill(store: ConversationStore) -> None:
    """Seven web chats about housing (two handed over), five keypad-only calls, one spoken
    call, six questions not understood and one rare one, and two callbacks."""
    for n in range(7):
        handoff = "asked_for_person" if n < 2 else None
        await converse(store, f"w{n}", "webchat", ["logement"], OPEN, topic="housing",
                       handoff=handoff)  # fmt: skip
    for n in range(5):
        await converse(store, f"p{n}", "phone", ["1", "2#"], OPEN)
    await converse(store, "spoken", "phone", ["je voudrais un rendez-vous"], OPEN)
    for n in range(6):
        await converse(store, f"u{n}", "webchat", [f"mon permis de conduire perdu {n}"],
                       OPEN, understood=False)  # fmt: skip
    await converse(store, "rare", "webchat", ["appelez moi au 0470 12 34 56"], OPEN,
                   understood=False)  # fmt: skip
    await converse(store, "old", "webchat", ["bonjour"], OPEN - 30 * DAY)
    for n, done in enumerate((OPEN + timedelta(hours=2), None)):
        status = CallbackStatus.DONE if done else CallbackStatus.REQUESTED
        callback = Callback(conversation_id=f"w{n}", kind="callback", language="fr",
                            created_at=OPEN, status=status, done_at=done)  # fmt: skip
        await store.add_callback(callback)
