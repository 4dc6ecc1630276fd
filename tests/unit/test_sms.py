"""SMS through Twilio as a person and an agent live it: signed webhooks (the real
RequestValidator), TwiML answers, the REST API's stand-in, STOP/START/HELP, segments."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient

from bot.channels.sms import segments
from bot.channels.sms.segments import SMS, first_page
from bot.conversations.model import Status
from bot.conversations.records import AgentRecord
from bot.settings import Settings
from tests.console import Clock, add_agent
from tests.fakes import FakeBrain
from tests.messaging import (
    BASE,
    LOKET_NUMBER,
    PERSON,
    Twilio,
    message_form,
    messaging_hub,
    messaging_settings,
    new_sid,
    service_of,
    signature,
    transcript,
)
from tests.twilio_standin import TwilioStandIn
from tests.waiting import eventually

SENTENCE = "Go to the town hall of your commune with your identity card."  # 61 GSM-7 chars


@pytest.fixture
async def hub(settings: Settings, twilio_api: TwilioStandIn) -> AsyncIterator[TestClient]:
    async with messaging_hub(messaging_settings(settings, twilio_api.url), Clock()) as client:
        yield client


@pytest.fixture
def twilio(hub: TestClient) -> Twilio:
    return Twilio(hub)


async def handed_to_agent(hub: TestClient, twilio: Twilio) -> tuple[str, AgentRecord]:
    """The person asks for a person (HELP, then 1) and agent "ana" takes it."""
    ana = await add_agent(hub, "ana")
    await service_of(hub).desk.set_available(ana.id, True)
    await twilio.send("HELP")
    queued = await twilio.send("1")
    assert "queue" in queued
    [message] = [m for m in await transcript(hub, "sms", PERSON) if m.text == "1"]
    await service_of(hub).desk.take(message.conversation_id, ana)
    return message.conversation_id, ana


async def agent_replies(hub: TestClient, handed: tuple[str, AgentRecord], text: str) -> Status:
    """The agent's reply; the status it was left in."""
    conversation_id, agent = handed
    stored = await service_of(hub).desk.reply(conversation_id, agent, text)
    [now] = [m for m in await service_of(hub).messages(conversation_id) if m.id == stored.id]
    return Status(now.status)


# ---------------------------------------------------------------- the webhook


async def test_a_signed_sms_is_answered_in_twiml_with_numbered_choices(twilio, brain: FakeBrain):
    answer = await twilio.send("I lost my identity card")
    assert answer == "echo[en]: I lost my identity card\n\nReply 1 or 2:\n1 Next\n2 Menu"
    assert brain.received[0]["metadata"]["channel"] == "sms"


async def test_a_number_answers_the_choices(twilio, brain: FakeBrain):
    await twilio.send("I lost my identity card")
    await twilio.send("2")
    assert brain.texts[-1] == "/ask_capabilities"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Twilio-Signature": ""},
        {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
        signature(BASE + "/twilio/messages", message_form("Hello"), token="another-token"),
        signature("http://127.0.0.1:8080/twilio/messages", message_form("Hello")),
    ],
    ids=["missing", "forged", "wrong-token", "wrong-url"],
)
async def test_an_unsigned_message_is_refused_and_nothing_is_stored(hub, brain: FakeBrain, headers):
    response = await hub.post("/twilio/messages", data=message_form("Hello"), headers=headers)
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "invalid_signature"
    assert await transcript(hub, "sms", PERSON) == []
    assert brain.received == []


async def test_a_retry_gets_the_same_answer_and_the_brain_is_asked_once(twilio, brain: FakeBrain):
    sid = new_sid()
    first = await twilio.send("I lost my identity card", sid)
    again = await twilio.send("I lost my identity card", sid)
    assert again == first
    assert brain.texts == ["I lost my identity card"]


async def test_a_retry_while_the_first_is_answered_waits_for_the_same_answer(
    twilio, brain: FakeBrain
):
    brain.delay = 0.3  # still answering when the retry comes (within the brain timeout)
    sid = new_sid()
    first, again = await asyncio.gather(
        twilio.send("I lost my identity card", sid), twilio.send("I lost my identity card", sid)
    )
    assert first == again
    assert first.startswith("echo[en]")
    assert brain.texts == ["I lost my identity card"]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"Body=caf%E9&From=%2B32470123456", "application/x-www-form-urlencoded", 400),
        (b"Body=caf\xe9&From=%2B32470123456", "application/x-www-form-urlencoded", 400),
        (b'{"Body": "Hello"}', "application/json", 415),
        (b"Body=" + b"a" * 70_000, "application/x-www-form-urlencoded", 413),
    ],
    ids=["latin-1-escape", "latin-1-byte", "json", "oversized"],
)
async def test_a_malformed_body_is_refused_and_nothing_is_stored(
    hub, brain: FakeBrain, body: bytes, content_type: str, status: int
):
    response = await hub.post("/twilio/messages", data=body, headers={"Content-Type": content_type})
    assert response.status == status
    assert await transcript(hub, "sms", PERSON) == []


