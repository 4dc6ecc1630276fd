"""Live events across hub replicas: Redis pub/sub behind the EventBus.

Each hub delivers the events it publishes to its own subscribers at once
(`EventBus.publish`) and sends them on one Redis channel, in the order it published
them (Redis keeps that order on a channel). It delivers the other hubs' events it
receives there to its subscribers, and skips its own (each names the hub it came from):
every event reaches every subscriber once, on whichever hub the browser is connected to.

Redis is a relay, not a store. While it is unreachable, this hub's events wait in a
bounded queue and go out once it is back; the other hubs' events of that time are lost
to this hub, so once subscribed again it drops its subscribers: their pages reconnect
and reload from the database what they missed. Reconnection waits 0.1 s, doubling up
to 5 s; an outage is logged once, and its end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from typing import Any

from redis.asyncio import Redis

from bot.conversations.events import MAX_BACKLOG, Event, EventBus
from bot.conversations.locks import UNREACHABLE

log = logging.getLogger(__name__)

SUBSCRIBE_WAIT_SECONDS = 5.0
"""How long a hub's start waits to be subscribed (it starts anyway, and keeps trying)."""
FIRST_RETRY_SECONDS = 0.1
LAST_RETRY_SECONDS = 5.0


class Backoff:
    """The waits between attempts to reach Redis, and the log of an outage: its start
    once (a warning), its end once (info)."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._delay = FIRST_RETRY_SECONDS
        self._failing = False

    async def wait(self, error: BaseException) -> None:
        """After a failure: log it if it starts an outage, then wait before the next try."""
        if not self._failing:
            log.warning("%s: Redis unreachable (%s); trying again", self._what, error)
            self._failing = True
        await asyncio.sleep(self._delay)
        self._delay = min(LAST_RETRY_SECONDS, self._delay * 2)

    def succeeded(self) -> bool:
        """After a success: True (and logged) when it ends an outage."""
        self._delay = FIRST_RETRY_SECONDS
        ended, self._failing = self._failing, False
        if ended:
            log.info("%s: Redis reachable again", self._what)
        return ended


class RedisFanout:
    """Relays the live events of this hub's bus to the other hubs, and theirs to it."""

    def __init__(self, bus: EventBus, redis: Redis, channel: str) -> None:
        self._bus = bus
        self._redis = redis
        self._channel = channel
        self._origin = secrets.token_hex(8)  # this hub, among those on the channel
        self._outgoing: asyncio.Queue[bytes] = asyncio.Queue(MAX_BACKLOG)
        self._tasks: list[asyncio.Task[None]] = []
        self._full = False  # the outgoing queue overflowed (logged once)

    async def start(self) -> None:
        """Send this hub's events and receive the others'; returns once subscribed (or
        after `SUBSCRIBE_WAIT_SECONDS`, Redis being unreachable: it keeps trying)."""
        subscribed = asyncio.Event()
        self._tasks = [
            asyncio.create_task(self._receive_forever(subscribed)),
            asyncio.create_task(self._send_forever()),
        ]
        self._bus.forward_to(self._enqueue)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(subscribed.wait(), SUBSCRIBE_WAIT_SECONDS)

    async def close(self) -> None:
        """Stop relaying (events not sent yet are left: the hub is stopping)."""
        self._bus.forward_to(None)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _enqueue(self, topic: str, event: Event) -> None:
        """The bus's forward: queue the event for the other hubs, never waiting."""
        message = {
            "origin": self._origin,
            "topic": topic,
            "kind": event.kind,
            "conversation_id": event.conversation_id,
            "data": event.data,
        }
        try:
            payload = json.dumps(message, ensure_ascii=False).encode()
        except (TypeError, ValueError):  # a publisher's bug must not break the turn
            log.error(
                "A %r live event holds data that is not JSON: not sent to other hubs", event.kind
            )
            return
        try:
            self._outgoing.put_nowait(payload)
            self._full = False
        except asyncio.QueueFull:
            if not self._full:
                log.warning("Live events for other hubs: %d waiting, newer ones lost", MAX_BACKLOG)
            self._full = True

    async def _send_forever(self) -> None:
        """Publish queued events in order; an event Redis did not take is tried again."""
        backoff = Backoff("Sending live events to other hubs")
        while True:
            payload = await self._outgoing.get()
            while True:
                try:
                    await self._redis.publish(self._channel, payload)
                    backoff.succeeded()
                    break
                except UNREACHABLE as error:
                    await backoff.wait(error)

    async def _receive_forever(self, subscribed: asyncio.Event) -> None:
        """Deliver the other hubs' events here; subscribe again whenever the link breaks."""
        backoff = Backoff("Live events from other hubs")
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self._channel)
                    async for message in pubsub.listen():
                        if message["type"] == "subscribe":
                            # Again after a break (here, or within redis-py): events missed.
                            backoff.succeeded()
                            if subscribed.is_set():
                                self._bus.drop_all()
                            subscribed.set()
                        elif message["type"] == "message":
                            self._deliver(message["data"])
            except UNREACHABLE as error:
                subscribed.set()  # the hub starts all the same; its own events still flow
                await backoff.wait(error)

    def _deliver(self, payload: bytes) -> None:
        """Hand another hub's event to this hub's subscribers; this hub's own are skipped
        (delivered when published)."""
        try:
            message: dict[str, Any] = json.loads(payload)
            if message["origin"] == self._origin:
                return
            event = Event(message["kind"], message["conversation_id"], message["data"])
            topic = message["topic"]
        except (ValueError, KeyError, TypeError):
            log.warning("A live event on %s could not be read; skipped", self._channel)
            return
        self._bus.deliver(topic, event)
