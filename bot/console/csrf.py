"""Cross-site request forgery: every change needs the session's own token.

One random token per session, put in every form as a hidden field and sent by the
console's script in a header. A POST without it, or with another one, is refused
with 403 before its handler runs, including the sign-in form (so a foreign page cannot
sign an agent in to an account of its choosing). SameSite=Strict cookies already keep
other sites' requests from carrying the session; the token is the second lock.
"""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web
from aiohttp_session import Session, get_session

from bot.console.sessions import Handler

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRefused(web.HTTPForbidden):
    """A change without the session's token. The console shows it as a page or JSON."""


def token(session: Session) -> str:
    """The session's token, made on first use."""
    value = session.get(FIELD)
    if not isinstance(value, str) or not value:
        value = session[FIELD] = secrets.token_urlsafe(32)
    return value


@web.middleware
async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse every POST (and other changing method) whose token is missing or wrong."""
    if request.method not in _SAFE_METHODS:
        session = await get_session(request)
        expected = session.get(FIELD)
        given = request.headers.get(HEADER)
        if given is None and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            given = (await request.post()).get(FIELD)  # kept: the handler reads it again
        if not (
            isinstance(expected, str)
            and isinstance(given, str)
            and hmac.compare_digest(expected.encode(), given.encode())
        ):
            raise CsrfRefused()
    return await handler(request)
