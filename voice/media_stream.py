"""Twilio Media Streams messages, both ways: the only module that knows the wire format.

Shapes from https://www.twilio.com/docs/voice/media-streams/websocket-messages. On a
bidirectional stream (`<Connect><Stream>`) Twilio sends `connected`, `start`, `media`
(base64 mu-law at 8 kHz), `dtmf`, `mark` and `stop`, and we send back `media`, `mark`
and `clear`. The phone simulator plays Twilio's side, so this module also encodes what
Twilio sends (`TwilioSide`) and parses what we send (`parse_loket_message`).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from voice.audio import PHONE_RATE

MAX_PAYLOAD_BYTES = 64 * 1024
"""Largest audio payload in one media message: 8 s of phone audio, far more than a frame."""

_T = TypeVar("_T")
_MEDIA_FORMAT = {"encoding": "audio/x-mulaw", "sampleRate": PHONE_RATE, "channels": 1}


class ProtocolError(ValueError):
    """A message that does not follow the Media Streams protocol."""


# Twilio -> us


@dataclass(frozen=True)
class Connected:
    """The first message on a new WebSocket."""

    protocol: str
    version: str


@dataclass(frozen=True)
class Start:
    """The stream's metadata, sent once after `Connected`."""

    stream_sid: str
    call_sid: str
    account_sid: str
    tracks: tuple[str, ...]
    custom_parameters: dict[str, str]  # the <Parameter>s of the TwiML <Stream>
    media_format: dict[str, Any]


@dataclass(frozen=True)
class Media:
    """A piece of the caller's audio."""

    stream_sid: str
    track: str
    chunk: int  # 1, 2, 3... in sending order
    timestamp_ms: int  # since the stream started
    audio: bytes  # mu-law, 8 kHz mono


@dataclass(frozen=True)
class Dtmf:
    """A key the caller pressed."""

    stream_sid: str
    digit: str


@dataclass(frozen=True)
class Mark:
    """Twilio has played all audio sent before our mark of this name (or cleared it)."""

    stream_sid: str
    name: str


@dataclass(frozen=True)
class Stop:
    """The stream has ended: the caller hung up or the call moved on."""

    stream_sid: str
    call_sid: str


TwilioEvent = Connected | Start | Media | Dtmf | Mark | Stop


# us -> Twilio, as the simulator reads them


@dataclass(frozen=True)
class OutMedia:
    """Audio to play to the caller (mu-law, 8 kHz mono)."""

    audio: bytes


@dataclass(frozen=True)
class OutMark:
    """Asks Twilio to send a `Mark` of this name once the audio before it has played."""

    name: str


@dataclass(frozen=True)
class OutClear:
    """Asks Twilio to drop the audio not yet played (the caller barged in)."""


LoketMessage = OutMedia | OutMark | OutClear


def _field(message: dict[str, Any], path: str, kind: type[_T] = str) -> _T:
    """The value at a dotted path such as "start.callSid", which must be of `kind`."""
    value: Any = message
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            raise ProtocolError(f"missing field {path}")
        value = value[key]
    if not isinstance(value, kind):
        raise ProtocolError(f"field {path} is not a {kind.__name__}")
    return value


def _number(message: dict[str, Any], path: str) -> int:
    """A counter Twilio sends as a string of digits."""
    text = _field(message, path)
    if not text.isdecimal():
        raise ProtocolError(f"field {path} is not a number: {text[:20]!r}")
    return int(text)


def _audio(message: dict[str, Any]) -> bytes:
    """The decoded mu-law of a media message."""
    try:
        audio = base64.b64decode(_field(message, "media.payload"), validate=True)
    except binascii.Error as error:
        raise ProtocolError(f"media.payload is not base64: {error}") from error
    if len(audio) > MAX_PAYLOAD_BYTES:
        raise ProtocolError(f"media.payload over {MAX_PAYLOAD_BYTES} bytes")
    return audio


def _payload(ulaw: bytes) -> str:
    """Base64 text of audio small enough for one media message."""
    if len(ulaw) > MAX_PAYLOAD_BYTES:
        raise ProtocolError(f"{len(ulaw)} bytes of audio in one message; split it")
    return base64.b64encode(ulaw).decode("ascii")


def _load(text: str | bytes) -> dict[str, Any]:
    """The JSON object of a message."""
    try:
        message = json.loads(text)
    except ValueError as error:
        raise ProtocolError(f"not JSON: {error}") from error
    if not isinstance(message, dict):
        raise ProtocolError("not a JSON object")
    return message


def _dispatch(message: dict[str, Any], parsers: dict[str, Callable[[dict[str, Any]], _T]]) -> _T:
    """Hand a message to the parser of its event."""
    event = _field(message, "event")
    if event not in parsers:
        raise ProtocolError(f"unknown event {event[:40]!r}")
    return parsers[event](message)


def _dump(message: dict[str, Any]) -> str:
    return json.dumps(message, separators=(",", ":"))


