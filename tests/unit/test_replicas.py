"""Two hubs on one PostgreSQL database and one Redis (issue 14): a person's requests and an
agent's reach different replicas, and neither notices.

Each test gets a fresh database (tests/databases.py) and its own Redis prefix, so tests
never see each other's events or locks. Outside CI, skipped only when PostgreSQL or
Redis (LOKET_TEST_REDIS_URL, default this machine's) does not answer.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.app import create_app
from bot.channels import phone
from bot.console.sessions import COOKIE
from bot.conversations.events import QUEUE_TOPIC, Event, EventBus
from bot.conversations.fanout import RedisFanout
from bot.conversations.locks import Leadership
from bot.languages import LanguageSource
from bot.settings import Settings
from tests.conftest import REDIS_URL, free_port
from tests.console import (
    Clock,
    add_agent,
    person_says,
    person_waits,
    post_form,
    service_of,
    sign_in,
)
from tests.databases import fresh_postgres_database
from tests.fakes import FakeBrain
from tests.phone_line import with_phone_line
from tests.sse import ServerEvent, read_event
from tests.unit.test_phone_webhook import (
    announced_call,
    media,
    open_stream,
    refused,
    sent_so_far,
)
from tests.waiting import eventually

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning"),
]


@pytest.fixture
async def replica_settings(
    settings: Settings, redis: Redis, prefix: str
) -> AsyncIterator[Settings]:
    """Settings of a hub replica: a fresh PostgreSQL database, the test Redis. The brain
    may be slow (a message then waits for the one before it) without a holding reply."""
    async with fresh_postgres_database() as database:
        yield settings.model_copy(
            update={
                "database_url": database,
                "redis_url": REDIS_URL,
                "redis_prefix": prefix,
                "brain_timeout": 10.0,
            }
        )


@pytest.fixture
def clock() -> Clock:
    """The hubs' clock, in office hours."""
    return Clock()


@pytest.fixture
async def hubs(
    replica_settings: Settings, brain: FakeBrain, clock: Clock
) -> AsyncIterator[tuple[TestClient, TestClient]]:
    """Hubs A and B, each on its own port, sharing the database, Redis and the brain."""
    async with (
        TestClient(TestServer(create_app(replica_settings, clock=clock))) as hub_a,
        TestClient(TestServer(create_app(replica_settings, clock=clock))) as hub_b,
    ):
        yield hub_a, hub_b


async def transcript(hub: TestClient, conversation_id: str) -> list[dict]:
    """The messages the person sees (none while the conversation does not exist)."""
    response = await hub.get(f"/api/conversations/{conversation_id}")
    return (await response.json())["messages"] if response.status == 200 else []


async def read_until(
    stream: ClientResponse, wanted: Callable[[ServerEvent], bool]
) -> list[ServerEvent]:
    """The events of `stream` up to the first `wanted` one, included."""
    events = [await read_event(stream)]
    while not wanted(events[-1]):
        events.append(await read_event(stream))
    return events


async def test_messages_sent_alternately_to_two_hubs_are_answered_once_each_in_order(
    hubs, brain: FakeBrain
):
    brain.delay = 0.3  # each message comes while the one before it is being answered
    hub_a, hub_b = hubs
    texts = ["Hello there", "I moved house last week", "How do I tell my commune", "Thanks"]
    turns = []
    for number, text in enumerate(texts):
        turns.append(asyncio.create_task(person_says(hubs[number % 2], "alternate", text)))

        async def stored(text: str = text) -> bool:
            return any(m["text"] == text for m in await transcript(hub_a, "alternate"))

        await eventually(stored)  # then the next one: the order they were sent in is known
    answers = await asyncio.gather(*turns)

    assert brain.texts == texts, "a message went to the brain twice, or out of order"
    for text, answer in zip(texts, answers, strict=True):
        # Its own answer, also when the next message's hub got the lock first and
        # answered both.
        assert [reply["text"] for reply in answer["replies"]] == [f"echo[en]: {text}"]
    said = [m["text"] for m in await transcript(hub_b, "alternate")]
    assert [text for text in said if not text.startswith("echo")] == texts
    assert [text for text in said if text.startswith("echo")] == [f"echo[en]: {t}" for t in texts]
    for text in texts:  # each answer after its message
        assert said.index(text) < said.index(f"echo[en]: {text}")


async def test_an_agent_on_one_hub_answers_a_person_on_the_other_live(hubs):
    hub_a, hub_b = hubs
    await add_agent(hub_a, "ana")
    assert (await sign_in(hub_a, "ana")).status == 303
    await person_waits(hub_b, "person-on-b", "I need help with my tax return")
    page = await hub_b.get("/api/conversations/person-on-b/events")
    await read_until(page, lambda event: event.kind == "state")  # caught up

    taken = await post_form(hub_a, "/agent/conversations/person-on-b/take")
    assert taken.status == 303
    await post_form(hub_a, "/agent/conversations/person-on-b/reply", {"text": "Hello, I am Ana."})

    events = await read_until(
        page, lambda event: event.kind == "message" and event.data["text"] == "Hello, I am Ana."
    )
    assert ServerEvent("state", {"state": "with_agent"}) in events
    page.close()


