"""Retention: what is older than its period goes, in small batches, without holding the hub.

Each batch is its own short transaction of at most `batches.BATCH` rows, and the job yields
to the event loop between batches: people keep being answered while an old backlog is
cleared. The transcripts' period applies to Rasa's tracker events too (they hold the
same messages), problem reports have their own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.conversations.model import Callback, Conversation, Message, ProblemReport
from bot.conversations.store import ConversationStore
from bot.privacy.batches import in_batches
from bot.privacy.rasa_trackers import RasaTrackers
from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periods:
    """Days each kind of data is kept (0: kept without limit)."""

    transcripts: int
    caller_numbers: int
    problem_reports: int

    @classmethod
    def of(cls, settings: Settings) -> Periods:
        """The periods the settings give."""
        return cls(
            transcripts=settings.retention_transcript_days,
            caller_numbers=settings.retention_caller_number_days,
            problem_reports=settings.retention_problem_report_days,
        )


@dataclass(frozen=True)
class Swept:
    """How many rows one pass deleted or blanked, by kind."""

    messages: int
    rasa_events: int
    contacts: int
    callback_phones: int
    problem_reports: int


async def sweep(
    store: ConversationStore, trackers: RasaTrackers, periods: Periods, now: datetime
) -> Swept:
    """Delete transcripts (the hub's messages and Rasa's events) and problem reports, and
    blank caller numbers, older than their periods.

    The conversations themselves stay, anonymous, for the statistics.
    """
    messages = events = contacts = phones = reports = 0
    if periods.transcripts:
        cutoff = now - timedelta(days=periods.transcripts)
        messages = await in_batches(store.session, Message.id, Message.created_at < cutoff)
        events = await trackers.delete_older_than(cutoff)
    if periods.caller_numbers:
        cutoff = now - timedelta(days=periods.caller_numbers)
        old_contact = (Conversation.created_at < cutoff) & Conversation.contact.is_not(None)
        contacts = await in_batches(store.session, Conversation.id, old_contact, {"contact": None})
        old_phone = (Callback.created_at < cutoff) & Callback.phone.is_not(None)
        phones = await in_batches(store.session, Callback.id, old_phone, {"phone": None})
    if periods.problem_reports:
        cutoff = now - timedelta(days=periods.problem_reports)
        old_report = ProblemReport.created_at < cutoff
        reports = await in_batches(store.session, ProblemReport.id, old_report)
    return Swept(messages, events, contacts, phones, reports)


async def sweep_forever(
    store: ConversationStore,
    trackers: RasaTrackers,
    settings: Settings,
    now: Callable[[], datetime],
) -> None:
    """Sweep with the settings' periods every `retention_interval_seconds`; a failure
    waits for the next.

    The first sweep waits one interval too: a start-up stays quick, and a test's rows are
    never swept from under it while it runs.
    """
    periods = Periods.of(settings)
    while True:
        await asyncio.sleep(settings.retention_interval_seconds)
        try:
            swept = await sweep(store, trackers, periods, now())
            log.info("Retention: %s", swept)
        except Exception:
            log.exception("Retention sweep failed; will try again")
