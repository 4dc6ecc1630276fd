"""Folding text for comparison: what the hub's word matching compares.

Urgent phrases, menu words, SMS keywords, problem reports and the dashboard's grouping
of unanswered questions all compare people's words without case or accents; they fold
them here, the same way.
"""

from __future__ import annotations

import unicodedata

# Letters NFKD leaves whole, written the way a keyboard without them would.
_LIGATURES = str.maketrans(
    {"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ı": "i", "ß": "ss"}
)
_ARABIC = str.maketrans({"ى": "ي", "ـ": None})  # alif maqsura as ya; no tatweel


def without_accents(text: str) -> str:
    """`text` with its letters' accents taken off, case kept ("Déménagé" -> "Demenage")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def fold(text: str) -> str:
    """Lowercase `text` without accents: "Suïcide Œuvre" -> "suicide oeuvre"."""
    return without_accents(text.casefold().translate(_LIGATURES).translate(_ARABIC))
