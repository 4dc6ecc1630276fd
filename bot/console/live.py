"""GET /agent/events: the console's live stream (server-sent events).

Each event only says what changed and where (`{"kind": "message", "conversation_id":
"...", "message_id": 12}`); the page then fetches what it shows through the same pages
and checks as any other request. No person's words travel on this stream.

The stream is also the agent's heartbeat: every beat is a sign of life (desk.touch),
in the conversation open on the page if there is one. When the console goes away, the
beats stop and the core returns the conversation to the queue after
`agent_idle_seconds`. A signed-out session ends its open streams at the next beat.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import web
from aiohttp_session import get_session

from bot.appkeys import service_key, settings_key
from bot.console import sessions
from bot.conversations.events import QUEUE_TOPIC, Event, Subscription

log = logging.getLogger(__name__)

MAX_HEARTBEAT_SECONDS = 15.0
MIN_HEARTBEAT_SECONDS = 1.0
RETRY_MILLISECONDS = 3000


class Closing:
    """Set when the hub shuts down, so open streams end at once instead of holding it up."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    async def close_all(self, _: web.Application) -> None:
        """`on_shutdown` of the console."""
        self.event.set()


closing_key = web.AppKey("console_closing", Closing)


async def events(request: web.Request) -> web.StreamResponse:
    """Every change the consoles show: the queue topic carries every conversation's events
    (the page filters by conversation id)."""
    agent = sessions.current_agent(request)
    service = request.config_dict[service_key]
    session_id = (await get_session(request)).get("sid")
    beat = heartbeat_seconds(request.config_dict[settings_key].agent_idle_seconds)
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # nginx would otherwise hold events back
        }
    )
    with service.events.subscribe(QUEUE_TOPIC) as subscription:
        await response.prepare(request)
        await service.desk.touch(agent.id)
        try:
            await response.write(f"retry: {RETRY_MILLISECONDS}\n\n".encode())
            while await _relay_one(request, response, subscription, beat):
                if session_id in request.config_dict[sessions.signed_out_key]:
                    break
                await service.desk.touch(agent.id)
        except ConnectionError:
            log.debug("A console's live stream was closed by the browser")
    with contextlib.suppress(ConnectionError):
        await response.write_eof()
    return response


def heartbeat_seconds(idle_seconds: float) -> float:
    """Often enough that a console with the page open is never taken for gone."""
    return max(MIN_HEARTBEAT_SECONDS, min(MAX_HEARTBEAT_SECONDS, idle_seconds / 3))


async def _relay_one(
    request: web.Request,
    response: web.StreamResponse,
    subscription: Subscription,
    beat: float,
) -> bool:
    """Forward events until a beat is due; False when the stream must end."""
    loop = asyncio.get_running_loop()
    closing = asyncio.ensure_future(request.config_dict[closing_key].event.wait())
    try:
        deadline = loop.time() + beat
        while (left := deadline - loop.time()) > 0:
            event = asyncio.ensure_future(subscription.next(left))
            await asyncio.wait({event, closing}, return_when=asyncio.FIRST_COMPLETED)
            if closing.done():
                event.cancel()
                return False
            if event.result() is None:
                if subscription.dropped:
                    # Too slow: ending makes the browser reconnect and reload what it shows.
                    return False
                break
            await response.write(encode(event.result()))
        await response.write(b": heartbeat\n\n")  # also finds a browser that left
        return True
    finally:
        closing.cancel()


def encode(event: Event) -> bytes:
    """One server-sent event naming what changed, without the change itself."""
    data: dict[str, Any] = {"kind": event.kind, "conversation_id": event.conversation_id}
    if event.kind == "message" and "id" in event.data:
        data["message_id"] = event.data["id"]
    return f"event: change\ndata: {json.dumps(data)}\n\n".encode()
