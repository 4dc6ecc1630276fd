"""Live events: what happened in a conversation or in the agents' queue, as it happens.

The web chat's and the console's server-sent event streams subscribe here; the core
publishes after each change is committed, so a subscriber that reads the store on an
event always finds what the event announces. Within a process: an in-memory fan-out.
Several hub replicas also hand every event to the others (bot/conversations/fanout.py:
Redis pub/sub), which deliver it to their own subscribers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

QUEUE_TOPIC = "queue"
"""Every change the agents' consoles show: a conversation waiting, taken, released, a
person's or agent's message, a callback request, an agent's availability."""
MAX_BACKLOG = 1000
"""Events a slow subscriber may have unread before it is dropped (it reconnects and reloads)."""


def conversation_topic(conversation_id: str) -> str:
    """The topic of one conversation's events (its page and its open consoles listen)."""
    return f"conversation:{conversation_id}"


@dataclass(frozen=True)
class Event:
    """Something that happened. `kind`: "message", "state", "queue", "callback", "agent"."""

    kind: str
    conversation_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


class Subscription:
    """Events of some topics, in the order they were published, until closed."""

    def __init__(self, bus: EventBus, topics: tuple[str, ...]) -> None:
        self._bus = bus
        self.topics = topics
        self.dropped = False
        """True once the bus dropped this subscriber (it fell behind, or events from other hubs
        may have been missed): reload, resubscribe."""
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(MAX_BACKLOG)

    def offer(self, event: Event) -> None:
        """Add an event; a subscriber too slow to keep up is closed, never waited for."""
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            log.warning("Dropping a live-event subscriber that fell %d events behind", MAX_BACKLOG)
            self.drop()

    def drop(self) -> None:
        """Stop delivering: the reader gets None, and its client reconnects and reloads."""
        self._bus.unsubscribe(self)
        self.dropped = True
        while not self._queue.empty():  # the same queue: a reader waiting on it wakes up
            self._queue.get_nowait()
        self._queue.put_nowait(None)

    async def next(self, timeout: float | None = None) -> Event | None:
        """The next event; None after `timeout` seconds without one, or once dropped."""
        try:
            async with asyncio.timeout(timeout):
                return await self._queue.get()
        except TimeoutError:
            return None

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while (event := await self._queue.get()) is not None:
            yield event


Forward = Callable[[str, Event], None]


class EventBus:
    """Publish and subscribe by topic: this process's subscribers, and the other hubs'
    through `forward_to`."""

    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscription]] = {}
        self._forward: Forward | None = None

    def publish(self, topic: str, event: Event) -> None:
        """Hand `event` to every subscriber of `topic`, here and on other hubs (never blocks)."""
        self.deliver(topic, event)
        if self._forward is not None:
            self._forward(topic, event)

    def deliver(self, topic: str, event: Event) -> None:
        """Hand `event` to this process's subscribers of `topic` only (never blocks)."""
        for subscription in list(self._subscribers.get(topic, ())):
            subscription.offer(event)

    def forward_to(self, forward: Forward | None) -> None:
        """Also hand every event published here to `forward` (the other hubs); None: stop."""
        self._forward = forward

    def drop_all(self) -> None:
        """Drop every subscriber: their clients reconnect and reload what they missed (after
        an outage of the link to the other hubs, whose events meanwhile never came)."""
        for subscription in {s for subscribers in self._subscribers.values() for s in subscribers}:
            subscription.drop()

    @contextlib.contextmanager
    def subscribe(self, *topics: str) -> Any:
        """`with bus.subscribe(topic, ...) as events:` read `events` until the block ends."""
        subscription = Subscription(self, topics)
        for topic in topics:
            self._subscribers.setdefault(topic, set()).add(subscription)
        try:
            yield subscription
        finally:
            self.unsubscribe(subscription)

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop delivering to `subscription`."""
        for topic in subscription.topics:
            subscribers = self._subscribers.get(topic)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[topic]

    def subscriber_count(self, topic: str) -> int:
        """How many subscribers listen to `topic` now."""
        return len(self._subscribers.get(topic, ()))
