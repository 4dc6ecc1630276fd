"""Asking for a person with the real Rasa model: in words, in three languages, and by
accepting the offer after two misunderstandings; the agent's console then shows where
the person was. The clock is pinned to office hours or to a closed evening."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.appkeys import service_key
from bot.conversations.model import Agent
from bot.settings import Settings
from tests.integration.test_conversations import ASK, NEXT, Person

pytestmark = pytest.mark.integration
OPEN = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # Thursday 10:00 in Brussels
CLOSED = datetime(2026, 12, 3, 19, 0, tzinfo=UTC)  # 20:00
ASK_PERSON = {
    "fr": "je voudrais parler à quelqu'un",
    "nl": "ik wil met een medewerker spreken",
    "en": "can I talk to a real person please",
}
# Not understood, whatever the model learned: the intent Rasa gives an unsure guess,
# sent as a payload (made-up words are a guess of the model, which new examples move).
NOT_UNDERSTOOD = ["/nlu_fallback", "/nlu_fallback"]
YES = {"fr": "oui", "nl": "ja", "en": "yes"}


class PinnedClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def clock() -> PinnedClock:
    return PinnedClock(OPEN)


@pytest.fixture(scope="module")
async def desk_hub(
    brain_settings: Settings, real_brain, clock, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[TestClient]:
    """A hub on the real brain, with an available agent and a pinned clock.

    Its database is its own: the session's hub, on the real clock, took the messages this
    one had just stored (days old by the pinned clock) for orphans, and answered them a
    second time.
    """
    settings = brain_settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("desk")})
    async with TestClient(TestServer(create_app(settings, clock=clock))) as client:
        service = client.app[service_key]
        agent = Agent(name="it-agent", password_hash="-", role="agent", language="en")
        async with service.store.session.begin() as session:
            session.add(agent)
        await service.desk.set_available(agent.id, True)
        yield client


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
async def test_asking_for_a_person_in_words_joins_the_queue_with_the_topic(
    desk_hub, clock, language
):
    clock.now = OPEN
    person = Person(desk_hub, language)
    await person.say(ASK["lost-eid"][language])
    await person.say(NEXT[language])
    await person.say(ASK_PERSON[language])
    assert person.answer["state"] == "waiting_for_agent"
    view = await desk_hub.app[service_key].desk.open(person.id)
    assert view is not None
    assert (view.summary.topic, view.summary.step) == ("lost-eid", 1)


async def test_after_two_misunderstandings_a_yes_is_a_request_for_a_person(desk_hub, clock):
    clock.now = OPEN
    person = Person(desk_hub, "en")
    said = [await person.say(text) for text in NOT_UNDERSTOOD]
    assert "person" in said[-1], said  # the second misunderstanding offers a person
    await person.say(YES["en"])
    assert person.answer["state"] == "waiting_for_agent"
    view = await desk_hub.app[service_key].desk.open(person.id)
    assert view is not None and view.summary.not_understood == NOT_UNDERSTOOD


async def test_outside_hours_the_request_offers_a_callback(desk_hub, clock):
    clock.now = CLOSED
    person = Person(desk_hub, "fr")
    said = await person.say(ASK_PERSON["fr"])
    assert person.answer["state"] == "bot"
    assert "Le service d'aide est fermé maintenant" in said
    assert "/callback_yes" in person.buttons
