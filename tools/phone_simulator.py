"""A phone simulator: plays Twilio's side of a call against a running Loket (`loket call`).

It does what Twilio does: posts the signed voice webhook, reads the <Stream> of the
TwiML answer, opens the signed media WebSocket, and sends `connected`, `start`, then a
media frame every 20 ms for the whole call (the caller's speech, silence in between),
`dtmf` for keys and `stop` at hang-up. It plays Loket's audio as a phone line does:
a buffer played in real time, each `mark` sent back once the audio before it has
played, `clear` dropping what has not played (and sending its marks back at once).

What the caller heard is kept as 8 kHz audio, with silence where nothing played. Tests
and benchmarks drive `PhoneCall` directly; `loket call` runs a `--script`:

    wait:SECONDS     stay on the line SECONDS (Loket may talk meanwhile)
    listen[:QUIET]   wait until Loket has said something since the caller's last key or
                     speech, then been quiet QUIET seconds (default 1.5; gives up after 30 s)
    key:KEYS         press keys 0-9, * or #, 0.3 s apart (key:1, key:#, key:12)
    wav:FILE         say a WAV file (16-bit, any rate, mono or stereo) in real time
    hangup           hang up (the call also ends after the last step)

for example `--script "listen key:1 listen wav:question.wav listen:3 key:# hangup"`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import secrets
import shlex
import xml.etree.ElementTree as ElementTree
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Protocol
from urllib.parse import urlsplit

import aiohttp
from sqlalchemy.exc import SQLAlchemyError
from twilio.request_validator import RequestValidator

from bot.conversations.inbound import call_conversation_id
from bot.conversations.store import ConversationStore, create_engine
from bot.settings import Settings
from voice.audio import (
    FRAME_BYTES,
    FRAME_MS,
    PHONE_RATE,
    ULAW_SILENCE,
    level_dbfs,
    pcm16_to_ulaw,
    read_wav,
    resample,
    split_frames,
    ulaw_to_pcm16,
    write_wav,
)
from voice.media_stream import (
    OutClear,
    OutMark,
    OutMedia,
    ProtocolError,
    TwilioSide,
    parse_loket_message,
)

FRAME_SECONDS = FRAME_MS / 1000
KEY_GAP_SECONDS = 0.3
LISTEN_QUIET_SECONDS = 1.5
LISTEN_TIMEOUT_SECONDS = 30.0
SPEECH_LEVEL_DBFS = -45.0  # a frame louder than this is speech, not the line's silence
SILENT_FRAME = bytes([ULAW_SILENCE]) * FRAME_BYTES
KEYS = frozenset("0123456789*#")


class SimulatorError(RuntimeError):
    """The call could not be made: Loket refused it or answered something unexpected."""


@dataclass(frozen=True)
class CallerEvent:
    """Something the caller did, `at` seconds after the call was answered."""

    at: float
    what: str  # "key 1", "speech starts", "speech ends", "hangs up"


@dataclass
class LoketAudio:
    """A stretch of Loket's audio, from its first frame until the line went quiet."""

    at: float  # when its first frame arrived, seconds after the call was answered
    duration: float = 0.0  # seconds the caller heard
    cleared: bool = False  # cut short by `clear` (the caller barged in)


@dataclass(frozen=True)
class TranscriptLine:
    """A message of the call's conversation, as Loket stored it."""

    at: float  # seconds after the call was answered
    author: str  # "person" (what Loket understood) or "bot" (what it said)
    text: str


@dataclass
class _Utterance:
    """Caller speech waiting to go out, frame by frame."""

    frames: deque[bytes]
    first_loud: int  # index of the first frame with speech in it (-1: none)
    last_loud: int
    sent: int = 0


