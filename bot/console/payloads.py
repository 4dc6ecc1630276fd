"""Button presses in a transcript: a person who pressed "Talk to a person" sent
"/request_human"; agents read what the person chose, not the payload."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.conversations.records import MessageRecord

_PAYLOAD = re.compile(r"^/[A-Za-z0-9_]+$")


def is_payload(text: str | None) -> bool:
    """True for a button's payload rather than words a person typed."""
    return bool(text and _PAYLOAD.match(text.strip()))


def readable(payload: str) -> str:
    """ "/request_human" -> "request human": when no button tells its title."""
    return payload.strip().lstrip("/").replace("_", " ")


def choices(messages: Sequence[MessageRecord]) -> dict[int, str]:
    """{id of a person's payload message: the title of the button it came from}."""
    titles: dict[str, str] = {}
    chosen: dict[int, str] = {}
    for message in messages:
        if message.author != "person":
            titles.update(
                {
                    b["payload"]: b.get("title", b["payload"])
                    for b in message.buttons
                    if "payload" in b
                }
            )
        elif is_payload(message.text):
            chosen[message.id] = titles.get(message.text.strip(), readable(message.text))
    return chosen
