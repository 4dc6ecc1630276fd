"""The first wave's per-intent F1, the baseline that no intent may fall below by more than 0.02.

The figures come from the last report before issue 9 added an intent (commit 9281922,
docs/nlu-report.md of 2026-12-03 16:43 UTC), stored in first_wave.json beside this module
so the comparison does not depend on git history at run time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

from nlu.evaluation.scores import LanguageResult

BASELINE = Path(__file__).with_name("first_wave.json")
MAX_DROP = 0.02  # issue 11: no intent of the first wave falling by more than this


@cache
def baseline() -> Mapping[str, Mapping[str, float]]:
    """F1 per language and intent in the first wave, as the bot answered."""
    return json.loads(BASELINE.read_text(encoding="utf-8"))["f1"]


def drops(result: LanguageResult) -> dict[str, float]:
    """First-wave intents whose F1 fell by more than MAX_DROP, with the fall."""
    before = baseline().get(result.language, {})
    now = result.scores()
    return {
        intent: round(f1 - now[intent].f1, 3)
        for intent, f1 in before.items()
        if intent in now and f1 - now[intent].f1 > MAX_DROP
    }


def target_rows(results: Sequence[LanguageResult]) -> list[str]:
    """One PASS/MISS row per language for the first-wave target."""
    rows = []
    for r in results:
        fell = drops(r)
        why = ", ".join(f"{intent} -{fall:.3f}" for intent, fall in sorted(fell.items()))
        rows.append(
            f"| no first-wave intent F1 falls > {MAX_DROP:.2f} (baseline 9281922) "
            f"| {r.language} | {len(fell)} fell | | {'MISS' if fell else 'PASS'} | {why} |"
        )
    return rows