@pytest.mark.parametrize(
    ("form", "status", "code"),
    [
        (message_form("Hello", sender="Anonymous"), 422, "invalid_from"),
        (message_form("Hello", MessageSid="SM123"), 422, "invalid_message_sid"),
        (
            {k: v for k, v in message_form("Hello").items() if k != "MessageSid"},
            422,
            "invalid_message_sid",
        ),
        (message_form("a" * 2001), 413, "message_too_long"),
        (message_form("Hello", NumMedia="many"), 422, "invalid_num_media"),
    ],
    ids=["from", "sid", "no-sid", "too-long", "num-media"],
)
async def test_a_signed_form_twilio_would_not_send_is_refused(
    hub, twilio, brain: FakeBrain, form: dict[str, str], status: int, code: str
):
    response = await twilio.post("/twilio/messages", form)
    assert response.status == status
    assert (await response.json())["error"]["code"] == code
    assert await transcript(hub, "sms", PERSON) == []
    assert brain.received == []


# ---------------------------------------------------------------- the medium


async def test_a_long_reply_goes_a_page_at_a_time_and_more_gives_the_rest(twilio, brain: FakeBrain):
    steps = " ".join(f"Step {n}. {SENTENCE}" for n in range(1, 13))  # about 850 characters
    brain.reply = lambda text, _: [{"text": steps, "buttons": [{"title": "Menu", "payload": "/m"}]}]

    pages = [await twilio.send("I lost my identity card")]
    sid = new_sid()
    pages.append(await twilio.send("MORE", sid))
    assert await twilio.send("MORE", sid) == pages[-1], "a retry gets the same page"
    while pages[-1].endswith("Reply MORE for the rest."):
        pages.append(await twilio.send("more"))

    assert len(pages) >= 2
    assert all(len(segments(page)) <= 3 for page in pages)
    assert pages[-1].endswith("Reply 1:\n1 Menu")
    said = " ".join(p.removesuffix("\nReply MORE for the rest.") for p in pages)
    assert all(f"Step {n}. {SENTENCE}" in said for n in range(1, 13)), "nothing lost, no cut"
    assert brain.texts == ["I lost my identity card"], "MORE is never the brain's"


def test_gsm7_counts_160_then_153_per_part():
    assert [len(part) for part in segments("a" * 160)] == [160]
    assert [len(part) for part in segments("a" * 161)] == [153, 8]
    assert len(segments("é" * 160)) == 1, "é is in the GSM-7 alphabet"


@pytest.mark.parametrize("extension", ["€", "["])
def test_an_extension_character_takes_two_septets_and_is_never_split(extension: str):
    assert len(segments(extension * 80)) == 1
    parts = segments("a" * 152 + extension + "a" * 10)
    assert parts == ["a" * 152, extension + "a" * 10]


def test_one_character_outside_gsm7_makes_it_ucs2_70_then_67():
    assert len(segments("ł" + "a" * 69)) == 1
    assert [len(part) for part in segments("ł" + "a" * 70)] == [67, 4]
    assert len(segments("ç" + "a" * 100)) == 2, "ç is not in GSM-7 (only Ç is)"


def test_an_emoji_is_two_ucs2_units_and_never_split():
    assert len(segments("😀" * 35)) == 1
    assert segments("😀" * 36) == ["😀" * 33, "😀" * 3]


def test_typographic_punctuation_does_not_cost_ucs2():
    assert len(segments("Allez à l’administration communale « vite » – merci… " * 2)) == 1


def test_a_page_carries_one_link_at_most():
    text = "Fill in the form at https://www.belgium.be/form. Or ask at https://www.cpas.brussels."
    page = first_page(text, SMS, "Reply MORE for the rest.")
    assert page.text == "Fill in the form at https://www.belgium.be/form.\nReply MORE for the rest."
    assert page.rest == "Or ask at https://www.cpas.brussels."


# ---------------------------------------------------------------- agents and delivery


async def test_an_agents_reply_goes_by_sms_and_its_delivery_is_recorded(
    hub, twilio, twilio_api: TwilioStandIn, brain: FakeBrain
):
    handed = await handed_to_agent(hub, twilio)
    assert await agent_replies(hub, handed, "Hello, I am Ana.") == Status.SENT

    [sent] = twilio_api.messages
    assert (sent.to, sent.form["From"], sent.body) == (PERSON, LOKET_NUMBER, "Hello, I am Ana.")
    assert sent.form["StatusCallback"] == BASE + "/twilio/messages/status"
    assert (await twilio.status(sent.sid, "delivered")).status == 204
    assert (await twilio.status(sent.sid, "sent")).status == 204, "late, out of order"
    [reply] = [m for m in await transcript(hub, "sms", PERSON) if m.provider_id == sent.sid]
    assert reply.status == Status.DELIVERED


