"""The hub's client for the brain: the Rasa servers and their action server.

With several Rasa servers (Settings.rasa_servers, on one tracker store and one Redis lock
store), each message goes to the next one in turn, those that failed lately last. A
message moves on to another server only when the one before surely is not processing it:
the connection was refused (it never got it), or it answered HTTP 5xx (done with it, and
perhaps processed it: the next server's tracker is asked first, so it is never processed
twice). After a timeout or a broken connection the server may still be processing it:
the message is kept, and replayed later through the tracker look-up (service.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from math import inf
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.settings import Settings

log = logging.getLogger(__name__)
# The key of the hub's message id in the metadata of each message sent to Rasa.
MESSAGE_ID = "loket_message_id"


FAILED_RECENTLY_SECONDS = 30.0
"""A Rasa server that failed is tried after the others for this long."""


class BrainUnavailable(Exception):
    """Rasa could not be reached or did not answer properly; the message was not processed."""


class RasaUnreached(BrainUnavailable):
    """One Rasa server refused the connection: it never got the request."""


class RasaFailed(BrainUnavailable):
    """One Rasa server answered HTTP 5xx: it is done with the request, perhaps processed it."""


@dataclass(frozen=True)
class BrainReply:
    """One reply of the brain: its text and buttons ({"title", "payload"})."""

    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class BrainAnswer:
    """What the brain said: replies for the person, and signals for the hub."""

    replies: list[BrainReply]
    signals: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Readiness:
    """Whether each part of the brain can serve a person now."""

    model_loaded: bool
    action_server: bool

    @property
    def ready(self) -> bool:
        """Both parts answer."""
        return self.model_loaded and self.action_server


def _unobserved(outcome: str, seconds: float) -> None:
    """Nobody measures this client (a script or a test without the hub's metrics)."""


class BrainClient:
    """Sends a person's message to Rasa's REST channel and reads its answer."""

    PROBE_TIMEOUT = aiohttp.ClientTimeout(total=2)

    def __init__(self, settings: Settings) -> None:
        self._servers = settings.rasa_servers
        self._turn = 0  # the server the next message goes to first
        self._failed_at: dict[str, float] = {}
        self._actions = settings.action_server_url.rstrip("/")
        self._token = settings.rasa_token.get_secret_value()
        self._session: aiohttp.ClientSession | None = None
        # The hub's metrics set this: (outcome, seconds) of each message sent to Rasa.
        self.observe: Callable[[str, float], None] = _unobserved
        # Bounded, so a stuck Rasa never holds a conversation for long; never shorter than
        # the wait before the holding reply, so an answer in time is never cut off.
        self._request_timeout = aiohttp.ClientTimeout(
            total=max(settings.brain_request_timeout, settings.brain_timeout), connect=2
        )

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        """Close the HTTP connections."""
        if self._session is not None:
            await self._session.close()

    async def send(
        self, conversation_id: str, message_id: str, text: str, metadata: dict[str, Any]
    ) -> BrainAnswer:
        """Send one message and return the brain's answer, or raise BrainUnavailable."""
        started = time.perf_counter()
        outcome = "unavailable"
        try:
            answer = await self._send(conversation_id, message_id, text, metadata)
            outcome = "answered"
            return answer
        finally:
            self.observe(outcome, time.perf_counter() - started)

    async def _send(
        self, conversation_id: str, message_id: str, text: str, metadata: dict[str, Any]
    ) -> BrainAnswer:
        """One message to the Rasa servers in turn, until one answers (see the module's
        docstring for when it moves on); BrainUnavailable when none does."""
        body = {
            "sender": conversation_id,
            "message": text,
            "metadata": {**metadata, MESSAGE_ID: message_id},
        }
        maybe_processed = False
        failure: BrainUnavailable | None = None
        for server in self._next_turn():
            try:
                if maybe_processed:
                    return await self._unless_processed(server, body, self._send_to)
                return await self._send_to(server, body)
            except RasaFailed as error:
                maybe_processed, failure = True, error
            except RasaUnreached as error:
                failure = error
        raise BrainUnavailable(f"no Rasa server answered; the last: {failure}")

    async def _send_to(self, server: str, body: dict[str, Any]) -> BrainAnswer:
        """One message to one Rasa server's REST channel and its parsed answer.

        Rasa's REST channel takes no message id of its own, but it keeps the metadata in the
        message's `user` event: `message_id` there lets `processed` find the message later.
        """
        items = await self._webhook(server, body)
        if not items:
            # Rasa goes on without a custom action it cannot reach and answers nothing
            # ("the action's events are lost"); every turn of Loket's brain says
            # something, so nothing moved. Action server down: the message is kept and
            # sent again later. Up: it came back since Rasa tried; sent again now, once.
            if not await self._actions_up():
                raise BrainUnavailable("Rasa answered nothing: its action server is down")
            # Its tracker tells whether the action ran after all (then its answer is there).
            return await self._unless_processed(server, body, self._send_again)
        log.debug("Rasa at %s answered", server)
        return parse_answer(items)

    async def _send_again(self, server: str, body: dict[str, Any]) -> BrainAnswer:
        """The message once more, after Rasa answered nothing while its action server was
        down and it is up again: once, whatever Rasa answers this time."""
        log.warning("Rasa at %s answered nothing; its action server is back: sent again", server)
        return parse_answer(await self._webhook(server, body))

    async def _unless_processed(
        self,
        server: str,
        body: dict[str, Any],
        send: Callable[[str, dict[str, Any]], Awaitable[BrainAnswer]],
    ) -> BrainAnswer:
        """The answer `server`'s tracker holds for the message in `body`, if it was processed
        (never processed twice); otherwise what `send(server, body)` answers."""
        message_id = body["metadata"][MESSAGE_ID]
        answer = await self._processed_on(server, body["sender"], message_id)
        return answer if answer is not None else await send(server, body)

    async def _webhook(self, server: str, body: dict[str, Any]) -> list[Any]:
        """What one Rasa server's REST channel answers to one message."""
        items = await self._request(server, "POST", "/webhooks/rest/webhook", json=body)
        if not isinstance(items, list):
            raise BrainUnavailable("Rasa answered something other than a list")
        return items

    async def _request(self, server: str, method: str, path: str, **options: Any) -> Any:
        """The JSON body of Rasa's answer to one request; a server that does not give one
        is marked as failed lately."""
        try:
            async with self._http().request(
                method, server + path, timeout=self._request_timeout, **options
            ) as response:
                if response.status >= 500:
                    raise RasaFailed(f"Rasa at {server} answered HTTP {response.status}")
                if response.status != 200:
                    raise BrainUnavailable(f"Rasa at {server} answered HTTP {response.status}")
                return await response.json()
        except aiohttp.ClientConnectorError as error:
            unreached = RasaUnreached(f"Rasa at {server} unreachable: {error!r}")
            raise self._failed(unreached, server) from error
        except RasaFailed as error:
            raise self._failed(error, server) from None
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            reason = BrainUnavailable(f"Rasa at {server} did not answer: {error!r}")
            raise self._failed(reason, server) from error

    def _next_turn(self) -> list[str]:
        """Every Rasa server, the next in turn first (round-robin), those that failed lately
        last."""
        start = self._turn % len(self._servers)
        self._turn += 1
        return self._healthy_first(self._servers[start:] + self._servers[:start])

    def _healthy_first(self, servers: list[str]) -> list[str]:
        """`servers` in the same order, but those that failed lately last."""
        return sorted(servers, key=self._failed_lately)

    def _failed_lately(self, server: str) -> bool:
        return time.monotonic() - self._failed_at.get(server, -inf) < FAILED_RECENTLY_SECONDS

    def _failed(self, error: BrainUnavailable, server: str) -> BrainUnavailable:
        """`error`, once `server` is noted as failed lately (and logged, if it was not)."""
        if not self._failed_lately(server):
            log.warning("%s; it is asked last for %.0f s", error, FAILED_RECENTLY_SECONDS)
        self._failed_at[server] = time.monotonic()
        return error

    async def _actions_up(self) -> bool:
        health = await self._get_json(f"{self._actions}/health", {})
        return bool(health and health.get("status") == "ok")

    async def processed(self, conversation_id: str, message_id: str) -> BrainAnswer | None:
        """What the brain answered to a message it has already processed, from its tracker;
        None when the message is not there (it was never processed: send it).

        Any Rasa server can tell (they share one tracker store): the next one is asked when
        one does not answer. Raises BrainUnavailable when none can: then nobody can tell.
        """
        error = BrainUnavailable("no Rasa server to ask")
        for server in self._healthy_first(self._servers):
            try:
                return await self._processed_on(server, conversation_id, message_id)
            except BrainUnavailable as failure:
                error = failure
        raise error

    async def _processed_on(
        self, server: str, conversation_id: str, message_id: str
    ) -> BrainAnswer | None:
        """`processed`, asked of one Rasa server."""
        path = f"/conversations/{quote(conversation_id, safe='')}/tracker"
        params = {"include_events": "ALL"} | ({"token": self._token} if self._token else {})
        tracker = await self._request(server, "GET", path, params=params)
        events = tracker.get("events") if isinstance(tracker, dict) else None
        return answer_in_events(events or [], message_id)

    async def readiness(self) -> Readiness:
        """Ask the Rasa servers whether one has a model loaded, the action server whether
        it is up: one Rasa server is enough to answer everyone."""
        params = {"token": self._token} if self._token else {}
        actions_up, *statuses = await asyncio.gather(
            self._actions_up(),
            *(self._get_json(f"{server}/status", params) for server in self._servers),
        )
        return Readiness(
            model_loaded=any(status and status.get("model_file") for status in statuses),
            action_server=actions_up,
        )

    async def _get_json(self, url: str, params: dict[str, str]) -> dict[str, Any] | None:
        try:
            async with self._http().get(url, params=params, timeout=self.PROBE_TIMEOUT) as response:
                if response.status != 200:
                    return None
                body = await response.json(content_type=None)
                return body if isinstance(body, dict) else None
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None


def answer_in_events(events: list[Any], message_id: str) -> BrainAnswer | None:
    """The bot's utterances after the `user` event of `message_id` (up to the next one),
    as the REST channel would have returned them; None when no such event is there.

    Also None when the event is there but no utterance follows it: every turn of Loket's
    brain says something or signals the hub, so Rasa took the message while its action
    server was down and the action never ran (nothing changed): it is sent again.
    """
    items: list[dict[str, Any]] | None = None
    for event in events:
        if not isinstance(event, dict):
            continue
        if event.get("event") == "user":
            if items is not None:
                break
            if (event.get("metadata") or {}).get(MESSAGE_ID) == message_id:
                items = []
        elif event.get("event") == "bot" and items is not None:
            items.append({**(event.get("data") or {}), "text": event.get("text")})
    return parse_answer(items) if items else None


def parse_answer(items: list[Any]) -> BrainAnswer:
    """Split Rasa's REST output into replies and hub signals (custom payload "loket")."""
    replies: list[BrainReply] = []
    signals: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, dict):
            continue
        custom = item.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("loket"), dict):
            signals.update(custom["loket"])
        if item.get("text"):
            buttons = [
                {"title": str(b["title"]), "payload": str(b["payload"])}
                for b in item.get("buttons") or []
                if isinstance(b, dict) and "title" in b and "payload" in b
            ]
            replies.append(BrainReply(text=str(item["text"]), buttons=buttons))
    return BrainAnswer(replies=replies, signals=signals)
