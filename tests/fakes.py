"""A stand-in for the Rasa server and action server, for tests that need a brain that
misbehaves on purpose (down, slow, restarting). Integration tests use the real one."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from voice.languages import Language

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
    """Records what it received; `delay` makes it slow, `reply` decides what it says.

    Like Rasa, it keeps each conversation's events (the person's message with its
    metadata, then what it said) and serves them at /conversations/{id}/tracker.
    `fail_after_processing` answers HTTP 500 after processing: the hub cannot tell
    whether the message was taken, as when Rasa's answer is lost on the way; `down`
    answers HTTP 503 to everything, without processing; `actions_down` plays an action
    server that is down: like Rasa then, the message is taken, nothing is said;
    `empty_after_processing` processes the message but answers an empty list.
    """

    reply: Reply = echo
    delay: float = 0.0
    fail_after_processing: bool = False
    down: bool = False
    actions_down: bool = False
    empty_after_processing: bool = False
    received: list[dict[str, Any]] = field(default_factory=list)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        app.router.add_get("/conversations/{sender}/tracker", self._tracker)
        app.router.add_get("/status", self._status)
        app.router.add_get("/health", self._health)
        return app

    async def _tracker(self, request: web.Request) -> web.Response:
        if self.down:
            raise web.HTTPServiceUnavailable()
        sender = request.match_info["sender"]
        return web.json_response({"sender_id": sender, "events": self.events.get(sender, [])})

    async def _status(self, _: web.Request) -> web.Response:
        return web.json_response({"model_file": "fake.tar.gz"})

    async def _health(self, _: web.Request) -> web.Response:
        if self.actions_down:
            raise web.HTTPServiceUnavailable()
        return web.json_response({"status": "ok"})

    async def _webhook(self, request: web.Request) -> web.Response:
        if self.down:
            raise web.HTTPServiceUnavailable()
        body = await request.json()
        self.received.append(body)
        if self.delay:
            await asyncio.sleep(self.delay)
        metadata = body.get("metadata") or {}
        items = [] if self.actions_down else self.reply(body["message"], metadata)
        self.events.setdefault(body["sender"], []).extend(
            [
                {"event": "user", "text": body["message"], "metadata": metadata},
                *({"event": "bot", "text": i.get("text"), "data": i} for i in items),
            ]
        )
        if self.fail_after_processing:
            raise web.HTTPInternalServerError()
        return web.json_response([] if self.empty_after_processing else items)

    async def start(self, bound: socket.socket | None = None) -> int:
        """Listen on `bound` (a socket bound to a local port), or on a new free port;
        return the port. A socket bound ahead keeps the port from being taken meanwhile."""
        if bound is None:
            bound = reserve_port()
        self.runner = web.AppRunner(self.app(), access_log=None)
        await self.runner.setup()
        await web.SockSite(self.runner, bound).start()
        return bound.getsockname()[1]

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    @property
    def texts(self) -> list[str]:
        return [body["message"] for body in self.received]


def reserve_port() -> socket.socket:
    """A socket bound to a free local port, not listening: connections to it are refused
    (a brain that is down) and no other program can take the port until it is closed."""
    bound = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    bound.bind(("127.0.0.1", 0))
    return bound


class StandInModels:
    """A model for every language (its name), for stand-in recognisers."""

    def available(self, language: Language) -> bool:
        return True

    def load(self, language: Language) -> Language:
        return language

    def rate(self, language: Language) -> int:
        return 16000
