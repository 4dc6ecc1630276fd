"""The web chat channel: the public JSON API (docs/web-chat-api.md) and the chat page."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.appkeys import service_key, settings_key
from bot.channels import webchat_stream
from bot.channels.webchat_openapi import openapi_document
from bot.conversations.events import conversation_topic
from bot.conversations.inbound import InboundMessage
from bot.conversations.store import ChannelMismatch
from bot.errors import ApiError
from bot.proxies import client_addresses_key
from bot.ratelimit import MessageLimits
from bot.settings import Language

if TYPE_CHECKING:
    from bot.conversations.records import ConversationRecord, MessageRecord
from bot.conversations.service import ConversationService

CHANNEL = "webchat"
WEB_DIR = Path(__file__).resolve().parent.parent / "web"
CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# ASCII digits only (str.isdigit() accepts "²"), and small enough for a 64-bit column.
MESSAGE_ID = re.compile(r"[0-9]{1,18}")
# The client's name for a message (a UUID, say): a retry with it is never a second turn.
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,64}")

limits_key = web.AppKey("limits", MessageLimits)


class PostedMessage(BaseModel):
    """The body of POST /api/conversations/{id}/messages."""

    model_config = ConfigDict(extra="ignore", strict=True)

    text: str
    language: Language | None = None


def setup(app: web.Application) -> None:
    """Add the web chat's routes to the hub."""
    app.router.add_post("/api/conversations/{conversation_id}/messages", post_message)
    app.router.add_get("/api/conversations/{conversation_id}", get_conversation)
    app.router.add_get("/api/conversations/{conversation_id}/events", get_events)
    app.router.add_get("/api/openapi.json", get_openapi)
    app.router.add_get("/chat", get_chat_page)
    app.router.add_get("/", go_to_chat)
    app.router.add_static("/static", WEB_DIR / "static")


async def post_message(request: web.Request) -> web.Response:
    """A person sends a message; the answer holds the bot's replies."""
    conversation_id = _conversation_id(request)
    settings = request.app[settings_key]
    idempotency_key = _idempotency_key(request)
    posted = _parse_body(await request.read(), settings.max_text_chars)
    client = request.config_dict[client_addresses_key].client(request)
    if wait := await request.app[limits_key].retry_after(client, conversation_id):
        raise ApiError(
            429,
            "too_many_requests",
            "Too many messages in a short time. Please wait a moment and try again.",
            **{"Retry-After": str(wait)},
        )
    try:
        turn = await request.app[service_key].handle(
            InboundMessage(
                conversation_id,
                CHANNEL,
                posted.text,
                language=posted.language,
                idempotency_key=idempotency_key,
            )
        )
    except ChannelMismatch:  # another channel's conversation: never joined from here
        raise ApiError(
            409, "conversation_id_taken", "This conversation id is taken. Choose another one."
        ) from None
    return web.json_response(
        {**_summary(turn.conversation), "replies": [_reply(m) for m in turn.replies]}
    )


async def get_conversation(request: web.Request) -> web.Response:
    """The transcript and state; `?after=<message id>` returns only newer messages."""
    conversation_id = _conversation_id(request)
    after = _after(request)
    service = request.app[service_key]
    conversation = await _webchat_conversation(service, conversation_id)
    messages = await service.messages(conversation_id, after=after)
    return web.json_response({**_summary(conversation), "messages": [m.public() for m in messages]})


async def get_events(request: web.Request) -> web.StreamResponse:
    """The conversation live, as server-sent events: what the client missed, then news.

    Resumes after the `Last-Event-ID` header (sent by a reconnecting EventSource) or
    else after `?after=<message id>`.
    """
    conversation_id = _conversation_id(request)
    after = _after(request, resume=True)
    service = request.app[service_key]
    # Subscribe before reading the store: a message stored in between is then in the
    # store's answer or on the bus (or both: the stream sends each id once).
    with service.events.subscribe(conversation_topic(conversation_id)) as events:
        conversation = await _webchat_conversation(service, conversation_id)
        missed = await service.messages(conversation_id, after=after)
        return await webchat_stream.stream(request, events, missed, conversation.state)


