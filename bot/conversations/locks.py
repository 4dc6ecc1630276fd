"""Locks that hold across hub replicas: a conversation's turns, and the background work.

A conversation's messages are answered one at a time, oldest first, under its lock
(service.py). One hub: an asyncio.Lock. Several hubs sharing a database: that lock
first (this hub's own turns wait in line without asking Redis), then a Redis lock, so
two hubs never answer one conversation at once. The Redis lock expires `ttl` seconds
after its holder stops renewing it (a hub that died frees its conversations); its holder
renews it every third of that. Keys carry a hash of the conversation's key, never a phone
number.

The background work (replaying kept messages, the care sweep, retention) runs on one
replica at a time: the leader, which holds a Redis lock it renews; the others try to
take it at every renewal period and start the work when they do.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any
from weakref import WeakValueDictionary

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockNotOwnedError, RedisError

log = logging.getLogger(__name__)

LOCK_MARGIN_SECONDS = 5.0
"""A conversation's Redis lock outlives one request to the brain by this much."""
LEADER_TTL_SECONDS = 10.0
"""A leader that stops renewing (it died, or lost Redis) is replaced after this long."""
POLL_SECONDS = 0.02
"""How often a hub waiting for a conversation's Redis lock asks again."""
UNREACHABLE = (RedisError, OSError)
"""What Redis raises when it cannot be reached (the same for every use of it)."""
Job = Callable[[], Coroutine[Any, Any, None]]


def hashed_key(prefix: str, value: str) -> str:
    """A Redis key about `value` (a conversation id, a client address, a CallSid) that
    carries a hash of it, never the value itself: `prefix:hash`."""
    return f"{prefix}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


class ReplicaLockUnavailable(Exception):
    """Redis could not be reached to take a conversation's lock (the message is kept)."""


class ConversationLocks:
    """One lock per key (a conversation id): in this process, and in Redis when given."""

    def __init__(self, redis: Redis | None = None, prefix: str = "", ttl: float = 15.0) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl
        # Unused local locks are dropped with the last turn that held them.
        self._local: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()

    @property
    def shared(self) -> bool:
        """True when the locks hold across hubs (Redis): several hubs may be running."""
        return self._redis is not None

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """`async with locks.hold(conversation_id):` alone in that conversation, on every hub.

        Raises ReplicaLockUnavailable when Redis cannot be reached.
        """
        local = self._local.get(key)
        if local is None:
            local = self._local[key] = asyncio.Lock()
        async with local:
            if self._redis is None:
                yield
            else:
                async with self._shared(self._redis, key):
                    yield

    @contextlib.asynccontextmanager
    async def _shared(self, redis: Redis, key: str) -> AsyncIterator[None]:
        name = hashed_key(f"{self._prefix}lock", key)
        lock = Lock(redis, name, self._ttl, POLL_SECONDS, thread_local=False)
        try:
            await lock.acquire()
        except UNREACHABLE as error:
            raise ReplicaLockUnavailable(str(error)) from error
        renewal = asyncio.create_task(self._renew(lock))
        try:
            yield
        finally:
            await _stop([renewal])
            try:
                await lock.release()
            except UNREACHABLE as error:
                log.warning("A conversation's lock was not released (%s): it expires", error)

    async def _renew(self, lock: Lock) -> None:
        """Keep the lock while its turn runs (a turn may wait for several brain requests)."""
        while True:
            await asyncio.sleep(self._ttl / 3)
            try:
                await lock.reacquire()
            except LockNotOwnedError:
                log.warning("A conversation's lock expired during its turn")
                return
            except UNREACHABLE as error:
                log.warning("A conversation's lock could not be renewed: %s", error)


class Leadership:
    """Runs the background work on one replica at a time (every time without Redis)."""

    def __init__(self, redis: Redis | None, prefix: str, ttl: float = LEADER_TTL_SECONDS) -> None:
        self._redis = redis
        self._name = f"{prefix}leader"
        self._ttl = ttl

    async def run(self, jobs: list[Job]) -> None:
        """Forever: run `jobs` while this replica leads, stop them when it no longer does."""
        if self._redis is None:
            await asyncio.gather(*(job() for job in jobs))
            return
        lock = Lock(self._redis, self._name, self._ttl, thread_local=False)
        running: list[asyncio.Task[None]] = []
        try:
            while True:
                leads = await self._leads(lock, leading=bool(running))
                if leads and not running:
                    log.info("This hub now does the background work (replay, care, retention)")
                    running = [asyncio.create_task(job()) for job in jobs]
                elif running and not leads:
                    log.warning("This hub no longer does the background work: another one will")
                    await _stop(running)
                    running = []
                await asyncio.sleep(self._ttl / 3)
        finally:
            await _stop(running)
            if running:
                with contextlib.suppress(*UNREACHABLE):
                    await lock.release()  # the next leader need not wait for it to expire

    async def _leads(self, lock: Lock, leading: bool) -> bool:
        """Renew the lease (`leading`) or try to take it; False if Redis says no or is away."""
        try:
            if leading:
                await lock.reacquire()
                return True
            return bool(await lock.acquire(blocking=False))
        except UNREACHABLE:
            return False


async def _stop(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel `tasks` and wait until they have stopped."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
