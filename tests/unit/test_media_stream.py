"""Tests of voice/media_stream.py: Twilio Media Streams messages in both directions.

The documented examples come from Twilio's page on WebSocket messages
(https://www.twilio.com/docs/voice/media-streams/websocket-messages); only the audio
payloads, abbreviated there, are real base64 here.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from voice.audio import PHONE_RATE, pcm16_to_ulaw, split_frames
from voice.media_stream import (
    MAX_PAYLOAD_BYTES,
    Connected,
    Dtmf,
    Mark,
    Media,
    OutClear,
    OutMark,
    OutMedia,
    ProtocolError,
    Start,
    Stop,
    TwilioSide,
    clear_message,
    mark_message,
    media_message,
    parse_loket_message,
    parse_twilio_event,
)

STREAM = "MZ00000000000000000000000000000001"
CALL = "CA00000000000000000000000000000001"
ACCOUNT = "AC00000000000000000000000000000001"
AUDIO = bytes(range(160))
PAYLOAD = base64.b64encode(AUDIO).decode()
MEDIA_FORMAT = {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1}

DOCUMENTED = {
    "connected": {"event": "connected", "protocol": "Call", "version": "1.0.0"},
    "start": {
        "event": "start",
        "sequenceNumber": "1",
        "start": {
            "accountSid": ACCOUNT,
            "streamSid": STREAM,
            "callSid": CALL,
            "tracks": ["inbound"],
            "mediaFormat": MEDIA_FORMAT,
            "customParameters": {"FirstName": "Jane", "LastName": "Doe", "RemoteParty": "Bob"},
        },
        "streamSid": STREAM,
    },
    "media": {
        "event": "media",
        "sequenceNumber": "4",
        "media": {"track": "inbound", "chunk": "2", "timestamp": "5", "payload": PAYLOAD},
        "streamSid": STREAM,
    },
    "dtmf": {
        "event": "dtmf",
        "streamSid": STREAM,
        "sequenceNumber": "5",
        "dtmf": {"track": "inbound_track", "digit": "1"},
    },
    "mark": {
        "event": "mark",
        "sequenceNumber": "4",
        "streamSid": STREAM,
        "mark": {"name": "my label"},
    },
    "stop": {
        "event": "stop",
        "sequenceNumber": "5",
        "stop": {"accountSid": ACCOUNT, "callSid": CALL},
        "streamSid": STREAM,
    },
}


def without(message: dict, path: str) -> dict:
    """A deep copy of a message with the field at a dotted path removed."""
    copy = json.loads(json.dumps(message))
    *parents, last = path.split(".")
    node = copy
    for key in parents:
        node = node[key]
    del node[last]
    return copy


def with_payload(payload: str) -> str:
    message = json.loads(json.dumps(DOCUMENTED["media"]))
    message["media"]["payload"] = payload
    return json.dumps(message)


# What Twilio sends


def test_parses_every_documented_message_from_twilio():
    parsed = {event: parse_twilio_event(json.dumps(m)) for event, m in DOCUMENTED.items()}
    assert parsed == {
        "connected": Connected(protocol="Call", version="1.0.0"),
        "start": Start(
            stream_sid=STREAM,
            call_sid=CALL,
            account_sid=ACCOUNT,
            tracks=("inbound",),
            custom_parameters={"FirstName": "Jane", "LastName": "Doe", "RemoteParty": "Bob"},
            media_format=MEDIA_FORMAT,
        ),
        "media": Media(stream_sid=STREAM, track="inbound", chunk=2, timestamp_ms=5, audio=AUDIO),
        "dtmf": Dtmf(stream_sid=STREAM, digit="1"),
        "mark": Mark(stream_sid=STREAM, name="my label"),
        "stop": Stop(stream_sid=STREAM, call_sid=CALL),
    }


def test_twilio_side_sends_the_documented_shapes_with_a_sequence_number():
    twilio = TwilioSide(STREAM, CALL, ACCOUNT)
    sent = [
        twilio.connected_event(),
        twilio.start_event({"FirstName": "Jane", "LastName": "Doe", "RemoteParty": "Bob"}),
        twilio.media_event(2, 5, AUDIO),
        twilio.dtmf_event("1"),
        twilio.mark_event("my label"),
        twilio.stop_event(),
    ]
    numbered = [{**m, "sequenceNumber": str(n)} for n, m in enumerate(DOCUMENTED.values())]
    numbered[0] = DOCUMENTED["connected"]  # the one message without a number
    assert [json.loads(message) for message in sent] == numbered


def test_each_twilio_side_counts_its_own_messages():
    first, second = TwilioSide(STREAM, CALL, ACCOUNT), TwilioSide("MZ2", "CA2", ACCOUNT)
    first.start_event({})
    first.dtmf_event("5")
    assert json.loads(second.start_event({}))["sequenceNumber"] == "1"
    assert json.loads(first.stop_event())["sequenceNumber"] == "3"


def test_a_call_streamed_by_the_simulator_reads_back_as_sent():
    twilio = TwilioSide(STREAM, CALL, ACCOUNT)
    t = np.arange(PHONE_RATE // 2) / PHONE_RATE
    ulaw = pcm16_to_ulaw((8000 * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes())
    frames = split_frames(ulaw)
    messages = [
        twilio.connected_event(),
        twilio.start_event({"caller": "simulator"}),
        *(twilio.media_event(n + 1, n * 20, frame) for n, frame in enumerate(frames)),
        twilio.dtmf_event("#"),
        twilio.stop_event(),
    ]
    events = [parse_twilio_event(message) for message in messages]
    media = [event for event in events if isinstance(event, Media)]
    assert b"".join(event.audio for event in media) == ulaw
    assert [event.chunk for event in media] == list(range(1, len(frames) + 1))
    assert media[-1].timestamp_ms == (len(frames) - 1) * 20
    assert events[1].custom_parameters == {"caller": "simulator"}
    assert events[-2:] == [Dtmf(STREAM, "#"), Stop(STREAM, CALL)]


# What we send


def test_our_messages_have_the_documented_shapes():
    assert json.loads(media_message(STREAM, AUDIO)) == {
        "event": "media",
        "streamSid": STREAM,
        "media": {"payload": PAYLOAD},
    }
    assert json.loads(mark_message(STREAM, "my label")) == {
        "event": "mark",
        "streamSid": STREAM,
        "mark": {"name": "my label"},
    }
    assert json.loads(clear_message(STREAM)) == {"event": "clear", "streamSid": STREAM}


def test_the_simulator_reads_our_messages_back():
    assert parse_loket_message(media_message(STREAM, AUDIO)) == OutMedia(AUDIO)
    assert parse_loket_message(mark_message(STREAM, "prompt-3")) == OutMark("prompt-3")
    assert parse_loket_message(clear_message(STREAM)) == OutClear()


def test_audio_too_big_for_one_message_is_refused_when_sending():
    too_big = b"\xff" * (MAX_PAYLOAD_BYTES + 1)
    with pytest.raises(ProtocolError, match="split"):
        media_message(STREAM, too_big)
    with pytest.raises(ProtocolError, match="split"):
        TwilioSide(STREAM, CALL, ACCOUNT).media_event(1, 0, too_big)
    assert parse_loket_message(media_message(STREAM, too_big[1:])) == OutMedia(too_big[1:])


# Broken messages


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('{"event": "media", ', "not JSON"),
        (b"\xff\xfe", "not JSON"),
        ('["event", "media"]', "not a JSON object"),
        ('"connected"', "not a JSON object"),
        ('{"event": "hangup", "streamSid": "MZ1"}', "unknown event 'hangup'"),
        ('{"event": "clear", "streamSid": "MZ1"}', "unknown event 'clear'"),  # ours, not Twilio's
        ('{"streamSid": "MZ1"}', "missing field event"),
        ('{"event": 7}', "field event is not a str"),
        (json.dumps(without(DOCUMENTED["start"], "start.callSid")), "missing field start.callSid"),
        (json.dumps(without(DOCUMENTED["start"], "start")), "missing field start.streamSid"),
        (json.dumps(without(DOCUMENTED["media"], "media.payload")), "missing field media.payload"),
        (json.dumps(without(DOCUMENTED["media"], "streamSid")), "missing field streamSid"),
        (json.dumps(without(DOCUMENTED["dtmf"], "dtmf.digit")), "missing field dtmf.digit"),
        (json.dumps(without(DOCUMENTED["mark"], "mark")), "missing field mark.name"),
        (json.dumps(without(DOCUMENTED["stop"], "stop.callSid")), "missing field stop.callSid"),
        (json.dumps(without(DOCUMENTED["connected"], "version")), "missing field version"),
        (with_payload("not base64!"), "media.payload is not base64"),
        (with_payload(PAYLOAD[:-1]), "media.payload is not base64"),
        (with_payload(base64.b64encode(bytes(MAX_PAYLOAD_BYTES + 1)).decode()), "over 65536"),
        (
            json.dumps(
                {**DOCUMENTED["media"], "media": {**DOCUMENTED["media"]["media"], "chunk": "x"}}
            ),
            "media.chunk is not a number",
        ),
        (
            json.dumps(
                {
                    **DOCUMENTED["start"],
                    "start": {**DOCUMENTED["start"]["start"], "tracks": "inbound"},
                }
            ),
            "start.tracks is not a list",
        ),
    ],
)
def test_broken_messages_from_twilio_are_protocol_errors(text, error):
    with pytest.raises(ProtocolError, match=error):
        parse_twilio_event(text)


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"event": "media", "media": {"payload": PAYLOAD}}, "missing field streamSid"),
        ({"event": "mark", "streamSid": STREAM, "mark": {}}, "missing field mark.name"),
        ({"event": "media", "streamSid": STREAM, "media": {"payload": "%%"}}, "not base64"),
        ({"event": "dtmf", "streamSid": STREAM}, "unknown event 'dtmf'"),  # Twilio's, not ours
    ],
)
def test_broken_messages_to_twilio_are_protocol_errors(message, error):
    with pytest.raises(ProtocolError, match=error):
        parse_loket_message(json.dumps(message))


def test_a_protocol_error_is_a_value_error():
    with pytest.raises(ValueError):
        parse_twilio_event("{}")
