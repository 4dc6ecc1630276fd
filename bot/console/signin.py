"""Signing in and out of the console."""

from __future__ import annotations

from aiohttp import web

from bot.appkeys import service_key
from bot.console import access, accounts, pages, sessions
from bot.console.i18n import Translator

MAX_FIELD_CHARS = 200  # longer than any name or sensible password; refuses huge bodies early


@sessions.public
async def sign_in_page(request: web.Request) -> web.Response:
    """The sign-in form (an agent already signed in goes straight on)."""
    if await sessions.signed_in_agent(request) is not None:
        raise web.HTTPSeeOther(sessions.safe_next(request.query.get("next")))
    return await _form(request, failed=False, next_page=request.query.get("next"))


@sessions.public
async def sign_in(request: web.Request) -> web.Response:
    """Check the name and password; the same refusal whatever went wrong."""
    form = await request.post()
    name = str(form.get("name", "")).strip()[:MAX_FIELD_CHARS]
    password = str(form.get("password", ""))[:MAX_FIELD_CHARS]
    service = request.config_dict[service_key]
    agent = await accounts.sign_in(service.store.session, name, password, service.now())
    if agent is None:
        return await _form(
            request, failed=True, name=name, next_page=str(form.get("next", "")), status=401
        )
    await sessions.start(request, agent)
    # Signing in is coming to work: available until the agent says "away" or signs out.
    # Operators take no conversations: nobody is routed to them.
    if agent.role in access.DESK:
        await service.desk.set_available(agent.id, True)
    raise web.HTTPSeeOther(sessions.safe_next(str(form.get("next", ""))))


@access.for_roles(access.EVERYONE)
async def sign_out(request: web.Request) -> web.Response:
    """End the session; the agent is away from now on (nobody is routed to them)."""
    agent = sessions.current_agent(request)
    await pages.desk(request).set_available(agent.id, False)
    await sessions.end(request)
    await pages.flash(request, "signed_out")
    raise web.HTTPSeeOther(sessions.SIGN_IN)


async def _form(
    request: web.Request,
    failed: bool,
    next_page: str | None,
    name: str = "",
    status: int = 200,
) -> web.Response:
    language = await pages.language(request)
    return await pages.render(
        request,
        "sign_in.html",
        {
            "title": Translator(language)("sign_in_title"),
            "failed": failed,
            "name": name,
            "next": sessions.safe_next(next_page),
            "page": "sign_in",
        },
        status=status,
    )
