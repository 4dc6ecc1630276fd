"""Which language a conversation is held in: explicit choice, channel hint, or detection."""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache

from lingua import Language as LinguaLanguage
from lingua import LanguageDetector, LanguageDetectorBuilder

from bot.settings import LANGUAGES, Language

_LINGUA = {LinguaLanguage.FRENCH: "fr", LinguaLanguage.DUTCH: "nl", LinguaLanguage.ENGLISH: "en"}
# Short messages ("ok", "1", "merci") tell too little to switch a conversation's language.
_MIN_LETTERS_TO_DETECT = 10
_MIN_CONFIDENCE = 0.6


class LanguageSource(StrEnum):
    """Where a conversation's language came from, strongest first."""

    EXPLICIT = "explicit"  # the person chose it (selector, "in English please")
    HINT = "hint"  # the channel told us (Telegram language_code, phone menu)
    DETECTED = "detected"  # guessed from the person's words
    DEFAULT = "default"  # nothing told us anything yet

    @property
    def strength(self) -> int:
        """Higher is stronger; a weaker source never overrides a stronger one."""
        return list(reversed(LanguageSource)).index(self)


def is_language(value: object) -> bool:
    """True for one of the languages Loket speaks."""
    return value in LANGUAGES


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    # Restricting lingua to our three languages makes it faster and more accurate.
    return LanguageDetectorBuilder.from_languages(*_LINGUA).with_preloaded_language_models().build()


def detect(text: str) -> Language | None:
    """The language of `text`, or None when it is too short or unclear to say."""
    if len(re.findall(r"[^\W\d_]", text)) < _MIN_LETTERS_TO_DETECT:
        return None
    best = _detector().compute_language_confidence_values(text)[0]
    if best.value < _MIN_CONFIDENCE:
        return None
    return _LINGUA[best.language]  # type: ignore[return-value]


def warm_up() -> None:
    """Load the detection models now rather than on a person's first message."""
    _detector()


def choose(
    current: Language | None,
    current_source: LanguageSource,
    candidate: Language | None,
    candidate_source: LanguageSource,
) -> tuple[Language | None, LanguageSource]:
    """Keep the current language unless the candidate comes from an equal or stronger source."""
    if candidate is None or (
        current is not None and candidate_source.strength < current_source.strength
    ):
        return current, current_source
    return candidate, candidate_source
