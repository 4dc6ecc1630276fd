"""A phone simulator: plays Twilio's side of a call against a running Loket (`loket call`).

It does what Twilio does: posts the signed voice webhook (again where the TwiML answer
redirects it, after its pauses), reads the <Stream> of the TwiML answer, opens the
signed media WebSocket, and sends `connected`, `start`, then a media frame every 20 ms
for the whole call (the caller's speech, silence in between), `dtmf` for keys,
`stop` at hang-up and then the status callback (`completed`). It plays Loket's audio
as a phone line does: a buffer played in real time, each `mark` sent back once the audio
before it has played, `clear` dropping what has not played (and sending its marks back
at once).

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
import json
import math
import secrets
import shlex
import xml.etree.ElementTree as ElementTree
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Protocol, cast
from urllib.parse import urljoin, urlsplit

import aiohttp
from sqlalchemy.exc import SQLAlchemyError
from twilio.request_validator import RequestValidator

from bot.channels.phone import prompts
from bot.channels.phone.call import (
    GREET,
    KEY_PAYLOADS,
    LANGUAGE_KEY,
    MENU,
    NUMBER_KEY,
    STREAM_CLOSE_SECONDS,
)
from bot.channels.phone.speech import speech_models
from bot.channels.phone.webhooks import STATUS_PATH, VOICE_PATH
from bot.conversations.inbound import call_conversation_id
from bot.conversations.store import ConversationStore, create_engine
from bot.handoff_texts import say
from bot.settings import LANGUAGES, Language, Settings
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
from voice.line import Line
from voice.media_stream import (
    OutClear,
    OutMark,
    OutMedia,
    ProtocolError,
    TwilioSide,
    parse_loket_message,
)
from voice.synthesis import split_sentences

FRAME_SECONDS = FRAME_MS / 1000
KEY_GAP_SECONDS = 0.3
LISTEN_QUIET_SECONDS = 1.5
LISTEN_TIMEOUT_SECONDS = 30.0
SPEECH_LEVEL_DBFS = -45.0  # a frame louder than this is speech, not the line's silence
SILENT_FRAME = bytes([ULAW_SILENCE]) * FRAME_BYTES
KEYS = frozenset("0123456789*#")
MAX_REDIRECTS = 10  # more than Loket ever sends: a loop is an error


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


@dataclass
class LoketSentence:
    """One sentence of Loket's: the audio up to the mark Loket sent after it."""

    at: float  # when the caller began to hear it, seconds after the call was answered
    duration: float = 0.0  # seconds the caller heard
    cleared: bool = False  # cut short by `clear`


