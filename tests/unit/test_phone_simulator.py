"""The phone simulator against a stand-in for Loket: it signs like Twilio, streams the
caller's side in 20 ms frames, and plays Loket's audio as a phone line does (marks come
back once the audio before them has played, `clear` drops what has not)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from twilio.request_validator import RequestValidator

from bot.channels.phone import stream_twiml
from tools.phone_simulator import (
    HangUp,
    Listen,
    PhoneCall,
    Press,
    Say,
    SimulatorError,
    Wait,
    call_and_report,
    parse_script,
    script_of,
    stream_of,
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

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/twilio/voice", self.voice)
        app.router.add_get("/twilio/media", self.media)
        return app

    def signed(self, request: web.Request, url: str, params: dict[str, str]) -> bool:
        signature = request.headers.get("X-Twilio-Signature", "")
        if RequestValidator(TOKEN).validate(url, params, signature):
            return True
        self.refused.append(request.path)
        return False

    async def voice(self, request: web.Request) -> web.Response:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        if not self.signed(request, BASE + "/twilio/voice", form):
            raise web.HTTPForbidden()
        twiml = stream_twiml("wss://loket.example/twilio/media", form["CallSid"], form["From"])
        return web.Response(text=twiml, content_type="text/xml")

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
    assert lines[-1].endswith("call ended by Loket")


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
        ("key:5a", "not a step"),
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
    twiml = stream_twiml("wss://loket.example/twilio/media", "CA" + "1" * 32, None)
    assert stream_of(twiml) == ("wss://loket.example/twilio/media", {"call_sid": "CA" + "1" * 32})