def _start(message: dict[str, Any]) -> Start:
    return Start(
        stream_sid=_field(message, "start.streamSid"),
        call_sid=_field(message, "start.callSid"),
        account_sid=_field(message, "start.accountSid"),
        tracks=tuple(_field(message, "start.tracks", list)),
        custom_parameters=_field(message, "start.customParameters", dict),
        media_format=_field(message, "start.mediaFormat", dict),
    )


def _media(message: dict[str, Any]) -> Media:
    return Media(
        stream_sid=_field(message, "streamSid"),
        track=_field(message, "media.track"),
        chunk=_number(message, "media.chunk"),
        timestamp_ms=_number(message, "media.timestamp"),
        audio=_audio(message),
    )


_TWILIO_EVENTS: dict[str, Callable[[dict[str, Any]], TwilioEvent]] = {
    "connected": lambda m: Connected(_field(m, "protocol"), _field(m, "version")),
    "start": _start,
    "media": _media,
    "dtmf": lambda m: Dtmf(_field(m, "streamSid"), _field(m, "dtmf.digit")),
    "mark": lambda m: Mark(_field(m, "streamSid"), _field(m, "mark.name")),
    "stop": lambda m: Stop(_field(m, "streamSid"), _field(m, "stop.callSid")),
}

_LOKET_MESSAGES: dict[str, Callable[[dict[str, Any]], LoketMessage]] = {
    "media": lambda m: OutMedia(_audio(m)),
    "mark": lambda m: OutMark(_field(m, "mark.name")),
    "clear": lambda m: OutClear(),
}


def parse_twilio_event(text: str | bytes) -> TwilioEvent:
    """Parse a message from Twilio; raises `ProtocolError` if it is not a valid one."""
    return _dispatch(_load(text), _TWILIO_EVENTS)


def parse_loket_message(text: str | bytes) -> LoketMessage:
    """Parse a message we sent to Twilio (for the simulator); raises `ProtocolError`."""
    message = _load(text)
    _field(message, "streamSid")  # every message to Twilio names its stream
    return _dispatch(message, _LOKET_MESSAGES)


def media_message(stream_sid: str, ulaw: bytes) -> str:
    """Audio for Twilio to play to the caller (mu-law, 8 kHz mono, at most 64 KiB)."""
    return _dump({"event": "media", "streamSid": stream_sid, "media": {"payload": _payload(ulaw)}})


def mark_message(stream_sid: str, name: str) -> str:
    """Asks Twilio to tell us, with a mark of this name, when the audio sent so far has played."""
    return _dump({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}})


def clear_message(stream_sid: str) -> str:
    """Asks Twilio to drop the audio it has not played yet (barge-in)."""
    return _dump({"event": "clear", "streamSid": stream_sid})


class TwilioSide:
    """Twilio's end of one stream, for the phone simulator: encodes what Twilio sends.

    Every message after `connected` carries the next `sequenceNumber`, from "1".
    """

    def __init__(self, stream_sid: str, call_sid: str, account_sid: str) -> None:
        self.stream_sid = stream_sid
        self.call_sid = call_sid
        self.account_sid = account_sid
        self._sequence = itertools.count(1)

    def _message(self, event: str, body: dict[str, Any]) -> str:
        sequence = str(next(self._sequence))
        return _dump(
            {"event": event, "sequenceNumber": sequence, **body, "streamSid": self.stream_sid}
        )

    def connected_event(self) -> str:
        """The first message on the WebSocket."""
        return _dump({"event": "connected", "protocol": "Call", "version": "1.0.0"})

    def start_event(self, custom_parameters: dict[str, str]) -> str:
        """The stream's metadata, with the TwiML <Stream>'s parameters."""
        start = {
            "accountSid": self.account_sid,
            "streamSid": self.stream_sid,
            "callSid": self.call_sid,
            "tracks": ["inbound"],
            "customParameters": custom_parameters,
            "mediaFormat": _MEDIA_FORMAT,
        }
        return self._message("start", {"start": start})

    def media_event(self, chunk: int, timestamp_ms: int, ulaw: bytes) -> str:
        """A piece of the caller's audio (mu-law, 8 kHz mono)."""
        media = {
            "track": "inbound",
            "chunk": str(chunk),
            "timestamp": str(timestamp_ms),
            "payload": _payload(ulaw),
        }
        return self._message("media", {"media": media})

    def dtmf_event(self, digit: str) -> str:
        """The caller pressed a key."""
        return self._message("dtmf", {"dtmf": {"track": "inbound_track", "digit": digit}})

    def mark_event(self, name: str) -> str:
        """The audio before the mark of this name has played (or was cleared)."""
        return self._message("mark", {"mark": {"name": name}})

    def stop_event(self) -> str:
        """The stream ended."""
        return self._message(
            "stop", {"stop": {"accountSid": self.account_sid, "callSid": self.call_sid}}
        )
