"""Language detection: the hub's `bot.languages.detect` on every held-out message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.languages import SENTENCE_LETTERS, detect, letters
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
