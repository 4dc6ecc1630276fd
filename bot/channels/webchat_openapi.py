"""The OpenAPI 3.1 document of the web chat API, served at /api/openapi.json."""

from __future__ import annotations

from typing import Any

from bot.settings import LANGUAGES, Settings

API_VERSION = "1.2.0"  # 1.1: the live event stream; 1.2: Idempotency-Key (both additive)
# A message id as the API takes it: up to 18 digits (bot/channels/webchat.py MESSAGE_ID).
_MESSAGE_ID = {"type": "integer", "minimum": 0, "maximum": 10**18 - 1}
# Any operation may meet a problem of the server (its database unreachable, say).
_UNAVAILABLE = "The service is having a problem; try again after Retry-After seconds."
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "The client's name for this message (a new UUID per message). A message "
    "sent again with the same key in the same conversation (a retry after a network "
    "error) is not stored or answered again: the answer is the first one's, waited for "
    "if it is still being made.",
    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.:-]{1,64}$"},
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _schemas(max_text_chars: int) -> dict[str, Any]:
    button = {
        "type": "object",
        "required": ["title", "payload"],
        "properties": {
            "title": {"type": "string", "description": "What the button shows."},
            "payload": {"type": "string", "description": "Send this as `text` when pressed."},
        },
    }
    reply = {
        "type": "object",
        "required": ["id", "text", "buttons"],
        "properties": {
            "id": {"type": "integer", "description": "Message id, increasing in a conversation."},
            "text": {"type": "string"},
            "buttons": {"type": "array", "items": {"$ref": "#/components/schemas/Button"}},
        },
    }
    summary = {
        "conversation_id": {"type": "string"},
        "language": {"type": "string", "enum": list(LANGUAGES)},
        "state": {"type": "string", "enum": ["bot", "waiting_for_agent", "with_agent", "closed"]},
    }
    return {
        "Button": button,
        "Reply": reply,
        "TranscriptMessage": {
            "allOf": [
                {"$ref": "#/components/schemas/Reply"},
                {
                    "type": "object",
                    "required": ["author", "created_at"],
                    "properties": {
                        "author": {"type": "string", "enum": ["person", "bot", "agent", "system"]},
                        "created_at": {"type": "string", "format": "date-time"},
                    },
                },
            ]
        },
        "NewMessage": {
            "type": "object",
            "required": ["text"],
            "properties": {
                "text": {"type": "string", "minLength": 1, "maxLength": max_text_chars},
                "language": {
                    "type": ["string", "null"],
                    "enum": [*LANGUAGES, None],
                    "description": "The person's explicit language choice; null lets Loket decide.",
                },
            },
        },
        "Answer": {
            "type": "object",
            "required": ["conversation_id", "language", "state", "replies"],
            "properties": {
                **summary,
                "replies": {"type": "array", "items": {"$ref": "#/components/schemas/Reply"}},
            },
        },
        "Conversation": {
            "type": "object",
            "required": ["conversation_id", "language", "state", "messages"],
            "properties": {
                **summary,
                "messages": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/TranscriptMessage"},
                },
            },
        },
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
                }
            },
        },
    }


_EVENTS_DESCRIPTION = """\
Server-sent events (`text/event-stream`), for as long as the client listens. First the \
messages after `Last-Event-ID` (else after `after`), then `event: state` with the \
current state, then live events as they happen:

- `event: message`, `id: <message id>`, `data:` a TranscriptMessage (an agent's reply, \
a late answer, the person's own messages and the bot's replies); each id is sent once;
- `event: state`, `data: {"state": "..."}` when the state changes;
- a comment line (`: heartbeat`) every 15 seconds.

A browser's EventSource reconnects by itself and sends `Last-Event-ID`: nothing is lost \
or repeated. Clients that poll the transcript keep working."""


def _events_path(conversation_id: dict[str, Any]) -> dict[str, Any]:
    after = {
        "name": "after",
        "in": "query",
        "required": False,
        "description": "Start after this message id (ignored when Last-Event-ID is sent).",
        "schema": _MESSAGE_ID,
    }
    last_event_id = {
        "name": "Last-Event-ID",
        "in": "header",
        "required": False,
        "description": "The last message id received; sent by EventSource on reconnect.",
        "schema": _MESSAGE_ID,
    }
    return {
        "get": {
            "summary": "Live messages and state of a conversation",
            "operationId": "streamConversation",
            "description": _EVENTS_DESCRIPTION,
            "parameters": [conversation_id, after, last_event_id],
            "responses": {
                "200": {
                    "description": "The event stream.",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                },
                "404": _error("No such web chat conversation (start it with a message)."),
                "422": _error("Invalid conversation id, 'after' or Last-Event-ID."),
                "503": _error(_UNAVAILABLE),
            },
        }
    }


def openapi_document(settings: Settings) -> dict[str, Any]:
    """The document, with the limits that this hub's settings impose."""
    conversation_id = {
        "name": "conversation_id",
        "in": "path",
        "required": True,
        "description": "Chosen by the client; an unknown id starts a conversation.",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Loket web chat API",
            "version": API_VERSION,
            "description": "Talk to Loket, the helpdesk assistant for public procedures.",
        },
        "paths": {
            "/api/conversations/{conversation_id}/messages": {
                "post": {
                    "summary": "Send a message and get Loket's replies",
                    "operationId": "postMessage",
                    "parameters": [conversation_id, _IDEMPOTENCY_KEY],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/NewMessage"}
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "Stored and answered (a holding reply if slow).",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Answer"}
                                }
                            },
                        },
                        "400": _error("The body is not a JSON object."),
                        "409": _error("The id belongs to a conversation of another channel."),
                        "413": _error(f"The text is longer than {settings.max_text_chars}."),
                        "422": _error("Invalid conversation id, text, language or key."),
                        "429": _error("Too many messages; see Retry-After."),
                        "503": _error(_UNAVAILABLE),
                    },
                }
            },
            "/api/conversations/{conversation_id}/events": _events_path(conversation_id),
            "/api/conversations/{conversation_id}": {
                "get": {
                    "summary": "Transcript and state of a conversation",
                    "operationId": "getConversation",
                    "parameters": [
                        conversation_id,
                        {
                            "name": "after",
                            "in": "query",
                            "required": False,
                            "description": "Only messages with a larger id.",
                            "schema": _MESSAGE_ID,
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The conversation.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Conversation"}
                                }
                            },
                        },
                        "404": _error("No such conversation."),
                        "422": _error("Invalid conversation id or 'after'."),
                        "503": _error(_UNAVAILABLE),
                    },
                }
            },
        },
        "components": {"schemas": _schemas(settings.max_text_chars)},
    }
