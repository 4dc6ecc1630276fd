"""The queue page: every conversation waiting for an agent or with one, most urgent first."""

from __future__ import annotations

from aiohttp import web

from bot.console import access, pages, payloads, sessions
from bot.console.i18n import Translator
from bot.console.topics import topic_title

QUEUE_PAGE_ROWS = 100
"""Rows the queue page shows: the most urgent; the caption tells how many there are."""


@access.for_roles(access.EVERYONE)
async def to_queue(_: web.Request) -> web.Response:
    """/agent without the slash: the queue."""
    raise web.HTTPMovedPermanently(f"{sessions.PREFIX}/")


async def queue_page(request: web.Request) -> web.Response:
    """The queue, in the core's order (priority, then waiting longest)."""
    agent = sessions.current_agent(request)
    desk = pages.desk(request)
    await desk.touch(agent.id)
    entries, total = await desk.queue(limit=QUEUE_PAGE_ROWS)
    t = Translator(await pages.language(request))
    return await pages.render(
        request,
        "queue.html",
        {
            "title": t("queue_title"),
            "page": "queue",
            "entries": entries,
            "total": total,
            "is_payload": payloads.is_payload,
            "readable": payloads.readable,
            "topics": {
                e.conversation.id: topic_title(e.conversation.topic, t.language) for e in entries
            },
        },
    )