async def test_a_message_that_reaches_one_hub_shows_at_once_on_the_others_console(hubs):
    hub_a, hub_b = hubs
    await add_agent(hub_a, "ana")
    assert (await sign_in(hub_a, "ana")).status == 303
    console = await hub_a.get("/agent/events")
    assert console.status == 200

    await person_says(hub_b, "person-on-b", "Hello, I moved house")
    [written, answer] = await transcript(hub_b, "person-on-b")

    def change(message: dict) -> Callable[[ServerEvent], bool]:
        return lambda event: event.data.get("message_id") == message["id"]

    for message in (written, answer):
        [*_, shown] = await read_until(console, change(message))
        assert shown.data == {
            "kind": "message",
            "conversation_id": "person-on-b",
            "message_id": message["id"],
        }
    console.close()


async def test_signing_out_on_one_hub_ends_the_session_on_the_other(hubs):
    hub_a, hub_b = hubs
    await add_agent(hub_a, "ana")
    await sign_in(hub_a, "ana")
    cookie = {c.key: c.value for c in hub_a.session.cookie_jar}[COOKIE]
    copy = {"Cookie": f"{COOKIE}={cookie}"}
    assert (await hub_b.get("/agent/", headers=copy, allow_redirects=False)).status == 200
    await post_form(hub_a, "/agent/sign-out")
    assert (await hub_b.get("/agent/", headers=copy, allow_redirects=False)).status == 303


async def test_a_client_has_one_rate_limit_across_hubs(
    replica_settings: Settings, brain: FakeBrain
):
    limited = replica_settings.model_copy(update={"rate_limit_per_conversation_per_minute": 3})
    async with (
        TestClient(TestServer(create_app(limited))) as hub_a,
        TestClient(TestServer(create_app(limited))) as hub_b,
    ):
        statuses = []
        for hub in (hub_a, hub_b, hub_a, hub_b):
            response = await hub.post("/api/conversations/flood/messages", json={"text": "hi"})
            statuses.append(response.status)
        assert statuses == [200, 200, 200, 429]


@pytest.fixture
async def phone_hubs(
    replica_settings: Settings, clock: Clock, tmp_path
) -> AsyncIterator[tuple[TestClient, TestClient]]:
    """Hubs A and B with the phone line on (keypad only), each knowing its own address."""
    servers = []
    for port in (free_port(), free_port()):
        settings = with_phone_line(
            replica_settings, tmp_path / "voice", hub_internal_url=f"http://127.0.0.1:{port}"
        )
        servers.append(TestServer(create_app(settings, clock=clock), port=port))
    async with TestClient(servers[0]) as hub_a, TestClient(servers[1]) as hub_b:
        yield hub_a, hub_b


def calls_served(hub: TestClient) -> int:
    """Calls this hub is speaking with (not those it only relays)."""
    return hub.server.app[phone.line_key].sender.calls_live()


async def test_a_call_whose_stream_reaches_the_other_hub_is_served_by_the_hub_that_answered(
    phone_hubs,
):
    hub_a, hub_b = phone_hubs
    parameters = await announced_call(hub_a)  # the load balancer sent /twilio/voice to A
    socket = await open_stream(hub_b, parameters)  # and the media stream to B

    heard: list[str] = []
    async with asyncio.timeout(30):  # a safety net against a hanging test; nothing is timed
        while not media(heard) and not socket.closed:
            heard += await sent_so_far(socket)
    assert media(heard), "the caller heard nothing"  # the language menu, from A through B
    assert (calls_served(hub_a), calls_served(hub_b)) == (1, 0)
    await socket.close()  # the caller hangs up
    await eventually(lambda: calls_served(hub_a) == 0)


async def test_a_recorded_stream_played_again_to_the_other_hub_is_refused(phone_hubs):
    hub_a, hub_b = phone_hubs
    parameters = await announced_call(hub_a)
    first = await open_stream(hub_b, parameters)
    assert await refused(await open_stream(hub_b, parameters))  # A refuses; B says so
    parameters["ticket"] = "made-up-ticket"
    assert await refused(await open_stream(hub_b, parameters))
    await first.close()


@pytest.fixture
async def two_buses(redis: Redis, prefix: str) -> AsyncIterator[tuple[EventBus, EventBus]]:
    """The live events of two hubs, relayed through Redis (hub A's client named, so a test
    can break its link)."""
    named = Redis.from_url(REDIS_URL, client_name=f"{prefix}a")
    buses = EventBus(), EventBus()
    fanouts = [
        RedisFanout(buses[0], named, f"{prefix}events"),
        RedisFanout(buses[1], redis, f"{prefix}events"),
    ]
    for fanout in fanouts:
        await fanout.start()
    yield buses
    for fanout in fanouts:
        await fanout.close()
    await named.aclose()


