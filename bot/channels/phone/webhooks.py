"""The phone channel's web side: Twilio's voice webhooks and each call's media WebSocket.

Twilio signs every request, the WebSocket upgrade included, with the auth token over
the public address it called (LOKET_PUBLIC_BASE_URL): nothing unsigned reaches the
conversation service. A call's dialogue is one `CallSession` (call.py); this module
only turns Twilio's HTTP and WebSocket traffic into what that session reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import WSCloseCode, WSMsgType, web
from redis.asyncio import Redis
from twilio.request_validator import RequestValidator

from bot.channels import twilio_signature
from bot.channels.phone import relay, speech
from bot.channels.phone.call import CallSession
from bot.channels.phone.capacity import CallSlots
from bot.channels.phone.live import LiveCount
from bot.channels.phone.prompts import all_texts
from bot.channels.phone.relay import CallOwners
from bot.channels.phone.sender import PhoneSender
from bot.channels.phone.tickets import TICKET_PARAMETER, StreamTickets
from bot.channels.phone.twiml import (
    ATTEMPT_PARAMETER,
    START_ATTEMPTS,
    busy_twiml,
    start_again_twiml,
    stream_twiml,
)
from bot.conversations.inbound import PHONE_CHANNEL, call_conversation_id
from bot.conversations.service import ConversationService
from bot.errors import ApiError
from bot.metrics import metrics_key
from bot.settings import Language, Settings
from voice.audio import PHONE_RATE, ulaw_to_pcm16
from voice.media_stream import (
    MAX_PAYLOAD_BYTES,
    ProtocolError,
    Start,
    TwilioEvent,
    parse_twilio_event,
)
from voice.recognisers import RecogniserPool
from voice.synthesis import Speaker, SynthesisError

log = logging.getLogger(__name__)

VOICE_PATH = "/twilio/voice"
STATUS_PATH = "/twilio/status"
MEDIA_PATH = "/twilio/media"
# Twilio sends 20 ms per message (a few hundred bytes); allow the largest payload that
# media_stream accepts, in base64 inside its JSON, and nothing bigger.
MAX_MESSAGE_BYTES = 2 * MAX_PAYLOAD_BYTES
# Call statuses after which the call is over (https://www.twilio.com/docs/voice/api/call-resource).
ENDED_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
_CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
_PHONE_NUMBER = re.compile(r"^\+[1-9][0-9]{5,14}$")  # E.164, as Twilio writes numbers
# What Twilio puts in From when the caller withholds their number ("ANONYMOUS" on a keypad):
# shared by every such caller, so it must not carry one caller's language to another.
_WITHHELD = "+266696687"


@dataclass
class PhoneLine:
    """What calls need from the hub, built once per application."""

    public_base_url: str
    validator: RequestValidator
    service: ConversationService
    settings: Settings
    speaker: Speaker
    recognisers: RecogniserPool
    """Lends each call its recognisers, kept ready and warm (voice/recognisers.py)."""
    slots: CallSlots
    """The calls in progress against LOKET_MAX_CALLS (capacity.py)."""
    sender: PhoneSender = field(default_factory=PhoneSender)
    """Speaks messages from outside the turns on live calls (the core's outbound path)."""
    calls: set[web.WebSocketResponse] = field(default_factory=set)
    """The calls' media streams, from their start until their end is recorded."""
    endings: set[asyncio.Task[None]] = field(default_factory=set)
    """Calls' ends being recorded (kept here: a task nobody holds may be collected)."""
    tickets: StreamTickets = field(default_factory=StreamTickets)
    """Single-use tickets: a stream opens only for a call /twilio/voice announced."""
    owners: CallOwners = field(default_factory=lambda: CallOwners(None, "", ""))
    """Which hub answered a call, for streams that reach another replica (relay.py)."""
    relays: LiveCount = field(default_factory=LiveCount)
    """The streams of other hubs' calls that came here and are relayed to them."""
    on_call_end: Callable[[CallSession], None] | None = None
    """Called with each call's session once the call is over (benchmarks read its stats)."""
    warmed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once `warm_up` is done: prompts rendered, recognisers ready."""

    @property
    def media_url(self) -> str:
        """The WebSocket address Twilio streams the call to (wss:// behind https://)."""
        return _websocket_url(self.public_base_url) + MEDIA_PATH

    def verify(self, request: web.Request, url: str, params: Mapping[str, str]) -> None:
        """Refuse (403) a request without Twilio's signature of `url` and `params`."""
        twilio_signature.verify(self.validator, request, url, params)


line_key = web.AppKey("phone_line", PhoneLine)


def open_line(
    settings: Settings, service: ConversationService, redis: Redis | None = None
) -> PhoneLine | None:
    """The phone line, or None when it is not configured (said once, at start-up).

    With hub replicas (`redis`), a call's stream that reaches another replica is relayed
    to this hub when LOKET_HUB_INTERNAL_URL says how the others reach it."""
    token = settings.twilio_auth_token.get_secret_value()
    if not (settings.public_base_url and token):
        log.info(
            "Phone line off: set LOKET_PUBLIC_BASE_URL and LOKET_TWILIO_AUTH_TOKEN to take calls."
        )
        return None
    line = PhoneLine(
        public_base_url=settings.public_base_url.rstrip("/"),
        validator=RequestValidator(token),
        service=service,
        settings=settings,
        speaker=speech.speaker(settings),
        recognisers=speech.recogniser_pool(settings),
        slots=CallSlots(settings.max_calls),
        owners=CallOwners(redis, settings.redis_prefix, settings.hub_internal_url),
    )
    service.outbound.register(PHONE_CHANNEL, line.sender)
    log.info("Phone line on: Twilio streams calls to %s", line.media_url)
    if redis is not None and not settings.hub_internal_url:
        log.warning(
            "A call whose media stream reaches another hub replica will be refused: set "
            "LOKET_HUB_INTERNAL_URL to this hub's address as the other replicas reach it."
        )
    if settings.helpdesk_phone and not settings.twilio_account_sid:
        log.warning("Calls cannot be put through to the helpdesk: set LOKET_TWILIO_ACCOUNT_SID.")
    for description in line.recognisers.models.describe():
        log.info("Speech recognition %s", description)
    for description in line.speaker.describe():
        log.info("Speech synthesis %s", description)
    return line


async def render_prompts(speaker: Speaker) -> None:
    """Render the line's own prompts ahead: the first caller then hears the menu at once."""
    started = time.perf_counter()
    texts = [(text, language) for table in all_texts().values() for language, text in table.items()]
    try:
        await speaker.warm(texts)
    except SynthesisError as error:
        log.warning("Phone prompts not rendered ahead (they will be on first use): %s", error)
    else:
        log.info("Phone prompts rendered in %.1f s", time.perf_counter() - started)


async def warm_up(line: PhoneLine) -> None:
    """Get the line ready for its first callers: its prompts rendered, then its
    recognisers made and warmed on speech in their language (off the event loop)."""
    await render_prompts(line.speaker)
    speech = await warm_speech(line.speaker, line.settings.recogniser_warm_seconds)
    await line.recognisers.fill(speech)
    line.warmed.set()


async def warm_speech(speaker: Speaker, seconds: float) -> dict[Language, list[bytes]]:
    """Sentences per language for new recognisers to hear before a caller (8 kHz PCM):
    Loket's own prompts, the language menu's line first (words callers say), then others
    until `seconds` of speech; none for a language nothing speaks."""
    speech: dict[Language, list[bytes]] = {}
    for table in all_texts().values():
        for language, text in table.items():
            heard = speech.setdefault(language, [])
            if heard and sum(map(len, heard)) >= seconds * 2 * PHONE_RATE:  # 16-bit samples
                continue
            try:
                spoken = [ulaw async for ulaw in speaker.stream(text, language)]
            except SynthesisError:
                continue  # its recognisers hear less (silence only, if none is spoken)
            heard.append(ulaw_to_pcm16(b"".join(spoken)))
    return speech


def setup(app: web.Application) -> None:
    """Add Twilio's webhooks and the media WebSocket to the hub."""
    app.router.add_post(VOICE_PATH, answer_call)
    app.router.add_post(STATUS_PATH, call_status)
    app.router.add_get(MEDIA_PATH, media_stream)
    app.on_shutdown.append(_hang_up_all)


async def answer_call(request: web.Request) -> web.Response:
    """A call comes in: answer with TwiML that streams it to the media WebSocket."""
    line = _line(request)
    form = await _signed_form(line, request)
    call_sid = _call_sid(form)
    attempt = _attempt(request)  # before a line is taken: a refused request holds none
    if not line.slots.admit(call_sid):
        log.warning(
            "Call %s refused: all %d lines busy (%d refused since start-up)",
            call_sid,
            line.slots.limit,
            line.slots.refused,
        )
        return _twiml(busy_twiml())
    caller = contact(form.get("From", ""))
    try:
        await line.service.start_call(call_conversation_id(call_sid), caller)
    except Exception as error:  # the database away: the caller waits, and it is tried again
        line.slots.ended(call_sid)
        log.warning(
            "Call %s could not start (try %d of %d): %s",
            call_sid,
            attempt,
            START_ATTEMPTS,
            type(error).__name__,  # not its text: a database error carries the caller's number
        )
        return _twiml(start_again_twiml(VOICE_PATH, attempt))
    except BaseException:  # a cancelled request: the call never starts
        line.slots.ended(call_sid)
        raise
    ticket = line.tickets.issue(call_sid)
    await line.owners.claim(call_sid)
    return _twiml(stream_twiml(line.media_url, call_sid, caller, ticket))


def _twiml(twiml: str) -> web.Response:
    return web.Response(text=twiml, content_type="text/xml")


def _attempt(request: web.Request) -> int:
    """Which try at starting the call this request is (1 unless Twilio was redirected)."""
    attempt = request.query.get(ATTEMPT_PARAMETER, "1")
    if not attempt.isdigit() or not 1 <= int(attempt) <= START_ATTEMPTS:
        raise ApiError(
            422, "invalid_attempt", f"{ATTEMPT_PARAMETER} must be 1 to {START_ATTEMPTS}."
        )
    return int(attempt)


async def call_status(request: web.Request) -> web.Response:
    """Twilio's status callback: a call that is over closes its conversation."""
    line = _line(request)
    form = await _signed_form(line, request)
    call_sid = _call_sid(form)
    status = form.get("CallStatus", "")
    if status not in ENDED_STATUSES:
        return web.Response(status=204)
    line.tickets.call_ended(call_sid)
    line.slots.ended(call_sid)
    if not await line.service.end_call(call_conversation_id(call_sid)):
        log.info("Call %s ended (%s) with no open conversation", call_sid, status)
    return web.Response(status=204)


async def media_stream(request: web.Request) -> web.WebSocketResponse:
    """One call's audio, both ways, for as long as the call lasts."""
    line = _line(request)
    # Twilio signs the upgrade request over the stream's wss:// address, without parameters.
    line.verify(request, _websocket_url(line.public_base_url) + request.path_qs, {})
    idle = line.settings.call_idle_seconds
    # Pings too: a peer gone without a word (no pong) is found even between messages.
    socket = web.WebSocketResponse(max_msg_size=MAX_MESSAGE_BYTES, heartbeat=idle)
    await socket.prepare(request)
    line.calls.add(socket)
    session = CallSession(
        _sender(socket), line.service, line.speaker, line.recognisers, line.settings, line.sender
    )
    stream = _MediaStream(socket, idle)
    try:
        await session.run(_admitted(request, line, socket, stream))
    except Exception:
        log.exception("A call session failed; hanging up")
    finally:
        # A peer gone without a word can cancel this handler mid-way: the call's end is
        # still recorded in full, in a task of its own that the line keeps until done.
        ending = asyncio.create_task(_after_call(request.app, line, socket, session, stream))
        line.endings.add(ending)
        ending.add_done_callback(line.endings.discard)
        await asyncio.shield(ending)
    return socket


def contact(caller: str) -> str | None:
    """The caller's number as a contact to remember, or None when withheld or not a number."""
    return caller if _PHONE_NUMBER.match(caller) and caller != _WITHHELD else None


async def _wait_for_calls(line: PhoneLine, seconds: float) -> None:
    """Wait until no call is live, or `seconds` have passed."""
    if seconds <= 0:
        return
    log.info("Stopping: up to %.0f s for %d call(s) to end", seconds, _calls_here(line))
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await asyncio.gather(line.sender.all_ended(), line.relays.all_ended())
    log.info("Stopping: %d call(s) still live after the drain", _calls_here(line))


def _calls_here(line: PhoneLine) -> int:
    """The calls this hub serves, and those it relays to the hub that answered them."""
    return line.sender.calls_live() + line.relays.live


def _line(request: web.Request) -> PhoneLine:
    line = request.app.get(line_key)
    if line is None:
        raise ApiError(
            503,
            "phone_line_off",
            "The phone line is off: LOKET_PUBLIC_BASE_URL and LOKET_TWILIO_AUTH_TOKEN are not set.",
        )
    return line


async def _signed_form(line: PhoneLine, request: web.Request) -> Mapping[str, str]:
    """The webhook's form fields, once its signature over the public URL is checked."""
    return await twilio_signature.signed_form(line.validator, line.public_base_url, request)


def _call_sid(form: Mapping[str, str]) -> str:
    call_sid = form.get("CallSid", "")
    if not _CALL_SID.match(call_sid):
        raise ApiError(422, "invalid_call_sid", "CallSid must be 'CA' and 32 hexadecimal digits.")
    return call_sid


def _websocket_url(base_url: str) -> str:
    """The ws(s):// twin of an http(s):// address."""
    return re.sub(r"^http", "ws", base_url)


def _sender(socket: web.WebSocketResponse) -> Callable[[str], Awaitable[None]]:
    async def send(text: str) -> None:
        # The caller may hang up while a sentence is still going out: drop the rest quietly.
        if not socket.closed:
            with contextlib.suppress(ConnectionResetError):
                await socket.send_str(text)

    return send


class _MediaStream:
    """A call's WebSocket read as Twilio's events, until it closes, breaks, carries a
    malformed message or goes silent.

    Twilio sends 20 ms of audio at a time for as long as the call lasts: nothing for
    `idle_seconds` (or no answer to a ping) means the other end is gone without closing
    (a half-open socket). `went_silent` then says so.
    """

    def __init__(self, socket: web.WebSocketResponse, idle_seconds: float) -> None:
        self.went_silent = False
        self.opening: list[str] = []
        """The messages up to `start` included, as received (to relay them as they came)."""
        self._started = False
        self._socket = socket
        self._idle_seconds = idle_seconds

    async def events(self) -> AsyncIterator[TwilioEvent]:
        """Twilio's messages as events."""
        while True:
            try:
                message = await self._socket.receive(timeout=self._idle_seconds)
            except TimeoutError:
                self.went_silent = True
                return
            if message.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
                return
            if message.type is WSMsgType.ERROR:
                # No pong to our heartbeat: gone silent; anything else: dropped, like a hang-up.
                self.went_silent = isinstance(message.data, TimeoutError)
                return
            try:
                if message.type is not WSMsgType.TEXT:
                    raise ProtocolError("binary message")
                event = parse_twilio_event(message.data)
            except ProtocolError:
                # Not the message itself: it may carry the caller's audio.
                log.warning("Closing a media stream after a malformed message")
                await self._socket.close(
                    code=WSCloseCode.POLICY_VIOLATION, message=b"malformed message"
                )
                return
            if not self._started:
                self.opening.append(message.data)
                self._started = isinstance(event, Start)
            yield event


async def _after_call(
    app: web.Application,
    line: PhoneLine,
    socket: web.WebSocketResponse,
    session: CallSession,
    stream: _MediaStream,
) -> None:
    """Everything a call's end needs: its slot freed, a dropped call's conversation ended
    (it counts as live, in `line.calls`, until then), the stream closed, its figures counted."""
    try:
        line.slots.ended(session.call_sid)
        if stream.went_silent:
            await _end_dropped_call(line, session.call_sid)
    finally:
        line.calls.discard(socket)
    # With <Connect><Stream>, closing the stream ends the call; a peer gone without a
    # word makes this wait for aiohttp's close timeout.
    await socket.close()
    app[metrics_key].observe_call(session.stats.after_speech)
    if line.on_call_end is not None:
        line.on_call_end(session)


async def _end_dropped_call(line: PhoneLine, call_sid: str) -> None:
    """A stream that went silent: the call is over for Loket, and recorded as ended."""
    log.warning(
        "Call %s: nothing on its media stream for %g s; taken as dropped",
        call_sid or "(not started)",
        line.settings.call_idle_seconds,
    )
    if call_sid:
        line.tickets.call_ended(call_sid)
        await line.service.end_call(call_conversation_id(call_sid))


async def _admitted(
    request: web.Request, line: PhoneLine, socket: web.WebSocketResponse, stream: _MediaStream
) -> AsyncIterator[TwilioEvent]:
    """The stream's events, if its `start` brings a valid ticket for its call; else none.

    An admitted stream holds its call's slot until it ends. One whose call another hub
    answered is relayed there until it ends (relay.py); any other is closed at once.
    Either way its session here sees no start and ends.
    """
    async for event in stream.events():
        if isinstance(event, Start):
            ticket = event.custom_parameters.get(TICKET_PARAMETER, "")
            if not line.tickets.admit(ticket, event.call_sid):
                await _relay_or_refuse(request, line, socket, stream, event.call_sid)
                return
            line.slots.streaming(event.call_sid)
        yield event


async def _relay_or_refuse(
    request: web.Request,
    line: PhoneLine,
    socket: web.WebSocketResponse,
    stream: _MediaStream,
    call_sid: str,
) -> None:
    owner = None if relay.is_relayed(request) else await line.owners.owner(call_sid)
    if owner is None:
        log.warning("Refused a media stream for call %s: no valid ticket", call_sid)
        await socket.close(code=WSCloseCode.POLICY_VIOLATION, message=b"invalid ticket")
        return
    log.info("Call %s: its stream came here; relayed to the hub that answered it", call_sid)
    idle = line.settings.call_idle_seconds
    with line.relays.one():
        await relay.relay(request, socket, owner, stream.opening, idle, MAX_MESSAGE_BYTES)


GOODBYE_SECONDS = 15.0
"""How long calls still going after the drain may take to hear that the line is closing."""


async def drain(app: web.Application) -> None:
    """The hub is stopping, its port already closed (bot/serving.py): let the calls end by
    themselves for LOKET_CALL_DRAIN_SECONDS, then tell the callers still on the line that
    it is closing (their conversation is kept) and end their calls. Streams relayed to
    another hub (relay.py) may go on as long; those still going are then cut, and the hub
    that answered them ends their calls without a goodbye."""
    line = app.get(line_key)
    if line is None or not _calls_here(line):
        return
    await _wait_for_calls(line, line.settings.call_drain_seconds)
    if line.sender.calls_live():
        await line.sender.hang_up_all(GOODBYE_SECONDS)
        # Their streams close as a call's end, before the shut-down cuts what is left.
        await asyncio.gather(*line.endings, return_exceptions=True)


async def _hang_up_all(app: web.Application) -> None:
    """At shut-down, end every call still streaming, so no session outlives the hub."""
    line = app.get(line_key)
    for socket in list(line.calls if line else ()):
        await socket.close(code=WSCloseCode.GOING_AWAY, message=b"Loket is stopping")
    if line is not None:
        await asyncio.gather(*line.endings, return_exceptions=True)  # their ends recorded
        line.recognisers.close()
