"""Limits on messages, so that one client or one conversation cannot flood the service."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


class RateLimiter:
    """Token bucket per key: `per_minute` messages a minute, with bursts up to the same."""

    MAX_KEYS = 100_000  # forget the least recently seen clients beyond this

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = per_minute / 60.0
        self._capacity = float(per_minute)
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Take one token for `key`; False when the client must wait."""
        now = self._clock()
        tokens, last = self._buckets.pop(key, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - last) * self._rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        if len(self._buckets) > self.MAX_KEYS:
            self._buckets.popitem(last=False)
        return allowed

    def retry_after(self) -> int:
        """Seconds until one more message is allowed for a client that ran out."""
        return max(1, round(1 / self._rate))


@dataclass
class MessageLimits:
    """The limits a person's message must pass: its client address's and its conversation's.

    Per address alone, a proxy's many users could starve each other; per conversation
    alone, one client could flood with many conversations.
    """

    per_client: RateLimiter
    per_conversation: RateLimiter

    def retry_after(self, client: str, conversation_id: str) -> int | None:
        """None when the message may go on; otherwise the seconds to wait."""
        for limiter, key in ((self.per_client, client), (self.per_conversation, conversation_id)):
            if not limiter.allow(key):
                return limiter.retry_after()
        return None
