"""The hub's client for the brain: the Rasa server and its action server, on localhost."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.settings import Settings

log = logging.getLogger(__name__)


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


class BrainClient:
    """Sends a person's message to Rasa's REST channel and reads its answer."""

    # Rasa keeps working on a message after the hub has sent a holding reply, so the
    # request itself may take much longer than the person is made to wait.
    REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=120, connect=2)
    PROBE_TIMEOUT = aiohttp.ClientTimeout(total=2)

    def __init__(self, settings: Settings) -> None:
        self._rasa = settings.rasa_url.rstrip("/")
        self._actions = settings.action_server_url.rstrip("/")
        self._token = settings.rasa_token.get_secret_value()
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        """Close the HTTP connections."""
        if self._session is not None:
            await self._session.close()

    async def send(self, conversation_id: str, text: str, metadata: dict[str, Any]) -> BrainAnswer:
        """Send one message and return the brain's answer, or raise BrainUnavailable."""
        body = {"sender": conversation_id, "message": text, "metadata": metadata}
        url = f"{self._rasa}/webhooks/rest/webhook"
        try:
            async with self._http().post(url, json=body, timeout=self.REQUEST_TIMEOUT) as response:
                if response.status != 200:
                    raise BrainUnavailable(f"Rasa answered HTTP {response.status}")
                items = await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise BrainUnavailable(f"Rasa unreachable: {error!r}") from error
        if not isinstance(items, list):
            raise BrainUnavailable("Rasa answered something other than a list")
        return parse_answer(items)

    async def readiness(self) -> Readiness:
        """Ask Rasa whether a model is loaded and the action server whether it is up."""
        status, health = await asyncio.gather(
            self._get_json(f"{self._rasa}/status", {"token": self._token} if self._token else {}),
            self._get_json(f"{self._actions}/health", {}),
        )
        return Readiness(
            model_loaded=bool(status and status.get("model_file")),
            action_server=bool(health and health.get("status") == "ok"),
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
