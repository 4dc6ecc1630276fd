"""The web chat's live stream (GET /api/conversations/{id}/events), as a client sees it."""

from __future__ import annotations

import time

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.appkeys import service_key
from bot.channels import webchat_stream
from bot.conversations.events import MAX_BACKLOG, Event, EventBus, conversation_topic
from tests.fakes import FakeBrain
from tests.sse import read_event, read_events
from tests.waiting import eventually

EVENTS = "/api/conversations/{}/events"


@pytest.fixture
def bus(hub: TestClient) -> EventBus:
    """The bus the service publishes on; tests publish an agent's reply on it themselves."""
    return hub.server.app[service_key].events


async def start(hub: TestClient, conversation_id: str, *texts: str) -> list[int]:
    """Start a web chat conversation with `texts`; the ids of everything stored."""
    ids: list[int] = []
    for text in texts:
        answer = await (
            await hub.post(f"/api/conversations/{conversation_id}/messages", json={"text": text})
        ).json()
        ids += [answer["replies"][0]["id"] - 1, *(r["id"] for r in answer["replies"])]
    return ids


def agent_message(conversation_id: str, message_id: int, text: str = "Bonjour, ici Anne.") -> Event:
    data = {
        "id": message_id,
        "text": text,
        "buttons": [],
        "author": "agent",
        "created_at": "2026-01-05T09:00:00+00:00",
    }
    return Event("message", conversation_id, data)


async def test_the_stream_sends_the_transcript_then_the_state(hub, brain: FakeBrain, bus):
    ids = await start(hub, "live-0", "bonjour, j'ai besoin d'aide")
    response = await hub.get(EVENTS.format("live-0"))
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert response.headers["Cache-Control"] == "no-store"
    person, bot, state = await read_events(response, 3)
    assert [person.kind, bot.kind, state.kind] == ["message", "message", "state"]
    assert [person.id, bot.id] == [str(i) for i in ids]
    assert person.data["author"] == "person"
    assert person.data["text"] == "bonjour, j'ai besoin d'aide"
    assert set(bot.data) == {"id", "text", "buttons", "author", "created_at"}
    assert state.data == {"state": "bot"}


async def test_a_message_published_after_connecting_arrives(hub, brain: FakeBrain, bus):
    ids = await start(hub, "live-1", "hello, I lost my card")
    response = await hub.get(EVENTS.format("live-1"))
    await read_events(response, 3)  # the transcript so far and the state
    bus.publish(conversation_topic("live-1"), agent_message("live-1", ids[-1] + 1))
    bus.publish(conversation_topic("live-1"), Event("state", "live-1", {"state": "with_agent"}))
    message, state = await read_events(response, 2)
    assert (message.kind, message.id) == ("message", str(ids[-1] + 1))
    assert message.data["author"] == "agent"
    assert message.data["text"] == "Bonjour, ici Anne."
    assert (state.kind, state.data) == ("state", {"state": "with_agent"})


async def test_a_message_posted_while_listening_arrives_live(hub, brain: FakeBrain, bus):
    await start(hub, "live-1b", "hello, I lost my card")
    response = await hub.get(EVENTS.format("live-1b"))
    await read_events(response, 3)
    answer = await (
        await hub.post("/api/conversations/live-1b/messages", json={"text": "what now?"})
    ).json()
    person, bot = await read_events(response, 2)
    assert (person.data["author"], person.data["text"]) == ("person", "what now?")
    assert bot.data["text"] == answer["replies"][0]["text"]
    assert int(bot.id) == answer["replies"][0]["id"]


async def test_events_of_other_conversations_and_kinds_are_not_sent(hub, brain: FakeBrain, bus):
    ids = await start(hub, "live-2", "hello, I moved house")
    await start(hub, "other-2", "hello, me too")
    response = await hub.get(EVENTS.format("live-2"))
    await read_events(response, 3)
    bus.publish(conversation_topic("other-2"), agent_message("other-2", 9999, "not for you"))
    bus.publish(conversation_topic("live-2"), Event("queue", "live-2", {"waiting": 3}))
    bus.publish(conversation_topic("live-2"), agent_message("live-2", ids[-1] + 1, "for you"))
    assert (await read_event(response)).data["text"] == "for you"


@pytest.mark.parametrize("resume", ["header", "query"])
async def test_a_reconnect_resumes_after_the_last_id_without_duplicates(
    hub, brain: FakeBrain, bus, resume
):
    ids = await start(hub, "live-3", "hello, I need help", "and my address changed")
    seen = ids[1]  # the client had the first exchange
    if resume == "header":  # as EventSource reconnects: the header beats the first ?after=
        response = await hub.get(
            EVENTS.format("live-3") + "?after=0", headers={"Last-Event-ID": str(seen)}
        )
    else:
        response = await hub.get(EVENTS.format("live-3") + f"?after={seen}")
    missed = await read_events(response, 2)
    assert [e.id for e in missed] == [str(i) for i in ids[2:]]
    assert (await read_event(response)).kind == "state"
    # The last message is both in the store and on the bus (stored while subscribing):
    # it is not sent twice.
    bus.publish(conversation_topic("live-3"), agent_message("live-3", ids[-1]))
    bus.publish(conversation_topic("live-3"), agent_message("live-3", ids[-1] + 1, "new"))
    event = await read_event(response)
    assert (event.id, event.data["text"]) == (str(ids[-1] + 1), "new")


