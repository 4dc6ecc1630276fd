"""The web chat page in a real browser: a person writes, the bot and an agent answer live."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from bot.appkeys import service_key
from bot.conversations.events import Event, conversation_topic
from tests.browser.conftest import LiveHub, assert_no_axe_violations
from tests.waiting import eventually

BOT_REPLIES = ".msg--bot:not(.msg--intro)"
AGENT_NAMES = {"fr": "Agent du helpdesk", "nl": "Helpdeskmedewerker", "en": "Helpdesk agent"}
WITH_AGENT = {
    "fr": "Vous parlez avec un agent du helpdesk.",
    "nl": "U praat met een medewerker van de helpdesk.",
    "en": "You are talking with a helpdesk agent.",
}


async def open_chat(page: Page, hub: LiveHub, language: str) -> None:
    await page.goto(f"{hub.url}/chat?lang={language}")
    await expect(page.locator("html")).to_have_attribute("lang", language)


async def send(page: Page, text: str) -> None:
    """Type a message and press Enter, as a person with a keyboard does."""
    await page.get_by_role("textbox").fill(text)
    await page.get_by_role("textbox").press("Enter")


async def listening(page: Page, hub: LiveHub) -> str:
    """The page's conversation id, once its live stream is connected."""
    conversation_id = await page.evaluate("localStorage.getItem('loket.conversationId')")
    events = hub.app[service_key].events
    await eventually(
        lambda: events.subscriber_count(conversation_topic(conversation_id)) > 0,
        failure="the page never opened its event stream",
    )
    return conversation_id


def publish_agent_reply(hub: LiveHub, conversation_id: str, text: str) -> None:
    """An agent answers. Until the console exists, the test publishes what the core will."""
    events = hub.app[service_key].events
    topic = conversation_topic(conversation_id)
    events.publish(topic, Event("state", conversation_id, {"state": "with_agent"}))
    message = {
        "id": 10_000,
        "text": text,
        "buttons": [],
        "author": "agent",
        "created_at": "2026-01-05T09:00:00+00:00",
    }
    events.publish(topic, Event("message", conversation_id, message))


async def test_a_person_writes_and_sees_the_bot_reply_once(page: Page, live_hub: LiveHub):
    requests: list[str] = []
    page.on("request", lambda request: requests.append(f"{request.method} {request.url}"))
    await open_chat(page, live_hub, "en")
    await send(page, "I lost my identity card <b>today</b>")
    await expect(page.locator(f"{BOT_REPLIES} .msg__text")).to_have_text(
        "echo[en]: I lost my identity card <b>today</b>"
    )
    # The stream's catch-up gives the person's message its id; nothing is shown twice.
    await expect(page.locator(".msg--person[data-id]")).to_have_count(1)
    await expect(page.locator(BOT_REPLIES)).to_have_count(1)
    # What the person typed is text, never markup; the box is ready for the next one.
    assert await page.locator(".msg--person b").count() == 0
    await expect(page.get_by_role("textbox")).to_be_focused()
    await expect(page.get_by_role("textbox")).to_have_value("")
    # Live, not polled: one POST, one event stream, no transcript GET.
    api = [r.split("?")[0] for r in requests if "/api/" in r]
    conversation_id = await page.evaluate("localStorage.getItem('loket.conversationId')")
    base = f"{live_hub.url}/api/conversations/{conversation_id}"
    assert api == [f"POST {base}/messages", f"GET {base}/events"]


async def test_a_reload_shows_the_conversation_once(page: Page, live_hub: LiveHub):
    await open_chat(page, live_hub, "nl")
    await send(page, "Ik ben mijn identiteitskaart kwijt")
    await expect(page.locator(BOT_REPLIES)).to_have_count(1)
    await page.reload()
    await expect(page.locator(".msg--person[data-id]")).to_have_count(1)
    await expect(page.locator(BOT_REPLIES)).to_have_count(1)
    await listening(page, live_hub)  # and it follows the conversation live again


async def test_an_agent_reply_appears_without_reload(page: Page, live_hub: LiveHub):
    await open_chat(page, live_hub, "fr")
    await send(page, "je veux parler à quelqu'un")
    await expect(page.locator(BOT_REPLIES)).to_have_count(1)
    await page.evaluate("window.notReloaded = true")
    conversation_id = await listening(page, live_hub)

    publish_agent_reply(live_hub, conversation_id, "Bonjour, ici Anne. Je regarde votre dossier.")
    agent = page.locator(".msg--agent")
    await expect(agent).to_contain_text("Bonjour, ici Anne. Je regarde votre dossier.")
    await expect(agent.locator(".msg__author")).to_have_text("Agent du helpdesk")
    await expect(page.locator("#banner")).to_have_text(WITH_AGENT["fr"])

    events = live_hub.app[service_key].events
    events.publish(
        conversation_topic(conversation_id), Event("state", conversation_id, {"state": "bot"})
    )
    await expect(page.locator("#banner")).to_have_text(
        "Vous parlez de nouveau avec Loket, l’assistant."
    )
    assert await page.evaluate("window.notReloaded") is True


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
async def test_the_chat_has_no_accessibility_violations(
    page: Page, live_hub: LiveHub, language: str
):
    await open_chat(page, live_hub, language)
    await send(page, "https://www.belgium.be and my identity card, please")
    await expect(page.locator(BOT_REPLIES)).to_have_count(1)
    # A conversation with everything the page can show: bot, buttons, link, agent, banner.
    publish_agent_reply(live_hub, await listening(page, live_hub), "Bonjour / Hallo / Hello")
    await expect(page.locator(".msg--agent .msg__author")).to_have_text(AGENT_NAMES[language])
    await expect(page.locator("#banner")).to_have_text(WITH_AGENT[language])
    await assert_no_axe_violations(page)


async def test_the_chat_works_with_the_keyboard_alone(page: Page, live_hub: LiveHub):
    await open_chat(page, live_hub, "en")
    focused = []
    for _ in range(3):
        await page.keyboard.press("Tab")
        focused.append(await page.evaluate("document.activeElement.id"))
    assert focused == ["language-select", "new-conversation", "input"]
    await page.keyboard.type("I lost my identity card")
    await page.keyboard.press("Enter")
    await expect(page.locator(BOT_REPLIES)).to_have_count(1)
    # The reply's choices come just before the text box: back two steps is "Next".
    await page.keyboard.press("Shift+Tab")
    await page.keyboard.press("Shift+Tab")
    await expect(page.get_by_role("button", name="Next")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator(".msg--person .msg__text").last).to_have_text("Next")
    await expect(page.locator(f"{BOT_REPLIES} .msg__text").last).to_have_text(
        "echo[en]: /step_next"
    )
    await expect(page.get_by_role("textbox")).to_be_focused()
