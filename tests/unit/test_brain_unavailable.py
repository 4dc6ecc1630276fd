"""No message is lost and no person is left without an answer when the brain is
starting, down, restarting or slow."""

from __future__ import annotations

import pytest

from bot.channels.webchat import service_key
from bot.conversations.model import Status
from tests.fakes import FakeBrain
from tests.waiting import eventually

URL = "/api/conversations/{}/messages"


async def transcript(hub, conversation_id: str) -> list[dict]:
    return (await (await hub.get(f"/api/conversations/{conversation_id}")).json())["messages"]


async def test_brain_down_gives_a_holding_reply_in_the_persons_language(hub):
    response = await hub.post(
        URL.format("down1"), json={"text": "Ik ben mijn identiteitskaart kwijt"}
    )
    assert response.status == 200
    answer = await response.json()
    assert answer["language"] == "nl"
    [reply] = answer["replies"]
    assert "Een ogenblik" in reply["text"]
    assert "gemeente" in reply["text"]  # how to reach a person
    messages = await transcript(hub, "down1")
    assert [m["author"] for m in messages] == ["person", "bot"]


async def test_a_kept_message_is_answered_once_the_brain_is_back(hub, brain_socket):
    await hub.post(URL.format("down2"), json={"text": "I lost my identity card yesterday"})
    service = hub.server.app[service_key]
    [kept] = await service.store.pending("down2")
    assert kept.status == Status.PENDING

    brain = FakeBrain()
    await brain.start(brain_socket)
    try:
        await service.replay_pending()
        assert brain.texts == ["I lost my identity card yesterday"]
        messages = await transcript(hub, "down2")
        assert "Thank you for waiting" in messages[2]["text"]
        assert messages[3]["text"] == "echo[en]: I lost my identity card yesterday"
        assert await service.store.pending() == []
    finally:
        await brain.stop()


async def test_messages_kept_while_down_are_answered_in_order_before_a_new_one(hub, brain_socket):
    for text in ("first question about moving", "second question about moving"):
        await hub.post(URL.format("down3"), json={"text": text, "language": "en"})
    brain = FakeBrain()
    await brain.start(brain_socket)
    try:
        answer = await (
            await hub.post(URL.format("down3"), json={"text": "third one", "language": "en"})
        ).json()
        assert brain.texts == [
            "first question about moving",
            "second question about moving",
            "third one",
        ]
        assert answer["replies"][-1]["text"] == "echo[en]: third one"
    finally:
        await brain.stop()


@pytest.mark.brain_timeout(1.0)
async def test_a_slow_brain_gets_a_holding_reply_and_its_answer_arrives_later(hub, brain):
    brain.delay = 2.0  # the hub waits 1 s
    answer = await (
        await hub.post(URL.format("slow"), json={"text": "j'ai déménagé à Ixelles"})
    ).json()
    assert "Un instant" in answer["replies"][0]["text"]

    async def answered() -> bool:
        return any(m["text"].startswith("echo[fr]") for m in await transcript(hub, "slow"))

    await eventually(answered)
    assert brain.texts == ["j'ai déménagé à Ixelles"]  # asked once, never twice


async def test_readyz_tells_whether_the_brain_can_serve(hub, brain_socket):
    response = await hub.get("/readyz")
    assert response.status == 503
    assert (await response.json()) == {
        "status": "not_ready",
        "model_loaded": False,
        "action_server": False,
    }
    brain = FakeBrain()
    await brain.start(brain_socket)
    try:
        assert (await hub.get("/readyz")).status == 200
    finally:
        await brain.stop()
    assert (await hub.get("/healthz")).status == 200
