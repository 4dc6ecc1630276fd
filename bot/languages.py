"""Which language a conversation is held in: explicit choice, channel hint, or detection."""

from __future__ import annotations

import math
import re
from enum import StrEnum
from functools import lru_cache

from lingua import Language as LinguaLanguage
from lingua import LanguageDetector, LanguageDetectorBuilder

from bot.lexicon import LanguageLexicon
from bot.settings import LANGUAGES, Language

_LINGUA = {LinguaLanguage.FRENCH: "fr", LinguaLanguage.DUTCH: "nl", LinguaLanguage.ENGLISH: "en"}
# From this many letters a general-purpose detector (lingua) votes too; below, it guesses.
SENTENCE_LETTERS = 10
# Below this probability the language stays as it was: "ok", "1030", "merci dank u".
_MIN_CONFIDENCE = 0.6


class LanguageSource(StrEnum):
    """Where a conversation's language came from, strongest first."""

    EXPLICIT = "explicit"  # the person chose it (selector, "in English please")
    HINT = "hint"  # the channel told us (Telegram language_code, phone menu)
    DETECTED = "detected"  # recognised in a sentence of the person's
    GUESSED = "guessed"  # from a few words ("bjr", "merci"): enough to start, not to switch
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


@lru_cache(maxsize=1)
def _lexicon() -> LanguageLexicon:
    return LanguageLexicon.from_training_data()


def letters(text: str) -> int:
    """How many letters a text has (digits and punctuation tell no language)."""
    return len(re.findall(r"[^\W\d_]", text))


def detection(text: str) -> tuple[Language | None, LanguageSource]:
    """The language of `text` (None when its words do not tell), and how sure that is.

    Loket's own lexicon judges every message. A sentence (SENTENCE_LETTERS letters or
    more, not counting commune names) is DETECTED, and lingua's confidence is multiplied
    in: it knows long sentences unlike the examples. A few words are only GUESSED.
    """
    lexicon = _lexicon()
    probabilities = lexicon.probabilities(text)
    sentence = letters(" ".join(lexicon.telling_words(text))) >= SENTENCE_LETTERS
    if sentence:
        for value in _detector().compute_language_confidence_values(text):
            probabilities[_LINGUA[value.language]] *= max(value.value, 1e-6)  # type: ignore[index]
    total = math.fsum(probabilities.values())
    best = max(probabilities, key=probabilities.__getitem__)
    language = best if probabilities[best] / total >= _MIN_CONFIDENCE else None
    return language, LanguageSource.DETECTED if sentence else LanguageSource.GUESSED


def detect(text: str) -> Language | None:
    """The language of `text`, or None when its words do not tell (see `detection`)."""
    return detection(text)[0]


def warm_up() -> None:
    """Load the detection models now rather than on a person's first message."""
    _detector()
    _lexicon()


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