class _Playback:
    """Twilio's outbound buffer: audio played 20 ms at a time, marks returned when reached."""

    def __init__(self) -> None:
        self._items: deque[bytearray | str] = deque()  # audio, or the name of a mark

    def add_audio(self, ulaw: bytes) -> None:
        """Queue audio after what is queued."""
        if self._items and isinstance(self._items[-1], bytearray):
            self._items[-1].extend(ulaw)
        else:
            self._items.append(bytearray(ulaw))

    def add_mark(self, name: str) -> None:
        """Queue a mark: it is returned once the audio before it has played."""
        self._items.append(name)

    def clear(self) -> list[str]:
        """Drop all queued audio; return the marks that were waiting."""
        marks = [item for item in self._items if isinstance(item, str)]
        self._items.clear()
        return marks

    def tick(self) -> tuple[bytes | None, list[str]]:
        """The next 20 ms to play (None: nothing to play), and the marks reached before it."""
        reached = []
        while self._items and isinstance(self._items[0], str):
            reached.append(self._items.popleft())
        if not self._items:
            return None, reached
        chunk = self._items[0]
        assert isinstance(chunk, bytearray)
        frame = bytes(chunk[:FRAME_BYTES])
        del chunk[:FRAME_BYTES]
        if not chunk:
            self._items.popleft()
        return frame.ljust(FRAME_BYTES, bytes([ULAW_SILENCE])), reached


