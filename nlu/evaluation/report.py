"""The report, docs/nlu-report.md: rendered section by section from a Run.

Every run rewrites it except the Components section, which only `--compare`/`--ablate`
measures: without them the previous one is kept (between its two HTML comments).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.languages import SENTENCE_LETTERS
from bot.settings import LANGUAGES, ROOT
from nlu.evaluation import first_wave
from nlu.evaluation.comparisons import ENTITY_COLUMNS, INTENT_COLUMNS, Comparison
from nlu.evaluation.detection import (
    OURS,
    Detection,
    OtherLanguageIdentification,
    combined_detection,
)
from nlu.evaluation.held_out import TestSet
from nlu.evaluation.rasa_runs import ModelLabels
from nlu.evaluation.scores import (
    FALLBACK,
    OOS,
    TOP_CONFUSIONS,
    LanguageResult,
    View,
    confusions,
)

REPORT = ROOT / "docs" / "nlu-report.md"
MACRO_F1_TARGET = 0.93
OOS_RECALL_TARGET = 0.85
DETECTION_TARGET = 0.98
OTHER_LANGUAGE_TARGET = 0.85  # messages in a language Loket does not speak, recognised
SENT_AWAY_LIMIT = 0.005  # Loket's own messages taken for another language
COMPONENTS_START, COMPONENTS_END = "<!-- components:start -->", "<!-- components:end -->"
COMPONENTS_PLACEHOLDER = """## Components

Not measured yet. `.venvs/hub/bin/python -m nlu.evaluate --compare config-without-X.yml ...`
trains a model from each given configuration (same training data), evaluates it on the
same held-out messages and rewrites this section: macro-F1 and out-of-scope recall per
language as the bot answers, next to the current model. Runs without `--compare` keep
this section as it is."""


@dataclass
class Run:
    """Everything the report shows."""

    date: str
    model: Path
    command: str
    rasa_command: str
    seconds: dict[str, float]
    test_set: TestSet
    digest: str
    labels: ModelLabels
    results: list[LanguageResult]
    rasa_report: dict[str, Any]
    detections: list[Detection]
    other_languages: list[OtherLanguageIdentification]
    comparisons: list[Comparison] | None
    trainings: dict[int, list[LanguageResult]]  # per seed; config.yml's seed is `results`


def pct(value: float | None) -> str:
    """A share as a percentage with one decimal."""
    return "n/a" if value is None else f"{100 * value:.1f}%"


def verdict(value: float | None, target: float) -> str:
    """PASS or MISS against a target."""
    return "n/a" if value is None else ("PASS" if value >= target else "MISS")


def fingerprint_of(model: Path) -> str:
    """The fingerprint in a model's name (`loket-<fingerprint>.tar.gz`)."""
    return model.name.removesuffix(".tar.gz").removeprefix("loket-")


def header(run: Run) -> list[str]:
    """Title, what was measured, and how."""
    took = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in run.seconds.items())
    return [
        "# NLU evaluation: held-out test set",
        "",
        "Written by `nlu/evaluate.py` (`make eval`); do not edit by hand: the next run "
        "rewrites everything except the Components section. The held-out messages in "
        "`tests/nlu/{fr,nl,en}.yml` are never training data; messages also found in "
        "`nlu/` (ignoring case, accents and punctuation) are left out and listed below.",
        "",
        f"- Date: {run.date}",
        f"- Model: `{run.model.name}` (fingerprint `{fingerprint_of(run.model)}`)",
        f"- Held-out set: `tests/nlu/` (sha256 `{run.digest}`), {len(run.test_set.all)} "
        f"messages, {sum(len(r.bot) for r in run.results)} of intents the model knows",
        f"- Command: `{run.command}` (wall time: {took})",
        f"- It runs `{run.rasa_command}` on the held-out messages of the three languages "
        "and splits Rasa's per-message predictions (intent_successes.json, "
        "intent_errors.json) by language; then it parses every message with the model "
        "exactly as the Rasa server does (`Agent.parse_message`, in the brain environment).",
        "",
        "How to read the figures:",
        "",
        "- `rasa test nlu` undoes the FallbackClassifier before scoring (rasa/nlu/test.py, "
        "`undo_fallback_prediction`): its figures are DIET's best guess and never contain "
        "`nlu_fallback`. The bot, however, answers `nlu_fallback` when DIET's confidence "
        "is below 0.5 or its two best intents are within 0.1. The headline figures "
        "are therefore the bot's, from the parse pass; `rasa test nlu` figures are shown "
        "beside them.",
        "- Intents: precision, recall and F1 per gold intent the model knows, as the bot "
        "answers; `nlu_fallback` is a wrong answer (it is never a gold intent, so it "
        "lowers the recall of the intent it replaced and no precision). Macro-F1 is the "
        "unweighted mean over the gold intents.",
        "- Out-of-scope recall: the bot answers `nlu_fallback` exactly like `out_of_scope` "
        '(an honest "I can\'t help with that" and the menu). Decision: for an '
        "out-of-scope message, `nlu_fallback` counts as correct (headline figure); the "
        "strict figure, where it counts as wrong, is shown beside it.",
        "",
    ]


