"""The agent console in a real browser, next to the web chat a person uses.

An agent signs in, sees the queue fill live, takes a conversation, replies (the reply
arrives on the person's /chat page in another browser context), writes a note the
person never sees, hands back (the bot answers again) and closes. Outside office
hours, a callback request from the web chat appears on the callbacks page. axe-core
finds no violation on the console's pages in French, Dutch and English.

The hub's clock is pinned (Thursday 3 December 2026, 10:00 or 20:00 in Brussels), so
the tests do not depend on the hour they run at.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from bot.app import create_app
from bot.appkeys import service_key
from bot.console import accounts
from bot.settings import Settings
from tests.browser.conftest import TIMEOUT_MS, LiveHub, assert_no_axe_violations, serving
from tests.console import CLOSED, OPEN, PASSWORD, Clock
from tests.fakes import FakeBrain, echo

pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")
BOT_REPLIES = ".msg--bot:not(.msg--intro)"
# What the console says, by language, where a test needs it.
SIGN_IN = {"fr": "Se connecter", "nl": "Aanmelden", "en": "Sign in"}


def handoff_brain(text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """The stand-in brain: echoes, and hands over when a person asks for a person."""
    if "person" in text.lower():
        return [{"custom": {"loket": {"handoff": "requested"}}}]
    return echo(text, metadata)


@pytest.fixture
def clock() -> Clock:
    return Clock(OPEN)


@pytest.fixture
async def live_hub(settings: Settings, brain: FakeBrain, clock: Clock) -> AsyncIterator[LiveHub]:
    """As tests/browser/conftest.py's, with the hub's clock pinned."""
    brain.reply = handoff_brain
    async with serving(create_app(settings, clock=clock)) as hub:
        yield hub


@pytest.fixture
async def person(browser: Browser) -> AsyncIterator[Page]:
    """The person's browser: another context, so nothing is shared with the agent's."""
    context: BrowserContext = await browser.new_context(locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    opened = await context.new_page()
    yield opened
    await context.close()


async def add_agent(hub: LiveHub, name: str = "ana", language: str = "en") -> None:
    store = hub.app[service_key].store
    await accounts.add_agent(store.session, name, PASSWORD, "agent", language)


async def sign_in(page: Page, hub: LiveHub, name: str = "ana") -> None:
    """Sign in with the keyboard, on the sign-in page in the browser's language (French)."""
    await page.goto(f"{hub.url}/agent/")
    await expect(page).to_have_url(re.compile(r"/agent/sign-in"))
    await page.get_by_label("Nom").fill(name)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_label("Mot de passe").press("Enter")
    await expect(page).to_have_url(f"{hub.url}/agent/")


async def be_available(page: Page) -> None:
    """Signing in makes an agent available; the header says so."""
    await expect(page.get_by_text("You are available.").first).to_be_visible()


async def chat(person: Page, hub: LiveHub, text: str) -> None:
    await person.get_by_role("textbox").fill(text)
    await person.get_by_role("textbox").press("Enter")


async def open_chat(person: Page, hub: LiveHub) -> None:
    await person.goto(f"{hub.url}/chat?lang=en")
    await expect(person.locator("html")).to_have_attribute("lang", "en")


# ---------------------------------------------------------------- the whole round trip


