"""Helpers for the dashboard's tests: a database filled through the store API."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.conversations import reports
from bot.conversations.model import Callback, CallbackStatus, ProblemReport
from bot.conversations.records import ProblemReportRecord
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
        await converse(store, f"p{n}", "phone", ["/greet", "1", "2#", "/request_human"], OPEN)
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


CALL_ME = "+32470123456"  # a number left to be called back: never on the dashboard


async def report(
    store: ConversationStore, service: str, category: str, when: datetime,
    description: str | None = None, contact_number: str | None = None,
    conversation_id: str = "w0",
) -> ProblemReportRecord:  # fmt: skip
    """A report filed by an agent for a web chat conversation ("w0" of `fill`)."""
    row = ProblemReport(
        reference=reports.new_reference(), conversation_id=conversation_id, channel="webchat",
        language="fr", service=service, category=category, description=description,
        contact="phone" if contact_number else "none", contact_number=contact_number,
        filed_by="ana", created_at=when, updated_at=when,
    )  # fmt: skip
    return await reports.ProblemReports(store).file(row)


async def fill_reports(store: ConversationStore) -> None:
    """Today six MyMinfin log-in reports, three IRISbox only in one language and two CSAM
    "other"; two days ago two more; a month ago one, outside the default period."""
    for _ in range(6):
        await report(store, "myminfin", "login", OPEN)
    for _ in range(3):
        await report(store, "irisbox", "language", OPEN)
    for _ in range(2):
        await report(store, "csam", "other", OPEN)
    for _ in range(2):
        await report(store, "itsme", "error", OPEN - 2 * DAY)
    await report(store, "actiris", "no_answer", OPEN - 30 * DAY)
