"""Security of the agent console (issue 8, part 7): sessions, CSRF, escaping, lock-out.

- every /agent page and API is refused without a session (pages send to sign-in,
  the script's requests and the live stream get 401);
- a POST without the session's CSRF token, or with another one, is refused (403) and
  changes nothing;
- what a person typed is shown as text: `<script>` arrives escaped;
- five failed sign-ins lock an account for 15 minutes, with the same words as any
  other refusal;
- signing out ends the session, even for a copy of the cookie;
- `loket agent add` stores an argon2 hash, never the password.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot import cli
from bot.app import create_app
from bot.console import accounts
from bot.console.sessions import COOKIE
from bot.conversations.model import Agent
from bot.conversations.store import create_engine
from bot.settings import Settings, get_settings
from tests.console import (
    OPEN,
    PASSWORD,
    Clock,
    add_agent,
    csrf_token,
    person_says,
    person_waits,
    post_form,
    service_of,
    sign_in,
    token_of,
)

pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")
PUBLIC = {("GET", "/agent/sign-in"), ("POST", "/agent/sign-in"), ("POST", "/agent/language")}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def hub(settings: Settings, clock: Clock, brain) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(settings, clock=clock))) as client:
        yield client


def console_routes(hub: TestClient) -> list[tuple[str, str]]:
    """(method, path) of every route of the console, placeholders filled in."""
    [console] = [
        resource._app  # the sub-application mounted at /agent
        for resource in hub.app.router.resources()
        if isinstance(resource, web.PrefixedSubAppResource) and resource.canonical == "/agent"
    ]
    routes = []
    for route in console.router.routes():
        if isinstance(route.resource, web.StaticResource) or route.method == "HEAD":
            continue
        path = re.sub(r"\{[^}]+\}", "1", route.resource.canonical)
        routes.append((route.method, path))
    return routes


# ---------------------------------------------------------------- no session, no entry


async def test_the_console_has_the_routes_the_tests_expect(hub):
    routes = set(console_routes(hub))
    assert ("GET", "/agent/events") in routes
    assert ("POST", "/agent/conversations/1/reply") in routes
    assert len(routes) >= 15


async def test_every_page_sends_to_sign_in_without_a_session(hub):
    for method, path in console_routes(hub):
        if (method, path) in PUBLIC or path == "/agent/events":
            continue
        response = await hub.request(method, path, allow_redirects=False)
        assert response.status in (301, 303), (method, path, response.status)
        target = response.headers["Location"]
        assert target.startswith("/agent/sign-in") or target == "/agent/", (method, path)


async def test_every_api_answers_401_without_a_session(hub):
    for method, path in console_routes(hub):
        if (method, path) in PUBLIC or path == "/agent":
            continue
        response = await hub.request(
            method, path, headers={"X-Requested-With": "fetch"}, allow_redirects=False
        )
        assert response.status == 401, (method, path, response.status)
        assert (await response.json())["error"]["code"] == "signed_out"
    stream = await hub.get("/agent/events", headers={"Accept": "text/event-stream"})
    assert stream.status == 401


async def test_nothing_is_shown_or_changed_without_a_session(hub):
    await person_waits(hub, "p1", "my secret question")
    page = await hub.get("/agent/conversations/p1")  # follows to the sign-in page
    assert "my secret question" not in await page.text()
    token = await token_of(hub)  # a token of an anonymous session is no way in either
    response = await hub.post(
        "/agent/conversations/p1/take", data={"csrf_token": token}, allow_redirects=False
    )
    assert response.status == 303
    assert (await service_of(hub).desk.queue())[0][0].agent_name is None


async def test_a_forged_cookie_is_no_session(hub):
    hub.session.cookie_jar.update_cookies({COOKIE: "gAAAAAforged"})
    response = await hub.get("/agent/", allow_redirects=False)
    assert response.status == 303


# ---------------------------------------------------------------- CSRF


async def test_every_post_without_the_token_is_refused(hub):
    await add_agent(hub)
    await sign_in(hub)
    await person_waits(hub, "p1")
    for method, path in console_routes(hub):
        if method != "POST":
            continue
        without = await hub.post(path, data={"text": "hi"}, allow_redirects=False)
        assert without.status == 403, (path, without.status)
        wrong = await hub.post(
            path, data={"text": "hi", "csrf_token": "not-the-token"}, allow_redirects=False
        )
        assert wrong.status == 403, (path, wrong.status)
        header = await hub.post(
            path,
            data={"text": "hi"},
            headers={"X-CSRF-Token": "not-the-token", "X-Requested-With": "fetch"},
            allow_redirects=False,
        )
        assert header.status == 403, (path, header.status)
        assert (await header.json())["error"]["code"] == "csrf_failed"
    assert (await service_of(hub).desk.queue())[0][0].agent_name is None


async def test_a_refused_form_says_why_in_words(hub):
    await add_agent(hub)
    await sign_in(hub)
    response = await hub.post("/agent/availability", data={"available": "1"})
    assert response.status == 403
    assert "This form has expired" in await response.text()


async def test_the_token_of_another_session_is_refused(hub, settings, clock):
    await add_agent(hub)
    await add_agent(hub, "bea")
    await sign_in(hub)
    foreign = await token_of(hub, "/agent/")
    async with TestClient(TestServer(create_app(settings, clock=clock))) as other:
        await sign_in(other, "bea")
        response = await other.post(
            "/agent/availability", data={"available": "1", "csrf_token": foreign}
        )
        assert response.status == 403


async def test_the_right_token_in_a_header_is_accepted(hub):
    await add_agent(hub)
    await sign_in(hub)
    token = await token_of(hub, "/agent/")
    response = await hub.post(
        "/agent/availability",
        data={"available": "1"},
        headers={"X-CSRF-Token": token},
        allow_redirects=False,
    )
    assert response.status == 303


async def test_the_sign_in_form_needs_its_token_too(hub):
    await add_agent(hub)
    response = await hub.post(
        "/agent/sign-in", data={"name": "ana", "password": PASSWORD}, allow_redirects=False
    )
    assert response.status == 403
    assert (await hub.get("/agent/", allow_redirects=False)).status == 303


# ---------------------------------------------------------------- a person's words are text


async def test_script_in_a_persons_message_is_shown_as_text(hub):
    await add_agent(hub)
    await sign_in(hub)
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    await person_waits(hub, "p1")
    await person_says(hub, "p1", attack)
    for path in ("/agent/", "/agent/conversations/p1"):
        html = await (await hub.get(path)).text()
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html, path


async def test_pages_forbid_inline_script(hub):
    await add_agent(hub)
    await sign_in(hub)
    response = await hub.get("/agent/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert "form-action 'self'" in policy
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script>" not in await response.text()  # only <script src=...>


# ---------------------------------------------------------------- sign-in and lock-out


async def test_five_failures_lock_the_account_for_fifteen_minutes(hub, clock):
    await add_agent(hub)
    for _ in range(accounts.MAX_FAILURES):
        assert (await sign_in(hub, password="wrong password!")).status == 401
    locked = await sign_in(hub)
    assert locked.status == 401, "the right password must not open a locked account"
    clock.now += timedelta(minutes=14)
    assert (await sign_in(hub)).status == 401
    clock.now += timedelta(minutes=2)
    assert (await sign_in(hub)).status == 303


async def test_a_success_resets_the_count_of_failures(hub):
    await add_agent(hub)
    for _ in range(accounts.MAX_FAILURES - 1):
        await sign_in(hub, password="wrong password!")
    assert (await sign_in(hub)).status == 303
    await post_form(hub, "/agent/sign-out")
    for _ in range(accounts.MAX_FAILURES - 1):
        await sign_in(hub, password="wrong password!")
    assert (await sign_in(hub)).status == 303


async def test_a_refusal_never_tells_whether_the_name_exists(hub):
    await add_agent(hub)

    async def refusal(name: str, password: str) -> str:
        response = await sign_in(hub, name, password)
        assert response.status == 401
        html = await response.text()
        return html.replace(csrf_token(html), "").replace(name, "NAME")

    wrong_password = await refusal("ana", "wrong password!")
    unknown_name = await refusal("nobody", "wrong password!")
    assert wrong_password == unknown_name
    for _ in range(accounts.MAX_FAILURES):
        await sign_in(hub, password="wrong password!")
    assert await refusal("ana", PASSWORD) == unknown_name


async def test_sign_in_sets_a_strict_http_only_cookie_for_the_console_only(hub):
    await add_agent(hub)
    response = await sign_in(hub)
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/agent"
    chat = await hub.post("/api/conversations/c1/messages", json={"text": "/request_human"})
    assert "Set-Cookie" not in chat.headers
    assert "Set-Cookie" not in (await hub.get("/chat")).headers


async def test_the_cookie_is_secure_behind_https(settings, clock):
    secure = settings.model_copy(update={"public_base_url": "https://loket.example"})
    async with TestClient(TestServer(create_app(secure, clock=clock))) as hub:
        response = await hub.get("/agent/sign-in")
        assert response.cookies[COOKIE]["secure"]


async def test_sign_in_goes_back_only_to_a_console_page(hub):
    await add_agent(hub)
    for target, expected in (
        ("/agent/callbacks", "/agent/callbacks"),
        ("https://evil.example/", "/agent/"),
        ("//evil.example/agent/", "/agent/"),
        ("/agent/../chat", "/agent/"),
    ):
        token = await token_of(hub)
        response = await hub.post(
            "/agent/sign-in",
            data={"name": "ana", "password": PASSWORD, "csrf_token": token, "next": target},
            allow_redirects=False,
        )
        assert response.headers["Location"] == expected, target
        await post_form(hub, "/agent/sign-out")


# ---------------------------------------------------------------- sign-out


async def test_sign_out_ends_the_session_even_for_a_copy_of_the_cookie(hub):
    await add_agent(hub)
    await sign_in(hub)
    copy = {c.key: c.value for c in hub.session.cookie_jar}[COOKIE]
    assert (await hub.get("/agent/", allow_redirects=False)).status == 200
    response = await post_form(hub, "/agent/sign-out")
    assert response.headers["Location"] == "/agent/sign-in"
    assert (await hub.get("/agent/", allow_redirects=False)).status == 303
    hub.session.cookie_jar.clear()
    replay = await hub.get("/agent/", headers={"Cookie": f"{COOKIE}={copy}"}, allow_redirects=False)
    assert replay.status == 303


async def test_signing_out_makes_the_agent_away(hub):
    agent = await add_agent(hub)
    await sign_in(hub)
    await post_form(hub, "/agent/availability", {"available": "1"})
    assert (await service_of(hub).store.agent(agent.id)).available
    await post_form(hub, "/agent/sign-out")
    assert not (await service_of(hub).store.agent(agent.id)).available


# ---------------------------------------------------------------- loket agent add


@pytest.fixture
def cli_settings(settings: Settings, monkeypatch) -> Settings:
    monkeypatch.setenv("LOKET_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("LOKET_DATABASE_URL", "")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


async def stored_agent(settings: Settings, name: str) -> Agent:
    engine = create_engine(settings.database)
    try:
        async with async_sessionmaker(engine)() as session:
            return await session.scalar(select(Agent).where(Agent.name == name))
    finally:
        await engine.dispose()


async def signs_in(settings: Settings, name: str, password: str) -> bool:
    engine = create_engine(settings.database)
    try:
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        return await accounts.sign_in(sessions, name, password, OPEN) is not None
    finally:
        await engine.dispose()


def files_hold(folder: Path, secret: str) -> bool:
    return any(secret.encode() in path.read_bytes() for path in folder.rglob("*") if path.is_file())


def test_loket_agent_add_stores_an_argon2_hash_never_the_password(cli_settings, monkeypatch):
    password = "correct horse battery staple"
    monkeypatch.setattr("getpass.getpass", lambda prompt: password)
    assert cli.main(["agent", "add", "nina", "--role", "supervisor", "--language", "nl"]) == 0
    row = asyncio.run(stored_agent(cli_settings, "nina"))
    assert row.password_hash.startswith("$argon2id$")
    assert password not in row.password_hash
    assert (row.role, row.language) == ("supervisor", "nl")
    assert not files_hold(cli_settings.data_dir, password)
    assert asyncio.run(signs_in(cli_settings, "nina", password))


def test_loket_agent_add_refuses_two_different_passwords(cli_settings, monkeypatch, capsys):
    answers = iter(["correct horse battery staple", "something else entirely"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    assert cli.main(["agent", "add", "nina"]) == 1
    assert "differ" in capsys.readouterr().err
    assert cli.main(["agent", "list"]) == 0
    assert "No accounts yet" in capsys.readouterr().out


def test_loket_agent_add_generate_prints_the_password_once(cli_settings, capsys):
    assert cli.main(["agent", "add", "omar", "--generate"]) == 0
    out = capsys.readouterr().out
    password = re.search(r"shown once, only its hash is stored\): (\S+)", out).group(1)
    row = asyncio.run(stored_agent(cli_settings, "omar"))
    assert row.password_hash.startswith("$argon2id$")
    assert out.count(password) == 1
    assert not files_hold(cli_settings.data_dir, password)
    assert cli.main(["agent", "list"]) == 0
    assert "omar\tagent" in capsys.readouterr().out


def test_the_demo_account_gets_a_new_password_each_time(settings):
    name, first = accounts.ensure_demo_agent(settings)
    again, second = accounts.ensure_demo_agent(settings)
    assert name == again == "demo" and first != second
    row = asyncio.run(stored_agent(settings, "demo"))
    assert row.password_hash.startswith("$argon2id$")
    assert not files_hold(settings.data_dir, second)
    assert asyncio.run(signs_in(settings, "demo", second))
    assert not asyncio.run(signs_in(settings, "demo", first))