def targets_section(run: Run) -> list[str]:
    """PASS/MISS per target and language, with a short why for each miss."""
    lines = [
        "## Targets",
        "",
        "| target | language | figure | other views | verdict | why (if missed) |",
        "|---|---|---:|---|---|---|",
    ]
    for r in run.results:
        f1 = r.macro_f1()
        lines.append(
            f"| macro-F1 >= {MACRO_F1_TARGET:.2f} | {r.language} | {f1:.3f} "
            f"| rasa test nlu {r.macro_f1(View.RASA):.3f} "
            f"| {verdict(f1, MACRO_F1_TARGET)} | {why_f1(r) if f1 < MACRO_F1_TARGET else ''} |"
        )
    for r in run.results:
        oos = r.oos_recall()
        missed = oos is not None and oos < OOS_RECALL_TARGET
        lines.append(
            f"| out-of-scope recall >= {OOS_RECALL_TARGET:.0%} (nlu_fallback counted) "
            f"| {r.language} | {pct(oos)} | strict {pct(r.oos_recall(View.STRICT))}, "
            f"rasa test nlu {pct(r.oos_recall(View.RASA))} "
            f"| {verdict(oos, OOS_RECALL_TARGET)} | {why_oos(r) if missed else ''} |"
        )
    lines += detection_target_rows(run.detections)
    lines += other_language_target_rows(run.other_languages)
    lines += first_wave.target_rows(run.trainings)
    return [*lines, ""]


def detection_target_rows(detections: Sequence[Detection]) -> list[str]:
    """The language-detection target, on all messages and on those detect() answers."""
    rows = []
    for d in [*detections, combined_detection(detections)]:
        why = (
            f"abstains on {pct(d.abstain_share)} (words every language uses: 'ok', '1030'); "
            f"{len(d.wrong)} wrong, mostly messages mixing two languages (listed below)"
        )
        rows.append(
            f"| language detection >= {DETECTION_TARGET:.0%}, None = wrong | {d.language} "
            f"| {pct(d.accuracy)} | | {verdict(d.accuracy, DETECTION_TARGET)} "
            f"| {why if d.accuracy < DETECTION_TARGET else ''} |"
        )
        examples = "; ".join(f"`{text}` -> {found}" for text, found in d.wrong[:3])
        missed = d.answered_accuracy < DETECTION_TARGET
        rows.append(
            f"| language detection >= {DETECTION_TARGET:.0%}, when it answers | {d.language} "
            f"| {pct(d.answered_accuracy)} | | {verdict(d.answered_accuracy, DETECTION_TARGET)} "
            f"| {f'{len(d.wrong)} wrong, e.g. {examples}' if missed else ''} |"
        )
    return rows


def other_language_target_rows(results: Sequence[OtherLanguageIdentification]) -> list[str]:
    """Other languages recognised; Loket's own messages never taken for one of them."""
    rows = []
    for r in results:
        examples = "; ".join(f"`{text}` -> {found}" for text, found in r.wrong[:3])
        if r.language == OURS:
            passed = r.share <= SENT_AWAY_LIMIT
            rows.append(
                f"| own messages taken for another language <= {SENT_AWAY_LIMIT:.1%} | fr, nl, en "
                f"| {pct(r.share)} | | {'PASS' if passed else 'MISS'} "
                f"| {'' if passed else examples} |"
            )
            continue
        rows.append(
            f"| other language recognised >= {OTHER_LANGUAGE_TARGET:.0%} | {r.language} "
            f"| {pct(r.share)} | short messages {pct(r.short_share)} "
            f"| {verdict(r.share, OTHER_LANGUAGE_TARGET)} "
            f"| {examples if r.share < OTHER_LANGUAGE_TARGET else ''} |"
        )
    return rows


