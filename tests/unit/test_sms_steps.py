""" "Send me these steps by SMS" as a person lives it on the web chat and on the phone.

The stand-in brain answers the request with the signal `action_send_steps_by_sms` sends
(its parts rendered from the real catalogue); the SMS goes out through the real SMS
channel and the twilio library to the local stand-in of Twilio's REST API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from actions import render
from actions.catalogue import LANGUAGES, default_content_dir, load_catalogue
from bot.channels.phone.call import KEY_PAYLOADS, SMS_KEY
from bot.channels.sms.segments import segments
from bot.conversations.inbound import PHONE_CHANNEL, InboundMessage
from bot.conversations.service import Turn
from bot.conversations.sms_steps import MAX_SEGMENTS, StepsMessage
from bot.folding import without_accents
from bot.settings import Settings
from tests.console import Clock
from tests.fakes import FakeBrain, echo
from tests.messaging import messaging_hub, messaging_settings, service_of
from tests.twilio_standin import TwilioStandIn

URL = "/api/conversations/{}/messages"
ASK = "/send_steps_by_sms"
CATALOGUE = load_catalogue(default_content_dir())
CALLER = "+32471234567"


def answers_with_steps(text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """The brain mid-way through "lost-eid": the request gets the action's signal."""
    if text != ASK:
        return echo(text, metadata)
    procedure = CATALOGUE.procedures["lost-eid"]
    parts = render.sms_steps(CATALOGUE, procedure, metadata["language"])
    return [{"custom": {"loket": {"sms_steps": parts}}}]


@pytest.fixture
async def hub(settings: Settings, twilio_api: TwilioStandIn) -> AsyncIterator[TestClient]:
    async with messaging_hub(messaging_settings(settings, twilio_api.url), Clock()) as client:
        yield client


@pytest.fixture
def steps_brain(brain: FakeBrain) -> FakeBrain:
    brain.reply = answers_with_steps
    return brain


async def say(hub: TestClient, text: str, language: str = "en", person: str = "p1") -> str:
    """A web chat message; the text of the replies."""
    response = await hub.post(URL.format(person), json={"text": text, "language": language})
    assert response.status == 200, await response.text()
    return " ".join(reply["text"] for reply in (await response.json())["replies"])


async def call(hub: TestClient, text: str) -> Turn:
    """A turn of a phone call from `CALLER` (a word said, or a key's meaning)."""
    service = service_of(hub)
    await service.start_call("call-CA1", CALLER)
    return await service.handle(InboundMessage("call-CA1", PHONE_CHANNEL, text, language="en"))


async def test_the_web_chat_asks_a_number_confirms_it_and_sends_the_steps_once(
    hub, steps_brain, twilio_api
):
    assert "Which mobile number" in await say(hub, ASK)
    assert "To 0470 12 34 56?" in await say(hub, "0470 12 34 56")
    assert twilio_api.messages == [], "nothing is sent before the number is confirmed"
    assert "on their way by SMS to 0470 12 34 56" in await say(hub, "yes")
    [sms] = twilio_api.messages
    assert sms.to == "+32470123456"
    assert sms.body.startswith("Lost or stolen identity card\n1. Call Doc Stop at once")
    assert "00800 2123 2123" in sms.body
    assert (await say(hub, "yes")).startswith("echo[en]"), "the brain answers again"
    assert len(twilio_api.messages) == 1


async def test_a_number_that_cannot_get_an_sms_is_asked_again(hub, steps_brain, twilio_api):
    await say(hub, ASK)
    assert "cannot send an SMS to that number" in await say(hub, "02 555 12 34")  # a landline
    assert "cannot send an SMS to that number" in await say(hub, "0470 12")
    assert "To +33612345678?" in await say(hub, "+33 6 12 34 56 78")
    await say(hub, "yes")
    assert [sms.to for sms in twilio_api.messages] == ["+33612345678"]


async def test_on_the_phone_the_callers_own_number_is_confirmed_with_1(
    hub, steps_brain, twilio_api
):
    asked = await call(hub, ASK)
    [question] = asked.replies
    assert "to 0471 23 45 67. If yes, press 1. For another number, press 2." in question.text
    sent = await call(hub, "1")
    assert "on their way by SMS to 0471 23 45 67" in sent.replies[0].text
    assert [sms.to for sms in twilio_api.messages] == [CALLER]


