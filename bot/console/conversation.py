"""One conversation: handover summary, whole transcript, and what the agent can do with it.

Every action posts a form and comes back to a page (it works without JavaScript); the
console's script posts replies and notes itself and gets a short JSON answer instead.
What the desk refuses (taken by someone else, not yours, no longer waiting) is told to
the agent in words, never as an error page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from bot.appkeys import service_key, settings_key
from bot.console import accounts, canned, pages, payloads, problem_reports, sessions
from bot.console.i18n import Translator
from bot.console.topics import topic_title
from bot.conversations.desk import OUTCOMES, ConversationView, NotYours, TakenBy
from bot.conversations.inbound import SMS_CHANNEL, WHATSAPP_CHANNEL, WHATSAPP_WINDOW
from bot.conversations.model import Author, State
from bot.conversations.states import MoveRefused

# Channels where a message can be sent and not arrive: its delivery is shown.
MESSAGING_CHANNELS = frozenset({SMS_CHANNEL, WHATSAPP_CHANNEL})


async def conversation_page(request: web.Request) -> web.Response:
    """The conversation as the agent sees it; a view is a sign of life in it."""
    agent = sessions.current_agent(request)
    view = await _open(request)
    await pages.desk(request).touch(agent.id)
    store = request.config_dict[service_key].store
    authors = await accounts.names(
        store.session, [m.agent_id for m in view.messages if m.agent_id is not None]
    )
    t = Translator(await pages.language(request))
    conversation = view.conversation
    waiting = conversation.waiting_since
    return await pages.render(
        request,
        "conversation.html",
        {
            "title": t("conversation_label", id=_short(conversation.id)),
            "page": "conversation",
            "conversation_id": conversation.id,
            "view": view,
            "short_id": _short(conversation.id),
            "topic": topic_title(view.summary.topic, t.language),
            "waiting_seconds": (pages.now(request) - waiting).total_seconds() if waiting else 0,
            "authors": authors,
            "pressed": payloads.choices(view.messages),
            "mine": _mine(view, agent.id),
            "taken_by": view.agent_name
            if conversation.state == State.WITH_AGENT and conversation.agent_id != agent.id
            else None,
            "can_take": conversation.state == State.WAITING_FOR_AGENT,
            "outcomes": OUTCOMES,
            "canned": _canned_by_language(conversation.language),
            "max_chars": request.config_dict[settings_key].max_text_chars,
            "delivery_shown": conversation.channel in MESSAGING_CHANNELS,
            "window_closed": _window_closed(view, pages.now(request)),
            **await problem_reports.page_context(store, conversation.id, t.language),
        },
    )


async def take(request: web.Request) -> web.Response:
    """Take a waiting conversation; another agent may have been quicker."""
    conversation_id = request.match_info["conversation_id"]
    try:
        await pages.desk(request).take(conversation_id, sessions.current_agent(request))
    except TakenBy as taken:
        return await _refused(request, "flash_taken_by", name=taken.name or "?")
    except MoveRefused:
        return await _refused(request, "flash_not_waiting")
    except LookupError:
        raise web.HTTPNotFound() from None
    return await _done(request, "flash_taken")


async def reply(request: web.Request) -> web.Response:
    """Send the agent's reply (typed, or ready-made) into the person's channel."""
    form = await request.post()
    text = await _text(request, form)
    try:
        await pages.desk(request).reply(
            request.match_info["conversation_id"], sessions.current_agent(request), text
        )
    except NotYours:
        return await _refused(request, "flash_not_yours")
    except LookupError:
        raise web.HTTPNotFound() from None
    return await _done(request, "flash_sent")


async def note(request: web.Request) -> web.Response:
    """Add an internal note: agents see it, the person never does."""
    text = await _text(request, await request.post())
    try:
        await pages.desk(request).note(
            request.match_info["conversation_id"], sessions.current_agent(request), text
        )
    except LookupError:
        raise web.HTTPNotFound() from None
    return await _done(request, "flash_noted")


async def hand_back(request: web.Request) -> web.Response:
    """Give the conversation back to the bot (it greets the person again)."""
    return await _move(request, "hand_back", "flash_handed_back")


async def release(request: web.Request) -> web.Response:
    """Put the conversation back in the queue for another agent."""
    return await _move(request, "release", "flash_released")


async def close(request: web.Request) -> web.Response:
    """Close the conversation with one of the outcomes."""
    outcome = str((await request.post()).get("outcome", ""))
    if outcome not in OUTCOMES:
        return await _refused(request, "flash_choose_outcome")
    return await _move(request, "close", "flash_closed", outcome)


async def _move(request: web.Request, action: str, done: str, *args: str) -> web.Response:
    conversation_id = request.match_info["conversation_id"]
    agent = sessions.current_agent(request)
    try:
        await getattr(pages.desk(request), action)(conversation_id, agent, *args)
    except NotYours:
        return await _refused(request, "flash_not_yours")
    except MoveRefused:
        return await _refused(request, "flash_not_waiting")
    except LookupError:
        raise web.HTTPNotFound() from None
    return await _done(request, done, to_queue=True)


async def _open(request: web.Request) -> ConversationView:
    view = await pages.desk(request).open(request.match_info["conversation_id"])
    if view is None:
        raise web.HTTPNotFound()
    return view


async def _text(request: web.Request, form: Any) -> str:
    """The text of a reply or note: typed, or a ready-made reply ("id:language")."""
    reply_id, _, language = str(form.get("canned", "")).partition(":")
    text = canned.find(reply_id, language) if reply_id else str(form.get("text", ""))
    text = (text or "").strip()
    limit = request.config_dict[settings_key].max_text_chars
    if not text:
        raise await _refusal(request, "flash_empty_text")
    if len(text) > limit:
        raise await _refusal(request, "flash_too_long", max=limit)
    return text


async def _done(request: web.Request, key: str, to_queue: bool = False) -> web.Response:
    if sessions.wants_data(request):
        return web.json_response({"ok": True})
    await pages.flash(request, key)
    target = f"{sessions.PREFIX}/" if to_queue else _page_of(request)
    raise web.HTTPSeeOther(target)


async def _refused(request: web.Request, key: str, **fields: object) -> web.Response:
    raise await _refusal(request, key, **fields)


async def _refusal(request: web.Request, key: str, **fields: object) -> web.HTTPException:
    """409 with the reason for the script; back to the page with the reason for a form."""
    if sessions.wants_data(request):
        message = Translator(await pages.language(request))(key, **fields)
        return web.HTTPConflict(
            text=web.json_response({"error": {"code": key, "message": message}}).text,
            content_type="application/json",
        )
    await pages.flash(request, key, "error", **fields)
    return web.HTTPSeeOther(_page_of(request))


def _page_of(request: web.Request) -> str:
    conversation_id = request.match_info["conversation_id"]
    return str(request.app.router["conversation"].url_for(conversation_id=conversation_id))


def _mine(view: ConversationView, agent_id: int) -> bool:
    conversation = view.conversation
    return conversation.state == State.WITH_AGENT and conversation.agent_id == agent_id


def _canned_by_language(first: str) -> list[tuple[str, list[canned.CannedReply]]]:
    """The ready-made replies grouped by language, the person's language first."""
    replies = canned.canned_replies()
    order = [first, *(lang for lang in ("fr", "nl", "en") if lang != first)]
    return [(lang, replies) for lang in order]


def _window_closed(view: ConversationView, now: datetime) -> bool:
    """On WhatsApp, whether the person's last message is older than WhatsApp's window."""
    if view.conversation.channel != WHATSAPP_CHANNEL:
        return False
    written = [m.created_at for m in view.messages if m.author == Author.PERSON]
    return not written or now - max(written) > WHATSAPP_WINDOW


def _short(conversation_id: str) -> str:
    """A short name for a conversation, enough to tell it from the others on screen."""
    return conversation_id[-8:]