async def get_openapi(request: web.Request) -> web.Response:
    """The OpenAPI document of this API."""
    return web.json_response(openapi_document(request.app[settings_key]))


async def go_to_chat(_: web.Request) -> web.Response:
    """The home page is the web chat."""
    raise web.HTTPFound("/chat")


async def get_chat_page(_: web.Request) -> web.FileResponse:
    """The web chat page."""
    return web.FileResponse(WEB_DIR / "chat.html")


def _conversation_id(request: web.Request) -> str:
    conversation_id = request.match_info["conversation_id"]
    if not CONVERSATION_ID.match(conversation_id):
        raise ApiError(
            422,
            "invalid_conversation_id",
            "The conversation id must be 1 to 64 characters: letters, digits, '-' or '_'.",
        )
    return conversation_id


def _idempotency_key(request: web.Request) -> str | None:
    """The `Idempotency-Key` header, if the client sent one."""
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        raise ApiError(
            422,
            "invalid_idempotency_key",
            "'Idempotency-Key' must be 1 to 64 characters: letters, digits, '_', '.', ':' or '-'.",
        )
    return key


def _after(request: web.Request, resume: bool = False) -> int:
    """The message id to start after: `?after=`, or with `resume` a `Last-Event-ID` header."""
    last_event_id = request.headers.get("Last-Event-ID", "").strip() if resume else ""
    if last_event_id:  # a reconnect: newer than the ?after= of the first connection
        if not MESSAGE_ID.fullmatch(last_event_id):
            raise ApiError(422, "invalid_last_event_id", "'Last-Event-ID' must be a message id.")
        return int(last_event_id)
    after = request.query.get("after", "0")
    if not MESSAGE_ID.fullmatch(after):
        raise ApiError(422, "invalid_after", "'after' must be a message id (a whole number).")
    return int(after)


async def _webchat_conversation(
    service: ConversationService, conversation_id: str
) -> ConversationRecord:
    """The conversation, or 404: unknown, or of another channel (calls are not shown here)."""
    conversation = await service.conversation(conversation_id)
    if conversation is None or conversation.channel != CHANNEL:
        raise ApiError(404, "not_found", "This conversation does not exist.")
    return conversation


def _parse_body(raw: bytes, max_text_chars: int) -> PostedMessage:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "malformed_json", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "malformed_json", 'The body must be a JSON object: {"text": "..."}.')
    text = body.get("text")
    if isinstance(text, str) and len(text) > max_text_chars:
        raise ApiError(
            413, "text_too_long", f"The message is too long: at most {max_text_chars} characters."
        )
    try:
        posted = PostedMessage.model_validate(body)
    except ValidationError as error:
        field = str(error.errors()[0]["loc"][0])
        raise ApiError(422, f"invalid_{field}", _FIELD_PROBLEMS[field]) from None
    if not posted.text.strip():
        raise ApiError(422, "invalid_text", _FIELD_PROBLEMS["text"])
    return posted


_FIELD_PROBLEMS = {
    "text": "'text' must be a non-empty string.",
    "language": '\'language\' must be "fr", "nl", "en" or null.',
}


def _summary(conversation: ConversationRecord) -> dict[str, Any]:
    return {
        "conversation_id": conversation.id,
        "language": conversation.language,
        "state": conversation.state,
    }


def _reply(message: MessageRecord) -> dict[str, Any]:
    return {"id": message.id, "text": message.text, "buttons": message.buttons}


class LiveStreamSender:
    """The web chat's outbound sender: the core publishes every message on the person's
    live stream (GET .../events) and keeps it in the transcript for pages that poll, so
    a message is with the person once stored."""

    async def send(self, conversation: ConversationRecord, message: MessageRecord) -> bool:
        """Nothing more to do: the page gets the message from the stream or the transcript."""
        return True
