"""Whole calls through the hub, played by the phone simulator: the real webhooks, the
real call session and real speech synthesis, with a stand-in brain. Keypad only: no
Vosk model is configured, as on a line whose models are not downloaded yet."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from actions import render
from actions.catalogue import default_content_dir, load_catalogue
from bot.settings import Settings
from tests.fakes import FAREWELL_SIGNAL, FakeBrain, echo
from tests.phone_line import BASE, TOKEN, with_phone_line
from tests.waiting import eventually
from tools.phone_simulator import PhoneCall

CALLER = "+32470123456"
CATALOGUE = load_catalogue(default_content_dir())  # once: loading it takes a while


@pytest.fixture
def settings(settings: Settings, tmp_path) -> Settings:
    return with_phone_line(settings, tmp_path / "voice")


def phone(hub: TestClient, caller: str = CALLER) -> PhoneCall:
    return PhoneCall(str(hub.make_url("")).rstrip("/"), BASE, TOKEN, caller=caller)


def goodbye_on_next_step(text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """Echo, except that the first menu option says the catalogue's spoken goodbye."""
    if text != "/step_next":
        return echo(text, metadata)
    return [
        {"text": render.goodbye(CATALOGUE, metadata["language"], True, False).text},
        FAREWELL_SIGNAL,
    ]


async def test_a_keypad_call_from_the_language_menu_to_goodbye(hub, brain: FakeBrain, settings):
    brain.reply = goodbye_on_next_step
    async with phone(hub) as call:
        assert await call.wait_for_speech()  # the language menu
        await call.press("2")  # Nederlands, without waiting for the end of the menu
        assert await call.wait_for_silence(quiet=0.6)
        await call.press("1")  # the first option of the greeting: goodbye here
        await call.wait(30)

    assert call.ended_by == "loket"  # Loket hung up once the goodbye was heard
    assert brain.texts == ["/greet", "/step_next"]
    assert [body["metadata"]["language"] for body in brain.received] == ["nl", "nl"]
    assert all(body["metadata"]["spoken"] for body in brain.received)
    assert call.clears  # the key stopped the language menu at once
    assert not call.loket_audio[-1].cleared  # the goodbye was heard to the end
    assert call.protocol_errors == []
    transcript = await call.transcript(settings.database)
    assert [line.author for line in transcript] == ["person", "bot", "person", "bot"]
    assert transcript[2].text == "1"  # stored as pressed; the brain got the option


async def test_a_caller_who_calls_again_skips_the_language_menu(hub, brain: FakeBrain):
    async with phone(hub) as first:
        assert await first.wait_for_speech()
        await first.press("3")  # English
        await eventually(lambda: brain.texts == ["/greet"])

    async with phone(hub) as second:
        await eventually(lambda: len(brain.texts) == 2)
    assert brain.received[1]["message"] == "/greet"
    assert brain.received[1]["metadata"]["language"] == "en"
    assert second.caller_events[:-1] == []  # no key needed this time

    async with phone(hub, caller="+32499999999") as stranger:
        assert await stranger.wait_for_speech()
    assert len(brain.texts) == 2  # another caller hears the language menu first


async def test_the_web_chat_api_never_shows_or_joins_a_phone_call(hub, brain: FakeBrain):
    async with phone(hub) as call:
        assert await call.wait_for_speech()  # the call's conversation exists now
        url = f"/api/conversations/{call.conversation_id}"
        assert (await hub.get(url)).status == 404
        posted = await hub.post(f"{url}/messages", json={"text": "hello"})
        assert posted.status == 409
        assert (await posted.json())["error"]["code"] == "conversation_id_taken"
