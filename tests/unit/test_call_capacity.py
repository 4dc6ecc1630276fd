"""The phone line's capacity (bot/channels/phone/capacity.py) as Twilio sees it: past
LOKET_MAX_CALLS calls at once, the next caller hears that all lines are busy, in three
languages, and the call ends; a call frees its line when its stream ends, when Twilio says
it ended, or when its stream never came. A call that cannot start (the database away)
waits with the caller, "one moment", and is tried again (bot/channels/phone/twiml.py).
Real Twilio signatures, as in test_phone_webhook.py."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ElementTree

import pytest
from aiohttp.test_utils import TestClient

from bot.channels import phone
from bot.channels.phone import prompts
from bot.channels.phone.capacity import CallSlots
from bot.channels.phone.tickets import TICKET_SECONDS
from bot.channels.phone.twiml import START_ATTEMPTS, START_PAUSE_SECONDS
from bot.settings import Settings
from tests.phone_line import BASE, with_phone_line
from tests.unit.test_phone_webhook import (
    call_form,
    conversation,
    eventually,
    post_signed,
    signature,
)
from voice.media_stream import TwilioSide

LINES = 2
CALLER = "+32470999888"


@pytest.fixture
def settings(settings: Settings, tmp_path) -> Settings:
    """The phone line on, keypad only, with two lines."""
    return with_phone_line(settings, tmp_path / "voice", max_calls=LINES)


def call_sid(n: int) -> str:
    return f"CA{n:032x}"


def slots(hub: TestClient) -> CallSlots:
    return hub.server.app[phone.line_key].slots


async def ring(hub: TestClient, n: int, caller: str = CALLER) -> ElementTree.Element:
    """Call number `n` comes in: Loket's TwiML answer."""
    response = await post_signed(hub, "/twilio/voice", call_form(call_sid(n), caller))
    assert response.status == 200
    return ElementTree.fromstring(await response.text())


def busy(answer: ElementTree.Element) -> bool:
    """Whether the answer tells the caller that all lines are busy (rather than streaming)."""
    return answer.find("Connect") is None


async def stream(hub: TestClient, n: int, answer: ElementTree.Element):
    """Call `n`'s media stream, opened and started as Twilio does after `answer`."""
    parameters = {p.get("name"): p.get("value") for p in answer.iter("Parameter")}
    socket = await hub.ws_connect(
        "/twilio/media", headers=signature(BASE.replace("https", "wss") + "/twilio/media", {})
    )
    twilio = TwilioSide("MZ" + "0" * 32, call_sid(n), "AC" + "0" * 32)
    await socket.send_str(twilio.connected_event())
    await socket.send_str(twilio.start_event(parameters))
    return socket


async def test_the_caller_over_capacity_hears_all_lines_are_busy_in_three_languages(
    hub: TestClient, caplog: pytest.LogCaptureFixture
):
    for n in range(LINES):
        assert not busy(await ring(hub, n))
    with caplog.at_level(logging.INFO):
        answer = await ring(hub, LINES, caller="+32499123456")

    assert [(verb.tag, verb.get("language")) for verb in answer] == [
        ("Say", "fr-FR"),
        ("Say", "nl-NL"),
        ("Say", "en-GB"),
        ("Hangup", None),
    ]
    said = [verb.text for verb in answer if verb.tag == "Say"]
    assert said == [line.text for line in prompts.lines_busy()]
    assert await conversation(hub, call_sid(LINES)) is None, "nothing stored for a refused call"
    assert slots(hub).refused == 1
    assert "all 2 lines busy" in caplog.text
    assert "499123456" not in caplog.text, "the caller's number is not logged"


async def test_a_call_whose_stream_ends_frees_its_line(hub: TestClient):
    first = await stream(hub, 0, await ring(hub, 0))
    await ring(hub, 1)
    await eventually(lambda: slots(hub).in_use == LINES)
    assert busy(await ring(hub, 2))

    await first.close()  # the first caller hangs up
    await eventually(lambda: slots(hub).in_use == LINES - 1)
    assert not busy(await ring(hub, 3))


