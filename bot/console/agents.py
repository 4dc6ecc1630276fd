"""Supervisors' page: every account, who is available, who was seen when, who is locked."""

from __future__ import annotations

from aiohttp import web

from bot.appkeys import service_key
from bot.console import access, accounts, pages, sessions
from bot.console.i18n import Translator


@access.for_roles(access.SUPERVISORS)
async def agents_page(request: web.Request) -> web.Response:
    """The accounts, for supervisors only (agents and operators get 403)."""
    agent = sessions.current_agent(request)
    await pages.desk(request).touch(agent.id)
    store = request.config_dict[service_key].store
    t = Translator(await pages.language(request))
    return await pages.render(
        request,
        "agents.html",
        {
            "title": t("agents_title"),
            "page": "agents",
            "agents": await accounts.list_agents(store.session),
            "locked": await accounts.locked_names(store.session, pages.now(request)),
        },
    )
