"""Exactly once: every message is answered, once, in order, whatever happens on the way
(a lost answer of the brain, a restart, two messages at once, a client that retries)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.channels.webchat import service_key
from bot.conversations import service
from bot.conversations.events import conversation_topic
from bot.conversations.inbound import PHONE_CHANNEL
from bot.conversations.model import Status
from bot.conversations.service import ORPHAN_TURNS
from bot.languages import LanguageSource
from bot.settings import Settings
from bot.texts import holding_reply
from tests.console import Clock
from tests.databases import fresh_postgres_database
from tests.fakes import FakeBrain, echo
from tests.waiting import eventually

URL = "/api/conversations/{}/messages"


async def transcript(hub: TestClient, conversation_id: str) -> list[dict]:
    return (await (await hub.get(f"/api/conversations/{conversation_id}")).json())["messages"]


async def texts(hub: TestClient, conversation_id: str) -> list[str]:
    return [m["text"] for m in await transcript(hub, conversation_id)]


async def test_an_answer_lost_on_the_way_is_taken_from_the_tracker_not_asked_twice(
    hub, brain: FakeBrain
):
    await hub.post(URL.format("lost"), json={"text": "I lost my identity card", "language": "en"})
    brain.fail_after_processing = True  # Rasa takes the message, its answer never arrives
    held = await (await hub.post(URL.format("lost"), json={"text": "/step_next"})).json()
    assert "Thank you for waiting" not in held["replies"][0]["text"]  # the holding reply
    brain.fail_after_processing = False

    assert await hub.server.app[service_key].replay_pending() == 1
    assert brain.texts == ["I lost my identity card", "/step_next"]  # never sent again
    assert (await texts(hub, "lost"))[-1] == "echo[en]: /step_next"


async def test_a_kept_message_the_brain_never_took_is_sent_once_it_is_back(hub, brain: FakeBrain):
    brain.down = True
    await hub.post(URL.format("never"), json={"text": "moving house", "language": "en"})
    brain.down = False
    assert await hub.server.app[service_key].replay_pending() == 1
    assert brain.texts == ["moving house"]
    assert (await texts(hub, "never"))[-1] == "echo[en]: moving house"


async def test_a_message_taken_while_the_action_server_was_down_is_answered_once_it_is_back(
    hub, brain: FakeBrain
):
    await hub.post(URL.format("acts"), json={"text": "I lost my identity card", "language": "en"})
    brain.actions_down = True  # Rasa takes "next" but cannot run the step's action
    held = await (await hub.post(URL.format("acts"), json={"text": "/step_next"})).json()
    assert held["replies"][0]["text"].startswith(holding_reply("en", "")[:30])  # kept
    assert await hub.server.app[service_key].replay_pending() == 0  # still down: kept
    brain.actions_down = False

    assert await hub.server.app[service_key].replay_pending() == 1
    # Sent again (each time the action could not run, nothing moved): answered once.
    assert brain.texts[-1] == "/step_next"
    assert (await texts(hub, "acts")).count("echo[en]: /step_next") == 1
    assert (await texts(hub, "acts"))[-1] == "echo[en]: /step_next"


async def test_a_message_taken_just_before_the_action_server_came_back_moves_on_at_once(
    hub, brain: FakeBrain
):
    await hub.post(URL.format("back"), json={"text": "I lost my identity card", "language": "en"})
    missed = ["/step_next"]  # Rasa could not reach the action server for this one...

    def action_server_back_since(text: str, metadata: dict) -> list[dict]:
        if text in missed:
            missed.remove(text)
            return []
        return echo(text, metadata)

    brain.reply = action_server_back_since  # ...and it is up by the time the hub asks
    answer = await (await hub.post(URL.format("back"), json={"text": "/step_next"})).json()

    assert [r["text"] for r in answer["replies"]] == ["echo[en]: /step_next"]  # not held
    assert brain.texts == ["I lost my identity card", "/step_next", "/step_next"]
    assert (await texts(hub, "back")).count("echo[en]: /step_next") == 1


async def test_an_empty_answer_for_a_message_the_brain_did_process_is_never_sent_again(
    hub, brain: FakeBrain
):
    await hub.post(URL.format("empty"), json={"text": "I lost my identity card", "language": "en"})
    brain.empty_after_processing = True  # the step moved, but Rasa's answer came back empty
    answer = await (await hub.post(URL.format("empty"), json={"text": "/step_next"})).json()

    assert [r["text"] for r in answer["replies"]] == ["echo[en]: /step_next"]  # the tracker's
    assert brain.texts == ["I lost my identity card", "/step_next"]  # not taken twice


async def test_a_menu_number_kept_during_an_outage_keeps_its_meaning(hub, brain: FakeBrain):
    await hub.post(URL.format("menu"), json={"text": "hello there", "language": "en"})
    brain.down = True
    await hub.post(URL.format("menu"), json={"text": "2"})  # "Menu" on the last message
    brain.down = False
    await hub.server.app[service_key].replay_pending()
    # Resolved when sent, not against the holding reply that came after it.
    assert brain.texts == ["hello there", "/ask_capabilities"]


async def store_without_answer(hub: TestClient, conversation_id: str, channel: str, text: str):
    """A message stored by a hub that stopped (or crashed) before it could answer it."""
    service = hub.server.app[service_key]
    now = service.now()
    if channel == PHONE_CHANNEL:
        await service.start_call(conversation_id, None)
    return await service.store.receive(
        conversation_id, channel, text, lambda _: ("en", LanguageSource.EXPLICIT), now
    )


async def test_messages_left_unanswered_by_a_stop_are_answered_after_the_restart(
    settings: Settings, brain: FakeBrain
):
    async with TestClient(TestServer(create_app(settings))) as before:
        await store_without_answer(before, "crash", "webchat", "first question")
        await store_without_answer(before, "crash", "webchat", "second question")
        await store_without_answer(before, "call-ended", PHONE_CHANNEL, "a caller who hung up")
        await before.server.app[service_key].end_call("call-ended")
        # The caller hung up before the answer: nobody to hear it, and it says so.
        [unheard] = await before.server.app[service_key].messages("call-ended")
        assert unheard.status == Status.UNHEARD

    async with TestClient(TestServer(create_app(settings))) as after:
        assert await after.server.app[service_key].replay_pending() == 2
        assert brain.texts == ["first question", "second question"]  # in order; no call
        assert (await texts(after, "crash"))[-1] == "echo[en]: second question"


async def test_a_message_whose_turn_broke_off_without_a_word_is_answered_without_a_restart(
    settings: Settings, brain: FakeBrain
):
    clock = Clock()
    async with TestClient(TestServer(create_app(settings, clock=clock))) as hub:
        # Stored, then the database went away before its turn could say it broke off.
        await store_without_answer(hub, "broke", "webchat", "I moved house")
        service = hub.server.app[service_key]
        assert await service.replay_pending() == 0  # its turn may still be going
        clock.now += timedelta(seconds=ORPHAN_TURNS * settings.brain_request_timeout + 1)

        assert await service.replay_pending() == 1  # no longer: the hub answers it itself
        assert brain.texts == ["I moved house"]
        assert (await texts(hub, "broke"))[-1] == "echo[en]: I moved house"


async def test_a_message_whose_answer_could_not_be_stored_is_answered_after_the_restart(
    settings: Settings, brain: FakeBrain, monkeypatch: pytest.MonkeyPatch
):
    async with TestClient(TestServer(create_app(settings))) as before:
        store = before.server.app[service_key].store

        async def database_gone(*_: object, **__: object) -> None:
            raise ConnectionError("the database went away")

        monkeypatch.setattr(store, "answer", database_gone)
        answer = await before.post(URL.format("broken"), json={"text": "hello", "language": "en"})
        assert answer.status == 503  # the brain answered; storing its answer broke

    async with TestClient(TestServer(create_app(settings))) as after:
        assert await after.server.app[service_key].replay_pending() == 1
        assert brain.texts == ["hello"]  # the answer came from the tracker: asked once
        assert (await texts(after, "broken"))[-1] == "echo[en]: hello"


async def test_one_stuck_conversation_does_not_hold_up_the_replay_of_others(hub, brain: FakeBrain):
    brain.down = True
    for conversation_id in ("stuck", "free"):
        await hub.post(URL.format(conversation_id), json={"text": "hello", "language": "en"})
    brain.down = False
    service = hub.server.app[service_key]
    with service.events.subscribe(conversation_topic("free")) as events:
        async with service._locks.hold("stuck"):  # a turn that never ends holds this conversation
            replay = asyncio.create_task(service.replay_pending())
            async for event in events:  # the answer of "free" comes while "stuck" waits
                if event.kind == "message" and event.data["author"] == "bot":
                    break
            assert not replay.done()
    assert await replay == 2


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_database_hub(
    request: pytest.FixtureRequest, settings: Settings, brain: FakeBrain
) -> AsyncIterator[TestClient]:
    """The hub on SQLite, then on a fresh PostgreSQL database; patient enough that turns
    waiting for each other never get the holding reply, however busy the machine."""
    patient = settings.model_copy(update={"brain_timeout": 60.0})
    if request.param == "sqlite":
        async with TestClient(TestServer(create_app(patient))) as hub:
            yield hub
        return
    async with fresh_postgres_database() as url:
        on_postgres = patient.model_copy(update={"database_url": url})
        async with TestClient(TestServer(create_app(on_postgres))) as hub:
            yield hub


async def test_two_first_messages_at_once_start_one_conversation(any_database_hub, brain):
    hub = any_database_hub
    brain.delay = 0.2  # both turns are under way together
    answers = await asyncio.gather(
        *(hub.post(URL.format("twins"), json={"text": t, "language": "en"}) for t in "ab")
    )
    assert [a.status for a in answers] == [200, 200]
    messages = await transcript(hub, "twins")
    assert sorted(m["text"] for m in messages if m["author"] == "person") == ["a", "b"]


async def test_two_messages_at_once_are_answered_in_the_order_they_arrived(any_database_hub, brain):
    hub = any_database_hub
    await hub.post(URL.format("order"), json={"text": "hello", "language": "en"})
    brain.delay = 0.2
    questions = [f"question {n}" for n in range(4)]
    answers = await asyncio.gather(
        *(hub.post(URL.format("order"), json={"text": q}) for q in questions)
    )
    for question, answer in zip(questions, answers, strict=True):
        assert (await answer.json())["replies"][-1]["text"] == f"echo[en]: {question}"
    said = [m["text"] for m in await transcript(hub, "order") if m["author"] == "person"]
    assert brain.texts == said  # the brain got them in the order they were stored
    bot = [m["text"] for m in await transcript(hub, "order") if m["author"] == "bot"]
    assert bot == [f"echo[en]: {text}" for text in said]


async def test_a_message_answered_in_a_later_ones_turn_still_gets_its_own_answer_back(
    any_database_hub, brain, monkeypatch: pytest.MonkeyPatch
):
    """Of two messages at once, the second's turn may take the conversation first: it
    answers both, in order. The first's request then gets the first's answer, not none."""
    hub = any_database_hub
    await hub.post(URL.format("overtaken"), json={"text": "hello", "language": "en"})
    second_answered = threading.Event()
    other_language = service._other_language

    def held_up_for_the_first(conversation, text: str) -> str | None:
        if text == "first":  # a check on the way to the lock, as a busy machine delays it
            second_answered.wait(timeout=30)
        return other_language(conversation, text)

    monkeypatch.setattr(service, "_other_language", held_up_for_the_first)
    first = asyncio.create_task(hub.post(URL.format("overtaken"), json={"text": "first"}))

    async def first_stored() -> bool:
        return "first" in await texts(hub, "overtaken")

    await eventually(first_stored)
    second = await hub.post(URL.format("overtaken"), json={"text": "second"})
    second_answered.set()

    assert (await second.json())["replies"][-1]["text"] == "echo[en]: second"
    assert (await (await first).json())["replies"][-1]["text"] == "echo[en]: first"
    assert brain.texts[-2:] == ["first", "second"]  # in the order they were stored


async def test_a_retry_with_the_same_key_gets_the_first_answer_not_a_second_turn(
    hub, brain: FakeBrain
):
    body = {"text": "I moved to Ixelles", "language": "en"}
    key = {"Idempotency-Key": "9f1c2d3e-0000-4000-8000-000000000001"}
    first = await (await hub.post(URL.format("retry"), json=body, headers=key)).json()
    again = await (await hub.post(URL.format("retry"), json=body, headers=key)).json()
    assert again == first
    assert brain.texts == ["I moved to Ixelles"]
    assert len(await transcript(hub, "retry")) == 2


async def test_a_retry_while_the_first_is_still_answered_waits_for_its_answer(
    hub, brain: FakeBrain
):
    brain.delay = 0.3
    body = {"text": "I moved to Ixelles", "language": "en"}
    key = {"Idempotency-Key": "retry-while-answering"}
    first, again = await asyncio.gather(
        *(hub.post(URL.format("twice"), json=body, headers=key) for _ in range(2))
    )
    assert await first.json() == await again.json()
    assert brain.texts == ["I moved to Ixelles"]
    statuses = {m.status for m in await hub.server.app[service_key].messages("twice")}
    assert Status.PENDING not in statuses


async def test_a_key_is_the_clients_name_for_a_message_in_one_conversation(hub, brain):
    key = {"Idempotency-Key": "same-key"}
    for conversation_id in ("one", "other"):
        await hub.post(URL.format(conversation_id), json={"text": "hello"}, headers=key)
    assert brain.texts == ["hello", "hello"]


async def test_a_malformed_key_is_refused(hub, brain):
    answer = await hub.post(
        URL.format("bad-key"), json={"text": "hello"}, headers={"Idempotency-Key": "é" * 80}
    )
    assert answer.status == 422
    assert (await answer.json())["error"]["code"] == "invalid_idempotency_key"
    assert brain.texts == []


async def test_a_retry_after_the_database_went_away_mid_answer_gets_the_answer(
    hub, brain: FakeBrain, monkeypatch: pytest.MonkeyPatch
):
    """The message was stored, then the database went away (the answer could not be
    stored, nor the message marked): 503, "send it again with the same key". The retry,
    once the database is back, gets the answer; the brain was asked once."""
    store = hub.server.app[service_key].store

    async def database_gone(*_: object, **__: object) -> None:
        raise ConnectionError("the database went away")

    body = {"text": "hello", "language": "en"}
    key = {"Idempotency-Key": "retry-after-database-cut"}
    with monkeypatch.context() as cut:
        cut.setattr(store, "answer", database_gone)
        cut.setattr(store, "set_status", database_gone)
        assert (await hub.post(URL.format("cut"), json=body, headers=key)).status == 503

    again = await hub.post(URL.format("cut"), json=body, headers=key)
    assert again.status == 200
    assert [r["text"] for r in (await again.json())["replies"]] == ["echo[en]: hello"]
    assert brain.texts == ["hello"]  # the answer came from the tracker: asked once
    assert await texts(hub, "cut") == ["hello", "echo[en]: hello"]
