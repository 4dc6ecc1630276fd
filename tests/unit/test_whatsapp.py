"""WhatsApp through Twilio: "whatsapp:" addresses, photos and documents, locations, the
24-hour window for agents' replies (signed webhooks, the REST API's stand-in)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient

from bot.conversations.model import Status
from bot.settings import Settings
from tests.console import OPEN, Clock, add_agent, sign_in
from tests.fakes import FakeBrain
from tests.messaging import (
    LOKET_WHATSAPP,
    WHATSAPP_PERSON,
    Twilio,
    message_form,
    messaging_hub,
    messaging_settings,
    service_of,
    transcript,
)
from tests.twilio_standin import TwilioStandIn

PHOTO = {
    "NumMedia": "1",
    "MediaContentType0": "image/jpeg",
    "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME0",
}
GRAND_PLACE = {"Latitude": "50.8467", "Longitude": "4.3525", "Label": "Grand-Place"}
SCHAERBEEK_STATION = {"Latitude": "50.8782", "Longitude": "4.3786"}
ANTWERP = {"Latitude": "51.2194", "Longitude": "4.4025"}


@pytest.fixture
def clock() -> Clock:
    return Clock(OPEN)


@pytest.fixture
async def hub(
    settings: Settings, twilio_api: TwilioStandIn, clock: Clock
) -> AsyncIterator[TestClient]:
    # Agents stay with their conversations however far the test moves the clock.
    patient = settings.model_copy(update={"agent_idle_seconds": 7 * 24 * 3600.0})
    async with messaging_hub(messaging_settings(patient, twilio_api.url), clock) as client:
        yield client


@pytest.fixture
def twilio(hub: TestClient) -> Twilio:
    return Twilio(hub)


async def test_a_whatsapp_message_is_a_whatsapp_conversation(twilio, brain: FakeBrain):
    answer = await twilio.send("I lost my identity card", sender=WHATSAPP_PERSON)
    assert answer == "echo[en]: I lost my identity card\n\nReply 1 or 2:\n1 Next\n2 Menu"
    assert brain.received[0]["metadata"]["channel"] == "whatsapp"


async def test_a_photo_is_acknowledged_honestly_and_a_person_is_offered(
    hub, twilio, brain: FakeBrain
):
    await twilio.send("I need help with a letter", sender=WHATSAPP_PERSON)
    answer = await twilio.send("", sender=WHATSAPP_PERSON, **PHOTO)
    assert answer.startswith("Thank you. I cannot read photos or documents.")
    assert answer.endswith("Reply 1:\n1 Talk to a person")
    assert brain.texts == ["I need help with a letter"], "the brain never sees the photo"
    stored = [m.text for m in await transcript(hub, "whatsapp", WHATSAPP_PERSON)]
    assert "[image/jpeg]" in stored, "agents see that a photo came"

    ana = await add_agent(hub, "ana")
    await service_of(hub).desk.set_available(ana.id, True)
    assert "queue" in await twilio.send("1", sender=WHATSAPP_PERSON)


@pytest.mark.parametrize(
    ("place", "expected"),
    [
        (GRAND_PLACE, "Vous êtes probablement à Bruxelles"),
        (SCHAERBEEK_STATION, "Vous êtes probablement à Schaerbeek"),
        (ANTWERP, "Ce lieu n'est pas dans la Région de Bruxelles-Capitale."),
    ],
    ids=["grand-place", "schaerbeek", "antwerp"],
)
async def test_a_location_is_answered_with_its_commune_if_it_is_in_brussels(
    hub, twilio, brain: FakeBrain, place: dict[str, str], expected: str
):
    answer = await twilio.send("", sender=WHATSAPP_PERSON, **place)
    assert answer.startswith(expected)
    assert brain.received == []
    stored = [m.text for m in await transcript(hub, "whatsapp", WHATSAPP_PERSON)]
    assert stored[0] == "[location]", "where the person is, is not kept"


async def test_an_invalid_location_is_refused(twilio):
    form = message_form("", sender=WHATSAPP_PERSON, Latitude="north", Longitude="4.35")
    response = await twilio.post("/twilio/messages", form)
    assert response.status == 422


async def test_an_agent_answers_on_whatsapp_within_24_hours_and_not_after(
    hub, twilio, twilio_api: TwilioStandIn, clock: Clock, brain: FakeBrain
):
    ana = await add_agent(hub, "ana")
    desk = service_of(hub).desk
    await desk.set_available(ana.id, True)
    await twilio.send("Help", sender=WHATSAPP_PERSON)
    await twilio.send("1", sender=WHATSAPP_PERSON)
    [conversation_id] = {
        m.conversation_id for m in await transcript(hub, "whatsapp", WHATSAPP_PERSON)
    }
    await desk.take(conversation_id, ana)

    clock.now = OPEN + timedelta(hours=23)
    await desk.reply(conversation_id, ana, "Hello, I am Ana.")
    [sent] = twilio_api.messages
    assert (sent.to, sent.form["From"]) == (WHATSAPP_PERSON, LOKET_WHATSAPP)

    clock.now = OPEN + timedelta(hours=25)
    late = await desk.reply(conversation_id, ana, "Are you still there?")
    assert len(twilio_api.messages) == 1, "nothing sent outside the window"
    [refused] = [m for m in await transcript(hub, "whatsapp", WHATSAPP_PERSON) if m.id == late.id]
    assert (refused.status, refused.delivery_error) == (Status.FAILED, "whatsapp_window")

    assert (await sign_in(hub, "ana")).status == 303
    page = await (await hub.get(f"/agent/conversations/{conversation_id}")).text()
    assert "only an approved template message through" in page
    assert "more than 24 hours since their last WhatsApp message" in page
