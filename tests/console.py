"""Helpers for the agent console's tests: a hub with a pinned clock, accounts, a signed-in client.

The clock is pinned on Thursday 3 December 2026 at 10:00 in Brussels (office hours);
tests move it. A person reaches the queue with the web chat's "/request_human" payload,
which the hub answers itself (no brain needed).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from bot.appkeys import service_key
from bot.console import accounts
from bot.conversations.records import AgentRecord
from bot.conversations.service import ConversationService

OPEN = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # 10:00 in Brussels, a Thursday
CLOSED = datetime(2026, 12, 3, 19, 0, tzinfo=UTC)  # 20:00
PASSWORD = "a long enough password"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    """A clock the test moves."""

    def __init__(self, now: datetime = OPEN) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def service_of(hub: TestClient) -> ConversationService:
    return hub.app[service_key]


async def add_agent(
    hub: TestClient, name: str = "ana", role: str = "agent", language: str = "en"
) -> AgentRecord:
    return await accounts.add_agent(service_of(hub).store.session, name, PASSWORD, role, language)


async def person_says(hub: TestClient, conversation_id: str, text: str, language: str = "en"):
    response = await hub.post(
        f"/api/conversations/{conversation_id}/messages", json={"text": text, "language": language}
    )
    assert response.status == 200, await response.text()
    return await response.json()


async def someone_available(hub: TestClient) -> None:
    """An agent available now (account "standby"), so that people join the queue."""
    store = service_of(hub).store
    if not any(agent.name == "standby" for agent in await accounts.list_agents(store.session)):
        standby = await add_agent(hub, "standby")
        await service_of(hub).desk.set_available(standby.id, True)


async def person_waits(hub: TestClient, conversation_id: str, first: str = "Hello") -> None:
    """A person writes, then asks for a person: the conversation joins the queue."""
    await someone_available(hub)
    await person_says(hub, conversation_id, first)
    answer = await person_says(hub, conversation_id, "/request_human")
    assert answer["state"] == "waiting_for_agent", answer


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


async def token_of(hub: TestClient, path: str = "/agent/sign-in") -> str:
    response = await hub.get(path)
    return csrf_token(await response.text())


async def sign_in(hub: TestClient, name: str = "ana", password: str = PASSWORD) -> ClientResponse:
    token = await token_of(hub)
    return await hub.post(
        "/agent/sign-in",
        data={"name": name, "password": password, "csrf_token": token, "next": "/agent/"},
        allow_redirects=False,
    )


async def post_form(
    hub: TestClient, path: str, data: dict[str, Any] | None = None, page: str = "/agent/"
) -> ClientResponse:
    """Post a form as the browser does: with the token of a page just loaded."""
    token = await token_of(hub, page)
    return await hub.post(path, data={**(data or {}), "csrf_token": token}, allow_redirects=False)
