"""Server-sent event streams, as the web chat page and the agent console hold them open.

One response per browser: opened with `open_stream`, fed by `relay` from a subscription
to the core's live events until the client goes away, the hub shuts down (every open
stream ends at once, so Ctrl-C is not held up) or the bus drops a subscriber that fell
behind (the browser reconnects and catches up). A comment goes out every heartbeat, so
proxies keep the connection open and a client that left is noticed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.conversations.events import Event, Subscription

RETRY_MILLISECONDS = 3000
"""How long a browser waits before it reconnects (sent once, as the stream's `retry:`)."""
Forward = Callable[[Event], Awaitable[None]]
Beat = Callable[[], Awaitable[bool]]


class Shutdown:
    """Set when the hub shuts down: every open stream then ends."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    async def set(self, _: web.Application) -> None:
        """`app.on_shutdown`."""
        self.event.set()


shutdown_key = web.AppKey("event_streams_shutdown", Shutdown)


def setup(app: web.Application) -> None:
    """Let shutting down the hub end its open streams (sub-applications share it)."""
    shutdown = app[shutdown_key] = Shutdown()
    app.on_shutdown.append(shutdown.set)


def format_event(kind: str, data: dict[str, Any], event_id: int | None = None) -> bytes:
    """One server-sent event. JSON from `json.dumps` holds no newline, so one data line."""
    lines = [f"event: {kind}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append(f"data: {json.dumps(data, ensure_ascii=False)}")
    return ("\n".join(lines) + "\n\n").encode()


async def open_stream(request: web.Request) -> web.StreamResponse:
    """Start an event stream response."""
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-store",
            "X-Accel-Buffering": "no",  # nginx would otherwise hold events back
        }
    )
    await response.prepare(request)
    await response.write(f"retry: {RETRY_MILLISECONDS}\n\n".encode())
    return response


async def relay(
    request: web.Request,
    response: web.StreamResponse,
    events: Subscription,
    heartbeat: float,
    forward: Forward,
    on_beat: Beat | None = None,
) -> None:
    """Forward live events until the stream must end.

    Every `heartbeat` seconds, busy or not, a comment goes out and `on_beat` runs (the
    console's sign of life); `on_beat` returning False ends the stream.
    """
    loop = asyncio.get_running_loop()
    shutdown = asyncio.ensure_future(request.config_dict[shutdown_key].event.wait())
    event: asyncio.Future[Event | None] | None = None
    beat_at = loop.time() + heartbeat
    try:
        while True:
            event = asyncio.ensure_future(events.next(max(0.0, beat_at - loop.time())))
            await asyncio.wait({event, shutdown}, return_when=asyncio.FIRST_COMPLETED)
            if shutdown.done() or (event.result() is None and events.dropped):
                return
            if event.result() is not None:
                await forward(event.result())
            if loop.time() >= beat_at:
                beat_at = loop.time() + heartbeat
                await response.write(b": heartbeat\n\n")  # also finds a client that left
                if on_beat is not None and not await on_beat():
                    return
    finally:  # also when the handler is cancelled (the client left): leave no task behind
        shutdown.cancel()
        if event is not None:
            event.cancel()


async def close(response: web.StreamResponse) -> None:
    """End the stream (the client may be gone already)."""
    with contextlib.suppress(ConnectionError):
        await response.write_eof()
