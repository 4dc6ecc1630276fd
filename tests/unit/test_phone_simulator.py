"""The phone simulator against a stand-in for Loket: it signs like Twilio, streams the
caller's side in 20 ms frames, and plays Loket's audio as a phone line does (marks come
back once the audio before them has played, `clear` drops what has not)."""

from __future__ import annotations

import argparse
import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from twilio.request_validator import RequestValidator

from bot.channels.phone import prompts, stream_twiml
from bot.channels.phone.speech import speech_models
from bot.channels.phone.twiml import START_ATTEMPTS, START_PAUSE_SECONDS, start_again_twiml
from bot.handoff_texts import say
from bot.settings import Settings
from tests.fakes import FakeBrain
from tests.phone_line import BASE as BASE_OF_HUB
from tests.phone_line import TOKEN as TOKEN_OF_HUB
from tests.phone_line import with_phone_line
from tools.phone_simulator import (
    CallerEvent,
    HangUp,
    Listen,
    LoketSentence,
    PhoneCall,
    Press,
    Say,
    SimulatorError,
    TranscriptLine,
    Wait,
    _ending,
    _save,
    add_arguments,
    call_and_report,
    check_record,
    new_caller,
    parse_script,
    run,
    script_of,
    stream_of,
    timeline,
)
from voice.audio import FRAME_BYTES, PHONE_RATE, ULAW_SILENCE, pcm16_to_ulaw, read_wav
from voice.media_stream import (
    Dtmf,
    Mark,
    Media,
    Start,
    Stop,
    clear_message,
    mark_message,
    media_message,
    parse_twilio_event,
)

BASE = "https://loket.example"
TOKEN = "simulator-test-token"


def tone(seconds: float, rate: int = PHONE_RATE) -> bytes:
    """16-bit PCM of a 440 Hz tone, loud enough to be speech."""
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2").tobytes()


def loud_frames(pcm16: bytes) -> int:
    """How many 20 ms frames of 8 kHz PCM are not silence."""
    samples = np.frombuffer(pcm16, dtype="<i2").reshape(-1, FRAME_BYTES)
    return int((np.abs(samples).max(axis=1) > 100).sum())


Scenario = Callable[["StandIn", web.WebSocketResponse, str], Awaitable[None]]


@dataclass
class StandIn:
    """Loket's side, as small as a test needs: checks signatures, records what comes in,
    and lets `scenario` speak on the stream."""

    scenario: Scenario
    events: list[object] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    arrived: asyncio.Queue[object] = field(default_factory=asyncio.Queue)
    not_ready_for: int = 0  # voice webhooks answered "one moment" before the call starts
    asked: list[str] = field(default_factory=list)  # the voice webhook's path, each time
    statuses: list[str] = field(default_factory=list)  # CallStatus of each status callback

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/twilio/voice", self.voice)
        app.router.add_get("/twilio/media", self.media)
        app.router.add_post("/twilio/status", self.status)
        return app

    def signed(self, request: web.Request, url: str, params: dict[str, str]) -> bool:
        signature = request.headers.get("X-Twilio-Signature", "")
        if RequestValidator(TOKEN).validate(url, params, signature):
            return True
        self.refused.append(request.path)
        return False

    async def voice(self, request: web.Request) -> web.Response:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        if not self.signed(request, BASE + request.path_qs, form):
            raise web.HTTPForbidden()
        self.asked.append(request.path_qs)
        if len(self.asked) <= self.not_ready_for:
            twiml = start_again_twiml("/twilio/voice", len(self.asked))
        else:
            twiml = stream_twiml(
                "wss://loket.example/twilio/media", form["CallSid"], form["From"], "ticket-1"
            )
        return web.Response(text=twiml, content_type="text/xml")

    async def status(self, request: web.Request) -> web.Response:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        if not self.signed(request, BASE + "/twilio/status", form):
            raise web.HTTPForbidden()
        self.statuses.append(form["CallStatus"])
        return web.Response(status=204)

    async def media(self, request: web.Request) -> web.WebSocketResponse:
        if not self.signed(request, "wss://loket.example/twilio/media", {}):
            raise web.HTTPForbidden()
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        speaking = None
        async for message in socket:
            event = parse_twilio_event(message.data)
            self.events.append(event)
            self.arrived.put_nowait(event)
            if isinstance(event, Start):
                speaking = asyncio.create_task(self.scenario(self, socket, event.stream_sid))
        if speaking is not None:
            speaking.cancel()
        return socket

    def caller_frames(self) -> list[Media]:
        return [e for e in self.events if isinstance(e, Media)]

    async def until(self, wanted: Callable[[object], bool]) -> object:
        """The next event that is `wanted`, skipping others."""
        while not wanted(event := await self.arrived.get()):
            pass
        return event


