"""A turn's messages as one SMS or WhatsApp text: buttons as numbered choices, paged.

Buttons become "Reply 1, 2 or 3:" and one line per choice; the core reads a bare digit
as the button with that number of the last message, so only the last message's buttons
are offered. A text too long for the medium goes out a page at a time (segments.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.channels.sms.segments import SMS, WHATSAPP, Medium, Page, first_page, sms_text
from bot.channels.sms.texts import numbered, say
from bot.conversations.inbound import WHATSAPP_CHANNEL
from bot.conversations.records import MessageRecord
from bot.settings import Language


def medium(channel: str) -> Medium:
    """What one message may hold on `channel` ("sms" or "whatsapp")."""
    return WHATSAPP if channel == WHATSAPP_CHANNEL else SMS


def compose(messages: Sequence[MessageRecord], language: Language) -> str:
    """The messages' texts, one paragraph each, and the last one's buttons as choices."""
    paragraphs = [m.text.strip() for m in messages if m.text.strip()]
    buttons = messages[-1].buttons if messages else []
    if buttons:
        lines = [f"{number} {b['title']}" for number, b in enumerate(buttons, start=1)]
        paragraphs.append(
            "\n".join([say("choices", language, numbers=numbered(len(buttons), language)), *lines])
        )
    return "\n\n".join(paragraphs)


def paged(text: str, channel: str, language: Language) -> Page:
    """The first page of `text` on `channel`, and the rest kept for "more"."""
    if channel != WHATSAPP_CHANNEL:
        text = sms_text(text)
    return first_page(text, medium(channel), say("more", language))