@dataclass(frozen=True)
class TranscriptLine:
    """A message of the call's conversation, as Loket stored it."""

    at: float  # seconds after the call was answered
    author: str  # "person" (what Loket understood), else Loket ("bot", "system")
    text: str
    language: str | None = None
    payloads: tuple[str, ...] = ()  # of the message's buttons: what keys 1, 2... sent


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
        self.loket_sentences: list[LoketSentence] = []
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
        self._sentence: LoketSentence | None = None
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
        """End the call as a caller hanging up does (Twilio sends `stop`), then post the
        status callback that the call is completed, as Twilio does; idempotent."""
        if self._socket is not None and not self.ended:
            self._act("hangs up")
            await self._send(self._twilio.stop_event())
            self._finish("caller")
            await self._socket.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None and not self._http.closed:
            if self._socket is not None:
                await self._status_callback(self._http)
            await self._http.close()

    async def _status_callback(self, http: aiohttp.ClientSession) -> None:
        """Twilio's word that the call is over; like Twilio, whatever Loket answers."""
        form = self._form(CallStatus="completed")
        with contextlib.suppress(aiohttp.ClientError):
            await self._post_signed(http, STATUS_PATH, form)

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
                (_utc(m.created_at) - self.answered_at).total_seconds(),
                m.author,
                m.text,
                m.language,
                tuple(button.get("payload", "") for button in m.buttons),
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
        """Post the voice webhook and follow its <Redirect>s, after their <Pause>s, as
        Twilio does; the stream address and parameters of the TwiML it ends with."""
        path = VOICE_PATH
        for _ in range(MAX_REDIRECTS):
            twiml = await self._voice_webhook(http, path)
            redirect = redirect_of(twiml, self.public_base_url + path)
            if redirect is None:
                return stream_of(twiml)
            path, pause = redirect
            await self._pause(pause)
        raise SimulatorError(f"Loket redirected the call more than {MAX_REDIRECTS} times")

    async def _pause(self, seconds: float) -> None:
        """The caller on the line while the TwiML's <Pause>s last."""
        await asyncio.sleep(seconds)

    async def _voice_webhook(self, http: aiohttp.ClientSession, path: str) -> str:
        """Post the signed voice webhook to `path` (with its query); Loket's TwiML."""
        status, body = await self._post_signed(http, path, self._form(CallStatus="ringing"))
        if status != 200:
            raise SimulatorError(f"Loket refused the call ({status}): {body}")
        return body

    def _form(self, **fields: str) -> dict[str, str]:
        """The fields Twilio posts about this call."""
        return {
            "AccountSid": self._twilio.account_sid,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "Direction": "inbound",
            "From": self.caller,
            "To": "+3220000000",
            **fields,
        }

    async def _post_signed(
        self, http: aiohttp.ClientSession, path: str, form: dict[str, str]
    ) -> tuple[int, str]:
        """Post `form` to Loket's `path`, signed over its public address; status, body."""
        signature = self._validator.compute_signature(self.public_base_url + path, form)
        async with http.post(
            self.hub_url + path, data=form, headers={"X-Twilio-Signature": signature}
        ) as response:
            return response.status, await response.text()

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
        if reached:
            self._sentence = None  # Loket marks the end of each sentence
        for name in reached:
            await self._return_mark(name)
        self._heard += frame or SILENT_FRAME
        if frame is None:
            self._speaking = None
            return
        self._last_audio = self.now()
        if self._sentence is None:
            self._sentence = LoketSentence(self.now())
            self.loket_sentences.append(self._sentence)
        self._sentence.duration += FRAME_SECONDS
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
            if self._sentence is not None:
                self._sentence.cleared = True
                self._sentence = None
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
    response = _parse_twiml(twiml)
    stream = response.find("./Connect/Stream")
    if stream is None or not stream.get("url"):
        said = " ".join(say.text or "" for say in response.iter("Say"))
        raise SimulatorError(f"Loket's TwiML has no <Connect><Stream url=...>; said: {said!r}")
    parameters = {p.get("name", ""): p.get("value", "") for p in stream.iter("Parameter")}
    return stream.get("url", ""), parameters


def redirect_of(twiml: str, url: str) -> tuple[str, float] | None:
    """Where a TwiML answer to `url` sends the call next (the path and query, for the
    same host) and the seconds of its <Pause>s before that; None when it does not."""
    response = _parse_twiml(twiml)
    redirect = response.find("./Redirect")
    if redirect is None or not redirect.text:
        return None
    pause = sum(float(p.get("length", "1")) for p in response.iter("Pause"))
    return urlsplit(urljoin(url, redirect.text.strip()))._replace(
        scheme="", netloc=""
    ).geturl(), pause


