"""Who is signed in: the encrypted session cookie, and the guard in front of every page.

The cookie holds the agent's id, a random session id and the CSRF token, encrypted and
authenticated with the console key (Fernet). It is HttpOnly, SameSite=Strict, limited
to /agent (the web chat never carries it), Secure when the hub is served over https,
and ends after SESSION_SECONDS whatever happens. Signing out records the session id in
the database too, so a copy of the cookie is refused from then on, by every hub replica
and after a restart.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import quote

from aiohttp import web
from aiohttp_session import Session, get_session, new_session, session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError

from bot.appkeys import service_key
from bot.console.secret import console_key
from bot.conversations.model import Agent, SignedOutSession
from bot.conversations.records import AgentRecord
from bot.settings import Settings

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

COOKIE = "loket_console"
PREFIX = "/agent"
SIGN_IN = f"{PREFIX}/sign-in"
SESSION_SECONDS = 12 * 3600  # a long working day; then the agent signs in again
SESSION_TIME = timedelta(seconds=SESSION_SECONDS)
_AGENT = web.RequestKey("console_agent", AgentRecord)  # the signed-in agent
_SAFE_NEXT = re.compile(r"^/agent(/[A-Za-z0-9_./?=&%-]*)?$")


def middleware(settings: Settings) -> web.Middleware:
    """The session middleware of the console's sub-application."""
    storage = EncryptedCookieStorage(
        Fernet(console_key(settings)),
        cookie_name=COOKIE,
        path=PREFIX,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="Strict",
        secure=settings.public_base_url.startswith("https://"),
    )
    return session_middleware(storage)


def public(handler: Handler) -> Handler:
    """Mark a handler that answers without a signed-in agent (the sign-in page)."""
    handler.console_public = True  # type: ignore[attr-defined]
    return handler


@web.middleware
async def require_agent(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every page and API needs a signed-in agent: pages send to sign-in, APIs answer 401."""
    route = request.match_info  # the route's own handler, not the next middleware
    if getattr(route.handler, "console_public", False) or isinstance(
        route.route.resource, web.StaticResource
    ):
        return await handler(request)
    agent = await signed_in_agent(request)
    if agent is None:
        if wants_data(request):
            raise web.HTTPUnauthorized(
                text='{"error": {"code": "signed_out", "message": "Sign in first."}}',
                content_type="application/json",
            )
        raise web.HTTPSeeOther(f"{SIGN_IN}?next={_next_of(request)}")
    request[_AGENT] = agent
    return await handler(request)


def current_agent(request: web.Request) -> AgentRecord:
    """The signed-in agent (only in handlers behind `require_agent`)."""
    return request[_AGENT]


def optional_agent(request: web.Request) -> AgentRecord | None:
    """The signed-in agent, or None on a public page."""
    return request.get(_AGENT)


async def start(request: web.Request, agent: AgentRecord) -> Session:
    """A fresh session for `agent`: nothing of the signed-out one is kept but its language."""
    session = await new_session(request)
    session["agent_id"] = agent.id
    session["sid"] = secrets.token_urlsafe(16)
    session["lang"] = agent.language
    return session


async def end(request: web.Request) -> Session:
    """Sign out: the session id is refused from now on; a new anonymous session follows."""
    session = await get_session(request)
    if session_id := session.get("sid"):
        await _refuse_from_now_on(request, session_id)
    language = session.get("lang")
    session = await new_session(request)
    if language:
        session["lang"] = language
    return session


def wants_data(request: web.Request) -> bool:
    """True for the live stream, and for requests the console's script makes."""
    accept = request.headers.get("Accept", "")
    return (
        request.path.startswith(f"{PREFIX}/events")
        or request.headers.get("X-Requested-With") == "fetch"
        or accept.startswith(("application/json", "text/event-stream"))
    )


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: only somewhere in the console, never another site."""
    if target and _SAFE_NEXT.match(target) and "//" not in target and ".." not in target:
        return target
    return f"{PREFIX}/"


async def signed_in_agent(request: web.Request) -> AgentRecord | None:
    """The agent of this request's session, or None when nobody (still) is signed in."""
    session = await get_session(request)
    agent_id, session_id = session.get("agent_id"), session.get("sid")
    if not isinstance(agent_id, int) or not session_id:
        return None
    # Read each time, in one query: a removed account, a changed role or a sign-out (on
    # any hub replica) takes effect at once.
    signed_out = exists().where(SignedOutSession.session_id == session_id)
    async with request.config_dict[service_key].store.session() as db:
        agent = await db.scalar(select(Agent).where(Agent.id == agent_id, ~signed_out))
    return AgentRecord.of(agent) if agent else None


async def is_signed_out(request: web.Request, session_id: str) -> bool:
    """True when the session `session_id` signed out (on any hub replica)."""
    async with request.config_dict[service_key].store.session() as db:
        return await db.get(SignedOutSession, session_id) is not None


async def _refuse_from_now_on(request: web.Request, session_id: str) -> None:
    """Record a sign-out until the cookie would have expired; forget the expired ones."""
    service = request.config_dict[service_key]
    now = service.now()
    # A second sign-out of the same session (two tabs at once) finds it already recorded.
    with contextlib.suppress(IntegrityError):
        async with service.store.session() as db, db.begin():
            await db.execute(delete(SignedOutSession).where(SignedOutSession.until <= now))
            db.add(SignedOutSession(session_id=session_id, until=now + SESSION_TIME))


def _next_of(request: web.Request) -> str:
    return quote(safe_next(request.path_qs), safe="/")