async def test_on_the_phone_another_number_is_keyed_in(hub, steps_brain, twilio_api):
    await call(hub, ASK)
    keyed = await call(hub, "2")
    assert keyed.expects_digits, "the keys that follow are one number, up to #"
    assert "type your mobile number" in keyed.replies[0].text
    assert "0478 11 22 33" in (await call(hub, "0478112233")).replies[0].text
    await call(hub, "1")
    assert [sms.to for sms in twilio_api.messages] == ["+32478112233"]


async def test_the_sms_is_in_the_conversations_language(hub, steps_brain, twilio_api):
    assert "À quel numéro de GSM" in await say(hub, ASK, language="fr")
    await say(hub, "0470123456", language="fr")
    assert "C'est fait" in await say(hub, "oui", language="fr")
    [sms] = twilio_api.messages
    assert sms.body.startswith("Carte d'identité perdue ou volée\n1. Appelez vite Doc Stop")
    assert "Plus d'infos : http" in sms.body
    assert len(segments(sms.body)) <= MAX_SEGMENTS


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_procedures_sms_fits_in_three_segments_with_one_short_link(lang: str):
    for procedure in CATALOGUE.procedures.values():
        message = StepsMessage.of(render.sms_steps(CATALOGUE, procedure, lang))
        assert message is not None
        text = message.fitted(lambda body: len(segments(body)))
        assert len(segments(text)) <= MAX_SEGMENTS, procedure.id
        title = procedure.title.in_(lang)
        assert text.startswith((title, without_accents(title))), procedure.id
        assert "\n1. " in text, procedure.id
        assert text.count("http") <= 1, procedure.id


async def test_nothing_is_sent_when_the_person_says_no(hub, steps_brain, twilio_api):
    await say(hub, ASK)
    await say(hub, "0470 12 34 56")
    assert "All right" in await say(hub, "no thanks")
    assert twilio_api.messages == []
    assert (await say(hub, "0470 12 34 56")).startswith("echo[en]"), "the dialogue is over"


async def test_a_person_who_moves_on_gets_the_brains_answer(hub, steps_brain, twilio_api):
    await say(hub, ASK)
    assert (await say(hub, "next step")).startswith("echo[en]: next step")
    assert twilio_api.messages == []


async def test_without_an_sms_channel_loket_says_it_cannot_send_one(
    settings: Settings, steps_brain: FakeBrain
):
    async with messaging_hub(settings, Clock()) as hub:
        assert "cannot send text messages right now" in await say(hub, ASK)
        assert (await say(hub, "0470 12 34 56")).startswith("echo[en]")


def test_key_7_asks_for_the_steps_by_sms_and_no_spoken_reply_has_a_7th_option():
    assert KEY_PAYLOADS[SMS_KEY] == ASK
    widest = max(
        len(reply.buttons) for lang in LANGUAGES for reply in _spoken_replies_with_options(lang)
    )
    assert widest < int(SMS_KEY), "key 7 never picks an option of a menu"


def _spoken_replies_with_options(lang: str) -> list[render.Reply]:
    """Every kind of spoken reply whose buttons a key picks: menus, questions, steps."""
    replies = [
        render.welcome(CATALOGUE, lang, True, greeting=True),
        render.menu(CATALOGUE, lang, True),
    ]
    replies += [render.category_menu(CATALOGUE, c, lang, True) for c in CATALOGUE.menu]
    replies += [
        render.clarification(CATALOGUE, q, lang, True) for q in CATALOGUE.clarifications.values()
    ]
    replies.append(
        render.did_you_mean(CATALOGUE, list(CATALOGUE.procedures.values())[:3], lang, True)
    )
    for procedure in CATALOGUE.procedures.values():
        replies += [
            render.step(CATALOGUE, procedure, i, lang, True) for i in range(len(procedure.steps))
        ]
        replies.append(render.all_steps(CATALOGUE, procedure, lang, True))
    return replies