def _parse_twiml(twiml: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(twiml)
    except ElementTree.ParseError as error:
        raise SimulatorError(f"Loket's answer is not TwiML: {error}") from error


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
    if action == "key":
        raise ValueError(f"{word}: {argument!r} is not a phone key; the keys are 0-9, * and #")
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


# --- what the timeline says: whose words each sentence of Loket's was ---

LANGUAGE_NAMES = {"fr": "French", "nl": "Dutch", "en": "English"}
PAYLOAD_NAMES = {"/show_menu": "the menu", "/request_human": "a person", "/step_repeat": "repeat"}
SLACK_SECONDS = 0.05  # the hub's clock and the simulator's, seen from one machine
GROUP_GAP_SECONDS = 1.0  # the line's sentences this close together are one prompt
QUIET_SECONDS = 1.0  # a prompt after this much silence on both sides answers the silence
FILLER_SECONDS = 0.8  # a prompt this long into a turn, before its answer: "one moment"
TRANSFER_TEXTS = frozenset(
    say("transfer", language, spoken=spoken) for language in LANGUAGES for spoken in (True, False)
)


@dataclass
class _Message:
    """A message Loket stored and spoke, and the sentences of it the caller heard."""

    line: TranscriptLine
    left: int  # sentences not heard yet
    heard: list[LoketSentence] = field(default_factory=list)


class Scene:
    """Who said what on a call: the brain's stored messages, or the phone line's own words.

    Loket sends a mark after every sentence, so the simulator knows each sentence's
    audio. The brain's messages are in the transcript, stored just before they are
    spoken; split into sentences as Loket's speaker splits them, they account for the
    sentences that follow in order (a `clear` drops the rest of what was stored before
    it). Every other sentence is the phone line's own (bot/channels/phone/prompts.py),
    which it does not store: it is named by when it comes (`prompt_name`).

    `keypad_only`: the languages without a speech model where Loket runs: there, the
    line's words right after the caller spoke are "use the keys".
    """

    def __init__(
        self,
        call: PhoneCall,
        transcript: list[TranscriptLine],
        keypad_only: frozenset[str] = frozenset(),
    ) -> None:
        self.call = call
        self.turns = [t for t in transcript if t.author == "person"]
        self.messages = [
            _Message(t, len(split_sentences(t.text))) for t in transcript if t.author != "person"
        ]
        greet = next((t for t in self.turns if t.text == GREET), None)
        self.greet_at = greet.at if greet else None
        self.language = _language_of(greet, self.messages)
        self.remembered = greet is not None and not any(e.at < greet.at for e in call.caller_events)
        self.keypad_only = self.language in keypad_only
        self.prompts = self._align()

    def _align(self) -> list[list[LoketSentence]]:
        """Give each sentence to its message; the rest, grouped, are the line's prompts."""
        pending, clears = deque(self.messages), deque(self.call.clears)
        groups: list[list[LoketSentence]] = []
        previous: LoketSentence | None = None
        for sentence in self.call.loket_sentences:
            while clears and clears[0] <= sentence.at:
                cleared = clears.popleft()
                while pending and pending[0].line.at <= cleared:
                    pending.popleft()
            if pending and pending[0].line.at <= sentence.at + SLACK_SECONDS:
                pending[0].heard.append(sentence)
                pending[0].left -= 1
                if pending[0].left <= 0:
                    pending.popleft()
            elif groups and previous is groups[-1][-1] and _close(previous, sentence):
                groups[-1].append(sentence)
            else:
                groups.append([sentence])
            previous = sentence
        return groups

    def lines(self) -> list[tuple[float, str]]:
        """The timeline's lines for Loket's side."""
        lines = [(t.at, f"loket   {self._got(t)}") for t in self.turns]
        lines += [self._said(message) for message in self.messages]
        lines += [
            (group[0].at, f"line    {self.prompt_name(group)}  [{_heard(group)}]")
            for group in self.prompts
        ]
        if self.transferred:
            lines.append((self._transfer_at(), "loket   puts the call through to the helpdesk"))
        return lines

    @property
    def transferred(self) -> bool:
        """Whether Loket's last words announced a transfer to the helpdesk."""
        return bool(self.messages) and self.messages[-1].line.text in TRANSFER_TEXTS

    def _transfer_at(self) -> float:
        last = self.messages[-1]
        if not last.heard:
            return last.line.at
        return last.heard[-1].at + last.heard[-1].duration

    def _got(self, turn: TranscriptLine) -> str:
        """What Loket understood, payloads named as what they are."""
        if turn.text == GREET:
            name = LANGUAGE_NAMES.get(turn.language or self.language or "", "?")
            if any(e.at < turn.at for e in self.call.caller_events):
                return f"language chosen: {name}"
            return f"language remembered: {name} (menu skipped)"
        page = self._page_asked(turn)
        if page:
            return f"got: key {turn.text.strip()}: the topics, page {page}"
        if turn.text in PAYLOAD_NAMES:
            return f"got: {self._payload(turn)}"
        if turn.text.startswith("/"):
            return f"got: ({turn.text}, sent by the phone line)"
        return f"got: {turn.text}"

    def _page_asked(self, turn: TranscriptLine) -> int:
        """The page of a menu a key asked for ("For more topics, press 5"); 0 if none."""
        before = [m.line for m in self.messages if m.line.at <= turn.at]
        if not turn.text.strip().isdigit() or not before:
            return 0
        index = int(turn.text) - 1
        payloads = before[-1].payloads
        payload = payloads[index] if 0 <= index < len(payloads) else ""
        entities = payload.partition("{")[2]
        with contextlib.suppress(ValueError):
            page = json.loads("{" + entities).get("page") if entities else None
            return page if isinstance(page, int) else 0
        return 0

    def _payload(self, turn: TranscriptLine) -> str:
        name = PAYLOAD_NAMES[turn.text]
        key = next((k for k, payload in KEY_PAYLOADS.items() if payload == turn.text), "")
        if any(
            e.what == f"key {key}" and turn.at - 2.0 <= e.at <= turn.at + SLACK_SECONDS
            for e in self.call.caller_events
        ):
            return f"key {key}: {name}"
        if turn.text == MENU:
            return "(the menu: the phone line asks for it after a silence)"
        return f"({name}, sent by the phone line)"

    def _said(self, message: _Message) -> tuple[float, str]:
        text = message.line.text
        if not message.heard:
            return message.line.at, f"loket   not heard (cut short before it began): {text}"
        return message.heard[0].at, f"loket   says: {text}  [{_heard(message.heard)}]"

    def prompt_name(self, group: list[LoketSentence]) -> str:
        """Which of the phone line's prompts this is, from when it comes."""
        start = group[0].at
        before = self._end_before(group[0])
        acted = [e for e in self.call.caller_events if before < e.at <= start]
        quiet = not acted and start - before >= QUIET_SECONDS
        if acted and acted[-1].what == f"key {LANGUAGE_KEY}":
            return "the language menu, in French, Dutch and English (key 9: another language)"
        if self.greet_at is None or start < self.greet_at - 0.5:
            if self._ends_call(group):
                return "goodbye, in French, Dutch and English (no language was chosen)"
            if acted:
                return "did not catch that: the language menu again"
            return "the language menu, in French, Dutch and English"
        if quiet:
            if self._ends_call(group):
                return self._prompt(prompts.silent_goodbye, "goodbye (the caller said nothing)")
            return self._prompt(prompts.still_there, "are you still there?")
        return self._during_turn(start, acted)

    def _during_turn(self, start: float, acted: list[CallerEvent]) -> str:
        if self.keypad_only and acted and acted[-1].what.startswith("speech "):
            return self._prompt(prompts.keypad_only, "spoke in a language Loket cannot hear yet")
        if self.remembered and self._after_greeting(start):
            return self._prompt(
                prompts.language_remembered, "language remembered: how to change it"
            )
        turn = self._turn_waiting(start)
        if turn is not None and start - turn >= FILLER_SECONDS:
            return self._prompt(prompts.one_moment, "one moment")
        if acted and acted[-1].what == "key *":
            return self._prompt(prompts.number_again, "the number again")
        if acted and acted[-1].what == f"key {NUMBER_KEY}":
            return "the last answer's phone numbers again, slowly (key 8)"
        if not acted and self._answer_gave_a_number(start):
            return self._prompt(prompts.number_key_hint, "how to hear the number again")
        return "the phone line's own words"

    def _answer_gave_a_number(self, at: float) -> bool:
        """Whether the last stored answer before `at` says a phone number."""
        answers = [m.line for m in self.messages if m.heard and m.line.at <= at]
        return bool(answers) and prompts.holds_a_number([answers[-1].text])

    def _prompt(self, prompt: Callable[[Language], Line], name: str) -> str:
        if self.language not in LANGUAGES:
            return f"({name})"
        return f'"{prompt(cast(Language, self.language)).text}" ({name})'

    def _after_greeting(self, at: float) -> bool:
        """Whether Loket's words at `at` come right after the greeting, the first answer."""
        first = next((m for m in self.messages if m.heard), None)
        if first is None or self.greet_at is None or first.line.at < self.greet_at - SLACK_SECONDS:
            return False
        end = first.heard[-1].at + first.heard[-1].duration
        return end - SLACK_SECONDS <= at < end + GROUP_GAP_SECONDS

    def _turn_waiting(self, at: float) -> float | None:
        """When the caller's turn that Loket has not answered yet by `at` came, if any."""
        turns = [t.at for t in self.turns if t.at <= at + 0.5]
        if not turns:
            return None
        answered = any(turns[-1] <= m.line.at <= at + SLACK_SECONDS for m in self.messages)
        return None if answered else turns[-1]

    def _end_before(self, sentence: LoketSentence) -> float:
        """When Loket's sentence before this one ended (0: none)."""
        index = self.call.loket_sentences.index(sentence)
        if not index:
            return 0.0
        previous = self.call.loket_sentences[index - 1]
        return previous.at + previous.duration

    def _ends_call(self, group: list[LoketSentence]) -> bool:
        """Whether Loket hung up after these, its last words, with the caller silent."""
        last = group[-1]
        return (
            last is self.call.loket_sentences[-1]
            and self.call.ended_by == "loket"
            and not any(e.at > group[0].at for e in self.call.caller_events)
        )


def _language_of(greet: TranscriptLine | None, messages: list[_Message]) -> str | None:
    """The call's language: chosen or remembered at the greeting, else Loket's words'."""
    if greet is not None and greet.language:
        return greet.language
    return next((m.line.language for m in messages if m.line.language), None)


def _close(previous: LoketSentence, sentence: LoketSentence) -> bool:
    return sentence.at - (previous.at + previous.duration) < GROUP_GAP_SECONDS


def _heard(sentences: list[LoketSentence]) -> str:
    seconds = sum(s.duration for s in sentences)
    return f"{seconds:.1f} s{', cut short' if any(s.cleared for s in sentences) else ''}"


# --- `loket call` ---


def script_of(keys: str | None, wavs: list[Path]) -> str:
    """The script of the --keys and --wav shortcuts: listen, then each key, then each file."""
    steps = ["listen"]
    steps += [f"key:{key.strip()} listen" for key in (keys or "").split(",") if key.strip()]
    steps += [f"{shlex.quote(f'wav:{wav}')} listen" for wav in wavs]
    return " ".join(steps)


def timeline(
    call: PhoneCall, transcript: list[TranscriptLine], keypad_only: frozenset[str] = frozenset()
) -> list[str]:
    """What happened on the call, in order, one line each with its time.

    With the transcript, each sentence Loket said is either a sentence of a message it
    stored (the brain's answers) or the phone line's own words (see `Scene`); without it,
    only the stretches of audio the caller heard.
    """
    lines: list[tuple[float, str]] = [(e.at, f"caller  {e.what}") for e in call.caller_events]
    if transcript:
        lines += Scene(call, transcript, keypad_only).lines()
    else:
        lines += [
            (a.at, f"loket   audio {a.duration:.2f} s{' (cut short: clear)' if a.cleared else ''}")
            for a in call.loket_audio
        ]
    return [f"{at:7.2f} s  {text}" for at, text in sorted(lines, key=lambda line: line[0])]


async def call_and_report(
    call: PhoneCall,
    steps: list[Step],
    record: Path | None,
    database_url: str | None = None,
    keypad_only: frozenset[str] = frozenset(),
) -> list[str]:
    """Make the call, save what was heard, and return the timeline to print.

    With Loket's `database_url`, the timeline shows Loket's words too; `keypad_only`
    (the languages without a speech model there) helps tell them from the line's own.
    """
    async with call:
        await play(call, steps)
        await _stay_for_transfer(call, database_url)
    notes = [f"protocol error from Loket: {error}" for error in call.protocol_errors]
    try:
        transcript = await call.transcript(database_url) if database_url else []
    except SQLAlchemyError as error:  # no database here: still show the call
        transcript = []
        notes.append(f"no transcript (only the audio is shown): {error}")
    lines = timeline(call, transcript, keypad_only)
    lines.append(f"{call.ended_at or 0.0:7.2f} s  {_ending(call, transcript)}")
    if record is not None:
        lines.append(_save(record, call.recording))
    return lines + notes


async def _stay_for_transfer(call: PhoneCall, database_url: str | None) -> None:
    """After a transfer Loket closes the stream itself: stay on the line to see it."""
    if call.ended or not database_url:
        return
    with contextlib.suppress(SQLAlchemyError):
        if Scene(call, await call.transcript(database_url)).transferred:
            await call.wait(STREAM_CLOSE_SECONDS + 1.0)


def _ending(call: PhoneCall, transcript: list[TranscriptLine]) -> str:
    transferred = bool(transcript) and Scene(call, transcript).transferred
    if transferred and call.ended_by == "loket":
        return "call put through to the helpdesk: Loket closed the stream (Twilio dials it)"
    if transferred:
        return "call ended by the caller, after Loket put it through to the helpdesk"
    return f"call ended by {'Loket' if call.ended_by == 'loket' else 'the caller'}"


def _save(record: Path, recording: bytes) -> str:
    """Save what the caller heard; the line to print either way."""
    problem = check_record(record)  # the folder may have gone during the call
    if problem:
        return f"could not save what the caller heard: {problem}"
    try:
        write_wav(record, recording, PHONE_RATE)
    except OSError as error:
        return f"could not save what the caller heard to {record}: {error.strerror or error}"
    return f"saved what the caller heard to {record}"


SCRIPT_HELP = """\
The caller's side of the call is a script: steps separated by spaces, done in order.

  listen[:QUIET]  wait until Loket has answered the caller's last key or speech, then
                  been quiet QUIET seconds (default 1.5; gives up after 30 s)
  wait:SECONDS    stay on the line SECONDS, whatever Loket says
  key:KEYS        press phone keys 0-9, * or #, 0.3 s apart (key:1, key:#, key:12)
  wav:FILE        say a WAV file (16-bit, any rate, mono or stereo) in real time
  hangup          hang up (the call also ends after the last step)

--keys and --wav are shortcuts: --keys 3,1,0 is "listen key:3 listen key:1 listen key:0
listen", and each --wav FILE adds "wav:FILE listen" after the keys.

Examples:
  loket call --keys 3,1                   choose English, hear the greeting, then the topics
  loket call --caller +32470123456 --keys 3   run it twice: the second call is greeted
                                          in English at once (key 9 changes language)
  loket call --script "listen key:3 listen key:1 listen:3 key:0 listen hangup"
  loket call --script "listen key:2 listen wav:vraag.wav listen" --record heard.wav

The timeline shows both sides: "caller" what the caller did, "loket" what Loket
understood and the brain's answers, "line" the phone line's own prompts (the language
menu, "are you still there?"), each with the seconds the caller heard. Each run calls
from a new number unless --caller is given.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `loket call`, and its help on the script language."""
    parser.description = "Phone a running Loket as Twilio would, and print the call's timeline."
    parser.epilog = SCRIPT_HELP
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--url", help="where Loket listens (default: this machine's hub)")
    parser.add_argument("--script", help="what the caller does, step by step (see below)")
    parser.add_argument(
        "--keys", help='keys to press one by one, with a listen after each: "1,*,0"'
    )
    parser.add_argument(
        "--wav", type=Path, action="append", default=[], help="a WAV file to say (repeatable)"
    )
    parser.add_argument(
        "--record", type=Path, help="save what the caller heard to this WAV (its folder must exist)"
    )
    parser.add_argument(
        "--caller",
        help="the caller's number (default: a new one each run, so Loket remembers no language)",
    )


def new_caller() -> str:
    """A Belgian mobile number no earlier run used, most likely: a caller Loket does not know."""
    return f"+32470{secrets.randbelow(10**6):06d}"


def check_keys(keys: str | None) -> str | None:
    """What is wrong with a --keys value, or None."""
    for key in (keys or "").split(","):
        key = key.strip()
        if key and not set(key) <= KEYS:
            return (
                f"--keys: {key!r} is not a phone key. The keys are 0-9, * and #, "
                'separated by commas: --keys "1,*,0".'
            )
    return None


def check_record(record: Path | None) -> str | None:
    """What is wrong with a --record path, or None: checked before the call is made."""
    if record is None:
        return None
    if record.is_dir():
        return f"--record: {record} is a folder; give a file name, e.g. {record / 'call.wav'}"
    if not record.parent.is_dir():
        return f"--record: the folder {record.parent} does not exist; create it first."
    return None


def run(args: argparse.Namespace, settings: Settings) -> int:
    """`loket call`: make the call, print the timeline.

    Returns 2 for a wrong option, 1 if the call could not be made, 0 otherwise.
    """
    if not (settings.public_base_url and settings.twilio_auth_token.get_secret_value()):
        print(
            "The phone line is off: set LOKET_PUBLIC_BASE_URL and LOKET_TWILIO_AUTH_TOKEN "
            "(the simulator signs with them, as Twilio does)."
        )
        return 1
    problem = check_keys(args.keys) or check_record(args.record)
    if problem:
        print(problem)
        return 2
    try:
        steps = parse_script(args.script or script_of(args.keys, args.wav))
    except ValueError as error:
        print(f"Bad script: {error}. See `loket call --help`.")
        return 2
    call = PhoneCall(
        args.url or local_hub_url(settings),
        settings.public_base_url,
        settings.twilio_auth_token.get_secret_value(),
        caller=args.caller or new_caller(),
    )
    try:
        keypad_only = frozenset(speech_models(settings).missing())
        lines = asyncio.run(
            call_and_report(call, steps, args.record, settings.database, keypad_only)
        )
    except (SimulatorError, aiohttp.ClientError) as error:
        print(f"The call failed: {error}")
        return 1
    print("\n".join(lines))
    return 0