async def test_a_live_message_is_sent_once_even_if_published_twice(hub, brain: FakeBrain, bus):
    ids = await start(hub, "live-4", "hello there")
    response = await hub.get(EVENTS.format("live-4"))
    await read_events(response, 3)
    for text in ("first", "again", "second"):
        message_id = ids[-1] + (2 if text == "second" else 1)
        bus.publish(conversation_topic("live-4"), agent_message("live-4", message_id, text))
    assert [e.data["text"] for e in await read_events(response, 2)] == ["first", "second"]


async def test_a_quiet_stream_sends_heartbeats(hub, brain: FakeBrain, bus, monkeypatch):
    monkeypatch.setattr(webchat_stream, "HEARTBEAT_SECONDS", 0.1)
    await start(hub, "live-5", "hello, anybody there")
    response = await hub.get(EVENTS.format("live-5"))
    await read_events(response, 3)
    assert (await read_event(response, timeout=30, comments=True)).kind == "comment"


async def test_a_client_that_leaves_is_unsubscribed(hub, brain: FakeBrain, bus, monkeypatch):
    monkeypatch.setattr(webchat_stream, "HEARTBEAT_SECONDS", 0.1)
    await start(hub, "live-6", "hello, I will leave soon")
    response = await hub.get(EVENTS.format("live-6"))
    await read_events(response, 3)
    assert bus.subscriber_count(conversation_topic("live-6")) == 1
    response.close()
    await eventually(lambda: bus.subscriber_count(conversation_topic("live-6")) == 0)


async def test_a_stream_dropped_for_falling_behind_ends_so_the_client_catches_up(
    hub, brain: FakeBrain, bus
):
    ids = await start(hub, "live-6b", "hello, lots coming")
    response = await hub.get(EVENTS.format("live-6b"))
    await read_events(response, 3)
    for n in range(MAX_BACKLOG + 1):  # all at once: the stream cannot keep up
        bus.publish(conversation_topic("live-6b"), agent_message("live-6b", ids[-1] + 1 + n))
    with pytest.raises(EOFError):  # EventSource reconnects with Last-Event-ID
        for _ in range(MAX_BACKLOG + 1):
            await read_event(response)


async def test_shutting_down_ends_open_streams_at_once(settings, brain: FakeBrain):
    hub = TestClient(TestServer(create_app(settings)))
    await hub.start_server()
    await start(hub, "live-7", "hello, I keep this open")
    response = await hub.get(EVENTS.format("live-7"))
    await read_events(response, 3)
    started = time.perf_counter()
    await hub.server.close()  # the hub stops while the page still listens
    assert time.perf_counter() - started < 5  # not the heartbeat, not the shutdown timeout
    with pytest.raises(EOFError):
        await read_event(response)
    await hub.close()


async def test_an_unknown_conversation_is_404(hub, brain: FakeBrain):
    response = await hub.get(EVENTS.format("nobody-here"))
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


async def test_a_phone_call_is_not_streamed_here(hub, brain: FakeBrain):
    await hub.server.app[service_key].start_call("call-CA123", "+32470000000")
    response = await hub.get(EVENTS.format("call-CA123"))
    assert response.status == 404


@pytest.mark.parametrize(
    ("conversation_id", "query", "headers", "code"),
    [
        ("bad id!", "", {}, "invalid_conversation_id"),
        ("ok-id", "?after=-1", {}, "invalid_after"),
        ("ok-id", "?after=%C2%B2", {}, "invalid_after"),  # "²" is a digit to str.isdigit()
        ("ok-id", "", {"Last-Event-ID": "abc"}, "invalid_last_event_id"),
    ],
)
async def test_bad_ids_get_422(hub, brain: FakeBrain, conversation_id, query, headers, code):
    response = await hub.get(EVENTS.format(conversation_id) + query, headers=headers)
    assert response.status == 422
    assert (await response.json())["error"]["code"] == code


async def test_the_stream_is_in_the_openapi_document(hub):
    spec = await (await hub.get("/api/openapi.json")).json()
    operation = spec["paths"]["/api/conversations/{conversation_id}/events"]["get"]
    assert "text/event-stream" in operation["responses"]["200"]["content"]
    assert {"404", "422"} <= set(operation["responses"])
