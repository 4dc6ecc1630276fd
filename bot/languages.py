"""Which language a conversation is held in: explicit choice, channel hint, or detection."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from enum import StrEnum
from functools import lru_cache

from lingua import Language as LinguaLanguage
from lingua import LanguageDetector, LanguageDetectorBuilder

from bot.lexicon import LanguageLexicon, words
from bot.other_languages import other_languages
from bot.settings import LANGUAGES, Language

_LINGUA = {LinguaLanguage.FRENCH: "fr", LinguaLanguage.DUTCH: "nl", LinguaLanguage.ENGLISH: "en"}
# The languages most spoken in Brussels besides ours: a person who writes in one of them
# gets its message from content/other_languages.yml (bot/other_languages.py).
_LINGUA_OTHER = {
    LinguaLanguage.ARABIC: "ar",
    LinguaLanguage.TURKISH: "tr",
    LinguaLanguage.SPANISH: "es",
    LinguaLanguage.PORTUGUESE: "pt",
    LinguaLanguage.ROMANIAN: "ro",
    LinguaLanguage.POLISH: "pl",
    LinguaLanguage.BULGARIAN: "bg",
    LinguaLanguage.ITALIAN: "it",
    LinguaLanguage.GERMAN: "de",
    LinguaLanguage.RUSSIAN: "ru",
    LinguaLanguage.UKRAINIAN: "uk",
}
_CYRILLIC_LANGUAGES = frozenset({"bg", "ru", "uk"})
# A sentence is in another language only when lingua is this sure: below it, some of
# our own examples (mixed, misspelt) would be sent away (docs/nlu-report.md measures it).
_OTHER_MIN_CONFIDENCE = 0.7
_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f]")
_CYRILLIC_LETTER = re.compile(r"[\u0400-\u04ff]")
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
    # One detector for our languages and the others: each detector holds its own models
    # (about 25 MB a language), and restricting lingua to the languages people in
    # Brussels write makes it faster and more accurate than lingua's 75.
    languages = [*_LINGUA, *_LINGUA_OTHER]
    return (
        LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()
    )


@lru_cache(maxsize=256)
def _confidences(text: str) -> Mapping[LinguaLanguage, float]:
    """lingua's confidence per language, most likely first. Cached: a message is judged
    twice, for the conversation's language (`detection`) and for `other_language`."""
    return {v.language: v.value for v in _detector().compute_language_confidence_values(text)}


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
        # Among our three only: their relative confidences are what tells fr, nl and en apart.
        confidences = _confidences(text)
        for lingua_language, language in _LINGUA.items():
            probabilities[language] *= max(confidences.get(lingua_language, 0.0), 1e-6)  # type: ignore[index]
    total = math.fsum(probabilities.values())
    best = max(probabilities, key=probabilities.__getitem__)
    language = best if probabilities[best] / total >= _MIN_CONFIDENCE else None
    return language, LanguageSource.DETECTED if sentence else LanguageSource.GUESSED


def other_language(text: str) -> str | None:
    """The code of a language Loket does not speak, when `text` is surely written in it.

    A message made only of one language's `words` (content/other_languages.yml: "hola",
    "danke") is in that language: "ok" or "ciao" are in no list, they tell nothing.
    Otherwise Arabic and Cyrillic letters tell by themselves (lingua picks among
    Bulgarian, Russian and Ukrainian), and a sentence in Latin letters needs lingua's
    confidence.
    """
    if known := _known_words_language(words(text)):
        return known
    if len(_ARABIC_LETTER.findall(text)) * 2 > letters(text):
        return "ar"
    if len(_CYRILLIC_LETTER.findall(text)) * 2 > letters(text):
        confidences = _confidences(text)
        cyrillic = [lang for lang in _LINGUA_OTHER if _LINGUA_OTHER[lang] in _CYRILLIC_LANGUAGES]
        return _LINGUA_OTHER[max(cyrillic, key=lambda lang: confidences.get(lang, 0.0))]
    if letters(text) >= SENTENCE_LETTERS:
        confidences = _confidences(text)
        best = next(iter(confidences))
        if best in _LINGUA_OTHER and confidences[best] >= _OTHER_MIN_CONFIDENCE:
            return _LINGUA_OTHER[best]
    return None


def _known_words_language(message_words: list[str]) -> str | None:
    if not message_words:
        return None
    for code, language in other_languages().items():
        if all(word in language.words for word in message_words):
            return code
    return None


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
