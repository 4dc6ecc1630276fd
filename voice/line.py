"""What the player speaks: a text and the language to speak it in."""

from __future__ import annotations

from dataclasses import dataclass

from voice.languages import Language


@dataclass(frozen=True)
class Line:
    """Something to say, and the language to say it in."""

    text: str
    language: Language
