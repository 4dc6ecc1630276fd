"""The hub's aiohttp application: wires settings, store, brain, service and channels."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web
from redis.asyncio import Redis

from bot import console, event_streams, health, metrics
from bot.appkeys import rasa_trackers_key, service_key, settings_key
from bot.brain import BrainClient
from bot.channels import phone, sms, telegram, webchat
from bot.conversations.fanout import RedisFanout
from bot.conversations.locks import LOCK_MARGIN_SECONDS, ConversationLocks, Leadership
from bot.conversations.service import Clock, ConversationService
from bot.conversations.store import ConversationStore, create_engine
from bot.errors import json_errors
from bot.languages import warm_up
from bot.migrations import upgrade
from bot.privacy.rasa_trackers import RasaTrackers
from bot.privacy.retention import sweep_forever
from bot.proxies import ClientAddresses, client_addresses_key, parse_networks
from bot.ratelimit import MessageLimits
from bot.settings import Settings

log = logging.getLogger(__name__)
CARE_INTERVAL = 2.0  # seconds between looks for kept messages, silent agents, lone waiters
MAX_BODY_BYTES = 64 * 1024
REDIS_CONNECT_TIMEOUT = 5.0  # seconds; an unreachable Redis is then retried (bot/conversations/)

# The chat page loads nothing from elsewhere: caller text never leaves our servers.
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers that predate CSP's frame-ancestors
    "Referrer-Policy": "no-referrer",
}
# Sent only over https: browsers then refuse plain http to us for a year.
_HSTS = "max-age=31536000; includeSubDomains"


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Add the headers that keep a page from loading or leaking anything elsewhere.

    On response_prepare, not in a middleware: streamed responses (live events, the
    phone's WebSocket) send their headers before a middleware would see them.
    """
    for name, value in _SECURITY_HEADERS.items():
        # setdefault: the agent console sets its own policy (its forms post to itself).
        response.headers.setdefault(name, value)
    if request.config_dict[client_addresses_key].is_https(request):
        response.headers.setdefault("Strict-Transport-Security", _HSTS)
    # Conversations are private: never cached. Page files carry no version: revalidate.
    cache = "no-store" if request.path.startswith("/api/") else "no-cache"
    response.headers.setdefault("Cache-Control", cache)


def create_app(
    settings: Settings, brain: BrainClient | None = None, clock: Clock | None = None
) -> web.Application:
    """Build the hub. Tests pass their own brain client or clock."""
    # measure first: it then sees the status json_errors gives to a failure.
    app = web.Application(
        middlewares=[metrics.measure, json_errors], client_max_size=MAX_BODY_BYTES
    )
    app.on_response_prepare.append(security_headers)
    brain = brain or BrainClient(settings)
    app[settings_key] = settings
    app[client_addresses_key] = ClientAddresses(parse_networks(settings.trusted_proxies))
    app[health.brain_key] = brain
    brain.observe = metrics.setup(app).observe_brain
    app.cleanup_ctx.append(lambda app: _lifecycle(app, settings, brain, clock))
    event_streams.setup(app)
    health.setup(app)
    webchat.setup(app)
    phone.setup(app)
    sms.setup(app)
    telegram.setup(app)
    console.setup(app)
    return app


async def _lifecycle(
    app: web.Application, settings: Settings, brain: BrainClient, clock: Clock | None
) -> AsyncIterator[None]:
    """Open the database, start the background work; close everything on the way out."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(upgrade, settings.database)
    await asyncio.to_thread(warm_up)
    store = ConversationStore(create_engine(settings.database))
    extra = {"clock": clock} if clock else {}
    # Replicas (LOKET_REDIS_URL): locks, live events and background work shared in Redis.
    redis = (
        Redis.from_url(settings.redis_url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT)
        if settings.redis_url
        else None
    )
    app[webchat.limits_key] = MessageLimits.for_hub(
        settings.rate_limit_per_minute,
        settings.rate_limit_per_conversation_per_minute,
        redis,
        settings.redis_prefix,
    )
    lock_ttl = settings.brain_request_timeout + LOCK_MARGIN_SECONDS
    locks = ConversationLocks(redis, settings.redis_prefix, lock_ttl)
    service = ConversationService(store, brain, settings, locks=locks, **extra)
    await service.start()
    fanout = RedisFanout(service.events, redis, f"{settings.redis_prefix}events") if redis else None
    if fanout is not None:
        await fanout.start()
    app[service_key] = service
    service.outbound.register(webchat.CHANNEL, webchat.LiveStreamSender())
    trackers = RasaTrackers.open(settings)  # Rasa's events, for erasure and retention
    app[rasa_trackers_key] = trackers
    once = [  # on one replica at a time
        lambda: _care_forever(service),
        lambda: sweep_forever(store, trackers, settings, service.now),
    ]
    background = [asyncio.create_task(Leadership(redis, settings.redis_prefix).run(once))]
    if line := phone.open_line(settings, service, redis):
        app[phone.line_key] = line
        app[metrics.metrics_key].active_calls.set_function(lambda: line.slots.in_use)
        background.append(asyncio.create_task(phone.warm_up(line)))
    yield
    for task in background:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await service.close()
    if fanout is not None:
        await fanout.close()
    if redis is not None:
        await redis.aclose()
    await brain.close()
    await trackers.close()
    await store.close()


async def _care_forever(service: ConversationService) -> None:
    """Answer messages kept while the brain was down; return silent agents' conversations
    to the queue; offer a callback to people waiting while nobody can answer."""
    while True:
        await asyncio.sleep(CARE_INTERVAL)
        try:
            if replayed := await service.replay_pending():
                log.info("Answered %d message(s) kept while the brain was unavailable", replayed)
            await service.sweep()
        except Exception:
            log.exception("Background care of conversations failed; will try again")
