"""A person's data on their request, for supervisors: find it, export it (JSON), erase it.

The supervisor types the person's number or address, or a conversation id, and sees how
many rows Loket keeps of them, by table. From there: download the export, or erase after
ticking a confirmation. Every export and erasure is in the privacy log shown on the page
(bot/privacy/log.py), without the number or id. The key travels in POST bodies only,
never in an address that a browser history or an access log would keep.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.appkeys import rasa_trackers_key, service_key
from bot.console import access, pages, sessions
from bot.console.forms import BadForm
from bot.console.i18n import Translator
from bot.conversations.store import ConversationStore
from bot.privacy import erasure, log
from bot.privacy.rasa_trackers import RasaTrackers

PATH = "/privacy"
KEY_KINDS = ("contact", "conversation")
MAX_KEY_CHARS = 200
for_supervisors = access.for_roles(access.SUPERVISORS)


def setup_routes(router: web.UrlDispatcher) -> None:
    """The privacy page, its search, export and erasure."""
    router.add_get(PATH, privacy_page, name="privacy")
    router.add_post(f"{PATH}/find", find)
    router.add_post(f"{PATH}/export", export)
    router.add_post(f"{PATH}/erase", erase)


def _store(request: web.Request) -> ConversationStore:
    return request.config_dict[service_key].store


def _trackers(request: web.Request) -> RasaTrackers:
    return request.config_dict[rasa_trackers_key]


async def _title(request: web.Request) -> str:
    return Translator(await pages.language(request))("privacy_title")


@for_supervisors
async def privacy_page(request: web.Request) -> web.Response:
    """The search form and the privacy log."""
    return await pages.render(
        request,
        "privacy.html",
        {"title": await _title(request), "page": "privacy", "kinds": KEY_KINDS,
         "actions": await log.recent(_store(request))},
    )  # fmt: skip


async def _person(request: web.Request) -> tuple[str, str, erasure.Person] | None:
    """The form's kind of key, key and person; None (and a message) when no key was typed."""
    form = await request.post()
    kind, key = str(form.get("kind", "")), str(form.get("key", "")).strip()
    if kind not in KEY_KINDS or len(key) > MAX_KEY_CHARS:
        raise BadForm(400)
    if not key:
        await pages.flash(request, "flash_key_missing", "error")
        return None
    if kind == "contact":
        return kind, key, erasure.Person(contact=key)
    return kind, key, erasure.Person(conversation_id=key)


def _back() -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{sessions.PREFIX}{PATH}")


@for_supervisors
async def find(request: web.Request) -> web.Response:
    """What Loket keeps of the person, counted by table, with the export and erase forms."""
    found = await _person(request)
    if found is None:
        raise _back()
    return await _confirmation(request, *found, refused=False)


async def _confirmation(
    request: web.Request, kind: str, key: str, person: erasure.Person, refused: bool
) -> web.Response:
    rows = await erasure.export(_store(request), _trackers(request), person)
    context: dict[str, Any] = {
        "title": await _title(request),
        "page": "privacy",
        "kind": kind,
        "key": key,
        "counts": _counts(rows),
        "conversations": len(rows.get("conversations", [])),
        "refused": refused,
    }
    return await pages.render(request, "privacy_confirm.html", context, 400 if refused else 200)


def _counts(rows: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    return {table: len(table_rows) for table, table_rows in rows.items()}


@for_supervisors
async def export(request: web.Request) -> web.Response:
    """The person's rows as a JSON file (their own data: not redacted), noted in the log."""
    found = await _person(request)
    if found is None:
        raise _back()
    kind, _, person = found
    rows = await erasure.export(_store(request), _trackers(request), person)
    counts = _counts(rows)
    who = sessions.current_agent(request).name
    await log.record(_store(request), "export", kind, who, counts, pages.now(request))
    return web.Response(
        text=json.dumps(rows, ensure_ascii=False, indent=2),
        content_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="loket-export.json"'},
    )


@for_supervisors
async def erase(request: web.Request) -> web.Response:
    """Erase the person's rows once the supervisor has ticked the confirmation."""
    found = await _person(request)
    if found is None:
        raise _back()
    if (await request.post()).get("confirm") != "yes":
        return await _confirmation(request, *found, refused=True)
    kind, _, person = found
    counts = await erasure.erase(_store(request), _trackers(request), person)
    who = sessions.current_agent(request).name
    await log.record(_store(request), "erase", kind, who, counts, pages.now(request))
    await pages.flash(request, "flash_erased", count=sum(counts.values()))
    raise _back()