async def test_an_undelivered_report_marks_the_message_failed_with_twilios_reason(
    hub, twilio, twilio_api: TwilioStandIn, brain: FakeBrain
):
    handed = await handed_to_agent(hub, twilio)
    await agent_replies(hub, handed, "Hello, I am Ana.")
    await twilio.status(twilio_api.messages[0].sid, "undelivered", "30003")
    [reply] = [m for m in await transcript(hub, "sms", PERSON) if m.provider_id]
    assert (reply.status, reply.delivery_error) == (
        Status.FAILED,
        "Twilio: undelivered (error 30003)",
    )


async def test_after_stop_nothing_is_sent_until_start(
    hub, twilio, twilio_api: TwilioStandIn, brain: FakeBrain
):
    handed = await handed_to_agent(hub, twilio)
    stopped = await twilio.send("Arrêt")
    assert stopped.startswith("Done: Loket will not send you any more messages"), "in English"
    assert await agent_replies(hub, handed, "Are you still there?") == Status.FAILED
    assert twilio_api.messages == []
    [refused] = [m for m in await transcript(hub, "sms", PERSON) if m.delivery_error]
    assert refused.delivery_error == "opted_out"
    assert await twilio.send("hello?") == "", "no answer while opted out"

    assert (await twilio.send("start")).startswith("Welcome back")
    assert await agent_replies(hub, handed, "Here I am.") == Status.SENT
    assert [m.body for m in twilio_api.messages] == ["Here I am."]


@pytest.mark.parametrize(
    ("word", "expected", "person"),
    [
        ("AIDE", "Loket vous aide pour les démarches à Bruxelles", "Répondez 1 :\n1 Parler à"),
        ("hulp", "Loket helpt u met zaken in Brussel", "Antwoord 1:\n1 Met een medewerker"),
        ("Help.", "Loket helps you with official matters in Brussels", "Reply 1:\n1 Talk to"),
    ],
)
async def test_help_explains_loket_in_the_persons_language(
    twilio, brain: FakeBrain, word: str, expected: str, person: str
):
    answer = await twilio.send(word)
    assert answer.startswith(expected)
    assert "STOP" in answer
    assert person in answer, "a person is offered, as choice 1"
    assert brain.received == []


@pytest.mark.brain_timeout(1.0)
async def test_a_late_answer_of_the_brain_follows_by_sms(
    hub, twilio, twilio_api: TwilioStandIn, brain: FakeBrain
):
    brain.delay = 1.5  # longer than the brain timeout (1 s): a holding reply first
    held = await twilio.send("I lost my identity card")
    assert held.startswith("One moment, please.")
    await eventually(lambda: bool(twilio_api.messages))  # sent as soon as the brain answers
    [late] = twilio_api.messages
    assert late.to == PERSON
    assert "echo[en]: I lost my identity card" in late.body


async def test_steps_sent_by_loket_first_go_a_page_at_a_time(
    hub, twilio, twilio_api: TwilioStandIn, brain: FakeBrain
):
    steps = " ".join(f"Step {n}. {SENTENCE}" for n in range(1, 13))
    stored = await service_of(hub).send_to("sms", PERSON, steps, "en", timedelta(minutes=60))
    assert stored.status == Status.QUEUED
    [first] = twilio_api.messages
    assert first.to == PERSON
    assert len(segments(first.body)) <= 3
    assert first.body.endswith("Reply MORE for the rest.")
    assert (await twilio.send("MORE")).endswith(f"Step 12. {SENTENCE}")
    assert brain.received == []


async def test_the_persons_number_and_words_are_never_logged(
    hub, twilio, twilio_api: TwilioStandIn, brain: FakeBrain, caplog: pytest.LogCaptureFixture
):
    with caplog.at_level(logging.INFO):  # LOKET_LOG_LEVEL's default, and what DEBUG adds
        caplog.set_level(logging.DEBUG, logger="bot")
        handed = await handed_to_agent(hub, twilio)
        await twilio.send("My secret question")
        await agent_replies(hub, handed, "Hello, I am Ana.")
        await twilio.status(twilio_api.messages[0].sid, "undelivered", "30003")
        await twilio.send("STOP")
        await agent_replies(hub, handed, "Still there?")
    assert caplog.records, "the flow was logged"
    assert PERSON not in caplog.text and PERSON.removeprefix("+") not in caplog.text
    assert "My secret question" not in caplog.text
