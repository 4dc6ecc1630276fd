"""Prometheus metrics of the hub at /metrics: aggregates only, never a person's data.

Each application holds its own registry (not prometheus_client's global one), so two hubs
in one process -- tests do that -- never share or collide on a metric. Labels are a few
fixed words (channel, outcome): never a conversation id, a phone number or a path with one.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from ipaddress import ip_address

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from bot.appkeys import service_key, settings_key
from bot.conversations.reports import ProblemReports

METRICS_PATH = "/metrics"
# The first path segment tells the channel; anything else counts as "other" so that a
# stranger's made-up paths cannot create new label values without end.
_CHANNELS = {
    "api": "webchat",
    "chat": "webchat",
    "static": "webchat",
    "telegram": "telegram",
    "console": "console",
    "healthz": "health",
    "readyz": "health",
}
_TWILIO = {"voice": "phone", "status": "phone", "media": "phone", "messages": "sms"}
# Seconds: a chat turn waits on Rasa, so the buckets reach the brain's timeout and beyond.
_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Metrics:
    """The hub's metrics, in a registry of their own."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "loket_http_requests",
            "HTTP requests answered, by channel and status class.",
            ["channel", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "loket_http_request_seconds",
            "Time to answer an HTTP request, by channel.",
            ["channel"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.brain_seconds = Histogram(
            "loket_brain_seconds",
            "Time Rasa took to answer one message, by outcome (answered or unavailable).",
            ["outcome"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )

        self.after_speech_seconds = Histogram(
            "loket_phone_after_speech_seconds",
            "Phone: the end of the caller's sentence -> Loket's first audio frame.",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.active_calls = Gauge(
            "loket_phone_active_calls", "Phone calls in progress.", registry=self.registry
        )  # read from the phone line at each scrape, once it is open (app.py)
        self.queue_length = Gauge(
            "loket_queue_length",
            "Conversations handed over, waiting for or with an agent.",
            registry=self.registry,
        )
        self.oldest_wait = Gauge(
            "loket_queue_oldest_wait_seconds",
            "How long the longest-waiting handed-over conversation has waited.",
            registry=self.registry,
        )
        self.agents_available = Gauge(
            "loket_agents_available",
            "Agents available and seen lately.",
            registry=self.registry,
        )

        self.problem_reports = Gauge(
            "loket_problem_reports",
            "Problem reports kept, by status (new, forwarded, closed).",
            ["status"],
            registry=self.registry,
        )

    def observe_brain(self, outcome: str, seconds: float) -> None:
        """One message sent to Rasa: how it ended and how long it took."""
        self.brain_seconds.labels(outcome).observe(seconds)

    def observe_call(self, after_speech: list[float]) -> None:
        """One call is over: each of its spoken turns' end-of-speech-to-audio delays."""
        for seconds in after_speech:
            self.after_speech_seconds.observe(seconds)

    async def refresh(self, app: web.Application) -> None:
        """Read the figures of now (queue, agents, problem reports) just before a scrape."""
        if (service := app.get(service_key)) is None:
            return  # still starting: the database is not open yet
        entries, total = await service.desk.queue()
        self.queue_length.set(total)
        waits = [entry.waiting_seconds for entry in entries if entry.agent_name is None]
        self.oldest_wait.set(max(waits, default=0.0))
        self.agents_available.set(await service.agents_available(service.now()))
        for status, count in (await ProblemReports(service.store).count_by_status()).items():
            self.problem_reports.labels(status).set(count)

    def exposition(self) -> bytes:
        """The registry in Prometheus' text format."""
        return generate_latest(self.registry)


metrics_key = web.AppKey("metrics", Metrics)


def channel_of(path: str) -> str:
    """The channel a request path belongs to, from a fixed list of words."""
    parts = path.strip("/").split("/")
    if parts[0] == "twilio":
        return _TWILIO.get(parts[1] if len(parts) > 1 else "", "other")
    return _CHANNELS.get(parts[0], "webchat" if parts[0] == "" else "other")


@web.middleware
async def measure(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count each request and time it, by channel (the scrape itself is not counted).

    Streams (live events, a call's WebSocket) are counted but not timed: their length is
    the conversation's or the call's, not the hub's speed.
    """
    if request.path == METRICS_PATH:
        return await handler(request)
    metrics = request.config_dict[metrics_key]
    channel = channel_of(request.path)
    started = time.perf_counter()
    status, streamed = 500, False
    try:
        response = await handler(request)
        status, streamed = response.status, not isinstance(response, web.Response)
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    finally:
        if not streamed:
            metrics.request_seconds.labels(channel).observe(time.perf_counter() - started)
        metrics.requests.labels(channel, f"{status // 100}xx").inc()


def _allowed(request: web.Request) -> bool:
    """Without a token set, loopback peers only; with one, whoever sends it.

    request.remote, not X-Forwarded-For: a proxy on the same machine must not open the
    metrics to the whole internet, so behind one the token is the way in.
    """
    token = request.config_dict[settings_key].metrics_token.get_secret_value()
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    try:
        return ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


async def scrape(request: web.Request) -> web.Response:
    """GET /metrics: the Prometheus exposition, for loopback or the bearer token."""
    if not _allowed(request):
        raise web.HTTPForbidden(text="Metrics are for the monitoring only.")
    metrics = request.app[metrics_key]
    await metrics.refresh(request.app)
    body = metrics.exposition()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def setup(app: web.Application) -> Metrics:
    """Give the application its registry and the /metrics route."""
    metrics = Metrics()
    app[metrics_key] = metrics
    app.router.add_get(METRICS_PATH, scrape)
    return metrics
