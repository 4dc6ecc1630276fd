""" "Send me these steps by SMS" with the real Rasa model and action server: asked in
words mid-procedure in French, Dutch and English on the web chat, and with key 7 from a
call; the SMS goes through the real SMS channel to the stand-in of Twilio's REST API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.appkeys import service_key
from bot.channels.phone.call import KEY_PAYLOADS, SMS_KEY
from bot.channels.sms.segments import segments
from bot.conversations.inbound import PHONE_CHANNEL, InboundMessage
from bot.conversations.sms_steps import MAX_SEGMENTS
from bot.settings import Settings
from tests.integration.test_conversations import ASK, CATALOGUE, NEXT, Person
from tests.messaging import messaging_settings, standin
from tests.twilio_standin import TwilioStandIn

pytestmark = pytest.mark.integration
ASK_SMS = {
    "fr": "vous pouvez m'envoyer ces étapes par sms ?",
    "nl": "kunt u me die stappen per sms sturen",
    "en": "send me these steps by sms",
}
NUMBER = {"fr": "À quel numéro de GSM", "nl": "Naar welk gsm-nummer", "en": "Which mobile number"}
YES = {"fr": "oui", "nl": "ja", "en": "yes"}


@pytest.fixture(scope="module")
async def twilio_api() -> AsyncIterator[TwilioStandIn]:
    twilio = await standin()
    yield twilio
    await twilio.stop()


@pytest.fixture(scope="module")
async def sms_hub(
    brain_settings: Settings, real_brain, twilio_api: TwilioStandIn
) -> AsyncIterator[TestClient]:
    """A hub on the real brain whose SMS channel sends through the stand-in."""
    settings = messaging_settings(brain_settings, twilio_api.url)
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


@pytest.mark.parametrize(
    ("language", "procedure_id"), [("fr", "lost-eid"), ("nl", "change-address"), ("en", "lost-eid")]
)
async def test_asked_in_words_mid_procedure_the_steps_of_that_procedure_go_by_sms(
    sms_hub, twilio_api, language, procedure_id
):
    procedure = CATALOGUE.procedures[procedure_id]
    person = Person(sms_hub, language)
    await person.say(ASK[procedure_id][language])
    await person.say(NEXT[language])
    assert NUMBER[language] in await person.say(ASK_SMS[language])
    number = f"04701234{len(twilio_api.messages):02d}"
    await person.say(number)
    before = len(twilio_api.messages)
    await person.say(YES[language])
    [sms] = twilio_api.messages[before:]
    assert sms.to == "+32" + number[1:]
    assert sms.body.startswith(procedure.title.in_(language))
    assert "\n1. " in sms.body
    assert len(segments(sms.body)) <= MAX_SEGMENTS


async def test_from_a_call_key_7_sends_the_steps_to_the_callers_own_number(sms_hub, twilio_api):
    service = sms_hub.app[service_key]
    caller = "+32471000099"
    await service.start_call("call-CA-sms", caller)

    async def press(text: str) -> str:
        turn = await service.handle(InboundMessage("call-CA-sms", PHONE_CHANNEL, text, "en"))
        return " ".join(reply.text for reply in turn.replies)

    await press("/proc_lost_eid")
    assert "0471 00 00 99. If yes, press 1" in await press(KEY_PAYLOADS[SMS_KEY])
    before = len(twilio_api.messages)
    assert "on their way by SMS" in await press("1")
    [sms] = twilio_api.messages[before:]
    assert sms.to == caller
    assert sms.body.startswith("Lost or stolen identity card\n1. Call Doc Stop")
