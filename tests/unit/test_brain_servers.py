"""Several Rasa servers behind the hub (LOKET_RASA_URLS, issue 14): messages are shared
among them, one that is down is passed over, and a message one of them may have
processed is never processed again by another."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import NamedTuple

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.brain import BrainClient, BrainUnavailable
from bot.settings import Settings
from tests.fakes import FakeBrain, reserve_port

URL = "/api/conversations/{}/messages"
METADATA = {"language": "en", "channel": "webchat", "spoken": False}


class Rasa(NamedTuple):
    """A stand-in Rasa server and where it listens."""

    fake: FakeBrain
    url: str


@pytest.fixture
def first(settings: Settings, brain: FakeBrain) -> Rasa:
    """Rasa server A, on the settings' port (where the action server is too)."""
    return Rasa(brain, settings.rasa_url)


@pytest.fixture
async def second(brain: FakeBrain) -> AsyncIterator[Rasa]:
    """Rasa server B, on A's tracker store: they share its events."""
    fake = FakeBrain(events=brain.events)
    port = await fake.start()
    yield Rasa(fake, f"http://127.0.0.1:{port}")
    await fake.stop()


@pytest.fixture
def refusing() -> Iterator[str]:
    """The URL of a Rasa server that is down: connections to it are refused."""
    bound = reserve_port()
    yield f"http://127.0.0.1:{bound.getsockname()[1]}"
    bound.close()


def behind(settings: Settings, *urls: str) -> Settings:
    """`settings` with the hub sending messages to these Rasa servers."""
    return settings.model_copy(update={"rasa_urls": ", ".join(urls)})


@pytest.fixture
async def hub_for() -> AsyncIterator[Callable[[Settings], Awaitable[TestClient]]]:
    """Starts hubs on given settings; stops them after the test."""
    started: list[TestClient] = []

    async def start(settings: Settings) -> TestClient:
        started.append(TestClient(TestServer(create_app(settings))))
        await started[-1].start_server()
        return started[-1]

    yield start
    for hub in started:
        await hub.close()


@pytest.fixture
async def client_for() -> AsyncIterator[Callable[[Settings], BrainClient]]:
    """Makes brain clients; closes them after the test."""
    made: list[BrainClient] = []

    def make(settings: Settings) -> BrainClient:
        made.append(BrainClient(settings))
        return made[-1]

    yield make
    for client in made:
        await client.close()


async def say(hub: TestClient, conversation_id: str, text: str) -> str:
    response = await hub.post(URL.format(conversation_id), json={"text": text, "language": "en"})
    return (await response.json())["replies"][-1]["text"]


async def test_messages_are_shared_among_the_rasa_servers_in_turn(settings, first, second, hub_for):
    hub = await hub_for(behind(settings, first.url, second.url))
    for text in ("first", "second", "third", "fourth"):
        assert await say(hub, "turns", text) == f"echo[en]: {text}"

    assert first.fake.texts == ["first", "third"]
    assert second.fake.texts == ["second", "fourth"]


async def test_a_rasa_server_that_is_down_is_passed_over(settings, first, refusing, hub_for):
    hub = await hub_for(behind(settings, refusing, first.url))
    for text in ("I lost my card", "what now", "and then"):
        assert await say(hub, "down", text) == f"echo[en]: {text}"  # never a holding reply

    assert first.fake.texts == ["I lost my card", "what now", "and then"]


async def test_an_answer_lost_on_one_server_is_taken_from_the_tracker_not_asked_twice(
    settings, first, second, client_for
):
    first.fake.fail_after_processing = True  # A processed it, then answered HTTP 500
    client = client_for(behind(settings, first.url, second.url))

    answer = await client.send("lost", "m-1", "next", METADATA)

    assert [reply.text for reply in answer.replies] == ["echo[en]: next"]
    assert first.fake.texts == ["next"]
    assert second.fake.texts == []  # B found it in the tracker they share


async def test_a_server_that_may_still_be_processing_is_not_overtaken_by_another(
    settings, first, second, client_for
):
    first.fake.delay = 2.0  # A takes the message and is still at it when the hub gives up
    slow = behind(settings, first.url, second.url).model_copy(
        update={"brain_timeout": 0.5, "brain_request_timeout": 0.5}
    )

    with pytest.raises(BrainUnavailable):  # kept: replayed later, through the tracker
        await client_for(slow).send("slow", "m-1", "next", METADATA)

    assert second.fake.texts == []


async def test_the_tracker_is_read_from_another_server_when_one_is_down(
    settings, first, refusing, client_for
):
    client = client_for(behind(settings, refusing, first.url))
    await client.send("tracker", "m-1", "hello", METADATA)

    answer = await client_for(behind(settings, refusing, first.url)).processed("tracker", "m-1")

    assert answer is not None and [r.text for r in answer.replies] == ["echo[en]: hello"]


async def test_the_hub_is_ready_while_one_rasa_server_answers(settings, first, refusing, hub_for):
    one_up = await hub_for(behind(settings, refusing, first.url))
    none_up = await hub_for(behind(settings, refusing))

    assert (await one_up.get("/readyz")).status == 200
    assert (await none_up.get("/readyz")).status == 503
