"""The agent console at /agent: helpdesk agents take over conversations from the bot.

A sub-application of the hub, so that its session cookie, sign-in guard and CSRF check
apply to /agent only: the web chat stays free of cookies. Pages are rendered on the
server (aiohttp-jinja2) and work without JavaScript; static/console.js adds live
updates from the event stream. Everything goes through the core's desk
(bot/conversations/desk.py): the console never talks to a channel or to the brain.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.appkeys import settings_key
from bot.console import (
    access,
    account,
    agents,
    callbacks,
    conversation,
    csrf,
    errors,
    forms,
    live,
    privacy,
    problem_reports,
    queue,
    sessions,
    signin,
)
from bot.console.pages import setup_templates
from bot.dashboard import pages as dashboard
from bot.dashboard import worklist

STATIC = Path(__file__).resolve().parent / "static"

# Forms post to the console itself; nothing else differs from the hub's own policy.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


@web.middleware
async def console_headers(request: web.Request, handler: sessions.Handler) -> web.StreamResponse:
    """The console's content security policy; nothing of it is cached."""
    response = await handler(request)
    if not response.prepared:  # a live stream has sent its headers already
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def setup(app: web.Application) -> None:
    """Mount the console on the hub at /agent."""
    console = web.Application(
        middlewares=[
            console_headers,
            sessions.middleware(app[settings_key]),
            errors.error_pages,
            sessions.require_agent,
            forms.well_formed,
            csrf.require_token,
            access.require_role,
        ]
    )
    setup_templates(console)
    _routes(console.router)
    app.add_subapp(sessions.PREFIX, console)
    dashboard.redirect_to_console(app)


def _routes(router: web.UrlDispatcher) -> None:
    router.add_get("", queue.to_queue)
    router.add_get("/", queue.queue_page, name="queue")
    router.add_get("/sign-in", signin.sign_in_page, name="sign_in")
    router.add_post("/sign-in", signin.sign_in)
    router.add_post("/sign-out", signin.sign_out)
    router.add_post("/availability", account.set_availability)
    router.add_post("/language", account.set_language)
    router.add_get("/events", live.events)
    router.add_get("/conversations/{conversation_id}", conversation.conversation_page,
                   name="conversation")  # fmt: skip
    for action in ("take", "reply", "note", "hand_back", "release", "close"):
        path = f"/conversations/{{conversation_id}}/{action.replace('_', '-')}"
        router.add_post(path, getattr(conversation, action))
    router.add_post("/conversations/{conversation_id}/report", problem_reports.file_report)
    router.add_get("/callbacks", callbacks.callbacks_page, name="callbacks")
    router.add_post(r"/callbacks/{callback_id:\d+}/settle", callbacks.settle)
    router.add_get("/agents", agents.agents_page, name="agents")
    privacy.setup_routes(router)
    dashboard.setup_routes(router)
    worklist.setup_routes(router)
    router.add_static("/static", STATIC, name="static")