class PhoneCall:
    """One simulated call to a running Loket, with what was said and heard, and when.

    `hub_url` is where Loket listens (http://127.0.0.1:8080); `public_base_url` and
    `auth_token` are the ones Loket checks signatures with, as Twilio would sign.
    """

    def __init__(
        self,
        hub_url: str,
        public_base_url: str,
        auth_token: str,
        caller: str = "+32470000000",
    ) -> None:
        self.hub_url = hub_url.rstrip("/")
        self.public_base_url = public_base_url.rstrip("/")
        self.caller = caller
        self.call_sid = "CA" + secrets.token_hex(16)
        self.conversation_id = call_conversation_id(self.call_sid)
        self.caller_events: list[CallerEvent] = []
        self.loket_audio: list[LoketAudio] = []
        self.marks: list[tuple[float, str]] = []  # marks sent back to Loket, and when
        self.clears: list[float] = []  # when Loket's `clear` messages arrived
        self.protocol_errors: list[str] = []  # messages from Loket that broke the protocol
        self.ended_by: str | None = None  # "caller" or "loket"
        self.ended_at: float | None = None  # seconds after the call was answered
        self._validator = RequestValidator(auth_token)
        self._twilio = TwilioSide("MZ" + secrets.token_hex(16), self.call_sid, "AC" + "0" * 32)
        self._http: aiohttp.ClientSession | None = None
        self._socket: aiohttp.ClientWebSocketResponse | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._ended = asyncio.Event()
        self._mouth: deque[_Utterance] = deque()
        self._playback = _Playback()
        self._heard = bytearray()  # every frame of the call as the caller heard it
        self._chunks = 0  # media frames sent so far
        self._speaking: LoketAudio | None = None
        self._last_action = 0.0
        self._last_audio = 0.0
        self._answered = 0.0
        self.answered_at = datetime.now(UTC)

    @classmethod
    def from_settings(cls, settings: Settings, hub_url: str | None = None) -> PhoneCall:
        """A call signed with the settings' token and public address, to `hub_url`."""
        return cls(
            hub_url or local_hub_url(settings),
            settings.public_base_url,
            settings.twilio_auth_token.get_secret_value(),
        )

    async def __aenter__(self) -> PhoneCall:
        await self.dial()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.hang_up()

    @property
    def ended(self) -> bool:
        """Whether the call is over (either side hung up)."""
        return self._ended.is_set()

    @property
    def recording(self) -> bytes:
        """What the caller heard: 16-bit PCM at 8 kHz, silence where nothing played."""
        return ulaw_to_pcm16(bytes(self._heard))

    def now(self) -> float:
        """Seconds since the call was answered."""
        return asyncio.get_running_loop().time() - self._answered

    async def dial(self) -> None:
        """Call Loket: the voice webhook, then the media stream.

        Raises SimulatorError when Loket refuses, aiohttp.ClientError when it is not there.
        """
        self._http = aiohttp.ClientSession()
        try:
            stream_url, parameters = await self._answer(self._http)
            self._socket = await self._open_stream(self._http, stream_url)
        except BaseException:
            await self._http.close()
            raise
        self._answered = asyncio.get_running_loop().time()
        self.answered_at = datetime.now(UTC)
        await self._send(self._twilio.connected_event())
        await self._send(self._twilio.start_event(parameters))
        self._tasks = [
            asyncio.create_task(self._run_clock()),
            asyncio.create_task(self._receive()),
        ]

    async def press(self, keys: str) -> None:
        """Press keys one after another, as the caller would."""
        if not set(keys) <= KEYS:
            raise ValueError(f"{keys!r}: phone keys are 0-9, * and #")
        for index, key in enumerate(keys):
            if self.ended:
                return
            if index:
                await self.wait(KEY_GAP_SECONDS)
            self._act(f"key {key}")
            await self._send(self._twilio.dtmf_event(key))

    async def say(self, audio: Path | str | bytes, rate: int = PHONE_RATE) -> None:
        """Speak a WAV file, or 16-bit mono PCM at `rate`, in real time; returns once said."""
        if isinstance(audio, bytes):
            pcm = audio
        else:
            pcm, rate = read_wav(audio)
        frames = split_frames(pcm16_to_ulaw(resample(pcm, rate, PHONE_RATE)))
        if not frames:
            return
        loud = [i for i, frame in enumerate(frames) if _is_speech(frame)]
        utterance = _Utterance(deque(frames), loud[0] if loud else -1, loud[-1] if loud else -1)
        self._mouth.append(utterance)
        await self._until(lambda: not utterance.frames, math.inf)

    async def wait(self, seconds: float) -> None:
        """Stay on the line; returns early if Loket hangs up."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ended.wait(), seconds)

    async def wait_for_speech(self, timeout: float = LISTEN_TIMEOUT_SECONDS) -> bool:
        """Wait until the caller hears Loket answer their last action (to talk over it).

        Returns False if Loket said nothing within `timeout` seconds or the call ended.
        """
        return await self._until(self._heard_answer, timeout)

    async def wait_for_silence(
        self, quiet: float = LISTEN_QUIET_SECONDS, timeout: float = LISTEN_TIMEOUT_SECONDS
    ) -> bool:
        """Wait until the caller has heard Loket answer their last action, then `quiet` seconds
        of silence. Returns False if that did not happen within `timeout` or the call ended.
        """
        return await self._until(
            lambda: self._heard_answer() and self.now() - self._last_audio >= quiet, timeout
        )

    async def hang_up(self) -> None:
        """End the call as a caller hanging up does (Twilio sends `stop`); idempotent."""
        if self._socket is not None and not self.ended:
            self._act("hangs up")
            await self._send(self._twilio.stop_event())
            self._finish("caller")
            await self._socket.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.close()

    async def transcript(self, database_url: str) -> list[TranscriptLine]:
        """The call's conversation as Loket stored it, read from Loket's database.

        The web chat API serves web chat conversations only, so the simulator (a tool run
        beside Loket) reads the store itself.
        """
        store = ConversationStore(create_engine(database_url))
        try:
            messages = await store.messages(self.conversation_id)
        finally:
            await store.close()
        return [
            TranscriptLine(
                (_utc(m.created_at) - self.answered_at).total_seconds(), m.author, m.text
            )
            for m in messages
        ]

    async def _until(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Check `condition` every frame; False once `timeout` has passed or the call ended."""
        deadline = self.now() + timeout
        while not self.ended and self.now() < deadline:
            if condition():
                return True
            await asyncio.sleep(FRAME_SECONDS)
        return False

    async def _answer(self, http: aiohttp.ClientSession) -> tuple[str, dict[str, str]]:
        """Post the voice webhook; the TwiML's stream address and parameters."""
        form = {
            "AccountSid": self._twilio.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "CallStatus": "ringing",
            "Direction": "inbound",
            "From": self.caller,
            "To": "+3220000000",
        }
        signature = self._validator.compute_signature(self.public_base_url + "/twilio/voice", form)
        async with http.post(
            self.hub_url + "/twilio/voice", data=form, headers={"X-Twilio-Signature": signature}
        ) as response:
            body = await response.text()
        if response.status != 200:
            raise SimulatorError(f"Loket refused the call ({response.status}): {body}")
        return stream_of(body)

    async def _open_stream(
        self, http: aiohttp.ClientSession, stream_url: str
    ) -> aiohttp.ClientWebSocketResponse:
        """Connect to the TwiML's stream on the hub, signed for its public address."""
        path = urlsplit(stream_url)._replace(scheme="", netloc="").geturl()
        signature = self._validator.compute_signature(stream_url, {})
        try:
            return await http.ws_connect(
                _websocket_url(self.hub_url) + path, headers={"X-Twilio-Signature": signature}
            )
        except aiohttp.WSServerHandshakeError as error:
            raise SimulatorError(f"Loket refused the media stream ({error.status})") from error

    async def _send(self, message: str) -> None:
        if self._socket is None or self._socket.closed:
            return
        try:
            await self._socket.send_str(message)
        except ConnectionResetError:
            self._finish("loket")

    def _heard_answer(self) -> bool:
        """Whether the caller has heard audio that Loket began sending after their last action.

        Not what Loket was still saying when they acted: that plays on until its `clear`.
        """
        latest = self.loket_audio[-1].at if self.loket_audio else -math.inf
        return self._last_audio >= latest > self._last_action

    def _act(self, what: str) -> None:
        """Note something the caller did; `listen` then waits for Loket's answer to it."""
        self._last_action = self.now()
        self.caller_events.append(CallerEvent(self._last_action, what))

    def _finish(self, by: str) -> None:
        if not self.ended:
            self.ended_by = by
            self.ended_at = self.now()
            self._ended.set()

    async def _run_clock(self) -> None:
        """Every 20 ms, as a phone line does: one frame of the caller, one of Loket."""
        loop = asyncio.get_running_loop()
        tick = loop.time()
        while not self.ended:
            await self._send(self._twilio.media_event(*self._caller_frame()))
            await self._play()
            tick += FRAME_SECONDS
            await asyncio.sleep(max(0.0, tick - loop.time()))

    def _caller_frame(self) -> tuple[int, int, bytes]:
        """The next chunk number, timestamp and frame of the caller's side."""
        self._chunks += 1
        chunk, timestamp = self._chunks, (self._chunks - 1) * FRAME_MS
        if not self._mouth:
            return chunk, timestamp, SILENT_FRAME
        utterance = self._mouth[0]
        if utterance.sent == utterance.first_loud:
            self._act("speech starts")
        if utterance.sent == utterance.last_loud:
            self._act("speech ends")
        utterance.sent += 1
        frame = utterance.frames.popleft()
        if not utterance.frames:
            self._mouth.popleft()
        return chunk, timestamp, frame

    async def _play(self) -> None:
        """Play Loket's next 20 ms and send back the marks it reached."""
        frame, reached = self._playback.tick()
        for name in reached:
            await self._return_mark(name)
        self._heard += frame or SILENT_FRAME
        if frame is None:
            self._speaking = None
            return
        self._last_audio = self.now()
        if self._speaking is not None:
            self._speaking.duration += FRAME_SECONDS

    async def _return_mark(self, name: str) -> None:
        self.marks.append((self.now(), name))
        await self._send(self._twilio.mark_event(name))

    async def _receive(self) -> None:
        """Read Loket's messages until it closes the stream."""
        assert self._socket is not None
        async for message in self._socket:
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            try:
                await self._handle(parse_loket_message(message.data))
            except ProtocolError as error:
                self.protocol_errors.append(str(error))
        self._finish("loket")

    async def _handle(self, message: OutMedia | OutMark | OutClear) -> None:
        if isinstance(message, OutMedia):
            if self._speaking is None:
                self._speaking = LoketAudio(self.now())
                self.loket_audio.append(self._speaking)
            self._playback.add_audio(message.audio)
        elif isinstance(message, OutMark):
            self._playback.add_mark(message.name)
        else:
            self.clears.append(self.now())
            if self._speaking is not None:
                self._speaking.cleared = True
                self._speaking = None
            for name in self._playback.clear():
                await self._return_mark(name)


