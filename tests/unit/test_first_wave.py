"""The NLU report compares each intent's F1 with the first wave's (issue 11)."""

from __future__ import annotations

from nlu.evaluation import first_wave
from nlu.evaluation.scores import LanguageResult, Prediction


def result(intent: str, right: int, wrong: int) -> LanguageResult:
    """A French result where `intent` is recognised `right` times out of right + wrong."""
    bot = [Prediction("m", intent, intent, 0.9)] * right
    bot += [Prediction("m", intent, "out_of_scope", 0.9)] * wrong
    return LanguageResult("fr", bot)


def test_the_baseline_has_the_first_wave_intents_of_each_language() -> None:
    for lang in ("fr", "nl", "en"):
        assert "proc_lost_eid" in first_wave.baseline()[lang]


def test_an_intent_as_good_as_before_does_not_miss() -> None:
    rows = first_wave.target_rows([result("step_previous", 10, 0)])
    assert "PASS" in rows[0]


def test_an_intent_that_fell_is_named_with_its_fall() -> None:
    rows = first_wave.target_rows([result("step_previous", 5, 5)])
    assert "MISS" in rows[0] and "step_previous" in rows[0]
