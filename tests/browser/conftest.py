"""Browser tests: a real hub on a real port, Debian's chromium, axe-core for accessibility.

One approach throughout: Playwright's **async** API, in pytest-asyncio's session event
loop (auto mode, see pyproject.toml). The browser is launched once per session; each
test gets a fresh browser context (its own localStorage and cookies) and a hub of its
own on a free port, with the stand-in brain from tests/fakes.py. Write tests as
`async def test_...(page, live_hub)` and await Playwright calls; never mix in the sync
API (it refuses to run inside a running event loop).

No browser is downloaded (`playwright install` cannot reach its servers): Playwright
drives the `chromium` package from apt through `executable_path`. Without it the tests
are skipped on a workstation and fail in CI (the `CI` environment variable is set), so
CI can never pass by skipping them.

Fixtures: `browser` (session), `live_hub` (base URL and app), `context`, `page` (page
errors fail the test). Helper: `await assert_no_axe_violations(page)`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from bot.app import create_app
from bot.settings import Settings
from tests.fakes import FakeBrain

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root in a container, where the sandbox cannot start
    "--disable-gpu",
    # Nothing leaves the machine: no updates, sync, field trials or QUIC probes.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TIMEOUT_MS = 10_000  # a step that takes longer is broken, not slow: fail fast
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@dataclass(frozen=True)
class LiveHub:
    """The hub under test, listening on `url` (no trailing slash)."""

    url: str
    app: web.Application


def chromium_path() -> str:
    """Where Debian's chromium is; skip (or fail in CI) when it is not installed."""
    path = shutil.which("chromium")
    if path is None:
        message = (
            "chromium is not installed: the browser tests need Debian's package "
            "(apt-get install chromium); `playwright install` cannot download one here"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """One headless chromium for the whole session (launching takes about a second)."""
    executable = chromium_path()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@contextlib.asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[LiveHub]:
    """Serve `app` on 127.0.0.1 and a free port, as a browser reaches it."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()  # port 0: the system picks a free one
    _, port = runner.addresses[0]
    try:
        yield LiveHub(f"http://127.0.0.1:{port}", app)
    finally:
        await runner.cleanup()


@pytest.fixture
async def live_hub(settings: Settings, brain: FakeBrain) -> AsyncIterator[LiveHub]:
    """The real hub with the stand-in brain, as a browser reaches it."""
    async with serving(create_app(settings)) as hub:
        yield hub


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh profile: no saved conversation or language from another test."""
    created = await browser.new_context(locale="fr-BE")
    created.set_default_timeout(TIMEOUT_MS)
    yield created
    await created.close()


@pytest.fixture
async def page(context: BrowserContext) -> AsyncIterator[Page]:
    """A tab; an uncaught error in the page's scripts fails the test."""
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    assert not errors, f"errors in the page's scripts: {errors}"


async def assert_no_axe_violations(page: Page, context: Any = None) -> None:
    """Run axe-core on the page as it is now (WCAG 2.0 to 2.2, A and AA) and fail on any
    violation, listing its id, impact and the elements concerned."""
    results = await Axe().run(
        page,
        context=context,
        options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    violations = results.response["violations"]
    found = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(_target(node["target"]) for node in v["nodes"])
        for v in violations
    ]
    assert not found, f"axe found {len(found)} violation(s) on {page.url}:\n" + "\n".join(found)


def _target(target: list[Any]) -> str:
    """An axe target: CSS selectors, nested in lists for frames and shadow roots."""
    return " >> ".join(_target(part) if isinstance(part, list) else str(part) for part in target)
