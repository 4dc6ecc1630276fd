"""Which language a person's words belong to, learned from Loket's own training examples.

General-purpose detectors need a full sentence. People write "bjr", "volgende aub" or
"lost my identiteitskaart": few letters, SMS spelling, words of two languages. The
examples in nlu/<language>.yml are written that way, so a small naive Bayes model over
their words and character n-grams knows them.

Each word casts one vote (its features' average log-probability, tempered): a long Dutch
compound inside an English sentence counts as one word, not as twenty n-grams, so the
language of the sentence's grammar wins. Words every language uses ("ok", "1030") vote
for none, and neither do the names of the communes: everyone in Brussels says "Molenbeek".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from bot.settings import LANGUAGES, ROOT, Language
from nlu.examples import plain_text, read_examples

_WORD = re.compile(r"[^\W\d_]+")
_NGRAM_SIZES = (2, 3, 4)
_SMOOTHING = 0.5  # additive smoothing of feature counts
_TEMPERATURE = 8.0  # sharpens each word's vote: one clear word outweighs several vague ones
_NAME_WORD_LETTERS = 4  # commune-name words this long are names ("Saint", "Jette"), not "of"
# Said the same way in French, Dutch and English: they vote for none. Left to the
# examples, "ok" leaned Dutch, whose "ook" ends the same way.
SHARED_WORDS = ("ok", "okay", "oke", "oké", "euh", "uh", "hmm")


def words(text: str) -> list[str]:
    """The lower-case words of a text (letters only: numbers tell no language)."""
    return _WORD.findall(text.lower())


def _features(word: str) -> list[str]:
    padded = f" {word} "
    grams = [padded[i : i + n] for n in _NGRAM_SIZES for i in range(len(padded) - n + 1)]
    return [f"w:{word}", *grams]


class LanguageLexicon:
    """A per-word naive Bayes language model; `probabilities` gives P(language | text)."""

    def __init__(
        self, examples: Mapping[Language, Iterable[str]], neutral: Iterable[str] = ()
    ) -> None:
        self._neutral = frozenset(w for text in neutral for w in words(text))
        self._counts = {
            language: Counter(f for text in texts for w in words(text) for f in _features(w))
            for language, texts in examples.items()
        }
        self._totals = {language: sum(c.values()) for language, c in self._counts.items()}
        self._vocabulary = len(set().union(*self._counts.values()))

    @classmethod
    def from_training_data(
        cls, nlu_dir: Path = ROOT / "nlu", communes: Path = ROOT / "content" / "communes.yml"
    ) -> LanguageLexicon:
        """Learn from nlu/*<language>.yml; communes and SHARED_WORDS are neutral."""
        return cls(
            {
                language: [
                    plain_text(raw)
                    for path in sorted(nlu_dir.glob(f"*{language}.yml"))
                    for _, raw in read_examples(path)
                ]
                for language in LANGUAGES
            },
            neutral=[*_commune_name_words(communes), *SHARED_WORDS],
        )

    def telling_words(self, text: str) -> list[str]:
        """The words of a text that can tell its language (commune names cannot)."""
        return [word for word in words(text) if word not in self._neutral]

    def probabilities(self, text: str) -> dict[Language, float]:
        """P(language | text); uniform when no word tells."""
        scores = dict.fromkeys(self._counts, 0.0)
        for word in self.telling_words(text):
            for language, log_p in self._word_vote(word).items():
                scores[language] += log_p
        return _normalised(scores)

    def _word_vote(self, word: str) -> dict[Language, float]:
        """log P(language | word) from the word's features, each language's vote tempered."""
        features = _features(word)
        mean_log = {
            language: _TEMPERATURE
            * sum(math.log(self._likelihood(language, f)) for f in features)
            / len(features)
            for language in self._counts
        }
        return {language: math.log(p) for language, p in _normalised(mean_log).items()}

    def _likelihood(self, language: Language, feature: str) -> float:
        count = self._counts[language][feature]
        return (count + _SMOOTHING) / (self._totals[language] + _SMOOTHING * self._vocabulary)


def _normalised(log_scores: Mapping[Language, float]) -> dict[Language, float]:
    """Probabilities from log-scores (softmax)."""
    top = max(log_scores.values())
    exp = {language: math.exp(score - top) for language, score in log_scores.items()}
    total = sum(exp.values())
    return {language: value / total for language, value in exp.items()}


def _commune_name_words(path: Path) -> list[str]:
    """The longer words of every commune's names, in every language."""
    communes = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        word
        for commune in communes
        for name in commune["name"].values()
        for word in words(name)
        if len(word) >= _NAME_WORD_LETTERS
    ]
