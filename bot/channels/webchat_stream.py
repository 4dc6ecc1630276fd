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
- it ends when the client goes away or when the hub shuts down (`close_all` runs on
  `app.on_shutdown`, so Ctrl-C is not held up by open streams).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable
from typing import Any

from aiohttp import web

from bot.conversations.events import Event, Subscription
from bot.conversations.records import MessageRecord

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
RETRY_MILLISECONDS = 3000
"""How long a browser waits before it reconnects (sent once, as the stream's `retry:`)."""


class OpenStreams:
    """The hub's open streams, so that shutting down can end them all at once."""

    def __init__(self) -> None:
        self.closing = asyncio.Event()

    async def close_all(self, _: web.Application) -> None:
        """`app.on_shutdown`: every stream ends its response and returns."""
        self.closing.set()


open_streams_key = web.AppKey("webchat_open_streams", OpenStreams)


def setup(app: web.Application) -> None:
    """Let shutting down the hub end the open streams."""
    streams = app[open_streams_key] = OpenStreams()
    app.on_shutdown.append(streams.close_all)


def format_event(kind: str, data: dict[str, Any], event_id: int | None = None) -> bytes:
    """One server-sent event. JSON from `json.dumps` holds no newline, so one data line."""
    lines = [f"event: {kind}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"data: {json.dumps(data, ensure_ascii=False)}")
    return ("\n".join(lines) + "\n\n").encode()


async def stream(
    request: web.Request,
    events: Subscription,
    missed: Iterable[MessageRecord],
    state: str,
) -> web.StreamResponse:
    """Send `missed`, then `state`, then the live `events`, until the client or hub leaves.

    `events` must be subscribed before `missed` was read: then nothing falls between.
    """
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # nginx would otherwise hold events back
            # The hub's security-headers middleware runs after the handler, when a stream's
            # headers are long sent: the one that matters for a text stream is set here.
            "X-Content-Type-Options": "nosniff",
        }
    )
    await response.prepare(request)
    sent: set[int] = set()
    try:
        await response.write(f"retry: {RETRY_MILLISECONDS}\n\n".encode())
        for message in missed:
            await _send_message(response, message.public(), sent)
        await response.write(format_event("state", {"state": state}))
        await _relay(response, events, request.app[open_streams_key].closing, sent)
    except ConnectionError:  # the client went away: nothing to tell anyone
        log.debug("Web chat stream closed by the client")
    with contextlib.suppress(ConnectionError):
        await response.write_eof()
    return response


async def _relay(
    response: web.StreamResponse, events: Subscription, closing: asyncio.Event, sent: set[int]
) -> None:
    """Live events until the hub shuts down or the bus drops this (too slow) subscriber."""
    shutdown = asyncio.ensure_future(closing.wait())
    event: asyncio.Future[Event | None] | None = None
    try:
        while True:
            event = asyncio.ensure_future(events.next(HEARTBEAT_SECONDS))
            await asyncio.wait({event, shutdown}, return_when=asyncio.FIRST_COMPLETED)
            if shutdown.done():
                return
            if event.result() is not None:
                await _forward(response, event.result(), sent)
            elif events.dropped:
                # Ending makes the browser reconnect with Last-Event-ID and catch up from
                # the store.
                return
            else:
                await response.write(b": heartbeat\n\n")  # also finds a client that left
    finally:  # also when the handler is cancelled (the client left): leave no task behind
        shutdown.cancel()
        if event is not None:
            event.cancel()


async def _forward(response: web.StreamResponse, event: Event, sent: set[int]) -> None:
    """Write one event the page needs; other kinds on the topic are for the consoles."""
    if event.kind == "message":
        await _send_message(response, event.data, sent)
    elif event.kind == "state":
        await response.write(format_event("state", {"state": event.data.get("state")}))


async def _send_message(response: web.StreamResponse, data: dict[str, Any], sent: set[int]) -> None:
    message_id = int(data["id"])
    if message_id in sent:
        return
    sent.add(message_id)
    await response.write(format_event("message", data, event_id=message_id))
