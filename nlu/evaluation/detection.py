"""Language detection: the hub's `bot.languages.detect` on every held-out message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.languages import SENTENCE_LETTERS, detect, letters, other_language
from bot.settings import ROOT
from nlu.evaluation.held_out import Example


@dataclass(frozen=True)
class Detection:
    """bot.languages.detect on the held-out messages of one language."""

    language: str
    total: int
    correct: int
    abstained: int
    short: int  # messages under SENTENCE_LETTERS letters: judged by the lexicon alone
    wrong: tuple[tuple[str, str], ...]  # (message, detected language)

    @property
    def accuracy(self) -> float:
        """Correct over all messages: an abstention (None) counts as wrong."""
        return self.correct / self.total if self.total else 0.0

    @property
    def abstain_share(self) -> float:
        """Share of messages detect() declined to judge (too short or unclear)."""
        return self.abstained / self.total if self.total else 0.0

    @property
    def short_share(self) -> float:
        """Share of messages judged by the lexicon alone (under SENTENCE_LETTERS letters)."""
        return self.short / self.total if self.total else 0.0

    @property
    def answered_accuracy(self) -> float:
        """Correct over the messages detect() gave a language for."""
        answered = self.total - self.abstained
        return self.correct / answered if answered else 0.0


def detection(language: str, examples: Sequence[Example]) -> Detection:
    """Run the hub's language detection on each message of one language."""
    detected = [(e.text, detect(e.text)) for e in examples]
    return Detection(
        language=language,
        total=len(detected),
        correct=sum(found == language for _, found in detected),
        abstained=sum(found is None for _, found in detected),
        short=sum(letters(text) < SENTENCE_LETTERS for text, _ in detected),
        wrong=tuple(
            (text, str(found)) for text, found in detected if found not in (None, language)
        ),
    )


def combined_detection(results: Sequence[Detection]) -> Detection:
    """The detection figures of all languages together."""
    return Detection(
        language="all",
        total=sum(d.total for d in results),
        correct=sum(d.correct for d in results),
        abstained=sum(d.abstained for d in results),
        short=sum(d.short for d in results),
        wrong=tuple(w for d in results for w in d.wrong),
    )


OTHER_LANGUAGES_SET = ROOT / "tests" / "nlu" / "other-languages.yml"
OURS = "ours"
"""The `language` of the identification run on Loket's own held-out messages."""


@dataclass(frozen=True)
class OtherLanguageIdentification:
    """bot.languages.other_language on the held-out messages of one language Loket does
    not speak (`language` "tr", "ar"...), or on Loket's own languages (`language` "ours":
    every message recognised as another language is then an error)."""

    language: str
    total: int
    recognised: int
    short: int  # messages under SENTENCE_LETTERS letters
    short_recognised: int
    wrong: tuple[tuple[str, str], ...]  # (message, what other_language() said)

    @property
    def share(self) -> float:
        """Share of messages recognised as their language (for "ours": sent away)."""
        return self.recognised / self.total if self.total else 0.0

    @property
    def short_share(self) -> float | None:
        """The same share among short messages; None when there are none."""
        return self.short_recognised / self.short if self.short else None


def load_other_languages_set(path: Path = OTHER_LANGUAGES_SET) -> dict[str, list[str]]:
    """The held-out messages written in languages Loket does not speak, per language."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {code: [str(text) for text in texts] for code, texts in data["languages"].items()}


def other_language_identification(
    language: str, texts: Sequence[str]
) -> OtherLanguageIdentification:
    """Run other_language() on messages of `language` (OURS: Loket's own languages)."""
    found = [(text, other_language(text)) for text in texts]
    if language == OURS:  # any language found is an error: the person would be sent away
        hits = [(text, result) for text, result in found if result is not None]
        wrong = hits
    else:
        hits = [(text, result) for text, result in found if result == language]
        wrong = [(text, result) for text, result in found if result != language]
    short = {text for text, _ in found if letters(text) < SENTENCE_LETTERS}
    return OtherLanguageIdentification(
        language=language,
        total=len(found),
        recognised=len(hits),
        short=len(short),
        short_recognised=sum(text in short for text, _ in hits),
        wrong=tuple((text, str(result)) for text, result in wrong),
    )


OURS = "ours"
