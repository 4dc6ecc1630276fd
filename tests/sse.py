"""Read server-sent events from an aiohttp client response, as a test needs them."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientResponse


@dataclass(frozen=True)
class ServerEvent:
    """One event of a stream. Blocks without data have kind "comment" (a heartbeat) or
    "retry" (the reconnection delay)."""

    kind: str
    data: Any = None
    id: str | None = None


async def read_event(
    response: ClientResponse, timeout: float = 5.0, comments: bool = False
) -> ServerEvent:
    """The next event (comment and retry blocks skipped unless `comments`).

    TimeoutError if none comes, EOFError if the stream ends.
    """
    async with asyncio.timeout(timeout):
        while True:
            event = await _read_block(response)
            if event.kind not in ("comment", "retry") or comments:
                return event


async def read_events(response: ClientResponse, count: int, timeout: float = 5.0) -> list:
    """The next `count` events (heartbeats skipped)."""
    return [await read_event(response, timeout) for _ in range(count)]


async def _read_block(response: ClientResponse) -> ServerEvent:
    fields: dict[str, str] = {}
    while True:
        raw = await response.content.readline()
        if not raw:
            raise EOFError("the stream ended")
        line = raw.decode().rstrip("\n")
        if not line:
            if fields:
                break
            continue
        name, _, value = line.partition(":")
        fields[name or "comment"] = value.removeprefix(" ")
    if "event" not in fields and "data" not in fields:
        return ServerEvent("comment" if "comment" in fields else "retry")
    data = fields.get("data")
    return ServerEvent(
        fields.get("event", "message"), json.loads(data) if data else None, fields.get("id")
    )
