"""The web chat page sends a message again after a network error, with the same
Idempotency-Key: the person sees one message and one answer, and the brain is asked once."""

from __future__ import annotations

from playwright.async_api import Page, Route, expect

from tests.browser.conftest import LiveHub
from tests.browser.test_chat_page import BOT_REPLIES, open_chat, send
from tests.fakes import FakeBrain


async def test_an_answer_lost_on_the_network_is_asked_again_with_the_same_key(
    page: Page, live_hub: LiveHub, brain: FakeBrain
):
    keys: list[str] = []

    async def lose_the_first_answer(route: Route) -> None:
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            await route.fetch()  # the hub gets the message and answers it...
            await route.abort("connectionreset")  # ...but the answer never arrives
        else:
            await route.continue_()

    await page.route("**/api/conversations/*/messages", lose_the_first_answer)
    await open_chat(page, live_hub, "en")
    await send(page, "I moved to Ixelles")
    await expect(page.locator(f"{BOT_REPLIES} .msg__text")).to_have_text(
        "echo[en]: I moved to Ixelles"
    )
    await expect(page.locator(".msg--person")).to_have_count(1)
    assert len(keys) == 2 and keys[0] == keys[1]
    assert brain.texts == ["I moved to Ixelles"]  # one turn, not two


async def test_a_passing_server_error_is_asked_again_with_the_same_key(
    page: Page, live_hub: LiveHub, brain: FakeBrain
):
    keys: list[str] = []

    async def fail_the_first_try(route: Route) -> None:
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:  # the hub's database is away for a moment: 503, nothing stored
            await route.fulfill(
                status=503,
                content_type="application/json",
                body='{"error": {"code": "temporarily_unavailable", "message": "later"}}',
            )
        else:
            await route.continue_()

    await page.route("**/api/conversations/*/messages", fail_the_first_try)
    await open_chat(page, live_hub, "en")
    await send(page, "I moved to Ixelles")
    await expect(page.locator(f"{BOT_REPLIES} .msg__text")).to_have_text(
        "echo[en]: I moved to Ixelles"
    )
    await expect(page.locator(".msg--person")).to_have_count(1)
    assert len(keys) == 2 and keys[0] == keys[1]
    assert brain.texts == ["I moved to Ixelles"]
