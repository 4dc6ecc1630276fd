"""Folding text for phrase matching: what the NLU components compare, without Rasa.

The components that find phrases in a message (communes, sections) compare folded
text and map what they find back to the message's characters.
"""

from __future__ import annotations

import unicodedata


def fold(text: str) -> tuple[str, list[int]]:
    """Lowercase `text` without accents, every non-alphanumeric character a space.

    Returns the folded text and, for each of its characters, the index of the
    character of `text` it comes from (so a match maps back to the original).
    """
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        decomposed = unicodedata.normalize("NFKD", char.casefold())
        plain = "".join(c for c in decomposed if not unicodedata.combining(c))
        plain = {"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l"}.get(plain, plain)
        for c in plain:
            chars.append(c if c.isalnum() else " ")
            origin.append(index)
    return "".join(chars), origin
