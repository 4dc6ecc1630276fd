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

import logging
from typing import Any

from aiohttp import web
from aiohttp_session import get_session

from bot import event_streams
from bot.appkeys import service_key, settings_key
from bot.console import sessions
from bot.conversations.events import QUEUE_TOPIC, Event
from bot.event_streams import format_event

log = logging.getLogger(__name__)

MAX_HEARTBEAT_SECONDS = 15.0
MIN_HEARTBEAT_SECONDS = 1.0


async def events(request: web.Request) -> web.StreamResponse:
    """Every change the consoles show: the queue topic carries every conversation's events
    (the page filters by conversation id)."""
    agent = sessions.current_agent(request)
    service = request.config_dict[service_key]
    session_id = (await get_session(request)).get("sid")
    beat = heartbeat_seconds(request.config_dict[settings_key].agent_idle_seconds)

    async def still_signed_in() -> bool:
        """A beat: the agent's sign of life, unless the session was signed out."""
        if not session_id or await sessions.is_signed_out(request, session_id):
            return False
        await service.desk.touch(agent.id)
        return True

    async def forward(event: Event) -> None:
        await response.write(encode(event))

    with service.events.subscribe(QUEUE_TOPIC) as subscription:
        # Before the stream opens: a console that sees it open has been counted as alive.
        await service.desk.touch(agent.id)
        response = await event_streams.open_stream(request)
        try:
            await event_streams.relay(
                request, response, subscription, beat, forward, on_beat=still_signed_in
            )
        except ConnectionError:
            log.debug("A console's live stream was closed by the browser")
    await event_streams.close(response)
    return response


def heartbeat_seconds(idle_seconds: float) -> float:
    """Often enough that a console with the page open is never taken for gone."""
    return max(MIN_HEARTBEAT_SECONDS, min(MAX_HEARTBEAT_SECONDS, idle_seconds / 3))


def encode(event: Event) -> bytes:
    """One server-sent event naming what changed, without the change itself."""
    data: dict[str, Any] = {"kind": event.kind, "conversation_id": event.conversation_id}
    if event.kind == "message" and "id" in event.data:
        data["message_id"] = event.data["id"]
    return format_event("change", data)