def why_f1(result: LanguageResult) -> str:
    """The weakest intents and the fallback share: where the macro-F1 is lost."""
    weakest = sorted(result.scores().items(), key=lambda kv: kv[1].f1)[:3]
    listed = ", ".join(f"{name} {s.f1:.2f}" for name, s in weakest)
    return f"weakest F1: {listed}; {pct(result.fallback_share)} of messages fell back"


def why_oos(result: LanguageResult) -> str:
    """What the out-of-scope messages were taken for instead."""
    taken = Counter(p.predicted for p in result.bot if p.intent == OOS)
    wrong = [(label, n) for label, n in taken.most_common() if label not in (OOS, FALLBACK)]
    return "taken for " + ", ".join(f"{label} ({n})" for label, n in wrong[:4])


def summary_section(run: Run) -> list[str]:
    """One line per language: the headline figures."""
    lines = [
        "## Summary per language",
        "",
        "| language | messages | accuracy | macro-F1 | macro-F1 rasa test nlu "
        "| OOS recall (nlu_fallback counted) | OOS recall strict | OOS recall rasa test nlu "
        "| fell back (nlu_fallback) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in run.results:
        lines.append(
            f"| {r.language} | {len(r.bot)} | {pct(r.accuracy)} | {r.macro_f1():.3f} "
            f"| {r.macro_f1(View.RASA):.3f} | {pct(r.oos_recall())} "
            f"| {pct(r.oos_recall(View.STRICT))} | {pct(r.oos_recall(View.RASA))} "
            f"| {pct(r.fallback_share)} |"
        )
    report = run.rasa_report
    if "accuracy" in report and "macro avg" in report:
        lines += [
            "",
            "Rasa's own intent_report.json (all languages together, fallback undone): "
            f"accuracy {report['accuracy']:.3f}, macro-F1 {report['macro avg']['f1-score']:.3f}, "
            f"weighted F1 {report['weighted avg']['f1-score']:.3f}.",
        ]
    return [*lines, ""]


def counts_section(run: Run) -> list[str]:
    """How many held-out messages per intent and language, and which the model lacks."""
    counts = Counter((e.intent, e.language) for e in run.test_set.all)
    intents = list(dict.fromkeys(e.intent for e in run.test_set.all))
    lines = [
        "## Held-out set",
        "",
        "| intent | fr | nl | en | in model |",
        "|---|---:|---:|---:|---|",
    ]
    for intent in intents:
        cells = " | ".join(str(counts[(intent, lang)]) for lang in LANGUAGES)
        known = "yes" if intent in run.labels.intents else "**not in model**"
        lines.append(f"| {intent} | {cells} | {known} |")
    totals = " | ".join(str(len(run.test_set.examples[lang])) for lang in LANGUAGES)
    lines += [f"| **total** | {totals} | |", "", *left_out_lines(run, intents), ""]
    return lines


def left_out_lines(run: Run, tested: Sequence[str]) -> list[str]:
    """Unknown intents and entities, untested model intents, messages left out."""
    annotated = {t for e in run.test_set.all for t in e.entities}
    unknown_intents = [i for i in tested if i not in run.labels.intents]
    unknown_entities = sorted(annotated - run.labels.entities)
    untested = sorted(run.labels.intents - set(tested) - {FALLBACK})
    lines = [
        f"- Test intents not in the model (not evaluated): {', '.join(unknown_intents) or 'none'}.",
        f"- Annotated entities not in the model: {', '.join(unknown_entities) or 'none'}.",
        f"- Model intents without held-out messages: {', '.join(untested) or 'none'}.",
    ]
    for reason, left in (
        ("also in the training data (a leak: rewrite one of the two)", run.test_set.in_training),
        ("written twice in the held-out set", run.test_set.duplicates),
    ):
        listed = "; ".join(f"{e.language} `{e.text}`" for e in left) or "none"
        lines.append(f"- Left out, {reason}: {listed}.")
    return lines


def intents_section(run: Run) -> list[str]:
    """Precision, recall, F1 per intent, one table per language."""
    lines = [
        "## Per intent",
        "",
        "Precision, recall and F1 as the bot answers (`nlu_fallback` = wrong), then the F1 "
        "of `rasa test nlu` (fallback undone) and how many messages fell back.",
        "",
    ]
    for r in run.results:
        diet = r.scores(View.RASA)
        fell = Counter(p.intent for p in r.bot if p.predicted == FALLBACK)
        lines += [
            f"### {r.language}",
            "",
            "| intent | precision | recall | F1 | F1 rasa test nlu | fell back | messages "
            "| F1 first wave |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        before = first_wave.baseline().get(r.language, {})
        for intent, s in r.scores().items():
            was = f"{before[intent]:.3f}" if intent in before else "new"
            lines.append(
                f"| {intent} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} "
                f"| {diet[intent].f1:.3f} | {fell[intent]} | {s.support} | {was} |"
            )
        lines.append("")
    return lines


def entities_section(run: Run) -> list[str]:
    """Exact-span entity scores per language, as the bot extracts them."""
    lines = [
        "## Entities",
        "",
        "As the bot extracts them (all extractors together; duplicates merged): a "
        "predicted entity counts only if its type, start and end match an annotation "
        "exactly. Values and synonyms are not compared. (Rasa's own entity report is per "
        "extractor and scores each extractor against every entity type, including those "
        "it never extracts, so it is not used here.)",
        "",
        "| language | entity | precision | recall | F1 | annotated |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in run.results:
        for label, s in r.entity_scores().items():
            lines.append(
                f"| {r.language} | {label} | {s.precision:.3f} | {s.recall:.3f} "
                f"| {s.f1:.3f} | {s.support} |"
            )
    return [*lines, ""]


def confusions_section(run: Run) -> list[str]:
    """The most confused (gold, predicted) pairs over all languages."""
    lines = [
        f"## The {TOP_CONFUSIONS} most confused intent pairs",
        "",
        "As the bot answers, all languages together, `nlu_fallback` kept as a label.",
        "",
        "| gold intent | predicted | errors | fr | nl | en | example |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for c in confusions(run.results):
        per = " | ".join(str(c.counts.get(lang, 0)) for lang in LANGUAGES)
        lines.append(f"| {c.gold} | {c.predicted} | {c.total} | {per} | `{c.example}` |")
    return [*lines, ""]


def detection_section(run: Run) -> list[str]:
    """bot.languages.detect on every held-out message."""
    lines = [
        "## Language detection",
        "",
        "`bot.languages.detect` on every held-out message: Loket's lexicon (bot/lexicon.py, "
        "a per-word naive Bayes model learned from the training examples in nlu/), times "
        f"lingua's confidence from {SENTENCE_LETTERS} letters on; None below a probability "
        "of 0.6. The file's language is the truth; messages mixing languages count for the "
        "language of their file. Words every language uses ('ok', '1030', 'Molenbeek') "
        "tell nothing: when detect() abstains the hub keeps the "
        "conversation's language (`bot.languages.choose` ignores a None candidate), and a "
        "detected language never overrides an explicit choice or a channel hint.",
        "",
        "| language | messages | correct, None = wrong | abstained (None) "
        f"| under {SENTENCE_LETTERS} letters | correct when it answers "
        "| wrong answers |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for d in [*run.detections, combined_detection(run.detections)]:
        lines.append(
            f"| {d.language} | {d.total} | {pct(d.accuracy)} | {pct(d.abstain_share)} "
            f"| {pct(d.short_share)} | {pct(d.answered_accuracy)} | {len(d.wrong)} |"
        )
    wrong = combined_detection(run.detections).wrong
    if wrong:
        lines += ["", "Wrong answers (message -> detected):", ""]
        lines += [f"- `{text}` -> {found}" for text, found in wrong]
    return [*lines, ""]


def other_languages_section(run: Run) -> list[str]:
    """bot.languages.other_language on messages in languages Loket does not speak."""
    lines = [
        "## Languages Loket does not speak",
        "",
        "`bot.languages.other_language` on the held-out messages of "
        "`tests/nlu/other-languages.yml` (written as newcomers write; short ones included), "
        "and on every held-out message in French, Dutch and English (row `ours`: a message "
        "recognised as another language there would get the wrong answer). A message is "
        "recognised when it is made only of one language's `words` "
        "(content/other_languages.yml), by Arabic or Cyrillic letters, or, from "
        f"{SENTENCE_LETTERS} letters on, when lingua is at least 70% sure. The person then "
        "gets that language's fixed message (content/other_languages.yml, written by the "
        "team and waiting for review by native speakers).",
        "",
        f"| language | messages | recognised | under {SENTENCE_LETTERS} letters "
        "| of those recognised | wrong answers |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in run.other_languages:
        lines.append(
            f"| {r.language} | {r.total} | {pct(r.share)} | {r.short} "
            f"| {pct(r.short_share)} | {len(r.wrong)} |"
        )
    wrong = [w for r in run.other_languages for w in r.wrong]
    if wrong:
        lines += ["", "Not recognised, or recognised as another language (message -> found):", ""]
        lines += [f"- `{text}` -> {found}" for text, found in wrong]
    return [*lines, ""]


def components_section(run: Run, previous: str | None) -> str:
    """The Components section: new comparisons, else the previous one, else a placeholder."""
    if run.comparisons is None:
        return previous or COMPONENTS_PLACEHOLDER
    lines = [
        "## Components",
        "",
        f"Measured {run.date}: a model trained from each configuration on the same "
        f"training data, evaluated on the same held-out set (sha256 `{run.digest}`) as the "
        f"current model `{run.model.name}`, as the bot answers (macro-F1 with "
        "`nlu_fallback` = wrong; out-of-scope recall with `nlu_fallback` counted).",
        "",
        "| configuration | training (s) | macro-F1 fr | macro-F1 nl | macro-F1 en "
        "| OOS recall fr | OOS recall nl | OOS recall en "
        + "".join(f"| {entity} F1, all languages " for entity in ENTITY_COLUMNS)
        + "".join(f"| intent {intent} F1, all languages " for intent in INTENT_COLUMNS)
        + "|",
        "|---|---:|---:|---:|---:|---:|---:|---:|"
        + "---:|" * (len(ENTITY_COLUMNS) + len(INTENT_COLUMNS)),
        comparison_row("config.yml (current model)", None, run.results),
    ]
    lines += [comparison_row(c.config, c.train_seconds, c.results) for c in run.comparisons]
    return "\n".join(lines)


def comparison_row(name: str, seconds: float | None, results: Sequence[LanguageResult]) -> str:
    """One configuration's line of the Components table."""
    by_lang = {r.language: r for r in results}
    f1 = " | ".join(
        f"{by_lang[lang].macro_f1():.3f}" if lang in by_lang else "n/a" for lang in LANGUAGES
    )
    oos = " | ".join(
        pct(by_lang[lang].oos_recall()) if lang in by_lang else "n/a" for lang in LANGUAGES
    )
    together = LanguageResult("all", [p for r in results for p in r.bot])
    entities, intents = together.entity_scores(), together.scores()
    scored = [
        *(f"{entities[e].f1:.3f}" if e in entities else "n/a" for e in ENTITY_COLUMNS),
        *(f"{intents[i].f1:.3f}" if i in intents else "n/a" for i in INTENT_COLUMNS),
    ]
    took = "n/a" if seconds is None else f"{seconds:.0f}"
    return f"| `{name}` | {took} | {f1} | {oos} | {' | '.join(scored)} |"


def previous_components(path: Path) -> str | None:
    """The Components section of the existing report, if any."""
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8")
    if COMPONENTS_START not in text or COMPONENTS_END not in text:
        return None
    return text.split(COMPONENTS_START, 1)[1].split(COMPONENTS_END, 1)[0].strip()


def render(run: Run, previous: str | None) -> str:
    """The whole report."""
    lines = [
        *header(run),
        *targets_section(run),
        *summary_section(run),
        *intents_section(run),
        *first_wave.section(run.trainings),
        *confusions_section(run),
        *detection_section(run),
        *other_languages_section(run),
        *entities_section(run),
        *counts_section(run),
        COMPONENTS_START,
        components_section(run, previous),
        COMPONENTS_END,
    ]
    return "\n".join(lines) + "\n"