@pytest.fixture
async def stand_in(request: pytest.FixtureRequest) -> AsyncIterator[tuple[StandIn, str]]:
    """A stand-in Loket playing the test's scenario (indirect parameter), and its address."""
    stand_in = StandIn(request.param)
    server = TestServer(stand_in.app(), host="127.0.0.1")
    await server.start_server()
    yield stand_in, str(server.make_url("")).rstrip("/")
    await server.close()


async def tone_then_mark(stand_in: StandIn, socket: web.WebSocketResponse, stream: str) -> None:
    """Half a second of tone in one go, a mark, and the hang-up once it comes back."""
    await socket.send_str(media_message(stream, pcm16_to_ulaw(tone(0.5))))
    await socket.send_str(mark_message(stream, "end-of-tone"))
    await stand_in.until(lambda e: isinstance(e, Mark))
    await socket.close()


async def interrupted(stand_in: StandIn, socket: web.WebSocketResponse, stream: str) -> None:
    """Three seconds of tone, cleared after ten frames of the call, then a short one."""
    await socket.send_str(media_message(stream, pcm16_to_ulaw(tone(3.0))))
    await socket.send_str(mark_message(stream, "long"))
    await stand_in.until(lambda e: isinstance(e, Media) and e.chunk >= 10)
    await socket.send_str(clear_message(stream))
    await stand_in.until(lambda e: isinstance(e, Mark) and e.name == "long")
    await socket.send_str(media_message(stream, pcm16_to_ulaw(tone(0.2))))
    await socket.send_str(mark_message(stream, "short"))
    await stand_in.until(lambda e: isinstance(e, Mark) and e.name == "short")
    await socket.close()


async def silent(stand_in: StandIn, socket: web.WebSocketResponse, stream: str) -> None:
    """Loket says nothing: the caller does the talking."""


def call_to(address: str) -> PhoneCall:
    return PhoneCall(address, BASE, TOKEN, caller="+32470123456")


@pytest.mark.parametrize("stand_in", [tone_then_mark], indirect=True)
async def test_a_mark_comes_back_once_the_audio_before_it_has_played(stand_in, tmp_path: Path):
    loket, address = stand_in
    call = call_to(address)
    recording = tmp_path / "heard.wav"

    lines = await call_and_report(call, parse_script("wait:10"), recording)

    assert loket.refused == []  # signed over the public address, as Twilio does
    [mark] = [e for e in loket.events if isinstance(e, Mark)]
    assert mark.name == "end-of-tone"
    # The phone line plays 20 ms per caller frame: 25 frames of tone had played by then.
    frames_before_mark = len(loket.caller_frames()[: loket.events.index(mark)])
    assert frames_before_mark >= 25
    [audio] = call.loket_audio
    assert audio.duration == pytest.approx(0.5) and not audio.cleared
    assert call.ended_by == "loket"

    heard, rate = read_wav(recording)
    assert rate == PHONE_RATE
    assert loud_frames(heard) == 25  # the tone, and silence for the rest of the call
    assert len(heard) // 2 == len(call.recording) // 2 >= frames_before_mark * FRAME_BYTES
    assert any("loket   audio 0.50 s" in line for line in lines)
    assert lines[-2].endswith("call ended by Loket")
    assert lines[-1] == f"saved what the caller heard to {recording}"
    [sentence] = call.loket_sentences  # the audio up to Loket's mark
    assert sentence.duration == pytest.approx(0.5) and not sentence.cleared


