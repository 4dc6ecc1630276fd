"""Human handoff through the web chat API, as a person and an agent live it (stand-in brain).

The clock is pinned: Thursday 3 December 2026 at 10:00 in Brussels (open), or 20:00
(closed), or Christmas Day (a public holiday).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.appkeys import service_key
from bot.conversations.desk import NotYours, TakenBy
from bot.conversations.events import QUEUE_TOPIC, conversation_topic
from bot.conversations.model import Agent
from bot.conversations.records import AgentRecord
from bot.conversations.service import ConversationService
from bot.conversations.states import MoveRefused
from bot.settings import Settings
from tests.fakes import FakeBrain

URL = "/api/conversations/{}/messages"
OPEN = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # 10:00 in Brussels, a Thursday
CLOSED = datetime(2026, 12, 3, 19, 0, tzinfo=UTC)  # 20:00
CHRISTMAS = datetime(2026, 12, 25, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(OPEN)


@pytest.fixture
async def desk_hub(settings: Settings, clock: Clock) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(settings, clock=clock))) as client:
        yield client


def service_of(hub: TestClient) -> ConversationService:
    return hub.app[service_key]


async def agent(hub: TestClient, name: str = "ana", available: bool = True) -> AgentRecord:
    """An agent account, available and seen now."""
    service = service_of(hub)
    async with service.store.session.begin() as session:
        row = Agent(name=name, password_hash="-", role="agent", language="en", available=False)
        session.add(row)
    await service.desk.set_available(row.id, available)
    found = await service.store.agent(row.id)
    assert found is not None
    return found


async def say(hub: TestClient, conversation_id: str, text: str) -> dict:
    response = await hub.post(URL.format(conversation_id), json={"text": text, "language": "en"})
    assert response.status == 200, await response.text()
    return await response.json()


def texts(answer: dict) -> str:
    return " ".join(reply["text"] for reply in answer["replies"])


async def test_in_hours_a_person_who_asks_joins_the_queue_and_is_told_their_place(
    desk_hub, brain: FakeBrain
):
    await agent(desk_hub)
    answer = await say(desk_hub, "p1", "/request_human")
    assert answer["state"] == "waiting_for_agent"
    assert "number 1 in the queue" in texts(answer)
    assert "about 4 minutes" in texts(answer)
    second = await say(desk_hub, "p2", "/request_human")
    assert "number 2 in the queue" in texts(second)
    queue, _ = await service_of(desk_hub).desk.queue()
    assert [entry.conversation.id for entry in queue] == ["p1", "p2"]
    assert queue[0].conversation.handoff_reason == "asked"


async def test_the_brains_handoff_signal_starts_the_handoff(desk_hub, brain: FakeBrain):
    await agent(desk_hub)
    brain.reply = lambda text, _: [{"custom": {"loket": {"handoff": "requested"}}}]
    answer = await say(desk_hub, "p1", "I want to talk to someone")
    assert answer["state"] == "waiting_for_agent"
    assert "queue" in texts(answer)


async def test_while_waiting_the_bot_still_answers_and_the_person_can_stop_waiting(
    desk_hub, brain: FakeBrain
):
    await agent(desk_hub)
    await say(desk_hub, "p1", "/request_human")
    answer = await say(desk_hub, "p1", "how do I change my address")
    assert texts(answer).startswith("echo[en]")
    stopped = await say(desk_hub, "p1", "/stop_waiting")
    assert stopped["state"] == "bot"
    assert "no longer waiting" in texts(stopped)


async def test_with_an_agent_the_brain_is_never_asked_and_replies_reach_the_person_live(
    desk_hub, brain: FakeBrain
):
    ana = await agent(desk_hub)
    service = service_of(desk_hub)
    await say(desk_hub, "p1", "/request_human")
    await service.desk.take("p1", ana)
    asked = len(brain.received)
    with service.events.subscribe(conversation_topic("p1")) as page:
        answer = await say(desk_hub, "p1", "hello, are you a real person?")
        assert answer["replies"] == [] and answer["state"] == "with_agent"
        assert len(brain.received) == asked
        assert (await page.next(1)).data["text"] == "hello, are you a real person?"
        await service.desk.reply("p1", ana, "Yes, I am Ana. How can I help?")
        event = await page.next(1)
    assert event.kind == "message" and event.data["author"] == "agent"
    transcript = await (await desk_hub.get("/api/conversations/p1")).json()
    assert transcript["messages"][-1]["text"] == "Yes, I am Ana. How can I help?"


async def test_notes_stay_with_the_agents(desk_hub, brain: FakeBrain):
    ana = await agent(desk_hub)
    service = service_of(desk_hub)
    await say(desk_hub, "p1", "/request_human")
    await service.desk.take("p1", ana)
    with (
        service.events.subscribe(conversation_topic("p1")) as page,
        service.events.subscribe(QUEUE_TOPIC) as console,
    ):
        await service.desk.note("p1", ana, "Person seems confused about the form")
        assert (await console.next(1)).data["internal"] is True
        assert await page.next(0.2) is None
    transcript = await (await desk_hub.get("/api/conversations/p1")).json()
    assert all("confused" not in m["text"] for m in transcript["messages"])
    view = await service.desk.open("p1")
    assert view is not None and view.messages[-1].internal


async def test_one_agent_at_a_time(desk_hub, brain: FakeBrain):
    ana, bob = await agent(desk_hub, "ana"), await agent(desk_hub, "bob")
    desk = service_of(desk_hub).desk
    await say(desk_hub, "p1", "/request_human")
    await desk.take("p1", ana)
    with pytest.raises(TakenBy) as taken:
        await desk.take("p1", bob)
    assert taken.value.name == "ana"
    with pytest.raises(NotYours):
        await desk.reply("p1", bob, "hi")
    view = await desk.open("p1")
    assert view is not None and view.agent_name == "ana"


async def test_hand_back_greets_the_person_and_the_bot_answers_again(desk_hub, brain: FakeBrain):
    ana = await agent(desk_hub)
    desk = service_of(desk_hub).desk
    await say(desk_hub, "p1", "/request_human")
    await desk.take("p1", ana)
    await desk.hand_back("p1", ana)
    transcript = await (await desk_hub.get("/api/conversations/p1")).json()
    assert transcript["state"] == "bot"
    assert "back with the Loket assistant" in transcript["messages"][-1]["text"]
    answer = await say(desk_hub, "p1", "thanks, and my tax return?")
    assert texts(answer).startswith("echo[en]")


async def test_close_with_an_outcome_and_a_later_message_reopens_with_the_bot(
    desk_hub, brain: FakeBrain
):
    ana = await agent(desk_hub)
    desk = service_of(desk_hub).desk
    await say(desk_hub, "p1", "/request_human")
    await desk.take("p1", ana)
    closed = await desk.close("p1", ana, "answered")
    assert closed.state == "closed" and closed.outcome == "answered"
    with pytest.raises(MoveRefused):
        await desk.take("p1", ana)
    answer = await say(desk_hub, "p1", "one more question please")
    assert answer["state"] == "bot"
    changes = await service_of(desk_hub).store.state_changes("p1")
    assert [(c.event, c.actor) for c in changes] == [
        ("ask", "person"),
        ("take", "agent:ana"),
        ("close", "agent:ana"),
        ("reopen", "person"),
    ]


async def test_a_silent_agent_gives_the_conversation_back_to_the_queue(
    desk_hub, brain: FakeBrain, clock: Clock, settings: Settings
):
    ana = await agent(desk_hub)
    service = service_of(desk_hub)
    await say(desk_hub, "p1", "/request_human")
    await service.desk.take("p1", ana)
    await service.desk.set_available(ana.id, True)
    clock.now = OPEN + timedelta(seconds=settings.agent_idle_seconds + 60)
    await agent(desk_hub, "bob")  # someone else is there, so the person keeps waiting
    await service.sweep()
    conversation = await service.conversation("p1")
    assert conversation is not None and conversation.state == "waiting_for_agent"
    transcript = await (await desk_hub.get("/api/conversations/p1")).json()
    assert "had to leave" in transcript["messages"][-1]["text"]


async def book_callback(hub: TestClient, conversation_id: str) -> list[dict]:
    """Walk the callback dialogue with menu numbers, a typed number and a half-day."""
    number = await say(hub, conversation_id, "1")
    assert "Which number can we call you on?" in texts(number)
    bad = await say(hub, conversation_id, "my number is secret")
    assert "not a phone number I know" in texts(bad)
    days = await say(hub, conversation_id, "0470 12 34 56")
    assert "When can we call you?" in texts(days)
    booked = await say(hub, conversation_id, "1")
    return booked["replies"]


async def test_outside_hours_a_callback_is_offered_and_booked(
    desk_hub, brain: FakeBrain, clock: Clock
):
    clock.now = CLOSED
    offer = await say(desk_hub, "p1", "/request_human")
    assert offer["state"] == "bot"
    assert "closed now. It opens again tomorrow at 9:00" in texts(offer)
    assert [b["payload"] for b in offer["replies"][-1]["buttons"]] == [
        "/callback_yes",
        "/callback_message",
        "/callback_no",
    ]
    asked = len(brain.received)
    booked = await book_callback(desk_hub, "p1")
    assert "call you on 0470 12 34 56, tomorrow in the morning" in booked[0]["text"]
    assert "speak English" in booked[0]["text"]
    assert len(brain.received) == asked  # the hub led the whole dialogue
    [callback] = await service_of(desk_hub).desk.callbacks()
    assert (callback.phone, callback.half_day, callback.language) == ("+32470123456", "am", "en")
    assert str(callback.due_date) == "2026-12-04"
    answer = await say(desk_hub, "p1", "thanks")
    assert texts(answer).startswith("echo[en]")


async def test_on_a_public_holiday_the_next_opening_is_after_it(
    desk_hub, brain: FakeBrain, clock: Clock
):
    clock.now = CHRISTMAS
    offer = await say(desk_hub, "p1", "/request_human")
    assert "It opens again on Monday 28 December at 9:00" in texts(offer)


async def test_in_hours_with_nobody_available_the_person_queues_and_may_book_a_callback(
    desk_hub, brain: FakeBrain
):
    await agent(desk_hub, available=False)
    offer = await say(desk_hub, "p1", "/request_human")
    assert offer["state"] == "waiting_for_agent"
    assert "number 1 in the queue" in texts(offer)
    assert "Nobody at the helpdesk is free right now" in texts(offer)
    assert [b["payload"] for b in offer["replies"][-1]["buttons"]] == [
        "/callback_yes",
        "/callback_message",
        "/stop_waiting",
    ]
    booked = await book_callback(desk_hub, "p1")
    assert "will call you" in booked[0]["text"]
    conversation = await service_of(desk_hub).conversation("p1")
    assert conversation is not None and conversation.state == "bot", "a callback instead"


async def test_in_the_queue_the_offer_can_be_passed_by_or_declined(desk_hub, brain: FakeBrain):
    await agent(desk_hub, available=False)
    await say(desk_hub, "p1", "/request_human")
    answer = await say(desk_hub, "p1", "how do I get a household composition")
    assert texts(answer).startswith("echo[en]"), "the bot answers while the person waits"
    await say(desk_hub, "p2", "/request_human")
    kept = await say(desk_hub, "p2", "no thanks")
    assert "You keep your place in the queue" in texts(kept)
    assert kept["state"] == "waiting_for_agent"
    stopped = await say(desk_hub, "p1", "/stop_waiting")  # the button stays on the page
    assert stopped["state"] == "bot"


async def test_a_person_can_leave_a_message(desk_hub, brain: FakeBrain, clock: Clock):
    clock.now = CLOSED
    await say(desk_hub, "p1", "/request_human")
    ask = await say(desk_hub, "p1", "2")
    assert "Write your message" in texts(ask)
    left = await say(desk_hub, "p1", "Please send me the form for the social tariff. No rush.")
    assert "Your message is saved" in texts(left)
    [message] = await service_of(desk_hub).desk.callbacks()
    assert message.kind == "message" and message.message.startswith("Please send me the form")


async def test_a_person_who_says_no_goes_back_to_the_bot(desk_hub, brain: FakeBrain, clock: Clock):
    clock.now = CLOSED
    await say(desk_hub, "p1", "/request_human")
    answer = await say(desk_hub, "p1", "no thanks")
    assert "All right" in texts(answer)
    assert (await say(desk_hub, "p1", "lost id card"))["replies"][0]["text"].startswith("echo")


async def test_waiting_when_the_helpdesk_closes_gets_a_callback_offer(
    desk_hub, brain: FakeBrain, clock: Clock
):
    await agent(desk_hub)
    await say(desk_hub, "p1", "/request_human")
    clock.now = CLOSED
    await service_of(desk_hub).sweep()
    transcript = await (await desk_hub.get("/api/conversations/p1")).json()
    assert "The helpdesk is closed now" in transcript["messages"][-1]["text"]
    booked = await book_callback(desk_hub, "p1")
    assert "will call you" in booked[0]["text"]
    conversation = await service_of(desk_hub).conversation("p1")
    assert conversation is not None and conversation.state == "bot"


@pytest.mark.parametrize(
    ("text", "language"),
    [("je veux mourir", "fr"), ("ik wil niet meer leven", "nl"), ("my husband hits me", "en")],
)
async def test_urgent_topics_are_answered_at_once_and_go_first(
    desk_hub, brain: FakeBrain, text: str, language: str
):
    await agent(desk_hub)
    await say(desk_hub, "early", "/request_human")
    response = await desk_hub.post(URL.format("urgent"), json={"text": text, "language": language})
    answer = await response.json()
    assert answer["state"] == "waiting_for_agent"
    assert "112" in texts(answer)
    assert brain.received == []  # never left to the brain
    queue, _ = await service_of(desk_hub).desk.queue()
    assert queue[0].conversation.id == "urgent"
    assert queue[0].conversation.handoff_reason.startswith("urgent:")


async def test_outside_hours_urgent_topics_still_get_the_emergency_numbers(
    desk_hub, brain: FakeBrain, clock: Clock
):
    clock.now = CLOSED
    answer = await say(desk_hub, "p1", "I want to kill myself")
    assert "112" in texts(answer)
    assert "call you back" in texts(answer)
