"""The hub's client for the brain: the Rasa server and its action server, on localhost."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.settings import Settings

log = logging.getLogger(__name__)
# The key of the hub's message id in the metadata of each message sent to Rasa.
MESSAGE_ID = "loket_message_id"


class BrainUnavailable(Exception):
    """Rasa could not be reached or did not answer properly; the message was not processed."""


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
        self._rasa = settings.rasa_url.rstrip("/")
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
        """One message to Rasa's REST channel and its parsed answer.

        Rasa's REST channel takes no message id of its own, but it keeps the metadata in the
        message's `user` event: `message_id` there lets `processed` find the message later.
        """
        body = {
            "sender": conversation_id,
            "message": text,
            "metadata": {**metadata, MESSAGE_ID: message_id},
        }
        url = f"{self._rasa}/webhooks/rest/webhook"
        try:
            async with self._http().post(url, json=body, timeout=self._request_timeout) as response:
                if response.status != 200:
                    raise BrainUnavailable(f"Rasa answered HTTP {response.status}")
                items = await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise BrainUnavailable(f"Rasa unreachable: {error!r}") from error
        if not isinstance(items, list):
            raise BrainUnavailable("Rasa answered something other than a list")
        if not items and not await self._actions_up():
            # Rasa goes on without a custom action it cannot reach and answers nothing
            # ("the action's events are lost"): the message is kept and sent again later.
            raise BrainUnavailable("Rasa answered nothing: its action server is down")
        return parse_answer(items)

    async def _actions_up(self) -> bool:
        health = await self._get_json(f"{self._actions}/health", {})
        return bool(health and health.get("status") == "ok")

    async def processed(self, conversation_id: str, message_id: str) -> BrainAnswer | None:
        """What the brain answered to a message it has already processed, from its tracker;
        None when the message is not there (it was never processed: send it).

        Raises BrainUnavailable when the tracker cannot be read: then nobody can tell.
        """
        url = f"{self._rasa}/conversations/{quote(conversation_id, safe='')}/tracker"
        params = {"include_events": "ALL"} | ({"token": self._token} if self._token else {})
        try:
            async with self._http().get(
                url, params=params, timeout=self._request_timeout
            ) as response:
                if response.status != 200:
                    raise BrainUnavailable(f"Rasa's tracker answered HTTP {response.status}")
                tracker = await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise BrainUnavailable(f"Rasa's tracker unreachable: {error!r}") from error
        events = tracker.get("events") if isinstance(tracker, dict) else None
        return answer_in_events(events or [], message_id)

    async def readiness(self) -> Readiness:
        """Ask Rasa whether a model is loaded and the action server whether it is up."""
        status, actions_up = await asyncio.gather(
            self._get_json(f"{self._rasa}/status", {"token": self._token} if self._token else {}),
            self._actions_up(),
        )
        return Readiness(
            model_loaded=bool(status and status.get("model_file")), action_server=actions_up
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
