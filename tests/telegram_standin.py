"""A local stand-in of the Telegram Bot API (https://core.telegram.org/bots/api).

The methods Loket calls, at `/bot<token>/<method>` with their parameters as a query
string, a form or JSON (python-telegram-bot posts forms whose non-string values are
JSON), each answered `{"ok": true, "result": ...}` with real Bot API shapes, or
`{"ok": false, "error_code": ..., "description": ...}` as Telegram words its errors:

getMe, sendMessage (403 for a chat in `blocked`), answerCallbackQuery, getFile and the
file download at `/file/bot<token>/<file_path>`, setWebhook, deleteWebhook,
getUpdates (long polling with offset; 409 while a webhook is set), setMyCommands.

Every call is recorded in `calls`, in order. Tests point python-telegram-bot's Bot at it
with `LOKET_TELEGRAM_API_BASE_URL`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

TOKEN = "123456789:AAHstand-in-token_for_tests_only-xyz"
BOT_USER = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Loket",
    "username": "loket_standin_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

# Parameters whose values are objects or lists: JSON-encoded in a query string or form.
_JSON_PARAMS = frozenset({"reply_markup", "allowed_updates", "commands"})


@dataclass(frozen=True)
class Call:
    """One Bot API call: the method and its parameters (JSON values decoded)."""

    method: str
    params: dict[str, Any]


@dataclass
class TelegramStandIn:
    """The Bot API of one bot; `calls` holds what it was asked, `files` what it serves."""

    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    blocked: set[int] = field(default_factory=set)
    webhook: dict[str, Any] = field(default_factory=dict)
    server: TestServer | None = None
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _new_update: asyncio.Event = field(default_factory=asyncio.Event)
    _message_ids: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        return app

    async def start(self) -> str:
        """Serve on a free local port; the base URL for LOKET_TELEGRAM_API_BASE_URL."""
        self.server = TestServer(self.app(), host="127.0.0.1")
        await self.server.start_server()
        return str(self.server.make_url("")).rstrip("/")

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None

    # ---------------------------------------------------------------- for tests

    def push_update(self, update: dict[str, Any]) -> None:
        """An update for getUpdates to hand out (polling)."""
        self._updates.append(update)
        self._new_update.set()

    def called(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call of `method`, in order."""
        return [call.params for call in self.calls if call.method == method]

    def sent(self, chat_id: int) -> list[dict[str, Any]]:
        """The sendMessage calls to one chat (refused ones too, for a blocked chat)."""
        return [p for p in self.called("sendMessage") if int(p["chat_id"]) == chat_id]

    def texts(self, chat_id: int) -> list[str]:
        """The texts sent to one chat, in order."""
        return [p["text"] for p in self.sent(chat_id)]

    async def wait_for(self, method: str, count: int = 1, seconds: float = 10.0) -> None:
        """Until `method` has been called `count` times (the hub works in the background)."""
        deadline = time.monotonic() + seconds
        while len(self.called(method)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{method} called {len(self.called(method))}, not {count}")
            await asyncio.sleep(0.02)

    # ---------------------------------------------------------------- the Bot API

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append(Call(method, params))
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return _error(404, "Not Found")
        return await handler(params)

    async def _getMe(self, _: dict[str, Any]) -> web.Response:
        return _ok(BOT_USER)

    async def _sendMessage(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        text = params.get("text", "")
        if not text or len(text.encode("utf-16-le")) // 2 > 4096:
            return _error(400, "Bad Request: message text is empty or too long")
        self._message_ids += 1
        message = {
            "message_id": self._message_ids,
            "from": BOT_USER,
            "chat": {"id": chat_id, "first_name": "Person", "type": "private"},
            "date": int(time.time()),
            "text": text,
        }
        if "reply_markup" in params:
            for row in params["reply_markup"]["inline_keyboard"]:
                for button in row:
                    if len(button.get("callback_data", "").encode()) > 64:
                        return _error(400, "Bad Request: BUTTON_DATA_INVALID")
            message["reply_markup"] = params["reply_markup"]
        return _ok(message)

    async def _answerCallbackQuery(self, _: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _setMyCommands(self, _: dict[str, Any]) -> web.Response:
        return _ok(True)

    async def _getFile(self, params: dict[str, Any]) -> web.Response:
        file_id = params["file_id"]
        if file_id not in self.files:
            return _error(400, "Bad Request: invalid file_id")
        return _ok(
            {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_size": len(self.files[file_id]),
                "file_path": f"voice/{file_id}.oga",
            }
        )

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        file_id = request.match_info["path"].removeprefix("voice/").removesuffix(".oga")
        if file_id not in self.files:
            raise web.HTTPNotFound()
        return web.Response(body=self.files[file_id], content_type="audio/ogg")

    async def _setWebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = params
        return _ok(True)

    async def _deleteWebhook(self, _: dict[str, Any]) -> web.Response:
        self.webhook = {}
        return _ok(True)

    async def _getUpdates(self, params: dict[str, Any]) -> web.Response:
        if self.webhook:
            return _error(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]  # confirmed
        if not self._updates:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):  # an empty long poll: an empty list
                await asyncio.wait_for(self._new_update.wait(), int(params.get("timeout") or 0))
        return _ok(list(self._updates))


async def _params(request: web.Request) -> dict[str, Any]:
    """A call's parameters from the query, a form or a JSON body; JSON-encoded values decoded."""
    raw: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        raw |= await request.json()
    elif request.can_read_body:
        raw |= {name: value for name, value in (await request.post()).items()}
    return {
        name: json.loads(value) if name in _JSON_PARAMS and isinstance(value, str) else value
        for name, value in raw.items()
    }


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": code, "description": description}, status=code
    )
