"""Whole phone calls by keypad with the real brain: the trained model, the Rasa server and
the action server (tests/integration/conftest.py) behind a hub with its phone line on.

The phone simulator plays Twilio's side: it signs the webhook, streams the call and
plays Loket's audio in real time. No Vosk model is installed (an empty voice folder), so
the calls use the keypad only, as on a line whose models are not downloaded yet: every
text says "press", none invites speech. The caller knows the menu: they press each key
as soon as Loket has started its answer, from the language menu, the greeting's "press 1
for the list of topics" and a page of topics through a procedure's steps to "Did this
help?", then say nothing, so Loket ends the call politely (a reprompt, the menu, then
goodbye).

The three calls (French, Dutch, English) run at once, once for the module: Loket's
audio plays in real time, and the goodbye takes three silences. Nothing is timed.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator
from functools import partial

import pytest
from aiohttp.test_utils import TestClient, TestServer

from actions import render, spoken
from actions.catalogue import default_content_dir, load_catalogue
from bot.app import create_app
from bot.channels.phone import line_key, prompts
from bot.channels.phone.call import LANGUAGE_KEYS, MENU
from bot.channels.webchat import service_key
from bot.conversations.service import ConversationService
from bot.launcher import Child
from bot.settings import LANGUAGES, Language, Settings
from tests.phone_line import with_phone_line
from tests.unit.test_call_session import sentences
from tests.unit.test_phone_call import phone
from tests.waiting import eventually
from tools.phone_simulator import PhoneCall
from voice.audio import ulaw_to_pcm16
from voice.line import Line
from voice.synthesis import Speaker

pytestmark = pytest.mark.integration

CATALOGUE = load_catalogue(default_content_dir())
PROCEDURE = CATALOGUE.procedures["change-address"]  # five steps: among the shortest
CATEGORY = next(category for category in CATALOGUE.menu if PROCEDURE.id in category.procedures)
NEXT = YES = TOPICS = "1"  # the first button of a step ("Next"), of "Did this help?" ("Yes")
# and of the greeting (the list of topics)
LANGUAGE_KEY = {language: key for key, language in LANGUAGE_KEYS.items()}
CALLERS: dict[Language, str] = {"fr": "+32470000101", "nl": "+32470000102", "en": "+32470000103"}
SILENCE_SECONDS = 1.0  # the silence before each reprompt: short, the test waits three
REPLY_SECONDS = 60.0  # safety nets only: a cold Rasa answers its first messages slowly
GOODBYE_SECONDS = 180.0


def keys(language: Language) -> list[str]:
    """What the caller presses: the language, the topics, the category, the procedure,
    Next to its last step, then Yes to "Did this help?" (menu numbers follow
    content/menu.yml; both are on the first page of four)."""
    topic = CATALOGUE.menu.index(CATEGORY) + 1
    procedure = CATEGORY.procedures.index(PROCEDURE.id) + 1
    assert max(topic, procedure) <= render.PAGE_SIZE, "on the first page of the phone's menus"
    steps = [NEXT] * (len(PROCEDURE.steps) - 1)
    return [LANGUAGE_KEY[language], TOPICS, str(topic), str(procedure), *steps, YES]


def spoken_replies(language: Language) -> list[str]:
    """What the brain answers on the phone, in the catalogue's spoken forms for a caller
    who can only use the keys, in order, each turn said as the action server says it
    (actions/spoken.py: numbers twice, acronyms as words)."""
    menu = render.menu(CATALOGUE, language, spoken=True, keys_only=True)
    first, *others = [
        render.step(CATALOGUE, PROCEDURE, i, language, spoken=True, keys_only=True)
        for i in range(len(PROCEDURE.steps))
    ]
    turns = [
        [render.welcome(CATALOGUE, language, spoken=True, greeting=True, keys_only=True)],
        [menu],
        [render.category_menu(CATALOGUE, CATEGORY, language, spoken=True)],
        [render.procedure_intro(CATALOGUE, PROCEDURE, language, spoken=True), first],
        *([step] for step in others),
        [render.feedback_answer(CATALOGUE, language, spoken=True, helped=True)],
        [menu],  # the second silence
    ]
    return [said for turn in turns for said in spoken_turn(language, turn)]


def spoken_turn(language: Language, replies: list[render.Reply]) -> list[str]:
    """The texts of one turn's replies as the action server speaks them."""
    speech = spoken.Speech.of(CATALOGUE.messages, spoken.default_terms(), language)
    return [speech.say(reply.text) for reply in replies]