async def test_an_agent_takes_replies_notes_hands_back_and_closes(
    page: Page, person: Page, live_hub: LiveHub
):
    await add_agent(live_hub)
    await sign_in(page, live_hub)
    await be_available(page)
    await expect(page.get_by_text("Nobody is waiting.")).to_be_visible()

    # A person asks for a person on the web chat: the queue shows it without a reload.
    await page.evaluate("window.notReloaded = true")
    await open_chat(person, live_hub)
    await chat(person, live_hub, "I lost my card <script>alert(1)</script>")
    await expect(person.locator(BOT_REPLIES)).to_have_count(1)
    await chat(person, live_hub, "I want to talk to a person")
    row = page.locator("#queue tbody tr")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("I want to talk to a person")
    await expect(row).to_contain_text("web chat")
    assert await page.evaluate("window.notReloaded") is True

    # The conversation: summary on top, the whole transcript, the person's words as text.
    await row.get_by_role("link").click()
    await expect(page.get_by_role("heading", name="Handover summary")).to_be_visible()
    await expect(page.locator("#transcript")).to_contain_text(
        "I lost my card <script>alert(1)</script>"
    )
    await expect(page.locator("#transcript")).to_contain_text("echo[en]: I lost my card")
    await page.get_by_role("button", name="Take this conversation").click()
    await expect(page.locator("#conversation-status")).to_contain_text("You have this conversation")

    # The reply goes into the person's own page, live.
    await page.get_by_label("Your reply to the person").fill("Hello, I am Ana. I can help.")
    await page.get_by_role("button", name="Send reply").click()
    await expect(person.locator(".msg--agent")).to_contain_text("Hello, I am Ana. I can help.")
    await expect(page.get_by_label("Your reply to the person")).to_have_value("")

    # The person answers: it appears in the console without a reload.
    await page.evaluate("window.notReloaded = true")
    await chat(person, live_hub, "Thank you, my card was stolen")
    await expect(page.locator("#transcript .msg--person").last).to_contain_text(
        "Thank you, my card was stolen"
    )

    # A ready-made reply, put in the box and changed before sending.
    await page.get_by_label("Ready-made reply").select_option(label="One moment, I am looking (EN)")
    await page.get_by_role("button", name="Put in your reply").click()
    await expect(page.get_by_label("Your reply to the person")).to_have_value(
        "One moment, please. I am looking for the answer for you."
    )

    # An internal note: agents see it, the person never does.
    await page.get_by_label("Internal note").fill("Stolen, not lost: police report first.")
    await page.get_by_role("button", name="Add note").click()
    note = page.locator("#transcript .msg--note")
    await expect(note).to_contain_text("Stolen, not lost: police report first.")
    await expect(note).to_contain_text("Internal note")
    assert await page.evaluate("window.notReloaded") is True

    # Hand back: the bot answers the person again.
    await page.get_by_role("button", name="Hand back to the bot").click()
    await expect(page).to_have_url(f"{live_hub.url}/agent/")
    await chat(person, live_hub, "One more question")
    await expect(person.locator(f"{BOT_REPLIES} .msg__text").last).to_have_text(
        "echo[en]: One more question"
    )
    await expect(person.get_by_text("police report first")).to_have_count(0)

    # Again, and this time the agent closes with an outcome.
    await chat(person, live_hub, "Sorry, a person again please")
    await page.locator("#queue tbody tr").get_by_role("link").click()
    await page.get_by_role("button", name="Take this conversation").click()
    await page.get_by_label("referred elsewhere").check()
    await page.get_by_role("button", name="Close the conversation").click()
    await expect(page.get_by_text("Conversation closed.")).to_be_visible()
    await expect(page.locator("#queue tbody tr")).to_have_count(0)


async def test_a_second_agent_sees_who_has_it(page: Page, browser: Browser, live_hub: LiveHub):
    await add_agent(live_hub, "ana")
    await add_agent(live_hub, "bea")
    await sign_in(page, live_hub, "ana")
    await be_available(page)
    await ask_for_a_person(live_hub, "p-taken")
    other_context = await browser.new_context(locale="fr-BE")
    try:
        other = await other_context.new_page()
        await sign_in(other, live_hub, "bea")
        await other.goto(f"{live_hub.url}/agent/conversations/p-taken")
        await page.goto(f"{live_hub.url}/agent/conversations/p-taken")
        await page.get_by_role("button", name="Take this conversation").click()
        # Live: bea's page says who has it, and offers no reply box.
        await expect(other.locator("#conversation-status")).to_contain_text(
            "ana has this conversation"
        )
        await expect(other.get_by_label("Your reply to the person")).to_have_count(0)
    finally:
        await other_context.close()


# ---------------------------------------------------------------- outside office hours


async def test_outside_hours_a_callback_request_reaches_the_callbacks_page(
    page: Page, person: Page, live_hub: LiveHub, clock: Clock
):
    clock.now = CLOSED
    await open_chat(person, live_hub)
    await chat(person, live_hub, "I want to talk to a person")
    await person.get_by_role("button", name="Call me back").click()
    await expect(person.locator(BOT_REPLIES).last).to_contain_text("Which number")
    await chat(person, live_hub, "0470 12 34 56")
    await expect(person.locator(BOT_REPLIES).last).to_contain_text("When can we call you?")
    await person.locator(BOT_REPLIES).last.locator(".msg__buttons button").first.click()
    await expect(person.locator(BOT_REPLIES).last).to_contain_text("0470 12 34 56")

    await add_agent(live_hub)
    await sign_in(page, live_hub)
    await page.get_by_role("link", name="Callbacks").click()
    card = page.locator(".card")
    await expect(card).to_have_count(1)
    await expect(card).to_contain_text("Callback: tomorrow morning")
    await expect(card).to_contain_text("0470 12 34 56")
    await card.get_by_label("Note").fill("Called, explained the police report.")
    await card.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("Nothing here right now.")).to_be_visible()
    await page.get_by_role("link", name="Done").click()
    await expect(page.locator(".card")).to_contain_text("Called, explained the police report.")


