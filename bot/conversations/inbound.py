"""The one message type every channel adapter produces for the conversation core."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from bot.settings import Language

PHONE_CHANNEL = "phone"
SMS_CHANNEL = "sms"
WHATSAPP_CHANNEL = "whatsapp"
WHATSAPP_PREFIX = "whatsapp:"  # how Twilio writes a WhatsApp address: whatsapp:+32...
WHATSAPP_WINDOW = timedelta(hours=24)
"""WhatsApp lets a business write freely only this long after the person's last message;
later, only a template message approved by WhatsApp goes through."""
# Channels whose replies are spoken aloud: the brain renders spoken forms for them.
SPOKEN_CHANNELS = frozenset({PHONE_CHANNEL})
KEYS_ONLY: ContextVar[bool] = ContextVar("keys_only", default=False)
"""True in the turns of a channel that hears only keys for now (a call in a language
without a speech model): the brain's texts then say "press 1", never "say". A channel
sets it for its own task; the turns it asks for run in copies of that task's context."""


def call_conversation_id(call_sid: str) -> str:
    """The conversation of one phone call, named after Twilio's call SID ("CA" + 32 hex)."""
    return f"call-{call_sid}"


@dataclass(frozen=True)
class InboundMessage:
    """A person's message, whatever channel it came from.

    `language` is the person's explicit choice (a selector, a phone menu answer);
    `language_hint` is what the channel suggests (Telegram's language_code, for example);
    `idempotency_key` is the client's name for this message: a retry carries the same one.
    """

    conversation_id: str
    channel: str
    text: str
    language: Language | None = None
    language_hint: Language | None = None
    idempotency_key: str | None = None

    @property
    def spoken(self) -> bool:
        """True when the answer will be read aloud."""
        return self.channel in SPOKEN_CHANNELS