# ---------------------------------------------------------------- the calls


@pytest.fixture(scope="module")
def phone_settings(brain_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The brain's settings with the phone line on, no speech model, short silences."""
    return with_phone_line(
        brain_settings,
        tmp_path_factory.mktemp("no-voice-models"),
        data_dir=tmp_path_factory.mktemp("phone-hub"),
        silence_reprompt_seconds=SILENCE_SECONDS,
    )


@pytest.fixture(scope="module")
async def phone_hub(phone_settings: Settings, real_brain: list[Child]) -> AsyncIterator[TestClient]:
    """A hub with the phone line on, in front of the session's real brain."""
    async with TestClient(TestServer(create_app(phone_settings))) as client:
        yield client


@pytest.fixture(scope="module")
async def calls(phone_hub: TestClient) -> dict[Language, PhoneCall]:
    """One finished keypad call per language, made at the same time."""
    made = await asyncio.gather(*(keypad_call(phone_hub, language) for language in LANGUAGES))
    return dict(zip(LANGUAGES, made, strict=True))


async def keypad_call(hub: TestClient, language: Language) -> PhoneCall:
    """Call, press each key of `keys` once Loket has answered the one before, then stay silent."""
    service = hub.app[service_key]
    async with phone(hub, caller=CALLERS[language]) as call:
        assert await call.wait_for_speech(), f"{language}: no language menu"
        for key in keys(language):
            replies = await bot_replies(service, call)
            await call.press(key)
            await eventually(partial(more_replies, service, call, replies), REPLY_SECONDS)
            assert await call.wait_for_speech(REPLY_SECONDS), f"{language}: silence after {key}"
        await call.wait(GOODBYE_SECONDS)  # returns when Loket hangs up
    return call


async def bot_replies(service: ConversationService, call: PhoneCall) -> int:
    """How many replies Loket has stored in the call's conversation."""
    messages = await service.messages(call.conversation_id)
    return sum(message.author == "bot" for message in messages)


async def more_replies(service: ConversationService, call: PhoneCall, than: int) -> bool:
    return await bot_replies(service, call) > than


def unanswered_keys(call: PhoneCall) -> list[str]:
    """The keys after which no audio of Loket arrived before the next key."""
    pressed = [event for event in call.caller_events if event.what.startswith("key ")]
    until_next = [event.at for event in pressed[1:]] + [math.inf]
    return [
        key.what
        for key, end in zip(pressed, until_next, strict=True)
        if not any(key.at < audio.at < end for audio in call.loket_audio)
    ]


async def heard_last(call: PhoneCall, speaker: Speaker, line: Line) -> bool:
    """Whether `line`, every sentence of it whole, is the last thing the caller heard."""
    recording = call.recording
    end = 0
    for audio in await sentences(speaker, line):
        pcm = ulaw_to_pcm16(audio)
        start = recording.find(pcm, end)
        if start < 0:
            return False
        end = start + len(pcm)
    return end > 0 and not any(recording[end:])  # nothing but silence after it


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_keypad_call_walks_a_procedure_in_the_callers_language(
    calls: dict[Language, PhoneCall], phone_settings: Settings, language: Language
) -> None:
    transcript = await calls[language].transcript(phone_settings.database)

    said = [line.text for line in transcript if line.author == "bot"]
    assert said == spoken_replies(language)  # greeting, menus, every step, "Good!", menu
    pressed = [line.text for line in transcript if line.author == "person"]
    assert pressed == ["/greet", *keys(language)[1:], MENU]  # keys stored as pressed


@pytest.mark.parametrize("language", LANGUAGES)
async def test_a_keypad_call_answers_every_key_and_ends_with_goodbye(
    calls: dict[Language, PhoneCall], phone_hub: TestClient, language: Language
) -> None:
    call = calls[language]
    speaker = phone_hub.app[line_key].speaker

    assert [event.what for event in call.caller_events] == [f"key {k}" for k in keys(language)]
    assert unanswered_keys(call) == []
    assert call.protocol_errors == []
    assert call.ended_by == "loket"  # after three silences, not the test's safety net
    assert await heard_last(call, speaker, prompts.silent_goodbye(language))
