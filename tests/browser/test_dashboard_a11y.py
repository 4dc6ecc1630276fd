"""The operators' dashboard in Debian's chromium: axe-core finds no WCAG 2.2 AA violation
on the dashboard nor on a group of messages Loket did not understand."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, expect

from bot.app import create_app
from bot.appkeys import service_key
from bot.console import accounts
from bot.settings import Settings
from tests.browser.conftest import LiveHub, assert_no_axe_violations, serving
from tests.console import PASSWORD, Clock
from tests.dashboard import fill
from tests.fakes import FakeBrain

pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")


@pytest.fixture
async def live_hub(settings: Settings, brain: FakeBrain) -> AsyncIterator[LiveHub]:
    """The hub with its clock pinned, a filled database and an operator's account."""
    async with serving(create_app(settings, clock=Clock())) as hub:
        store = hub.app[service_key].store
        await fill(store)
        await accounts.add_agent(store.session, "olga", PASSWORD, "operator", "en")
        yield hub


async def test_the_dashboard_has_no_accessibility_violations(page: Page, live_hub: LiveHub):
    await page.goto(f"{live_hub.url}/dashboard")
    await expect(page).to_have_url(re.compile(r"/agent/sign-in"))
    await page.get_by_label("Nom").fill("olga")
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_label("Mot de passe").press("Enter")
    await expect(page).to_have_url(f"{live_hub.url}/agent/dashboard")
    await expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    await assert_no_axe_violations(page)
    await page.get_by_role("link", name=re.compile("mon permis de conduire")).click()
    await expect(page.get_by_role("heading", name="Group 1")).to_be_visible()
    await assert_no_axe_violations(page)
