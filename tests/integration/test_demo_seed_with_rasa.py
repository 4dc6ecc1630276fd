"""`loket demo seed` with the real Rasa model and action server: every scripted message is
answered by the brain, in three languages, and the brain's own report and handoff
intents start a problem report and a handoff. (Which vague questions the model does not
understand is the model's answer: not asserted here; the unit test checks the rest.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app import create_app
from bot.conversations.model import Author, Conversation, Message, ProblemReport, Status
from bot.conversations.store import ConversationStore, create_engine
from bot.settings import LANGUAGES, Settings
from tests.console import add_agent, sign_in
from tools import demo_seed

pytestmark = pytest.mark.integration


async def test_a_seeded_week_with_the_real_brain(
    brain_settings: Settings, real_brain, tmp_path: Path
):
    own_database = brain_settings.model_copy(update={"data_dir": tmp_path})
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    seeded = await demo_seed.seed(own_database, count=40, rng_seed=7, now=now, progress=False)
    assert seeded.kinds["report"] > 0 and seeded.kinds["handoff"] > 0
    store = ConversationStore(create_engine(own_database.database))
    try:
        async with store.session() as session:
            languages = set(await session.scalars(select(Conversation.language).distinct()))
            handed = select(func.count()).where(Conversation.handoff_requested_at.is_not(None))
            reports = select(func.count()).select_from(ProblemReport)
            kept = select(func.count()).where(
                Message.author == Author.PERSON,
                Message.status.in_([Status.RECEIVED, Status.PENDING]),
            )
            assert languages == set(LANGUAGES)
            assert await session.scalar(handed) > 0
            assert await session.scalar(reports) > 0
            assert await session.scalar(kept) == 0, "every message answered, none kept for later"
            conversations = await session.scalar(select(func.count()).select_from(Conversation))
            filed = await session.scalar(reports)
    finally:
        await store.close()
    week = f"from={(now - timedelta(days=6)).date()}&to={now.date()}"
    html = await dashboard_of(own_database, week)
    assert f'<dd id="total">{conversations}</dd>' in html, "the seeded week, all of it"
    assert f'<dd id="reports-total">{filed}</dd>' in html


async def dashboard_of(settings: Settings, period: str) -> str:
    """The dashboard an operator sees for `period` on a hub over that database."""
    async with TestClient(TestServer(create_app(settings))) as console:
        await add_agent(console, "operator", role="operator")
        assert (await sign_in(console, "operator")).status == 303
        return await (await console.get(f"/agent/dashboard?{period}")).text()
