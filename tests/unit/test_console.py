"""The agent console's pages and actions, through HTTP as a browser without script uses them,
and the live stream and fetch answers the console's script relies on (stand-in brain).

The real browser test is tests/browser/test_console.py; this one is fast and runs everywhere.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.console import canned, i18n, live
from bot.settings import LANGUAGES, Settings
from tests.console import (
    CLOSED,
    Clock,
    add_agent,
    person_says,
    person_waits,
    post_form,
    service_of,
    sign_in,
    token_of,
)
from tests.sse import read_event

pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")
TAKE = "/agent/conversations/{}/take"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def hub(settings: Settings, clock: Clock, brain) -> AsyncIterator[TestClient]:
    fast = settings.model_copy(update={"agent_idle_seconds": 3.0})
    async with TestClient(TestServer(create_app(fast, clock=clock))) as client:
        yield client


@pytest.fixture
async def other(hub: TestClient) -> AsyncIterator[TestClient]:
    """A second browser on the same hub."""
    async with TestClient(hub.server) as client:
        yield client


async def page(hub: TestClient, path: str) -> str:
    response = await hub.get(path)
    assert response.status == 200, (path, response.status)
    return await response.text()


async def signed_in(hub: TestClient, name: str = "ana", **fields) -> None:
    await add_agent(hub, name, **fields)
    assert (await sign_in(hub, name)).status == 303


# ---------------------------------------------------------------- queue


async def test_the_queue_shows_who_waits_where_why_and_for_how_long(hub, clock):
    await signed_in(hub)
    await person_waits(hub, "conversation-p1")
    await person_says(hub, "conversation-p1", "Where is my ID card?")
    clock.now += timedelta(minutes=12)
    html = await page(hub, "/agent/")
    for shown in ("Conversation ation-p1", "Where is my ID card?", "web chat", "English",
                  "12 min", "The person asked for a person.", "Nobody"):  # fmt: skip
        assert shown in html, shown


async def test_the_queue_speaks_each_language(hub):
    await signed_in(hub)
    await person_waits(hub, "p1")
    expected = {"fr": "File d'attente", "nl": "Wachtrij", "en": "Queue"}
    for language in LANGUAGES:
        await post_form(hub, "/agent/language", {"language": language, "next": "/agent/"})
        html = await page(hub, "/agent/")
        assert f'<html lang="{language}">' in html
        assert f"<h1>{expected[language]}</h1>".replace("'", "&#39;") in html


async def test_the_sign_in_page_takes_the_language_chosen_before_sign_in(hub):
    html = await page(hub, "/agent/sign-in")
    assert '<html lang="fr">' in html  # the hub's default
    await post_form(hub, "/agent/language", {"language": "nl"}, page="/agent/sign-in")
    assert "<h1>Aanmelden</h1>" in await page(hub, "/agent/sign-in")


# ---------------------------------------------------------------- one conversation


async def test_the_conversation_page_starts_with_the_handoff_summary(hub, brain):
    brain.reply = lambda text, _: [
        {"text": "Sorry, I did not understand."},
        {"custom": {"loket": {"topic": "lost-eid", "step": 2, "understood": False}}},
    ]
    await signed_in(hub)
    await person_says(hub, "p1", "blorp the frobnicator")
    await person_waits(hub, "p1", "still lost")
    html = await page(hub, "/agent/conversations/p1")
    summary = html[html.index("Handover summary") : html.index("The whole conversation")]
    assert "The person asked for a person." in summary
    assert "Sorry, I did not understand." in summary  # what the bot said last
    assert "English" in summary and "web chat" in summary
    assert html.index("Handover summary") < html.index("blorp the frobnicator")


async def test_take_reply_note_hand_back_and_close(hub, brain):
    await signed_in(hub)
    await person_waits(hub, "p1", "I need help with my tax return")
    taken = await post_form(hub, TAKE.format("p1"))
    assert taken.headers["Location"] == "/agent/conversations/p1"
    html = await page(hub, "/agent/conversations/p1")
    assert "You took the conversation." in html and "only you can reply" in html

    await post_form(hub, "/agent/conversations/p1/reply", {"text": "Hello, I am Ana."})
    await post_form(hub, "/agent/conversations/p1/note", {"text": "Asked about tax; seems urgent"})
    person_view = await (await hub.get("/api/conversations/p1")).json()
    texts = [m["text"] for m in person_view["messages"]]
    assert "Hello, I am Ana." in texts
    assert not any("seems urgent" in text for text in texts), "a note reached the person"
    html = await page(hub, "/agent/conversations/p1")
    assert "Chose the button &#39;request human&#39;" in html
    assert "ana (agent)" in html and "Internal note: the person does not see it" in html

    back = await post_form(hub, "/agent/conversations/p1/hand-back")
    assert back.headers["Location"] == "/agent/"
    answer = await person_says(hub, "p1", "thanks, one more question")
    assert answer["state"] == "bot"
    assert answer["replies"][0]["text"].startswith("echo[en]")

    await person_waits(hub, "p1", "again")
    await post_form(hub, TAKE.format("p1"))
    closed = await post_form(hub, "/agent/conversations/p1/close", {"outcome": "referred"})
    assert closed.headers["Location"] == "/agent/"
    html = await page(hub, "/agent/conversations/p1")
    assert "Conversation closed. Outcome: referred elsewhere." in html


async def test_a_second_agent_sees_who_has_the_conversation(hub, other):
    await signed_in(hub, "ana")
    await signed_in(other, "bea")
    await person_waits(hub, "p1")
    await post_form(hub, TAKE.format("p1"))
    assert "<strong>You</strong>" in await page(hub, "/agent/")
    assert '<td data-label="Taken by">ana</td>' in await page(other, "/agent/")
    html = await page(other, "/agent/conversations/p1")
    assert "ana has this conversation. You can read it, not reply." in html
    assert 'id="reply-text"' not in html
    late = await post_form(other, TAKE.format("p1"), page="/agent/conversations/p1")
    assert late.status == 303
    assert "Too late: ana has already taken" in await page(other, "/agent/conversations/p1")
    refused = await post_form(other, "/agent/conversations/p1/reply", {"text": "Me too"})
    assert refused.status == 303
    assert "Take the conversation first." in await page(other, "/agent/conversations/p1")


async def test_a_ready_made_reply_goes_out_in_the_chosen_language(hub):
    await signed_in(hub)
    await person_waits(hub, "p1")
    await post_form(hub, TAKE.format("p1"))
    await post_form(hub, "/agent/conversations/p1/reply", {"canned": "one_moment:nl"})
    transcript = await (await hub.get("/api/conversations/p1")).json()
    assert transcript["messages"][-1]["text"] == canned.find("one_moment", "nl")


async def test_the_scripts_requests_get_json_answers(hub):
    await signed_in(hub)
    await person_waits(hub, "p1")
    await post_form(hub, TAKE.format("p1"))
    token = await token_of(hub, "/agent/conversations/p1")
    headers = {"X-CSRF-Token": token, "X-Requested-With": "fetch"}
    sent = await hub.post("/agent/conversations/p1/reply", data={"text": "Hi"}, headers=headers)
    assert (sent.status, await sent.json()) == (200, {"ok": True})
    empty = await hub.post("/agent/conversations/p1/reply", data={"text": "  "}, headers=headers)
    assert empty.status == 409
    assert (await empty.json())["error"]["message"] == "Write a text first."
    too_long = await hub.post(
        "/agent/conversations/p1/reply", data={"text": "x" * 5000}, headers=headers
    )
    assert (await too_long.json())["error"]["code"] == "flash_too_long"


async def test_unknown_pages_and_supervisor_pages_are_refused_in_words(hub):
    await signed_in(hub)
    missing = await hub.get("/agent/conversations/nobody")
    assert missing.status == 404 and "There is nothing at this address." in await missing.text()
    for action in ("take", "reply", "note", "hand-back", "release", "close"):
        refused = await post_form(
            hub, f"/agent/conversations/nobody/{action}", {"text": "x", "outcome": "other"}
        )
        assert refused.status == 404, action
    forbidden = await hub.get("/agent/agents")
    assert forbidden.status == 403 and "for supervisors only" in await forbidden.text()


async def test_supervisors_see_the_accounts(hub):
    await signed_in(hub, "sam", role="supervisor")
    await add_agent(hub, "ana")
    html = await page(hub, "/agent/agents")
    assert '<th scope="row">ana</th>' in html and "supervisor" in html


async def test_availability_is_kept_on_the_account(hub):
    await signed_in(hub)
    await post_form(hub, "/agent/availability", {"available": "1", "next": "/agent/callbacks"})
    html = await page(hub, "/agent/callbacks")
    assert "You are available." in html and "Set me away" in html
    await post_form(hub, "/agent/availability", {"available": "0"})
    assert "You are away." in await page(hub, "/agent/")


# ---------------------------------------------------------------- callbacks


async def test_a_callback_booked_outside_hours_is_listed_and_settled(hub, clock):
    clock.now = CLOSED
    await person_says(hub, "p1", "/request_human")
    for answer in ("1", "0470 12 34 56", "1"):
        await person_says(hub, "p1", answer)
    clock.now += timedelta(hours=14)  # the next morning, in office hours
    await signed_in(hub)
    html = await page(hub, "/agent/callbacks")
    assert "Callback: today morning" in html
    assert "+32470123456" in html and "English" in html
    [callback] = await service_of(hub).desk.callbacks()
    await post_form(
        hub,
        f"/agent/callbacks/{callback.id}/settle",
        {"status": "failed", "note": "No answer, voicemail full"},
    )
    assert "Nothing here right now." in await page(hub, "/agent/callbacks")
    failed = await page(hub, "/agent/callbacks?status=failed")
    assert "No answer, voicemail full" in failed and "failed" in failed


async def test_a_message_left_shows_its_words(hub, clock):
    clock.now = CLOSED
    await person_says(hub, "p1", "/request_human")
    await person_says(hub, "p1", "2")
    await person_says(hub, "p1", "Please send me the <b>form</b>.")
    await signed_in(hub)
    html = await page(hub, "/agent/callbacks")
    assert "Message left" in html and "Please send me the &lt;b&gt;form&lt;/b&gt;." in html


# ---------------------------------------------------------------- live updates


async def test_the_live_stream_tells_what_changed_without_the_words(hub):
    await signed_in(hub)
    await person_waits(hub, "p1")
    async with hub.get("/agent/events?conversation=p1") as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        await asyncio.sleep(0.05)
        await person_says(hub, "p1", "a private question")
        event = await read_event(stream, timeout=30)
        assert event.kind == "change"
        assert event.data["conversation_id"] == "p1" and event.data["kind"] == "message"
        assert "a private question" not in str(event.data)


async def test_the_live_stream_is_a_heartbeat_that_keeps_the_conversation(hub, clock):
    agent = await add_agent(hub)
    await sign_in(hub)
    await person_waits(hub, "p1")
    await post_form(hub, TAKE.format("p1"))
    service = service_of(hub)
    clock.now += timedelta(seconds=60)
    async with hub.get("/agent/events?conversation=p1") as stream:
        await read_event(stream, timeout=30, comments=True)  # the stream is open
        conversation = await service.conversation("p1")
        assert conversation.agent_seen_at is not None
        assert abs((conversation.agent_seen_at - clock.now).total_seconds()) < 1
        assert (await service.store.agent(agent.id)).last_seen_at is not None


def test_heartbeats_come_well_before_an_agent_counts_as_gone():
    assert live.heartbeat_seconds(600) == 15
    assert live.heartbeat_seconds(3) == 1
    assert live.heartbeat_seconds(30) == 10


# ---------------------------------------------------------------- words and content


def test_every_text_of_the_console_exists_in_three_languages():
    for key in i18n.all_keys():
        for language in LANGUAGES:
            fields = {name: 1 for name in ("count", "shown", "step", "max", "m", "h", "d")}
            fields |= {name: "x" for name in ("name", "role", "id", "duration", "outcome",
                                              "channel", "time", "titles", "kind", "when",
                                              "title", "status")}  # fmt: skip
            assert i18n.text(language, key, **fields).strip(), (key, language)


def test_labels_fall_back_to_the_value_for_what_the_core_adds_later():
    assert i18n.label("en", "channel", "webchat") == "web chat"
    assert i18n.label("nl", "channel", "signal") == "signal"
    assert (
        i18n.label("fr", "reason", "urgent:violence")
        == "Sujet urgent : violence. Répondez d'abord."
    )
    assert i18n.label("en", "outcome", None) == "Not known"


def test_the_ready_made_replies_exist_in_three_languages():
    replies = canned.canned_replies()
    assert {"greeting", "one_moment", "refer_commune"} <= {reply.id for reply in replies}
    for reply in replies:
        for language in LANGUAGES:
            assert reply.text[language] and reply.label[language]
            assert "http" not in reply.text[language]  # may be read aloud on a call


def test_the_ready_made_replies_are_plain_language():
    """The same rules as everything the bot says (actions/plain_language.py)."""
    from actions import plain_language as pl

    for reply in canned.canned_replies():
        for language, text in reply.text.items():
            where = f"{reply.id} [{language}]"
            longest = max(pl.count_words(s) for s in pl.split_sentences(text))
            assert longest <= pl.MAX_SENTENCE_WORDS, where
            if pl.count_words(text) >= pl.MIN_SCORED_WORDS:
                assert pl.readability(text, language) >= pl.MIN_SCORE, where
