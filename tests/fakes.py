"""A stand-in for the Rasa server and action server, for tests that need a brain that
misbehaves on purpose (down, slow, restarting). Integration tests use the real one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

Reply = Callable[[str, dict[str, Any]], list[dict[str, Any]]]
# What action_goodbye sends besides its words: the hub's signal that the person said goodbye.
FAREWELL_SIGNAL = {"custom": {"loket": {"farewell": "said"}}}


def echo(text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """Answer with the text and language received, and two buttons."""
    return [
        {
            "text": f"echo[{metadata.get('language')}]: {text}",
            "buttons": [
                {"title": "Next", "payload": "/step_next"},
                {"title": "Menu", "payload": "/ask_capabilities"},
            ],
        }
    ]


@dataclass
class FakeBrain:
    """Records what it received; `delay` makes it slow, `reply` decides what it says."""

    reply: Reply = echo
    delay: float = 0.0
    received: list[dict[str, Any]] = field(default_factory=list)
    server: TestServer | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        app.router.add_get("/status", self._status)
        app.router.add_get("/health", self._health)
        return app

    async def _status(self, _: web.Request) -> web.Response:
        return web.json_response({"model_file": "fake.tar.gz"})

    async def _health(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.received.append(body)
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.json_response(self.reply(body["message"], body.get("metadata") or {}))

    async def start(self, port: int) -> None:
        self.server = TestServer(self.app(), host="127.0.0.1", port=port)
        await self.server.start_server()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None

    @property
    def texts(self) -> list[str]:
        return [body["message"] for body in self.received]
