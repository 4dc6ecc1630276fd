"""The one message type every channel adapter produces for the conversation core."""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Language

PHONE_CHANNEL = "phone"
# Channels whose replies are spoken aloud: the brain renders spoken forms for them.
SPOKEN_CHANNELS = frozenset({PHONE_CHANNEL})


def call_conversation_id(call_sid: str) -> str:
    """The conversation of one phone call, named after Twilio's call SID ("CA" + 32 hex)."""
    return f"call-{call_sid}"


@dataclass(frozen=True)
class InboundMessage:
    """A person's message, whatever channel it came from.

    `language` is the person's explicit choice (a selector, a phone menu answer);
    `language_hint` is what the channel suggests (Telegram's language_code, for example).
    """

    conversation_id: str
    channel: str
    text: str
    language: Language | None = None
    language_hint: Language | None = None

    @property
    def spoken(self) -> bool:
        """True when the answer will be read aloud."""
        return self.channel in SPOKEN_CHANNELS
