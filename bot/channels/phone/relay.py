"""A call's media stream that reaches another hub replica goes on to the hub that answered.

With several hubs behind one public address, Twilio's /twilio/voice request and the
call's media WebSocket are two connections that a load balancer may send to different
replicas. The call belongs to the hub that answered /twilio/voice: it holds the call's
slot (capacity.py) and its single-use ticket (tickets.py). So that hub writes in Redis
where it can be reached (LOKET_HUB_INTERNAL_URL) for the ticket's life; a replica that
gets a stream with a ticket it did not issue looks the call up there and relays the
stream, both ways, to that hub, which checks the ticket and speaks with the caller as
usual. The address comes from Redis, written by a hub, never from the request.

The relayed upgrade carries Twilio's own signature (the hub checks it over the same
public address) and a header that stops a second relay, so a stream never goes round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
from aiohttp import WSCloseCode, WSMsgType, web
from redis.asyncio import Redis

from bot.channels.phone.tickets import TICKET_SECONDS
from bot.channels.twilio_signature import SIGNATURE_HEADER
from bot.conversations.locks import UNREACHABLE, hashed_key

log = logging.getLogger(__name__)

RELAYED_HEADER = "X-Loket-Relayed"
"""Set on a stream one hub relays to another: that hub never relays it again."""
CONNECT_SECONDS = 5.0
"""How long a replica tries to reach the call's hub before it gives the call up."""


class CallOwners:
    """Which hub answered each call still to be streamed, in Redis (keys: a hash of the
    CallSid); nothing without Redis or without this hub's internal address."""

    def __init__(self, redis: Redis | None, prefix: str, own_url: str) -> None:
        self._redis = redis if own_url else None
        self._prefix = prefix
        self.own_url = own_url.rstrip("/")

    async def claim(self, call_sid: str) -> None:
        """Say that this hub answered `call_sid`, for as long as its stream ticket lives."""
        if self._redis is None:
            return
        try:
            await self._redis.set(self._key(call_sid), self.own_url, ex=int(TICKET_SECONDS))
        except UNREACHABLE as error:
            log.warning("Call not announced to the other hubs (Redis unreachable: %s)", error)

    async def owner(self, call_sid: str) -> str | None:
        """The internal address of the other hub that answered `call_sid`, if any."""
        if self._redis is None:
            return None
        try:
            found = await self._redis.get(self._key(call_sid))
        except UNREACHABLE as error:
            log.warning("Could not look up the hub of a call (Redis unreachable: %s)", error)
            return None
        url = found.decode() if found else None
        return url if url and url != self.own_url else None

    def _key(self, call_sid: str) -> str:
        return hashed_key(f"{self._prefix}call-hub", call_sid)


def is_relayed(request: web.Request) -> bool:
    """True for a stream another hub relayed here."""
    return RELAYED_HEADER in request.headers


async def relay(
    request: web.Request,
    twilio: web.WebSocketResponse,
    owner_url: str,
    opening: list[str],
    idle_seconds: float,
    max_message_bytes: int,
) -> None:
    """Pass the call's stream on to its hub and back until either side closes; the
    `opening` messages (Twilio's `connected` and `start`) are sent first."""
    headers = {SIGNATURE_HEADER: request.headers.get(SIGNATURE_HEADER, ""), RELAYED_HEADER: "1"}
    async with aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(connect=CONNECT_SECONDS)
    ) as session:
        try:
            upstream = await session.ws_connect(
                owner_url + request.path_qs,
                headers=headers,
                heartbeat=idle_seconds,  # the hub gone without a word ends the call here too
                max_msg_size=max_message_bytes,
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as error:
            log.warning("The hub of a call could not be reached (%s); the call ends", error)
            await twilio.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"hub unreachable")
            return
        async with upstream:
            for text in opening:
                await upstream.send_str(text)
            await _both_ways(twilio, upstream)


async def _both_ways(
    twilio: web.WebSocketResponse, upstream: aiohttp.ClientWebSocketResponse
) -> None:
    """Copy text messages each way; when one side closes, close the other with its code."""
    to_hub = asyncio.create_task(_copy(twilio, upstream))
    to_twilio = asyncio.create_task(_copy(upstream, twilio))
    done, pending = await asyncio.wait({to_hub, to_twilio}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    code = upstream.close_code if to_twilio in done else twilio.close_code
    await twilio.close(code=code or WSCloseCode.OK)
    await upstream.close(code=code or WSCloseCode.OK)


async def _copy(
    source: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
    target: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
) -> None:
    """Until `source` closes: each of its text messages to `target`."""
    while True:
        message = await source.receive()
        if message.type is not WSMsgType.TEXT or target.closed:
            return
        with contextlib.suppress(ConnectionResetError):
            await target.send_str(message.data)
