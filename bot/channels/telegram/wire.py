"""Telegram's wire format: message length, inline keyboards, button data, language codes.

A message of the core becomes one or more Telegram messages (at most 4096 characters
each, counted as Telegram counts them: UTF-16 code units), its buttons an inline keyboard
on the last one. A button's callback_data is its payload when that fits Telegram's 64
bytes; a longer payload is sent as a reference to the message and the button's place in
it, resolved against the transcript when the button is pressed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.languages import is_language
from bot.settings import Language

MAX_TEXT_UNITS = 4096
"""Longest text of one Telegram message, in UTF-16 code units."""
MAX_CALLBACK_BYTES = 64
"""Longest callback_data of an inline button, in bytes (UTF-8)."""
# Where a long text is best cut, best first: between paragraphs, lines, sentences, words.
_CUTS = ("\n\n", "\n", ". ", "? ", "! ", " ")
_REFERENCE = re.compile(r"^@m(\d{1,18})\.(\d{1,2})$")


@dataclass(frozen=True)
class ButtonReference:
    """A pressed button whose payload was too long to travel: the message and its place."""

    message_id: int
    index: int


def units(text: str) -> int:
    """The length of `text` as Telegram counts it (UTF-16 code units: emoji count two)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT_UNITS) -> list[str]:
    """`text` in pieces of at most `limit` units, cut where a reader expects a break."""
    pieces: list[str] = []
    rest = text.strip()
    while units(rest) > limit:
        head = _longest_prefix(rest, limit)
        # The best kind of break in the second half (never a tiny piece); else a hard cut.
        cuts = (head.rfind(mark) + len(mark) for mark in _CUTS if mark in head)
        end = next((cut for cut in cuts if cut > len(head) // 2), len(head))
        pieces.append(rest[:end].rstrip())
        rest = rest[end:].lstrip()
    return [*pieces, rest] if rest else pieces


def _longest_prefix(text: str, limit: int) -> str:
    """The longest start of `text` within `limit` units, never half a surrogate pair."""
    prefix = text[:limit]  # every character is at least one unit
    while units(prefix) > limit:
        prefix = prefix[: -max(1, (units(prefix) - limit) // 2)]
    return prefix


def callback_data(payload: str, message_id: int, index: int) -> str:
    """What a button sends back when pressed: its payload, or a reference when too long."""
    if 0 < len(payload.encode()) <= MAX_CALLBACK_BYTES and not _REFERENCE.match(payload):
        return payload
    return f"@m{message_id}.{index}"


def button_reference(data: str) -> ButtonReference | None:
    """The message and button a reference names, or None for a payload sent as it is."""
    found = _REFERENCE.match(data)
    return ButtonReference(int(found.group(1)), int(found.group(2))) if found else None


def keyboard(buttons: list[dict[str, str]], message_id: int) -> InlineKeyboardMarkup | None:
    """One button a row (easy to tap, long titles stay whole); None without buttons."""
    rows = [
        [InlineKeyboardButton(button["title"], callback_data=callback_data(payload, message_id, i))]
        for i, button in enumerate(buttons)
        if (payload := button.get("payload") or button.get("title"))
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def language_hint(language_code: str | None) -> Language | None:
    """Telegram's language_code ("en", "nl-BE", "fr") as a hint, if Loket speaks it."""
    primary = (language_code or "").split("-")[0].lower()
    return primary if is_language(primary) else None  # type: ignore[return-value]


def command(text: str, bot_username: str | None) -> str | None:
    """The command a message starts with ("/help", "/help@loket_bot"), lower case, or None.

    A command addressed to another bot (`@other_bot`) is not ours: None.
    """
    found = re.match(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]+))?(?:\s|$)", text)
    if found is None:
        return None
    addressee = found.group(2)
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None
    return found.group(1).lower()
