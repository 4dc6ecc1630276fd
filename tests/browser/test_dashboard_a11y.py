"""The operators' dashboard in Debian's chromium: axe-core finds no WCAG 2.2 AA violation
on the dashboard, on a group of messages Loket did not understand, on the problem reports'
work list (its status forms used with the keyboard), nor on the supervisors' privacy page."""

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
from tests.dashboard import fill, fill_reports
from tests.fakes import FakeBrain

pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")


@pytest.fixture
async def live_hub(settings: Settings, brain: FakeBrain) -> AsyncIterator[LiveHub]:
    """The hub with its clock pinned, a filled database and an operator's account."""
    async with serving(create_app(settings, clock=Clock())) as hub:
        store = hub.app[service_key].store
        await fill(store)
        await fill_reports(store)
        await accounts.add_agent(store.session, "olga", PASSWORD, "operator", "en")
        await accounts.add_agent(store.session, "sam", PASSWORD, "supervisor", "en")
        yield hub


async def sign_in(page: Page, live_hub: LiveHub, name: str, path: str) -> None:
    """Open `path`, sign in as `name` on the page it sends to, and arrive at `path`."""
    await page.goto(f"{live_hub.url}{path}")
    await expect(page).to_have_url(re.compile(r"/agent/sign-in"))
    await page.get_by_label("Nom").fill(name)
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.get_by_label("Mot de passe").press("Enter")
    await expect(page).to_have_url(f"{live_hub.url}/agent{path.removeprefix('/agent')}")


async def test_the_dashboard_has_no_accessibility_violations(page: Page, live_hub: LiveHub):
    await sign_in(page, live_hub, "olga", "/dashboard")
    await expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    await assert_no_axe_violations(page)
    await page.get_by_role("link", name=re.compile("mon permis de conduire")).click()
    await expect(page.get_by_role("heading", name="Group 1")).to_be_visible()
    await assert_no_axe_violations(page)


async def test_an_operator_forwards_a_report_from_the_work_list(page: Page, live_hub: LiveHub):
    await sign_in(page, live_hub, "olga", "/agent/dashboard")
    await page.get_by_role("link", name="See the reports and set their status").click()
    await expect(page.get_by_role("heading", name="Reports to handle")).to_be_visible()
    await assert_no_axe_violations(page)
    status = page.get_by_label(re.compile("Status of report")).first
    await status.select_option("forwarded")
    await status.press("Tab")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status").filter(has_text="forwarded")).to_be_visible()
    await expect(page.get_by_label(re.compile("Status of report")).first).to_have_value("forwarded")


async def test_the_privacy_page_has_no_accessibility_violations(page: Page, live_hub: LiveHub):
    await sign_in(page, live_hub, "sam", "/agent/privacy")
    await assert_no_axe_violations(page)
    await page.get_by_label("Number, address or id").fill("w0")
    await page.get_by_label("a conversation's id").check()
    await page.get_by_role("button", name="Find").click()
    await expect(
        page.get_by_role("table", name=re.compile("Conversations found: 1"))
    ).to_be_visible()
    await assert_no_axe_violations(page)
