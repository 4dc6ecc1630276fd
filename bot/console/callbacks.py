"""Callback requests and messages left outside office hours: see them, mark them done or failed."""

from __future__ import annotations

from aiohttp import web

from bot.console import pages, sessions
from bot.console.i18n import Translator
from bot.conversations.model import CallbackStatus

MAX_NOTE_CHARS = 2000
FILTERS = tuple(CallbackStatus)


async def callbacks_page(request: web.Request) -> web.Response:
    """The requests of one status (to do by default), soonest due first."""
    agent = sessions.current_agent(request)
    status = request.query.get("status", CallbackStatus.REQUESTED)
    if status not in FILTERS:
        status = CallbackStatus.REQUESTED
    desk = pages.desk(request)
    await desk.touch(agent.id)
    t = Translator(await pages.language(request))
    return await pages.render(
        request,
        "callbacks.html",
        {
            "title": t("callbacks_title"),
            "page": "callbacks",
            "status": status,
            "filters": FILTERS,
            "callbacks": await desk.callbacks(status),
        },
    )


async def settle(request: web.Request) -> web.Response:
    """Mark one request done or failed, with the agent's note."""
    form = await request.post()
    status = str(form.get("status", ""))
    back = f"{sessions.PREFIX}/callbacks"
    if status not in (CallbackStatus.DONE, CallbackStatus.FAILED):
        await pages.flash(request, "flash_choose_result", "error")
        raise web.HTTPSeeOther(back)
    note = str(form.get("note", "")).strip()[:MAX_NOTE_CHARS]
    callback_id = request.match_info["callback_id"]
    settled = await pages.desk(request).settle_callback(
        int(callback_id), sessions.current_agent(request), status, note
    )
    if settled is None:
        raise web.HTTPNotFound()
    await pages.flash(request, "flash_settled")
    raise web.HTTPSeeOther(back)