# ---------------------------------------------------------------- keyboard and axe


async def test_the_console_works_with_the_keyboard(page: Page, live_hub: LiveHub):
    await add_agent(live_hub)
    await ask_for_a_person(live_hub, "p-keys")
    await sign_in(page, live_hub)
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.locator("#queue a").first).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Handover summary")).to_be_visible()
    take = page.get_by_role("button", name="Take this conversation")
    await take.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#conversation-status")).to_contain_text("You have")
    # The focus ring is visible (not the browser's default, which some themes hide).
    await page.get_by_label("Your reply to the person").focus()
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
async def test_the_console_has_no_accessibility_violations(
    page: Page, live_hub: LiveHub, clock: Clock, language: str
):
    clock.now = CLOSED  # a callback first, for the callbacks page
    await book_callback(live_hub, "p-callback")
    clock.now = OPEN
    await page.goto(f"{live_hub.url}/agent/sign-in")
    await page.get_by_label("Nom").fill("nobody")  # a refusal shows the most on this page
    await page.get_by_label("Mot de passe").fill("wrong password")
    await page.get_by_role("button", name=SIGN_IN["fr"]).click()
    await expect(page.locator(".flash--error")).to_be_visible()
    await page.select_option("#console-language", language)
    await page.locator("#console-language + button").click()
    await expect(page.locator("html")).to_have_attribute("lang", language)
    await assert_no_axe_violations(page)

    await add_agent(live_hub, "ana", language)
    await page.get_by_label(re.compile("^(Nom|Naam|Name)$")).fill("ana")
    await page.get_by_label(re.compile("^(Mot de passe|Wachtwoord|Password)$")).fill(PASSWORD)
    await page.get_by_role("button", name=SIGN_IN[language]).click()
    await page.locator(".availability + button").click()
    await ask_for_a_person(live_hub, "p-axe", "Bonjour <b>urgent</b>")
    await expect(page.locator("#queue tbody tr")).to_have_count(1)
    await assert_no_axe_violations(page)

    await page.locator("#queue a").first.click()
    await page.locator("#actions form[action$='/take'] button").click()
    await page.locator("#reply-text").fill("Bonjour, je regarde.")
    await page.locator("#reply-form button[type=submit]").click()
    await expect(page.locator("#transcript .msg--agent")).to_have_count(1)
    await page.locator("#note-text").fill("Note pour l'équipe.")
    await page.locator("#note-form button[type=submit]").click()
    await expect(page.locator("#transcript .msg--note")).to_have_count(1)
    await assert_no_axe_violations(page)

    await page.goto(f"{live_hub.url}/agent/callbacks")
    await expect(page.locator(".card")).to_have_count(1)
    await assert_no_axe_violations(page)


# ---------------------------------------------------------------- a person, without a browser


async def ask_for_a_person(hub: LiveHub, conversation_id: str, first: str = "Hello") -> None:
    """A person on the web chat API asks for a person (an agent is made available first)."""
    service = hub.app[service_key]
    standby = await accounts.add_agent(service.store.session, f"standby-{conversation_id}",
                                       PASSWORD, "agent", "en")  # fmt: skip
    await service.desk.set_available(standby.id, True)
    for text in (first, "I want to talk to a person"):
        await _say(hub, conversation_id, text)


async def book_callback(hub: LiveHub, conversation_id: str) -> None:
    """Outside hours, a person books a callback through the web chat API."""
    for text in ("I want to talk to a person", "1", "0470 12 34 56", "1"):
        await _say(hub, conversation_id, text)


async def _say(hub: LiveHub, conversation_id: str, text: str) -> None:
    url = f"{hub.url}/api/conversations/{conversation_id}/messages"
    async with (
        aiohttp.ClientSession() as client,
        client.post(url, json={"text": text, "language": "en"}) as response,
    ):
        assert response.status == 200, await response.text()