async def test_twilio_saying_a_call_ended_frees_its_line(hub: TestClient):
    for n in range(LINES):
        await ring(hub, n)
    form = call_form(call_sid(0), CALLER, CallStatus="no-answer")
    assert (await post_signed(hub, "/twilio/status", form)).status == 204
    assert not busy(await ring(hub, LINES))


async def test_a_call_whose_stream_never_came_frees_its_line_when_its_ticket_expires(
    hub: TestClient,
):
    now = [0.0]
    slots(hub).clock = lambda: now[0]
    for n in range(LINES):
        await ring(hub, n)
    assert busy(await ring(hub, LINES))

    now[0] += TICKET_SECONDS + 1  # neither stream came: their tickets are void
    assert not busy(await ring(hub, LINES + 1))


async def test_a_call_announced_twice_holds_one_line(hub: TestClient):
    await ring(hub, 0)
    await ring(hub, 0)  # Twilio asked again for the same call
    assert not busy(await ring(hub, 1))


def database_away(hub: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """No call can start: opening its conversation fails, as with the database cut off."""

    async def start_call(*_: object) -> None:
        raise ConnectionError("the database is away")

    monkeypatch.setattr(hub.server.app[phone.line_key].service, "start_call", start_call)


async def test_a_call_that_cannot_start_waits_with_the_caller_and_starts_once_it_can(
    hub: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    database_away(hub, monkeypatch)
    with caplog.at_level(logging.WARNING):
        answer = await ring(hub, 0, caller="+32499123456")

    said = [verb.text for verb in answer if verb.tag == "Say"]
    assert said == [line.text for line in prompts.one_moment_all()]  # not an error tone
    assert answer.find("Pause").get("length") == str(START_PAUSE_SECONDS)
    assert answer.find("Redirect").text == "/twilio/voice?attempt=2"  # Twilio asks again
    assert slots(hub).in_use == 0  # no line held by a call that did not start
    assert "could not start (try 1 of" in caplog.text
    assert "499123456" not in caplog.text, "the caller's number is not logged"

    monkeypatch.undo()  # the database is back
    again = await post_signed(hub, "/twilio/voice?attempt=2", call_form(call_sid(0), CALLER))
    assert ElementTree.fromstring(await again.text()).find("./Connect/Stream") is not None
    assert await conversation(hub, call_sid(0)) is not None
    assert slots(hub).in_use == 1


async def test_a_call_that_never_could_start_is_asked_to_call_again_later(
    hub: TestClient, monkeypatch: pytest.MonkeyPatch
):
    database_away(hub, monkeypatch)
    path, tries = "/twilio/voice", 0
    while path:
        tries += 1
        response = await post_signed(hub, path, call_form(call_sid(0), CALLER))
        answer = ElementTree.fromstring(await response.text())
        path = answer.findtext("Redirect")
        if tries > 1 and path:
            assert answer.find("Say") is None  # "one moment" is said once, not each time

    assert tries == START_ATTEMPTS
    said = [verb.text for verb in answer if verb.tag == "Say"]
    assert said == [line.text for line in prompts.not_started()]
    assert answer[-1].tag == "Hangup"
    monkeypatch.undo()
    assert slots(hub).in_use == 0
    assert not busy(await ring(hub, LINES + 1))


async def test_a_forged_try_number_is_refused(hub: TestClient):
    for attempt in ("0", "x", str(START_ATTEMPTS + 1)):
        path = f"/twilio/voice?attempt={attempt}"
        response = await post_signed(hub, path, call_form(call_sid(0), CALLER))
        assert response.status == 422
    assert await conversation(hub, call_sid(0)) is None
    assert slots(hub).in_use == 0  # a refused request holds no line
