"""Well-formed forms only: the console's POSTs are browser forms, anything else is refused.

Checked before the CSRF token and the handler read the body: a body that is not a form
(415), too large (413), or whose fields are not valid percent-encoded UTF-8 (400) is
refused with a page that says so, and nothing is changed.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from aiohttp import web

from bot.console import sessions

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


class BadForm(web.HTTPBadRequest):
    """A form the console cannot read; `status` says why (400, 413 or 415)."""

    def __init__(self, status: int) -> None:
        super().__init__()
        self.status_code = status


@web.middleware
async def well_formed(request: web.Request, handler: sessions.Handler) -> web.StreamResponse:
    """Refuse a changing request whose body is not a readable form."""
    if request.method not in _SAFE_METHODS and request.can_read_body:
        if request.content_type not in FORM_TYPES:
            raise BadForm(415)
        try:
            body = await request.read()  # aiohttp enforces the hub's body size limit here
        except web.HTTPRequestEntityTooLarge:
            raise BadForm(413) from None
        if request.content_type == FORM_TYPES[0] and not _readable(body):
            raise BadForm(400)
    return await handler(request)


def _readable(body: bytes) -> bool:
    """True when every field of an urlencoded body decodes to UTF-8 text."""
    if _BAD_ESCAPE.search(body):
        return False
    try:
        unquote_to_bytes(body.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