def _utc(moment: datetime) -> datetime:
    """A stored time; the hub keeps UTC, which SQLite gives back without its zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _is_speech(ulaw: bytes) -> bool:
    return level_dbfs(ulaw_to_pcm16(ulaw)) > SPEECH_LEVEL_DBFS


def _websocket_url(url: str) -> str:
    return "ws" + url.removeprefix("http")


def local_hub_url(settings: Settings) -> str:
    """Where the hub of these settings listens, seen from this machine."""
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "") else settings.host
    return f"http://{host}:{settings.port}"


def stream_of(twiml: str) -> tuple[str, dict[str, str]]:
    """The <Connect><Stream> address and <Parameter>s of a TwiML answer."""
    try:
        stream = ElementTree.fromstring(twiml).find("./Connect/Stream")
    except ElementTree.ParseError as error:
        raise SimulatorError(f"Loket's answer is not TwiML: {error}") from error
    if stream is None or not stream.get("url"):
        raise SimulatorError("Loket's TwiML has no <Connect><Stream url=...>")
    parameters = {p.get("name", ""): p.get("value", "") for p in stream.iter("Parameter")}
    return stream.get("url", ""), parameters


# --- the script language of `loket call` ---


class Step(Protocol):
    """One step of a call script."""

    async def perform(self, call: PhoneCall) -> None:
        """Do it on the call."""


@dataclass(frozen=True)
class Wait:
    """wait:SECONDS"""

    seconds: float

    async def perform(self, call: PhoneCall) -> None:
        """Stay on the line."""
        await call.wait(self.seconds)


@dataclass(frozen=True)
class Listen:
    """listen[:QUIET]"""

    quiet: float = LISTEN_QUIET_SECONDS

    async def perform(self, call: PhoneCall) -> None:
        """Wait for Loket's answer to end."""
        await call.wait_for_silence(self.quiet)


