"""Behind a reverse proxy: limits per real client and per conversation, https known, and
the security headers on every page."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.settings import Settings
from tests.fakes import FakeBrain

URL = "/api/conversations/{}/messages"
SPOOFED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


async def _hub(settings: Settings, **changes: object) -> TestClient:
    return TestClient(TestServer(create_app(settings.model_copy(update=changes))))


@pytest.fixture
async def behind_proxy(settings: Settings, brain: FakeBrain) -> AsyncIterator[TestClient]:
    """The hub with the test client's own address (loopback) as the trusted proxy."""
    async with await _hub(settings, trusted_proxies="127.0.0.1/32", rate_limit_per_minute=2) as hub:
        yield hub


@pytest.fixture
async def exposed(settings: Settings, brain: FakeBrain) -> AsyncIterator[TestClient]:
    """The hub with no proxy configured: forwarded headers come from anyone."""
    async with await _hub(settings, rate_limit_per_minute=2) as hub:
        yield hub


async def _statuses(hub: TestClient, headers: dict[str, str], times: int) -> list[int]:
    statuses = []
    for n in range(times):
        response = await hub.post(URL.format(f"conv-{n}"), json={"text": "hello"}, headers=headers)
        statuses.append(response.status)
    return statuses


async def test_behind_a_trusted_proxy_each_person_has_their_own_limit(behind_proxy: TestClient):
    first = {"X-Forwarded-For": "198.51.100.1, 127.0.0.1"}
    second = {"X-Forwarded-For": "198.51.100.2"}
    assert await _statuses(behind_proxy, first, 3) == [200, 200, 429]
    assert await _statuses(behind_proxy, second, 2) == [200, 200]


async def test_forwarded_headers_from_anyone_else_are_ignored(exposed: TestClient):
    # A client inventing a new address per message does not escape the limit.
    statuses = []
    for n in range(3):
        headers = {"X-Forwarded-For": f"198.51.100.{n}"}
        statuses += await _statuses(exposed, headers, 1)
    assert statuses == [200, 200, 429]


async def test_a_spoofed_scheme_gets_no_hsts(exposed: TestClient):
    response = await exposed.get("/chat", headers=SPOOFED)
    assert "Strict-Transport-Security" not in response.headers


async def test_https_through_the_proxy_gets_hsts(behind_proxy: TestClient):
    response = await behind_proxy.get("/chat", headers=SPOOFED)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("path", ["/chat", "/api/openapi.json", "/agent/sign-in", "/nowhere"])
async def test_every_page_refuses_frames_and_referrers(exposed: TestClient, path: str):
    response = await exposed.get(path)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_a_proxy_list_that_is_not_addresses_is_refused_at_start_up():
    with pytest.raises(ValueError, match="not an address"):
        Settings(trusted_proxies="10.0.0.0/8, proxy.example", _env_file=None)


async def test_one_conversation_cannot_flood_from_many_addresses(
    settings: Settings, brain: FakeBrain
):
    limited = {"trusted_proxies": "127.0.0.1/32", "rate_limit_per_conversation_per_minute": 2}
    async with await _hub(settings, **limited) as hub:
        statuses = []
        for n in range(3):
            headers = {"X-Forwarded-For": f"198.51.100.{n}"}
            response = await hub.post(URL.format("one"), json={"text": "hello"}, headers=headers)
            statuses.append(response.status)
        assert statuses == [200, 200, 429]
        other = await hub.post(URL.format("another"), json={"text": "hello"})
        assert other.status == 200