async def test_each_hub_delivers_every_event_once(two_buses):
    bus_a, bus_b = two_buses
    first, second = Event("message", "c1", {"id": 1}), Event("message", "c1", {"id": 2})
    with bus_a.subscribe(QUEUE_TOPIC) as on_a, bus_b.subscribe(QUEUE_TOPIC) as on_b:
        bus_a.publish(QUEUE_TOPIC, first)
        assert await on_b.next(5) == first
        bus_b.publish(QUEUE_TOPIC, second)
        assert await on_b.next(5) == second
        # A's own event came back through Redis before B's: it was not delivered again.
        assert [await on_a.next(5), await on_a.next(5)] == [first, second]


async def test_a_hub_whose_link_to_redis_breaks_subscribes_again(two_buses, redis, prefix):
    bus_a, bus_b = two_buses
    with bus_a.subscribe(QUEUE_TOPIC) as on_a:
        for client in await redis.client_list():
            if client["name"] == f"{prefix}a":
                await redis.client_kill_filter(_id=client["id"])
        # Events of B may have been missed meanwhile: A's streams end, pages reload.
        assert await on_a.next(5) is None and on_a.dropped
    with bus_a.subscribe(QUEUE_TOPIC) as on_a:
        after = Event("queue", "c1", {"state": "waiting_for_agent"})
        bus_b.publish(QUEUE_TOPIC, after)
        assert await on_a.next(5) == after


async def test_the_background_work_runs_on_one_hub_and_moves_when_it_stops(redis, prefix):
    started: list[str] = []

    async def work(hub: str) -> None:
        started.append(hub)
        await asyncio.Event().wait()

    def leader(hub: str) -> asyncio.Task[None]:
        return asyncio.create_task(Leadership(redis, prefix, ttl=2.0).run([lambda: work(hub)]))

    leaders = {"a": leader("a"), "b": leader("b")}
    await eventually(lambda: started)
    await asyncio.sleep(1.0)  # the other hub tried again meanwhile, and found it taken
    [first] = started
    leaders[first].cancel()  # that hub stops: the other one takes the work over
    await eventually(lambda: len(started) == 2)
    assert started[1] != first
    for task in leaders.values():
        task.cancel()
    await asyncio.gather(*leaders.values(), return_exceptions=True)


async def test_a_message_kept_while_the_brain_was_down_is_answered_once(hubs, brain: FakeBrain):
    hub_a, hub_b = hubs
    brain.down = True
    held = await person_says(hub_a, "kept", "I moved house last week")
    assert held["replies"], "no holding reply"
    brain.down = False  # the hub doing the background work replays it

    async def answered() -> bool:
        return any("echo[en]: I moved house" in m["text"] for m in await transcript(hub_b, "kept"))

    await eventually(answered)
    await person_says(hub_b, "kept", "Thanks")  # after the replay, in the same conversation
    assert brain.texts == ["I moved house last week", "Thanks"]


async def test_a_message_left_unanswered_by_a_hub_that_stopped_is_answered_by_another(
    hubs, brain: FakeBrain, clock: Clock
):
    hub_a, hub_b = hubs
    await person_says(hub_b, "orphan", "Hello there")
    # Hub A stored the person's next message, then stopped before answering it.
    await service_of(hub_a).store.receive(
        "orphan", "webchat", "I moved house last week",
        lambda _: ("en", LanguageSource.EXPLICIT), clock(),
    )  # fmt: skip
    clock.now += timedelta(minutes=5)  # long after any turn would have answered it

    async def answered() -> bool:
        said = [m["text"] for m in await transcript(hub_b, "orphan")]
        return "echo[en]: I moved house last week" in said

    await eventually(answered)
    assert brain.texts == ["Hello there", "I moved house last week"]


class RedisServer:
    """A Redis of this test's own, which it stops and starts again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no",
            stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        client = Redis.from_url(self.url)

        async def answers() -> bool:
            try:
                return bool(await client.ping())
            except (RedisError, OSError):
                return False

        await eventually(answers, seconds=10)
        await client.aclose()

    async def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            await self._process.wait()
            self._process = None


@pytest.fixture
async def own_redis(redis) -> AsyncIterator[RedisServer]:
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            raise RuntimeError("redis-server is not installed (.ci/run installs it)")
        pytest.skip("redis-server is not installed")
    server = RedisServer()
    await server.start()
    yield server
    await server.stop()


async def test_a_message_that_comes_while_redis_restarts_is_answered_once_it_is_back(
    replica_settings: Settings, own_redis: RedisServer, brain: FakeBrain
):
    on_own_redis = replica_settings.model_copy(update={"redis_url": own_redis.url})
    async with TestClient(TestServer(create_app(on_own_redis, clock=Clock()))) as hub:
        await person_says(hub, "restart", "Hello there")
        await own_redis.stop()
        held = await person_says(hub, "restart", "I moved house last week")
        assert "echo" not in held["replies"][0]["text"]  # a holding reply: kept for later
        await own_redis.start()

        async def answered() -> bool:
            said = [m["text"] for m in await transcript(hub, "restart")]
            return "echo[en]: I moved house last week" in said

        await eventually(answered)
        assert brain.texts == ["Hello there", "I moved house last week"]
