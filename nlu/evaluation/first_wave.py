"""The first wave's per-intent F1, the baseline that no intent may fall below by more than 0.02.

The figures come from the last report before issue 9 added an intent (commit 9281922,
docs/nlu-report.md of 2026-12-03 16:43 UTC), stored in first_wave.json beside this module
so the comparison does not depend on git history at run time. They were measured on the
held-out messages of that commit; later issues added held-out messages (new intents, and
procedures named with a detail), so today's F1 is computed again on the first wave's
messages alone for the comparison: the same messages, the old model against the new.
first_wave.json keeps those messages as digests (`message_key`) per language.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from nlu.evaluation.held_out import normalise
from nlu.evaluation.scores import LanguageResult

BASELINE = Path(__file__).with_name("first_wave.json")
MAX_DROP = 0.02  # issue 11: no intent of the first wave falling by more than this


@cache
def baseline() -> Mapping[str, Mapping[str, float]]:
    """F1 per language and intent in the first wave, as the bot answered."""
    return json.loads(BASELINE.read_text(encoding="utf-8"))["f1"]


def message_key(intent: str, text: str) -> str:
    """A held-out message's digest: its gold intent and its text, normalised."""
    return hashlib.sha256(f"{intent}\t{normalise(text)}".encode()).hexdigest()[:16]


@cache
def first_wave_messages() -> Mapping[str, frozenset[str]]:
    """Per language, the digests of the first wave's held-out messages."""
    stored = json.loads(BASELINE.read_text(encoding="utf-8"))["messages"]
    return {language: frozenset(keys) for language, keys in stored.items()}


def on_first_wave_messages(result: LanguageResult) -> LanguageResult:
    """The bot's answers to the messages the first wave was measured on, alone."""
    keys = first_wave_messages().get(result.language, frozenset())
    return LanguageResult(
        result.language, [p for p in result.bot if message_key(p.intent, p.text) in keys]
    )


@dataclass(frozen=True)
class Comparison:
    """The first-wave intents' F1 before (the baseline) and now, on the first wave's
    messages. One message is worth 0.03 to 0.07 of an intent's F1 there, so single
    intents move both ways between two trainings: the macro-F1 shows the whole."""

    before: Mapping[str, float]
    now: Mapping[str, float]
    messages: int

    @classmethod
    def of(cls, result: LanguageResult) -> Comparison:
        """Compare `result` with the baseline of its language."""
        first = on_first_wave_messages(result)
        scores = first.scores()
        before = {
            intent: f1
            for intent, f1 in baseline().get(result.language, {}).items()
            if intent in scores
        }
        return cls(before, {intent: scores[intent].f1 for intent in before}, len(first.bot))

    def fell(self) -> dict[str, float]:
        """Intents whose F1 fell by more than MAX_DROP, with the fall."""
        falls = {intent: round(f1 - self.now[intent], 3) for intent, f1 in self.before.items()}
        return {intent: fall for intent, fall in falls.items() if fall > MAX_DROP}

    def rose(self) -> int:
        """How many intents' F1 rose by more than MAX_DROP."""
        return sum(self.now[intent] - f1 > MAX_DROP for intent, f1 in self.before.items())

    @staticmethod
    def macro(f1: Mapping[str, float]) -> float:
        """The mean F1 of the intents in `f1`."""
        return sum(f1.values()) / len(f1) if f1 else 0.0


def target_rows(results: Sequence[LanguageResult]) -> list[str]:
    """One PASS/MISS row per language for the first-wave target."""
    rows = []
    for r in results:
        compared = Comparison.of(r)
        fell = compared.fell()
        why = ", ".join(f"{intent} -{fall:.3f}" for intent, fall in sorted(fell.items()))
        rows.append(
            f"| no first-wave intent F1 falls > {MAX_DROP:.2f} (baseline 9281922) "
            f"| {r.language} | {len(fell)} fell, {compared.rose()} rose "
            f"| on the first wave's {compared.messages} messages; their macro-F1 "
            f"{compared.macro(compared.before):.3f} before, {compared.macro(compared.now):.3f} "
            f"now | {'MISS' if fell else 'PASS'} | {why} |"
        )
    return rows
