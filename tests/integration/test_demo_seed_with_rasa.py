"""`loket demo seed` with the real Rasa model and action server: every scripted message is
answered by the brain, in three languages, and the brain's own report and handoff
intents start a problem report and a handoff. (Which vague questions the model does not
understand is the model's answer: not asserted here; the unit test checks the rest.)"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.conversations.model import Author, Conversation, Message, ProblemReport, Status
from bot.conversations.store import ConversationStore, create_engine
from bot.settings import LANGUAGES, Settings
from tools import demo_seed

pytestmark = pytest.mark.integration
NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


async def test_a_seeded_week_with_the_real_brain(
    brain_settings: Settings, real_brain, tmp_path: Path
):
    own_database = brain_settings.model_copy(update={"data_dir": tmp_path})
    seeded = await demo_seed.seed(own_database, count=40, rng_seed=7, now=NOW, progress=False)
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
    finally:
        await store.close()
