"""Who sees what in the console: agents the desk and not the dashboard; operators the
dashboard and not the desk (they take no conversations); supervisors everything."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.console import accounts
from bot.settings import Settings
from tests.console import Clock, add_agent, person_waits, service_of, sign_in

pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")
DESK_PAGES = ("/agent/", "/agent/callbacks", "/agent/conversations/p1")
DASHBOARD_PAGES = ("/agent/dashboard", "/agent/dashboard/reports", "/agent/dashboard/reports.csv")


@pytest.fixture
async def hub(settings: Settings) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(settings, clock=Clock()))) as client:
        yield client


async def signed_in(hub: TestClient, role: str) -> None:
    await add_agent(hub, "kim", role=role)
    assert (await sign_in(hub, "kim")).status == 303


async def test_an_agent_is_told_the_dashboard_is_not_for_them(hub):
    await signed_in(hub, "agent")
    for path in DASHBOARD_PAGES:
        response = await hub.get(path)
        assert response.status == 403, path
    assert "The dashboard is for operators and supervisors only." in await response.text()
    assert 'href="/agent/dashboard"' not in await (await hub.get("/agent/")).text()


async def test_an_operator_sees_the_dashboard_and_not_the_desk(hub, brain):
    await person_waits(hub, "p1", first="Where is my parcel")
    await signed_in(hub, "operator")
    home = await hub.get("/agent/", allow_redirects=False)
    assert home.status == 303 and home.headers["Location"] == "/agent/dashboard"
    for path in DESK_PAGES[1:]:
        refused = await hub.get(path)
        assert refused.status == 403, path
        text = await refused.text()
        assert "This page is for the helpdesk" in text and "parcel" not in text
    assert (await hub.get("/agent/events", headers={"Accept": "text/event-stream"})).status == 403
    dashboard = await (await hub.get("/agent/dashboard")).text()
    assert 'href="/agent/callbacks"' not in dashboard and "Set me away" not in dashboard
    for path in DASHBOARD_PAGES:
        assert (await hub.get(path)).status == 200, path


async def test_an_operator_signing_in_is_not_available_for_conversations(hub):
    await signed_in(hub, "operator")
    store = service_of(hub).store
    [operator] = [a for a in await accounts.list_agents(store.session) if a.name == "kim"]
    assert operator.available is False


async def test_a_supervisor_sees_the_desk_and_the_dashboard(hub, brain):
    await person_waits(hub, "p1")
    await signed_in(hub, "supervisor")
    for path in (*DESK_PAGES, *DASHBOARD_PAGES, "/agent/agents"):
        assert (await hub.get(path)).status == 200, path
