"""`loket demo seed` with a stand-in brain that understands what the scripted people say
as the real one is meant to: the week it makes is on every channel and in three
languages, spread over the dashboard's last 7 days in and out of office hours, with
handoffs and callbacks, problem reports, not-understood messages and keypad-only calls.
The real brain's run is tests/integration/test_demo_seed_with_rasa.py."""

from __future__ import annotations

import argparse
import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.console import accounts
from bot.conversations.model import Callback, Conversation, Message, ProblemReport
from bot.conversations.office_hours import OfficeHours
from bot.conversations.store import ConversationStore, create_engine
from bot.dashboard.figures import Period, figures
from bot.migrations import upgrade
from bot.settings import LANGUAGES, Settings
from tests.console import PASSWORD
from tests.fakes import FakeBrain, echo
from tools import demo_seed

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)  # a Friday afternoon
WEEK = Period(datetime(2026, 11, 28, tzinfo=UTC), datetime(2026, 12, 5, tzinfo=UTC))
WORDS = demo_seed.Words()


def as_the_brain_would(text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """A report, a wish for a person, a question out of Loket's reach: their signals."""
    language = metadata.get("language") or "fr"
    people = WORDS.people
    if text in people["report"][language]:
        return [{"custom": {"loket": {"problem_report": "asked"}}}]
    if text in WORDS.examples(language, "request_human"):
        return [{"custom": {"loket": {"handoff": "requested"}}}]
    if any(text in wordings for wordings in people["not_understood"][language]):
        return [{"text": "?", "custom": {"loket": {"understood": "no"}}}]
    return echo(text, metadata)


@pytest.fixture
def seeded_brain(brain: FakeBrain) -> FakeBrain:
    brain.reply = as_the_brain_would
    return brain


async def count(store: ConversationStore, *where: object, of: object = Conversation) -> int:
    async with store.session() as session:
        return int(await session.scalar(select(func.count()).select_from(of).where(*where)))


async def test_a_seeded_week_is_a_living_dashboard(settings: Settings, seeded_brain):
    await asyncio.to_thread(upgrade, settings.database)
    store = ConversationStore(create_engine(settings.database))
    try:
        await accounts.add_agent(store.session, accounts.DEMO_NAME, PASSWORD, "supervisor")
        seeded = await demo_seed.seed(settings, count=60, rng_seed=7, now=NOW, progress=False)
        assert seeded.kinds.total() == 60 and seeded.callbacks_settled > 0
        async with store.session() as session:
            rows = (await session.execute(select(Conversation.channel, Conversation.language,
                                                 Conversation.created_at))).all()  # fmt: skip
            numbers = await figures(session, WEEK)
        assert {row.channel for row in rows} == {"webchat", "phone", "sms", "whatsapp", "telegram"}
        assert {row.language for row in rows} == set(LANGUAGES)
        moments = [row.created_at for row in rows]
        assert min(moments) >= WEEK.start and max(moments) < NOW
        assert len({moment.date() for moment in moments}) >= 5
        hours = OfficeHours(settings.office_hours, settings.closed_days)
        in_hours = sum(hours.is_open(moment) for moment in moments)
        assert 0 < in_hours < len(moments)
        assert await count(store, Conversation.handoff_requested_at.is_not(None)) > 0
        assert await count(store, of=Callback) > 0
        assert await count(store, of=ProblemReport) > 0
        assert await count(store, Message.understood.is_(False), of=Message) > 0
        assert numbers.total == 60 and numbers.keypad_only_calls > 0
        assert numbers.callbacks_done > 0 and numbers.callback_median_hours is not None
    finally:
        await store.close()


async def test_without_the_brain_it_says_to_start_it_and_writes_nothing(settings, capsys):
    args = argparse.Namespace(conversations=5, seed=1)
    assert await asyncio.to_thread(demo_seed.run, args, settings) == 1  # as `loket` runs it
    assert "Start it with `make run`" in capsys.readouterr().err
    assert not list(settings.data_dir.glob("*.sqlite3")), "no database made"


def test_moments_fall_in_the_last_seven_days_mostly_in_office_hours():
    hours = OfficeHours("mon-fri 09:00-17:00")
    found = demo_seed.moments(random.Random(3), 400, NOW, hours)
    assert found == sorted(found)
    assert found[0] >= WEEK.start and found[-1] <= NOW - timedelta(hours=1)
    share = sum(hours.is_open(moment) for moment in found) / len(found)
    assert 0.6 < share < 0.95
