"""Refusals as the console says them: a page in the agent's language, or JSON for the script."""

from __future__ import annotations

from aiohttp import web

from bot.console import pages, sessions
from bot.console.access import REFUSALS
from bot.console.csrf import CsrfRefused
from bot.console.forms import BadForm
from bot.console.i18n import Translator

# What each refusal tells the agent: (title, explanation).
_PAGES = {403: ("refused_title", "supervisors_only"), 404: ("not_found_title", "not_found")}


@web.middleware
async def error_pages(request: web.Request, handler: sessions.Handler) -> web.StreamResponse:
    """403 and 404 (and a form without its token) become a page with a way back."""
    try:
        return await handler(request)
    except CsrfRefused:
        return await _refusal(request, 403, "refused_title", "csrf_failed")
    except BadForm as error:
        return await _refusal(request, error.status, "bad_form_title", "bad_form")
    except web.HTTPException as error:
        if error.status not in _PAGES or error.content_type == "application/json":
            raise
        title, message = _PAGES[404 if error.status == 404 else 403]
        if error.status == 403 and error.reason in REFUSALS.values():
            message = error.reason  # whom the page is for
        return await _refusal(request, error.status, title, message)


async def _refusal(request: web.Request, status: int, title: str, message: str) -> web.Response:
    t = Translator(await pages.language(request))
    if sessions.wants_data(request):
        body = {"error": {"code": message, "message": t(message)}}
        return web.json_response(body, status=status)
    return await pages.render(
        request, "error.html", {"title": t(title), "message": t(message)}, status=status
    )
