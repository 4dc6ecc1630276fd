"""The phone's outbound sender: messages from outside a turn, spoken on the live call.

An agent's reply, a late answer of the brain or a callback notice reaches a caller only
while their call lasts: `PhoneSender` keeps each live call's session by conversation id
(from the stream's start to its end) and speaks the message there. A call that is over
cannot be reached: `send` says so, and the core marks the message failed.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol, cast

from bot.channels.phone.live import LiveCount
from bot.conversations.records import ConversationRecord, MessageRecord
from bot.languages import is_language
from bot.settings import Language

log = logging.getLogger(__name__)


class LiveCall(Protocol):
    """What the sender needs of a call: to say something on it (CallSession does)."""

    def say(self, text: str, language: Language) -> bool:
        """Speak `text` after what is being said now; False when the call is over."""
        ...

    async def hang_up(self, timeout: float) -> None:
        """Say goodbye (the line is closing) and end the call, within `timeout` seconds."""
        ...


class PhoneSender:
    """Speaks messages on live calls (the phone's `bot.conversations.outbound.Sender`)."""

    def __init__(self) -> None:
        self._calls: dict[str, LiveCall] = {}
        self._live = LiveCount()

    def call_started(self, conversation_id: str, call: LiveCall) -> None:
        """The call of `conversation_id` is live: messages to it are spoken on it."""
        self._calls[conversation_id] = call
        self._live.update(len(self._calls))

    def call_ended(self, conversation_id: str, call: LiveCall) -> None:
        """The call is over (only that call: a newer one may hold the same id)."""
        if self._calls.get(conversation_id) is call:
            del self._calls[conversation_id]
        self._live.update(len(self._calls))

    def calls_live(self) -> int:
        """How many calls are going on now."""
        return len(self._calls)

    async def all_ended(self) -> None:
        """Return once no call is live."""
        await self._live.all_ended()

    async def hang_up_all(self, timeout: float) -> None:
        """Say goodbye on every live call and end it, all within `timeout` seconds."""
        await asyncio.gather(*(call.hang_up(timeout) for call in list(self._calls.values())))

    def live(self, conversation_id: str) -> bool:
        """Whether the conversation's call is going on now."""
        return conversation_id in self._calls

    async def send(self, conversation: ConversationRecord, message: MessageRecord) -> bool:
        """Speak `message` on the conversation's call; False if the call is not live."""
        call = self._calls.get(conversation.id)
        if call is None:
            log.info("Message %d not spoken: the call of %s is over", message.id, conversation.id)
            return False
        language = (
            cast(Language, message.language)
            if is_language(message.language)
            else conversation.language
        )
        return call.say(message.text, language)