@pytest.mark.parametrize("stand_in", [interrupted], indirect=True)
async def test_clear_drops_unplayed_audio_and_returns_its_marks_at_once(stand_in):
    loket, address = stand_in
    async with call_to(address) as call:
        await call.wait(10)

    marks = [e for e in loket.events if isinstance(e, Mark)]
    assert [m.name for m in marks] == ["long", "short"]
    frames_before_long = len(loket.caller_frames()[: loket.events.index(marks[0])])
    assert frames_before_long < 150  # not after the three seconds of tone
    first, second = call.loket_audio
    assert first.cleared and first.duration < 3.0
    assert second.duration == pytest.approx(0.2) and not second.cleared
    assert loud_frames(call.recording) == round(first.duration / 0.02) + 10
    assert len(call.clears) == 1
    long, short = call.loket_sentences
    assert long.cleared and long.duration == pytest.approx(first.duration)
    assert short.duration == pytest.approx(0.2) and not short.cleared


@pytest.mark.parametrize("stand_in", [silent], indirect=True)
async def test_the_caller_speaks_in_real_time_frames_and_presses_keys(stand_in):
    loket, address = stand_in
    async with call_to(address) as call:
        await call.say(tone(0.4, rate=16000), rate=16000)  # any rate goes out at 8 kHz
        await call.press("1#")

    frames = loket.caller_frames()
    assert [f.chunk for f in frames] == list(range(1, len(frames) + 1))
    assert [f.timestamp_ms for f in frames] == [20 * i for i in range(len(frames))]
    assert all(len(f.audio) == FRAME_BYTES for f in frames)
    spoken = [f for f in frames if f.audio != bytes([ULAW_SILENCE]) * FRAME_BYTES]
    assert 19 <= len(spoken) <= 21  # 0.4 s, give or take the resampler's edges
    assert [e.digit for e in loket.events if isinstance(e, Dtmf)] == ["1", "#"]
    assert isinstance(loket.events[-1], Stop)
    assert loket.statuses == ["completed"]  # then Twilio's status callback, signed
    assert [e.what for e in call.caller_events] == [
        "speech starts",
        "speech ends",
        "key 1",
        "key #",
        "hangs up",
    ]
    # The recording covers the whole call, a frame heard for each frame sent.
    assert abs(len(call.recording) // 2 // FRAME_BYTES - len(frames)) <= 1
    assert call.ended_by == "caller"


@pytest.mark.parametrize("stand_in", [silent], indirect=True)
async def test_a_refused_call_is_a_clear_error(stand_in):
    loket, address = stand_in
    with pytest.raises(SimulatorError, match=r"refused the call \(403\)"):
        await PhoneCall(address, BASE, "another-token").dial()
    assert loket.refused == ["/twilio/voice"]


@pytest.mark.parametrize("stand_in", [silent], indirect=True)
async def test_a_call_told_to_wait_is_asked_again_where_and_when_the_twiml_says(
    stand_in, monkeypatch: pytest.MonkeyPatch
):
    loket, address = stand_in
    loket.not_ready_for = 1
    call = call_to(address)
    pauses = paused(call, monkeypatch)
    await call.dial()
    await call.hang_up()

    assert loket.refused == []  # the second try signed over its own address, as Twilio does
    assert loket.asked == ["/twilio/voice", "/twilio/voice?attempt=2"]
    assert pauses == [START_PAUSE_SECONDS]  # after the <Pause>, not at once
    assert any(isinstance(e, Start) for e in loket.events)


@pytest.mark.parametrize("stand_in", [silent], indirect=True)
async def test_a_call_that_never_starts_says_what_the_caller_heard(
    stand_in, monkeypatch: pytest.MonkeyPatch
):
    loket, address = stand_in
    loket.not_ready_for = START_ATTEMPTS
    call = call_to(address)
    pauses = paused(call, monkeypatch)
    with pytest.raises(SimulatorError, match="said: 'Désolé, nous avons un problème"):
        await call.dial()
    assert len(loket.asked) == START_ATTEMPTS
    assert len(pauses) == START_ATTEMPTS - 1


def paused(call: PhoneCall, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The <Pause>s the caller waits on `call`, written down instead of waited."""
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(call, "_pause", pause)
    return pauses


def test_the_script_language():
    assert parse_script("wait:2.5 listen listen:3 key:1 key:*0# hangup") == [
        Wait(2.5),
        Listen(),
        Listen(3.0),
        Press("1"),
        Press("*0#"),
        HangUp(),
    ]
    for wrong, problem in [
        ("wait:soon", "not a number"),
        ("key:5a", r"'5a' is not a phone key; the keys are 0-9, \* and #"),
        ("wav:/no/such.wav", "no such file"),
        ("dance", "not a step"),
    ]:
        with pytest.raises(ValueError, match=problem):
            parse_script(wrong)


def test_wav_steps_and_shortcuts(tmp_path: Path):
    wav = tmp_path / "my question.wav"
    wav.write_bytes(b"")
    script = script_of("1,*,0", [wav])
    assert parse_script(script) == [
        Listen(),
        Press("1"),
        Listen(),
        Press("*"),
        Listen(),
        Press("0"),
        Listen(),
        Say(wav),
        Listen(),
    ]


def test_the_stream_of_loket_twiml():
    twiml = stream_twiml("wss://loket.example/twilio/media", "CA" + "1" * 32, None, "ticket-1")
    assert stream_of(twiml) == (
        "wss://loket.example/twilio/media",
        {"call_sid": "CA" + "1" * 32, "ticket": "ticket-1"},
    )


# --- the timeline: whose words each of Loket's sentences were ---

GREETING = "Hello, I am Loket. Tell me what you need."  # two sentences, as the speaker splits


def scripted_call(
    sentences: list[tuple[float, float]],
    caller: list[tuple[float, str]],
    ended_by: str = "caller",
    clears: tuple[float, ...] = (),
) -> PhoneCall:
    """A call as the simulator saw it: Loket's sentences (start, seconds) and the caller."""
    call = call_to("http://127.0.0.1:9")
    call.loket_sentences = [LoketSentence(at, seconds) for at, seconds in sentences]
    call.caller_events = [CallerEvent(at, what) for at, what in caller]
    call.clears = list(clears)
    call.ended_by, call.ended_at = ended_by, 40.0
    return call


def test_a_new_caller_hears_the_menu_chooses_and_is_put_through():
    transfer = say("transfer", "en", spoken=True)
    menu, greeting = [(0.1, 2.5), (2.6, 2.5), (5.1, 2.5)], [(9.2, 1.5), (10.7, 2.0)]
    still_there, put_through = [(20.0, 4.0)], [(27.1, 2.0), (29.1, 2.0)]
    call = scripted_call(
        [*menu, *greeting, *still_there, *put_through],
        [(8.0, "key 3"), (27.0, "key 0")],
        ended_by="loket",
    )
    transcript = [
        TranscriptLine(8.05, "person", "/greet", "en"),
        TranscriptLine(9.1, "bot", GREETING, "en"),
        TranscriptLine(27.02, "person", "/request_human", "en"),
        TranscriptLine(27.05, "bot", transfer, "en"),
    ]

    lines = [line.split("s  ", 1)[1] for line in timeline(call, transcript)]

    assert lines == [
        "line    the language menu, in French, Dutch and English  [7.5 s]",
        "caller  key 3",
        "loket   language chosen: English",
        f"loket   says: {GREETING}  [3.5 s]",
        'line    "Are you still there? Press star to hear it again, or hash for the menu." '
        "(are you still there?)  [4.0 s]",
        "caller  key 0",
        "loket   got: key 0: a person",
        f"loket   says: {transfer}  [4.0 s]",
        "loket   puts the call through to the helpdesk",
    ]
    assert not any("/greet" in line or "/request_human" in line for line in lines)
    assert _ending(call, transcript).startswith("call put through to the helpdesk")


def test_a_remembered_language_skips_the_menu_and_says_so():
    remembered = prompts.language_remembered("fr").text
    greeting, notice = [(0.36, 1.5), (1.86, 1.5)], [(3.4, 2.0), (5.4, 2.0)]
    call = scripted_call([*greeting, *notice, (20.0, 3.0)], [])
    transcript = [
        TranscriptLine(0.05, "person", "/greet", "fr"),
        TranscriptLine(0.3, "bot", GREETING, "fr"),
        TranscriptLine(19.95, "person", "/show_menu", "fr"),
        TranscriptLine(19.98, "bot", "Menu: press 1 for housing.", "fr"),
    ]

    lines = [line.split("s  ", 1)[1] for line in timeline(call, transcript, frozenset({"fr"}))]

    assert lines == [
        "loket   language remembered: French (menu skipped)",
        f"loket   says: {GREETING}  [3.0 s]",
        f'line    "{remembered}" (language remembered: how to change it)  [4.0 s]',
        "loket   got: (the menu: the phone line asks for it after a silence)",
        "loket   says: Menu: press 1 for housing.  [3.0 s]",
    ]


def test_the_timeline_names_a_page_of_topics_key_9_and_speech_without_a_model():
    topics = ("/proc_a", "/proc_b", "/proc_c", "/proc_d", '/show_menu{"page":2}', "/request_human")
    call = scripted_call(
        [(0.1, 3.0), (4.2, 2.0), (8.3, 2.0), (20.3, 1.5), (21.8, 1.5), (25.5, 4.0)],
        [(4.0, "key 5"), (8.0, "key 9"), (19.9, "key 3"), (24.0, "speech starts")],
    )
    transcript = [
        TranscriptLine(0.05, "bot", "Choose a topic: ...", "en", topics),
        TranscriptLine(4.02, "person", "5", "en"),
        TranscriptLine(4.1, "bot", "More topics: ...", "en"),
        TranscriptLine(20.0, "person", "/greet", "en"),
        TranscriptLine(20.2, "bot", GREETING, "en"),
    ]

    lines = [line.split("s  ", 1)[1] for line in timeline(call, transcript, frozenset({"en"}))]

    assert "loket   got: key 5: the topics, page 2" in lines
    assert (
        "line    the language menu, in French, Dutch and English (key 9: another language)  "
        "[2.0 s]" in lines
    )
    keypad_only = prompts.keypad_only("en").text
    assert f'line    "{keypad_only}" (spoke in a language Loket cannot hear yet)  [4.0 s]' in lines


def test_what_a_clear_cut_off_is_not_taken_for_what_came_next():
    call = scripted_call([(1.0, 0.5), (4.2, 1.0)], [(1.4, "key 1")], clears=(1.5,))
    transcript = [
        TranscriptLine(0.5, "person", "/greet", "en"),
        TranscriptLine(0.9, "bot", GREETING, "en"),  # its second sentence never played
        TranscriptLine(1.45, "person", "1", "en"),
        TranscriptLine(4.1, "bot", "Housing.", "en"),
    ]
    call.loket_sentences[0].cleared = True

    lines = [line.split("s  ", 1)[1] for line in timeline(call, transcript)]

    assert f"loket   says: {GREETING}  [0.5 s, cut short]" in lines
    assert "loket   got: 1" in lines
    assert "loket   says: Housing.  [1.0 s]" in lines
    assert not any(line.startswith("line") for line in lines)


# --- `loket call`: its options ---


def call_options(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.fixture
def phone_settings(tmp_path: Path) -> Settings:
    return Settings(public_base_url=BASE, twilio_auth_token=TOKEN, _env_file=None)


def test_bad_keys_are_refused_before_the_call_naming_the_keys(phone_settings, capsys):
    status = run(call_options("--url", "http://127.0.0.1:9", "--keys", "1,a"), phone_settings)

    assert status == 2
    out = capsys.readouterr().out
    assert "'a' is not a phone key. The keys are 0-9, * and #" in out
    assert "The call failed" not in out  # no call was made


def test_a_record_path_in_a_missing_folder_is_refused_before_the_call(
    phone_settings, tmp_path: Path, capsys
):
    missing = tmp_path / "no-such-folder" / "call.wav"
    status = run(
        call_options("--url", "http://127.0.0.1:9", "--record", str(missing)), phone_settings
    )

    assert status == 2
    assert f"the folder {missing.parent} does not exist" in capsys.readouterr().out
    assert check_record(tmp_path) is not None  # a folder, not a file
    assert check_record(tmp_path / "call.wav") is None


def test_a_recording_that_cannot_be_saved_keeps_the_timeline(tmp_path: Path):
    line = _save(tmp_path / "gone" / "call.wav", b"\0\0" * 160)
    assert line.startswith("could not save what the caller heard: --record: the folder")


def test_each_run_calls_from_a_new_number_unless_one_is_given():
    assert call_options().caller is None
    numbers = {new_caller() for _ in range(5)}
    assert len(numbers) > 1  # a language remembered from an earlier run surprises no tester
    assert all(re.fullmatch(r"\+32470\d{6}", number) for number in numbers)
    assert call_options("--caller", "+32470123456").caller == "+32470123456"


def test_the_help_explains_the_script_language(capsys):
    from bot.cli import main

    with pytest.raises(SystemExit):
        main(["call", "--help"])

    out = capsys.readouterr().out
    for words in ["listen[:QUIET]", "key:KEYS", "wav:FILE", "hangup", "Examples:", "--keys 3,1,0"]:
        assert words in out
    assert "phone_simulator.py" not in out


# --- the timeline of real calls: the hub, its phone line and a stand-in brain ---


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """The hub's settings (conftest) with the phone line on, keypad only, quick reprompts."""
    return with_phone_line(settings, tmp_path / "voice", silence_reprompt_seconds=1.5)


async def test_the_timeline_of_real_calls_names_the_phone_lines_own_words(
    hub, brain: FakeBrain, settings: Settings
):
    address = str(hub.make_url("")).rstrip("/")
    first = PhoneCall(address, BASE_OF_HUB, TOKEN_OF_HUB, caller="+32470999999")
    keypad_only = frozenset(speech_models(settings).missing())
    assert keypad_only == {"fr", "nl", "en"}
    script = parse_script("listen key:3 listen:1.2 wait:3 hangup")
    lines = await call_and_report(first, script, None, settings.database, keypad_only)
    said = [line.split("s  ", 1)[1] for line in lines]
    assert said[0].startswith("line    the language menu, in French, Dutch and English")
    assert "loket   language chosen: English" in said
    assert any(line.startswith("loket   says: ") for line in said)
    assert any(line.startswith('line    "Are you still there?') for line in said)
    assert not any(line.startswith("loket   got: /") for line in said)

    again = PhoneCall(address, BASE_OF_HUB, TOKEN_OF_HUB, caller="+32470999999")
    script = parse_script("listen hangup")
    lines = await call_and_report(again, script, None, settings.database, keypad_only)
    said = [line.split("s  ", 1)[1] for line in lines]
    assert said[0] == "loket   language remembered: English (menu skipped)"
    notice = prompts.language_remembered("en").text
    assert any(f'"{notice}" (language remembered: how to change it)' in line for line in said)
    assert not any("language menu" in line for line in said)
