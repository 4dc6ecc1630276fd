"""The agent's own settings from the header: available or away, and the console's language."""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session

from bot.appkeys import service_key
from bot.console import accounts, pages, sessions
from bot.console.forms import BadForm
from bot.settings import LANGUAGES


async def set_availability(request: web.Request) -> web.Response:
    """Available: conversations and the offer of a live agent come to this agent; away: not."""
    agent = sessions.current_agent(request)
    form = await request.post()
    if form.get("available") not in ("0", "1"):
        raise BadForm(400)
    available = form.get("available") == "1"
    await pages.desk(request).set_available(agent.id, available)
    await pages.flash(request, "flash_available" if available else "flash_away")
    raise web.HTTPSeeOther(sessions.safe_next(str(form.get("next", ""))))


@sessions.public
async def set_language(request: web.Request) -> web.Response:
    """The console's language: kept on the account, or in the session before sign-in."""
    form = await request.post()
    language = str(form.get("language", ""))
    if language in LANGUAGES:
        session = await get_session(request)
        session["lang"] = language
        agent = await sessions.signed_in_agent(request)
        if agent is not None:
            store = request.config_dict[service_key].store
            await accounts.set_language(store.session, agent.id, language)
    raise web.HTTPSeeOther(sessions.safe_next(str(form.get("next", ""))))