@dataclass(frozen=True)
class Press:
    """key:KEYS"""

    keys: str

    async def perform(self, call: PhoneCall) -> None:
        """Press the keys."""
        await call.press(self.keys)


@dataclass(frozen=True)
class Say:
    """wav:FILE"""

    path: Path

    async def perform(self, call: PhoneCall) -> None:
        """Say the file."""
        await call.say(self.path)


@dataclass(frozen=True)
class HangUp:
    """hangup"""

    async def perform(self, call: PhoneCall) -> None:
        """Hang up."""
        await call.hang_up()


def parse_script(script: str) -> list[Step]:
    """The steps of a script (see the module's documentation); ValueError if it is wrong."""
    return [_step(word) for word in shlex.split(script)]


def _step(word: str) -> Step:
    action, _, argument = word.partition(":")
    if action == "wait":
        return Wait(_seconds(word, argument))
    if action == "listen":
        return Listen(_seconds(word, argument) if argument else LISTEN_QUIET_SECONDS)
    if action == "key" and argument and set(argument) <= KEYS:
        return Press(argument)
    if action == "wav":
        path = Path(argument)
        if not path.is_file():
            raise ValueError(f"{word}: no such file")
        return Say(path)
    if word == "hangup":
        return HangUp()
    raise ValueError(
        f"{word!r} is not a step: use wait:SECONDS, listen[:QUIET], key:KEYS, wav:FILE or hangup"
    )


