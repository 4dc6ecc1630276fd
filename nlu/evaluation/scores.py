"""Predictions and the figures computed from them.

Three views of the same messages (View): as the bot answers, strict or with
`nlu_fallback` counted as out of scope, and as `rasa test nlu` scores DIET's best guess.
Per language: precision, recall and F1 per intent and per entity type; over all
languages: the most confused intent pairs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from nlu.evaluation.held_out import Span

OOS, FALLBACK = "out_of_scope", "nlu_fallback"
TOP_CONFUSIONS = 10


@dataclass(frozen=True)
class Prediction:
    """What the model answered for one held-out message."""

    text: str
    intent: str
    predicted: str
    confidence: float
    spans: frozenset[Span] = frozenset()
    gold: frozenset[Span] = frozenset()


class View(StrEnum):
    """Which predictions a figure is computed from."""

    STRICT = "strict"  # as the bot answers, nlu_fallback wrong for every intent
    LENIENT = "lenient"  # as the bot answers, nlu_fallback counted as out_of_scope
    RASA = "rasa test nlu"  # DIET's best intent, the fallback undone by `rasa test nlu`


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1 of one label, with its number of gold items."""

    precision: float
    recall: float
    f1: float
    support: int

    @classmethod
    def of(cls, hits: int, predicted: int, support: int) -> Scores:
        """Scores from counts; 0 where undefined."""
        precision = hits / predicted if predicted else 0.0
        recall = hits / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(precision, recall, f1, support)


def label_scores(pairs: Sequence[tuple[str, str]], label: str) -> Scores:
    """Scores of one label over (gold, predicted) pairs."""
    return Scores.of(
        hits=sum(1 for gold, pred in pairs if gold == pred == label),
        predicted=sum(1 for _, pred in pairs if pred == label),
        support=sum(1 for gold, _ in pairs if gold == label),
    )


@dataclass
class LanguageResult:
    """Intent and entity figures for one language."""

    language: str
    bot: list[Prediction]  # as the Rasa server answers (FallbackClassifier applied)
    rasa: list[Prediction] = field(default_factory=list)  # from `rasa test nlu`

    def pairs(self, view: View) -> list[tuple[str, str]]:
        """(gold, predicted) per message in one view."""
        if view is View.RASA:
            return [(p.intent, p.predicted) for p in self.rasa]
        pairs = [(p.intent, p.predicted) for p in self.bot]
        if view is View.LENIENT:
            return [(gold, OOS if pred == FALLBACK else pred) for gold, pred in pairs]
        return pairs

    @property
    def intents(self) -> list[str]:
        """The gold intents evaluated, in order of first appearance."""
        return list(dict.fromkeys(p.intent for p in self.bot))

    def scores(self, view: View = View.STRICT) -> dict[str, Scores]:
        """Per-intent scores in one view."""
        pairs = self.pairs(view)
        return {intent: label_scores(pairs, intent) for intent in self.intents}

    def macro_f1(self, view: View = View.STRICT) -> float:
        """Mean F1 over the gold intents (nlu_fallback is never a gold label)."""
        scores = self.scores(view).values()
        return sum(s.f1 for s in scores) / len(scores) if scores else 0.0

    def oos_recall(self, view: View = View.LENIENT) -> float | None:
        """Share of out_of_scope messages answered as out of scope (None if none tested)."""
        scores = self.scores(view)
        return scores[OOS].recall if OOS in scores else None

    @property
    def fallback_share(self) -> float:
        """Share of messages the FallbackClassifier turned into nlu_fallback."""
        n = len(self.bot)
        return sum(p.predicted == FALLBACK for p in self.bot) / n if n else 0.0

    @property
    def accuracy(self) -> float:
        """Share of messages whose intent the bot got exactly."""
        n = len(self.bot)
        return sum(p.intent == p.predicted for p in self.bot) / n if n else 0.0

    def entity_scores(self) -> dict[str, Scores]:
        """Exact-span scores per entity type (all extractors together)."""
        types = sorted({s[0] for p in self.bot for s in p.gold | p.spans})
        return {
            t: Scores.of(
                hits=sum(len({s for s in p.gold & p.spans if s[0] == t}) for p in self.bot),
                predicted=sum(1 for p in self.bot for s in p.spans if s[0] == t),
                support=sum(1 for p in self.bot for s in p.gold if s[0] == t),
            )
            for t in types
        }


@dataclass(frozen=True)
class Confusion:
    """A (gold, predicted) pair the bot got wrong, how often per language, one example."""

    gold: str
    predicted: str
    counts: dict[str, int]
    example: str

    @property
    def total(self) -> int:
        """Errors of this pair over all languages."""
        return sum(self.counts.values())


def confusions(results: Sequence[LanguageResult], top: int = TOP_CONFUSIONS) -> list[Confusion]:
    """The most frequent errors of the bot over all languages (nlu_fallback kept)."""
    counts: Counter[tuple[str, str]] = Counter()
    per_language: dict[tuple[str, str], Counter[str]] = {}
    examples: dict[tuple[str, str], str] = {}
    for result in results:
        for p in result.bot:
            if p.intent != p.predicted:
                key = (p.intent, p.predicted)
                counts[key] += 1
                per_language.setdefault(key, Counter())[result.language] += 1
                examples.setdefault(key, p.text)
    return [
        Confusion(gold, pred, dict(per_language[(gold, pred)]), examples[(gold, pred)])
        for (gold, pred), _ in counts.most_common(top)
    ]
