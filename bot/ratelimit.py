"""Limits on messages, so that one client or one conversation cannot flood the service.

One hub counts in its own memory. Hub replicas (LOKET_REDIS_URL) count in Redis, so a
client spread over several replicas by a load balancer gets the same limit as on one:
the same token bucket, taken in one Lua script (atomic), on Redis's clock (the hubs'
clocks may differ). Keys carry a hash of the client address or conversation id, never
the address itself.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis

from bot.conversations.locks import UNREACHABLE, hashed_key

log = logging.getLogger(__name__)


class Limiter(Protocol):
    """Allows `per_minute` messages a minute per key, with bursts up to the same."""

    async def allow(self, key: str) -> bool:
        """Take one token for `key`; False when the client must wait."""
        ...

    def retry_after(self) -> int:
        """Seconds until one more message is allowed for a client that ran out."""
        ...


class RateLimiter:
    """Token bucket per key, in this process's memory."""

    MAX_KEYS = 100_000  # forget the least recently seen clients beyond this

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(per_minute)
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    async def allow(self, key: str) -> bool:
        """Take one token for `key`; False when the client must wait."""
        now = self._clock()
        tokens, last = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        if len(self._buckets) > self.MAX_KEYS:
            self._buckets.popitem(last=False)
        return allowed

    def retry_after(self) -> int:
        """Seconds until one more message is allowed for a client that ran out."""
        return max(1, round(1 / self.rate))


# KEYS[1]: the bucket; ARGV: tokens per second, capacity. Returns 1 when allowed.
_TAKE_TOKEN = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local rate, capacity = tonumber(ARGV[1]), tonumber(ARGV[2])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'last')
local tokens = tonumber(bucket[1]) or capacity
local last = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - last) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'last', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / rate) + 1)
return allowed
"""


class SharedRateLimiter:
    """The same token bucket, in Redis: one count for every hub replica.

    When Redis cannot be reached, this hub counts alone (a message is never refused
    because Redis is down; the conversation's lock then keeps it for later anyway).
    """

    def __init__(self, redis: Redis, name: str, per_minute: int) -> None:
        self._local = RateLimiter(per_minute)
        self._prefix = name
        self._redis_failing = False  # say so once, not at every message
        self._take_token = redis.register_script(_TAKE_TOKEN)

    async def allow(self, key: str) -> bool:
        """Take one token for `key` in Redis; False when the client must wait."""
        try:
            allowed = await self._take_token(
                keys=[hashed_key(self._prefix, key)],
                args=[self._local.rate, self._local.capacity],
            )
        except UNREACHABLE as error:
            if not self._redis_failing:
                log.warning("Rate limits counted on this hub alone: Redis unreachable (%s)", error)
            self._redis_failing = True
            return await self._local.allow(key)
        self._redis_failing = False
        return bool(allowed)

    def retry_after(self) -> int:
        """Seconds until one more message is allowed for a client that ran out."""
        return self._local.retry_after()


@dataclass
class MessageLimits:
    """The limits a person's message must pass: its client address's and its conversation's.

    Per address alone, a proxy's many users could starve each other; per conversation
    alone, one client could flood with many conversations.
    """

    per_client: Limiter
    per_conversation: Limiter

    @classmethod
    def for_hub(
        cls, per_client: int, per_conversation: int, redis: Redis | None, prefix: str = ""
    ) -> MessageLimits:
        """In Redis when hub replicas share one, else in this hub's memory."""
        if redis is None:
            return cls(RateLimiter(per_client), RateLimiter(per_conversation))
        return cls(
            SharedRateLimiter(redis, f"{prefix}rate:client", per_client),
            SharedRateLimiter(redis, f"{prefix}rate:conversation", per_conversation),
        )

    async def retry_after(self, client: str, conversation_id: str) -> int | None:
        """None when the message may go on; otherwise the seconds to wait."""
        for limiter, key in ((self.per_client, client), (self.per_conversation, conversation_id)):
            if not await limiter.allow(key):
                return limiter.retry_after()
        return None
