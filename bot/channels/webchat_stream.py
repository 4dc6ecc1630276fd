"""The web chat's live stream: one conversation's messages and state as server-sent events.

The page holds one stream open (the browser's EventSource reconnects by itself and sends
`Last-Event-ID`), so an agent's reply or a late answer reaches it at once, without
polling. The handler in `webchat` checks the request; this module writes the stream:

- what the client missed first (messages after its last id, read from the store), then
  the conversation's state, then live events as the core publishes them;
- `event: message` with `id: <message id>`, so a reconnect resumes after it; a message
  already sent is never sent twice (the store and the bus can both hold it);
- a comment every `HEARTBEAT_SECONDS`, so proxies keep the connection open and a client
  that went away is noticed;
- it ends when the client goes away or when the hub shuts down (bot/event_streams.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from bot import event_streams
from bot.conversations.events import Event, Subscription
from bot.conversations.records import MessageRecord
from bot.event_streams import format_event

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0


async def stream(
    request: web.Request,
    events: Subscription,
    missed: Iterable[MessageRecord],
    state: str,
) -> web.StreamResponse:
    """Send `missed`, then `state`, then the live `events`, until the client or hub leaves.

    `events` must be subscribed before `missed` was read: then nothing falls between.
    """
    response = await event_streams.open_stream(request)
    sent: set[int] = set()

    async def forward(event: Event) -> None:
        """Write one event the page needs; other kinds on the topic are for the consoles."""
        if event.kind == "message":
            await _send_message(response, event.data, sent)
        elif event.kind == "state":
            await response.write(format_event("state", {"state": event.data.get("state")}))

    try:
        for message in missed:
            await _send_message(response, message.public(), sent)
        await response.write(format_event("state", {"state": state}))
        await event_streams.relay(request, response, events, HEARTBEAT_SECONDS, forward)
    except ConnectionError:  # the client went away: nothing to tell anyone
        log.debug("Web chat stream closed by the client")
    await event_streams.close(response)
    return response


async def _send_message(response: web.StreamResponse, data: dict[str, Any], sent: set[int]) -> None:
    message_id = int(data["id"])
    if message_id in sent:
        return
    sent.add(message_id)
    await response.write(format_event("message", data, event_id=message_id))