def _seconds(word: str, text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"{word}: {text!r} is not a number of seconds") from None
    if not 0 <= seconds < 3600:
        raise ValueError(f"{word}: seconds must be between 0 and 3600")
    return seconds


async def play(call: PhoneCall, steps: list[Step]) -> None:
    """Perform the steps in order until the script ends or Loket hangs up."""
    for step in steps:
        if call.ended:
            return
        await step.perform(call)


# --- `loket call` ---


def script_of(keys: str | None, wavs: list[Path]) -> str:
    """The script of the --keys and --wav shortcuts: listen, then each key, then each file."""
    steps = ["listen"]
    steps += [f"key:{key.strip()} listen" for key in (keys or "").split(",") if key.strip()]
    steps += [f"{shlex.quote(f'wav:{wav}')} listen" for wav in wavs]
    return " ".join(steps)


def timeline(call: PhoneCall, transcript: list[TranscriptLine]) -> list[str]:
    """What happened on the call, in order, one line each with its time."""
    lines: list[tuple[float, str]] = [(e.at, f"caller  {e.what}") for e in call.caller_events]
    lines += [
        (a.at, f"loket   audio {a.duration:.2f} s{' (cut short: clear)' if a.cleared else ''}")
        for a in call.loket_audio
    ]
    lines += [
        (t.at, f"loket   {'got' if t.author == 'person' else 'says'}: {t.text}") for t in transcript
    ]
    return [f"{at:7.2f} s  {text}" for at, text in sorted(lines, key=lambda line: line[0])]


async def call_and_report(
    call: PhoneCall, steps: list[Step], record: Path | None, database_url: str | None = None
) -> list[str]:
    """Make the call, save what was heard, and return the timeline to print.

    With Loket's `database_url`, the timeline shows Loket's words too."""
    async with call:
        await play(call, steps)
    if record is not None:
        write_wav(record, call.recording, PHONE_RATE)
    notes = [f"protocol error from Loket: {error}" for error in call.protocol_errors]
    try:
        transcript = await call.transcript(database_url) if database_url else []
    except SQLAlchemyError as error:  # no database here: still show the call
        transcript = []
        notes.append(f"no transcript: {error}")
    lines = timeline(call, transcript)
    ender = "Loket" if call.ended_by == "loket" else "the caller"
    lines.append(f"{call.ended_at or 0.0:7.2f} s  call ended by {ender}")
    return lines + notes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `loket call`."""
    parser.add_argument("--url", help="where Loket listens (default: this machine's hub)")
    parser.add_argument("--script", help="what the caller does (see `tools/phone_simulator.py`)")
    parser.add_argument("--keys", help='keys to press one by one, e.g. "1,*,0"')
    parser.add_argument(
        "--wav", type=Path, action="append", default=[], help="a WAV file to say (repeatable)"
    )
    parser.add_argument("--record", type=Path, help="save what the caller heard to this WAV")
    parser.add_argument("--caller", default="+32470000000", help="the caller's number")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """`loket call`: make the call, print the timeline; 1 if the call could not be made."""
    if not (settings.public_base_url and settings.twilio_auth_token.get_secret_value()):
        print(
            "The phone line is off: set LOKET_PUBLIC_BASE_URL and LOKET_TWILIO_AUTH_TOKEN "
            "(the simulator signs with them, as Twilio does)."
        )
        return 1
    try:
        steps = parse_script(args.script or script_of(args.keys, args.wav))
    except ValueError as error:
        print(f"Bad script: {error}")
        return 1
    call = PhoneCall(
        args.url or local_hub_url(settings),
        settings.public_base_url,
        settings.twilio_auth_token.get_secret_value(),
        caller=args.caller,
    )
    try:
        lines = asyncio.run(call_and_report(call, steps, args.record, settings.database))
    except (SimulatorError, aiohttp.ClientError) as error:
        print(f"The call failed: {error}")
        return 1
    print("\n".join(lines))
    return 0
