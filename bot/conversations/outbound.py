"""The outbound path: every message to a person, whoever wrote it, reaches their channel.

A message to a person (the bot's late answer, an agent's reply, a callback notice, the
bot's greeting after a hand-back) is first stored with status `queued`, then handed to
its channel's `Sender`, and its status becomes `sent` (or `failed`). Channels register
their sender at start-up; the core knows none of them. The web chat's sender is the
live event stream every message is published on; the phone's speaks on a live call;
SMS, WhatsApp and Telegram plug in here the same way.
"""

from __future__ import annotations

import logging
from typing import Protocol

from bot.conversations.records import ConversationRecord, MessageRecord

log = logging.getLogger(__name__)


class Sender(Protocol):
    """Delivers messages to people on one channel."""

    async def send(self, conversation: ConversationRecord, message: MessageRecord) -> bool:
        """Hand `message` to the channel; True once the channel took it."""
        ...


class Outbound:
    """The registry of channel senders, and the delivery of one message through them."""

    def __init__(self) -> None:
        self._senders: dict[str, Sender] = {}

    def register(self, channel: str, sender: Sender) -> None:
        """`sender` delivers every message of `channel` from now on."""
        self._senders[channel] = sender

    def has_sender(self, channel: str) -> bool:
        """True when messages of `channel` can be pushed to the person."""
        return channel in self._senders

    async def deliver(self, conversation: ConversationRecord, message: MessageRecord) -> bool:
        """Hand one message to its channel's sender; False if there is none or it failed."""
        sender = self._senders.get(conversation.channel)
        if sender is None:
            return False
        try:
            return await sender.send(conversation, message)
        except Exception:
            log.exception("Sending message %d on %s failed", message.id, conversation.channel)
            return False
