"""Every endpoint that takes a body answers bad input with a 4xx and a clear error, and
stores nothing: oversized, truncated, non-UTF-8 and wrongly typed bodies.

The endpoints are read from the hub's router, so a new channel or console form is
covered the day it is added.
"""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.app import MAX_BODY_BYTES
from bot.appkeys import service_key
from bot.console.csrf import HEADER
from bot.conversations.model import Conversation, Message
from bot.settings import Settings
from tests.console import add_agent, sign_in, token_of
from tests.phone_line import with_phone_line

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
BAD_BODIES: dict[str, tuple[bytes, str]] = {
    "oversized": (b'{"text": "' + b"a" * (MAX_BODY_BYTES + 10) + b'"}', JSON),
    "oversized form": (b"Body=" + b"a" * (MAX_BODY_BYTES + 10), FORM),
    "truncated JSON": (b'{"text": "I lost my ident', JSON),
    "truncated form": (b"CallSid=CA%2", FORM),
    "not UTF-8 JSON": (b'{"text": "\xff\xfe carte"}', JSON),
    "not UTF-8 form": (b"Body=\xff\xfe&From=%2B32470123456", FORM),
    "wrong types": (b'{"text": 42, "language": ["fr"], "update_id": "x"}', JSON),
    "not an object": (b'["text"]', JSON),
}
_PARAMETER = re.compile(r"\{(\w+)(?::[^}]*)?\}")
_SAMPLE_VALUES = {"callback_id": "1"}


@pytest.fixture
def settings(settings: Settings, tmp_path) -> Settings:
    """Every channel on that can be switched on here (the phone line, keypad only). Plain
    http: the console's cookie is then not Secure, and the test client keeps it."""
    return with_phone_line(settings, tmp_path / "voice", public_base_url="http://loket.example")


def post_paths(hub: TestClient) -> list[str]:
    """Every path of the hub that takes a POST, with sample values for its parameters."""
    paths = set()
    for route in hub.server.app.router.routes():
        if route.method != "POST":
            continue
        info = route.resource.get_info() if route.resource else {}
        template = info.get("formatter") or info.get("path") or ""
        paths.add(_PARAMETER.sub(lambda m: _SAMPLE_VALUES.get(m[1], "a" * 32), template))
    return sorted(paths)


async def stored(hub: TestClient) -> tuple[int, int]:
    """How many conversations and messages the hub has stored."""
    store = hub.server.app[service_key].store
    async with store.session() as session:
        conversations = await session.scalar(select(func.count()).select_from(Conversation))
        messages = await session.scalar(select(func.count()).select_from(Message))
    return conversations or 0, messages or 0


async def test_the_hub_takes_posts_on_the_channels_it_serves(hub):
    paths = post_paths(hub)
    assert any(path.startswith("/api/conversations/") for path in paths)  # web chat
    assert "/twilio/voice" in paths  # phone


@pytest.mark.parametrize("kind", sorted(BAD_BODIES))
async def test_bad_input_gets_a_clear_4xx_and_nothing_is_stored(hub, brain, kind: str):
    body, content_type = BAD_BODIES[kind]
    # The console's forms are tried as a signed-in agent with a valid token: only the
    # body is wrong (without them they are refused before reading it, as tested elsewhere).
    await add_agent(hub)
    await sign_in(hub)
    token = await token_of(hub, "/agent/")
    for path in post_paths(hub):
        if path == "/agent/sign-out":
            continue  # takes no body: signing out is what it does with any
        response = await hub.post(
            path,
            data=body,
            headers={"Content-Type": content_type, HEADER: token},
            allow_redirects=False,
        )
        text = await response.text()
        assert 400 <= response.status < 500, f"{path} answered {response.status} to {kind}"
        assert text.strip(), f"{path} gave no reason for its {response.status}"
        assert "Traceback" not in text
    assert await stored(hub) == (0, 0)
