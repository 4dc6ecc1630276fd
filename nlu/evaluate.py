"""Held-out NLU evaluation of the Loket model, per language; writes docs/nlu-report.md.

Gets the current model (`bot.training.ensure_model`: trains only if its inputs changed)
and, in the brain environment, (1) runs `rasa test nlu` once on the held-out messages of
all three languages (tests/nlu/{fr,nl,en}.yml) and splits Rasa's per-message predictions
(intent_successes.json, intent_errors.json) by language, and (2) parses every held-out
message with the model as the Rasa server does. Both are needed: `rasa test nlu` undoes
the FallbackClassifier before scoring (rasa/nlu/test.py, `undo_fallback_prediction`), so
it measures DIET's best guess, while the bot answers `nlu_fallback` whenever DIET is
unsure. The headline figures are the bot's. It also runs the hub's language detection
(`bot.languages.detect`) on every held-out message. With `--compare config-X.yml ...` it
trains a model from each configuration and fills the report's "Components" section;
without it, that section is kept as it was.

    .venvs/hub/bin/python -m nlu.evaluate [--compare config-X.yml ...]   (or: make eval)

The held-out files never go into training: a held-out message that also appears in nlu/
(ignoring case, accents and punctuation) is left out of the figures and listed. Test
intents and entities the model does not know (yet) are listed as "not in model".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shlex
import subprocess
import sys
import tarfile
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from bot.languages import SENTENCE_LETTERS, detect, letters
from bot.settings import LANGUAGES, ROOT, Settings, get_settings
from bot.training import (
    BrainSetupError,
    brain_env,
    ensure_model,
    rasa_executable,
    train,
    training_lock,
)
from nlu.examples import MARKUP, entity_type, plain_text, read_examples

TEST_DIR = ROOT / "tests" / "nlu"
TRAINING_DIR = ROOT / "nlu"
REPORT = ROOT / "docs" / "nlu-report.md"
MACRO_F1_TARGET = 0.93
OOS_RECALL_TARGET = 0.85
DETECTION_TARGET = 0.98
OOS, FALLBACK = "out_of_scope", "nlu_fallback"
TOP_CONFUSIONS = 10
COMPONENTS_START, COMPONENTS_END = "<!-- components:start -->", "<!-- components:end -->"
COMPONENTS_PLACEHOLDER = """## Components

Not measured yet. `.venvs/hub/bin/python -m nlu.evaluate --compare config-without-X.yml ...`
trains a model from each given configuration (same training data), evaluates it on the
same held-out messages and rewrites this section: macro-F1 and out-of-scope recall per
language as the bot answers, next to the current model. Runs without `--compare` keep
this section as it is."""
# `[text](entity)`, `[text](entity:value)` or `[text]{"entity": ..., "value": ...}`
# Runs in the brain environment (cwd: the project, so custom components import):
# parses each message exactly as the Rasa server does, FallbackClassifier included.
PARSE_SCRIPT = """
import asyncio, json, logging, sys
logging.disable(logging.WARNING)
from rasa.core.agent import Agent

async def main(model, source, target):
    agent = Agent.load(model)
    results = []
    with open(source, encoding="utf-8") as handle:
        texts = json.load(handle)
    for text in texts:
        parsed = await agent.parse_message(text)
        results.append({
            "intent": parsed.get("intent") or {},
            "entities": [
                {key: entity.get(key) for key in ("entity", "start", "end", "extractor")}
                for entity in parsed.get("entities") or []
            ],
        })
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(results, handle)

asyncio.run(main(*sys.argv[1:4]))
"""

Span = tuple[str, int, int]  # (entity type, start, end) in the message text


class EvaluationError(RuntimeError):
    """The evaluation cannot run; the message says why."""


# --- the held-out set ------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One held-out message: its language, its gold intent, the annotated line."""

    language: str
    intent: str
    raw: str

    @property
    def text(self) -> str:
        """The message as a person sends it (entity markup removed)."""
        return plain_text(self.raw)

    @property
    def entities(self) -> tuple[str, ...]:
        """The entity types annotated in the message."""
        return tuple(entity_type(m["spec"]) for m in MARKUP.finditer(self.raw))


def strip_entities(raw: str, keep: Iterable[str]) -> str:
    """The line with the markup of entity types outside `keep` removed (text kept)."""
    kept = set(keep)

    def replace(match: re.Match[str]) -> str:
        return match[0] if entity_type(match["spec"]) in kept else match["text"]

    return MARKUP.sub(replace, raw)


def gold_spans(raw: str, keep: Iterable[str]) -> frozenset[Span]:
    """The annotated entities of a line as spans of its plain text."""
    kept, spans, parts, last = set(keep), set(), [], 0
    for match in MARKUP.finditer(raw.strip()):
        parts.append(raw.strip()[last : match.start()])
        start = len("".join(parts))
        parts.append(match["text"])
        if entity_type(match["spec"]) in kept:
            spans.add((entity_type(match["spec"]), start, start + len(match["text"])))
        last = match.end()
    return frozenset(spans)


def normalise(text: str) -> str:
    """Compare sentences ignoring case, accents, punctuation and spacing."""
    decomposed = unicodedata.normalize("NFKD", plain_text(text).lower())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", letters).split())


def training_sentences(training_dir: Path = TRAINING_DIR) -> set[str]:
    """Every training example of nlu/, normalised."""
    return {
        normalise(raw)
        for path in sorted([*training_dir.rglob("*.yml"), *training_dir.rglob("*.yaml")])
        for _, raw in read_examples(path)
    }


@dataclass
class TestSet:
    """The held-out messages per language, and those left out (with the reason)."""

    examples: dict[str, list[Example]]
    in_training: list[Example] = field(default_factory=list)
    duplicates: list[Example] = field(default_factory=list)

    @property
    def all(self) -> list[Example]:
        """Every kept message, all languages."""
        return [e for lang in self.examples for e in self.examples[lang]]

    def known(self, intents: Iterable[str]) -> dict[str, list[Example]]:
        """Per language, the messages whose intent the model knows."""
        known = set(intents)
        return {lang: [e for e in ex if e.intent in known] for lang, ex in self.examples.items()}


def load_test_set(test_dir: Path = TEST_DIR, training: set[str] | None = None) -> TestSet:
    """The held-out files fr.yml, nl.yml, en.yml, minus messages also found in training.

    A message written twice (in one file or in two languages) is kept once.
    """
    training = training_sentences() if training is None else training
    test_set, seen = TestSet(examples={}), set()
    for lang in LANGUAGES:
        path = test_dir / f"{lang}.yml"
        if not path.exists():
            raise EvaluationError(f"The held-out file {path} is missing.")
        kept = test_set.examples.setdefault(lang, [])
        for intent, raw in read_examples(path):
            example, key = Example(lang, intent, raw), normalise(raw)
            if key in training:
                test_set.in_training.append(example)
            elif key in seen:
                test_set.duplicates.append(example)
            else:
                seen.add(key)
                kept.append(example)
    return test_set


def test_set_digest(test_dir: Path = TEST_DIR) -> str:
    """A short hash of the held-out files, to tell which version a report measured."""
    digest = hashlib.sha256()
    for lang in LANGUAGES:
        digest.update((test_dir / f"{lang}.yml").read_bytes())
    return digest.hexdigest()[:12]


# --- the model and the brain ------------------------------------------------------------


@dataclass(frozen=True)
class ModelLabels:
    """The intents and entities a trained model knows (from the domain inside it)."""

    intents: frozenset[str]
    entities: frozenset[str]


def _names(items: Iterable[Any]) -> frozenset[str]:
    """Domain list entries are names or one-key mappings (`- greet:` with options)."""
    return frozenset(str(next(iter(i))) if isinstance(i, dict) else str(i) for i in items)


def model_labels(model: Path) -> ModelLabels:
    """Read the domain packed in a model archive."""
    with tarfile.open(model, "r:gz") as archive:
        member = next(
            (m for m in archive.getmembers() if m.name.endswith("domain_provider/domain.yml")),
            None,
        )
        handle = archive.extractfile(member) if member else None
        if handle is None:
            raise EvaluationError(f"No domain found inside the model {model}.")
        domain = yaml.safe_load(handle.read()) or {}
    return ModelLabels(_names(domain.get("intents") or []), _names(domain.get("entities") or []))


def write_rasa_test_file(examples: Sequence[Example], labels: ModelLabels, path: Path) -> None:
    """A Rasa NLU file of the examples, markup of entities unknown to the model removed."""
    by_intent: dict[str, list[str]] = {}
    for example in examples:
        by_intent.setdefault(example.intent, []).append(
            strip_entities(example.raw, labels.entities)
        )
    lines = ['version: "3.1"', "nlu:"]
    for intent, raws in by_intent.items():
        lines += [f"  - intent: {intent}", "    examples: |", *(f"      - {r}" for r in raws)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _relative(path: Path) -> str:
    """A path as the report shows it: relative to the project when inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def rasa_test_command(rasa: Path, model: Path, test_file: Path, out: Path) -> list[str]:
    """The `rasa test nlu` command."""
    return [
        str(rasa), "test", "nlu",
        "--nlu", str(test_file),
        "--model", str(model),
        "--out", str(out),
        "--successes", "--no-plot", "--no-warnings",
    ]  # fmt: skip


def run_brain_command(command: list[str], log: Path) -> float:
    """Run a command in the brain environment, output to `log`; the seconds it took."""
    started = time.monotonic()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.run(
            command, cwd=ROOT, env=brain_env(), stdout=output, stderr=subprocess.STDOUT, check=False
        )
    if process.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8").splitlines()[-25:])
        raise EvaluationError(
            f"`{shlex.join(command[:4])} ...` failed ({process.returncode}):\n{tail}"
        )
    return time.monotonic() - started


@dataclass(frozen=True)
class Prediction:
    """What the model answered for one held-out message."""

    text: str
    intent: str
    predicted: str
    confidence: float
    spans: frozenset[Span] = frozenset()
    gold: frozenset[Span] = frozenset()


def read_rasa_predictions(out: Path) -> list[Prediction]:
    """Rasa's per-message results: intent_successes.json plus intent_errors.json."""
    predictions = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        if path.exists():
            for item in json.loads(path.read_text(encoding="utf-8")):
                guess = item.get("intent_prediction") or {}
                predictions.append(
                    Prediction(
                        text=item["text"],
                        intent=item["intent"],
                        predicted=guess.get("name") or "None",
                        confidence=float(guess.get("confidence") or 0.0),
                    )
                )
    return predictions


def split_by_language(
    predictions: Sequence[Prediction], known: dict[str, list[Example]]
) -> dict[str, list[Prediction]]:
    """Give each of Rasa's predictions back to the language of its message."""
    owner = {(e.text, e.intent): lang for lang, examples in known.items() for e in examples}
    split: dict[str, list[Prediction]] = {lang: [] for lang in known}
    for p in predictions:
        if (p.text, p.intent) in owner:
            split[owner[(p.text, p.intent)]].append(p)
    missing = sum(map(len, known.values())) - sum(map(len, split.values()))
    if missing:
        raise EvaluationError(f"{missing} held-out messages are missing from Rasa's results.")
    return split


def run_rasa_test(
    rasa: Path, model: Path, known: dict[str, list[Example]], labels: ModelLabels, out: Path
) -> tuple[dict[str, list[Prediction]], dict[str, Any], float]:
    """`rasa test nlu` once on all languages: predictions per language, its report, seconds."""
    test_file = out / "held-out.yml"
    write_rasa_test_file([e for examples in known.values() for e in examples], labels, test_file)
    results = out / "rasa-test-nlu"
    seconds = run_brain_command(
        rasa_test_command(rasa, model, test_file, results), out / "rasa-test-nlu.log"
    )
    report_file = results / "intent_report.json"
    report = json.loads(report_file.read_text(encoding="utf-8")) if report_file.exists() else {}
    return split_by_language(read_rasa_predictions(results), known), report, seconds


def parse_messages(
    settings: Settings,
    model: Path,
    known: dict[str, list[Example]],
    labels: ModelLabels,
    out: Path,
) -> tuple[dict[str, list[Prediction]], float]:
    """Parse every message with the model as the Rasa server does; per language, seconds."""
    examples = [e for lang in known for e in known[lang]]
    source, target = out / f"parse-{model.stem}.json", out / f"parsed-{model.stem}.json"
    source.write_text(json.dumps([e.text for e in examples]), encoding="utf-8")
    python = rasa_executable(settings).parent / "python"
    command = [str(python), "-c", PARSE_SCRIPT, str(model), str(source), str(target)]
    seconds = run_brain_command(command, out / f"parse-{model.stem}.log")
    parsed = json.loads(target.read_text(encoding="utf-8"))
    split: dict[str, list[Prediction]] = {lang: [] for lang in known}
    for example, result in zip(examples, parsed, strict=True):
        split[example.language].append(parsed_prediction(example, result, labels))
    return split, seconds


def parsed_prediction(example: Example, result: dict[str, Any], labels: ModelLabels) -> Prediction:
    """One message's parse result as a Prediction (entities as spans)."""
    intent = result.get("intent") or {}
    entities = result.get("entities") or []
    return Prediction(
        text=example.text,
        intent=example.intent,
        predicted=intent.get("name") or "None",
        confidence=float(intent.get("confidence") or 0.0),
        spans=frozenset((str(e["entity"]), int(e["start"]), int(e["end"])) for e in entities),
        gold=gold_spans(example.raw, labels.entities),
    )


# --- figures ----------------------------------------------------------------------------


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


# --- comparing configurations -----------------------------------------------------------


def train_comparison_model(settings: Settings, config: Path, out: Path) -> tuple[Path, float]:
    """Train a model from another configuration on the same data; (model, seconds)."""
    name = f"compare-{config.stem}"
    print(f"Training a model from {_relative(config)} (a few minutes)...", flush=True)
    with training_lock(settings):
        seconds = train(settings, name, config=str(config), out=out)
    return out / f"{name}.tar.gz", seconds


@dataclass
class Comparison:
    """One alternative configuration evaluated on the same held-out set."""

    config: str
    train_seconds: float
    results: list[LanguageResult]


def compare(
    settings: Settings,
    configs: Sequence[Path],
    known: dict[str, list[Example]],
    labels: ModelLabels,
    out: Path,
) -> list[Comparison]:
    """Train each configuration of `--compare` and evaluate it as the bot answers."""
    comparisons = []
    for config in configs:
        model, seconds = train_comparison_model(settings, config.resolve(), out)
        print(f"Parsing the held-out messages with {model.name}...", flush=True)
        bot, _ = parse_messages(settings, model, known, labels, out)
        results = [LanguageResult(lang, bot[lang]) for lang in known if bot[lang]]
        comparisons.append(Comparison(_relative(config.resolve()), seconds, results))
    return comparisons


# --- the report -------------------------------------------------------------------------


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
    comparisons: list[Comparison] | None


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
            "| intent | precision | recall | F1 | F1 rasa test nlu | fell back | messages |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for intent, s in r.scores().items():
            lines.append(
                f"| {intent} | {s.precision:.3f} | {s.recall:.3f} | {s.f1:.3f} "
                f"| {diet[intent].f1:.3f} | {fell[intent]} | {s.support} |"
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
        "| OOS recall fr | OOS recall nl | OOS recall en |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
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
    took = "n/a" if seconds is None else f"{seconds:.0f}"
    return f"| `{name}` | {took} | {f1} | {oos} |"


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
        *confusions_section(run),
        *detection_section(run),
        *entities_section(run),
        *counts_section(run),
        COMPONENTS_START,
        components_section(run, previous),
        COMPONENTS_END,
    ]
    return "\n".join(lines) + "\n"


# --- main -------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m nlu.evaluate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--compare", type=Path, nargs="+", default=None, metavar="CONFIG",
        help="also train a model from each configuration and fill the Components section",
    )  # fmt: skip
    parser.add_argument(
        "--model", type=Path, default=None,
        help="evaluate this model archive instead of the current one (no training)",
    )  # fmt: skip
    parser.add_argument(
        "--report", type=Path, default=REPORT, help="the Markdown report to write",
    )  # fmt: skip
    parser.add_argument(
        "--results", type=Path, default=None,
        help="keep Rasa's raw results in this folder (default: a temporary folder)",
    )  # fmt: skip
    options = parser.parse_args(argv)
    for config in options.compare or []:
        if not config.is_file():
            parser.error(f"--compare: {config} is not a file")
    python = Path(sys.executable)
    python = python.relative_to(ROOT) if python.is_relative_to(ROOT) else python
    arguments = shlex.join(sys.argv[1:] if argv is None else list(argv))
    options.command = f"{python} -m nlu.evaluate {arguments}".rstrip()
    return options


def current_model(settings: Settings, options: argparse.Namespace) -> Path:
    """The model to evaluate: the one given, or the current one (trained if needed)."""
    if options.model is not None:
        return options.model.resolve()
    print("Getting the current model (trains only if config, domain or nlu/ changed)...")
    return ensure_model(settings)


def evaluate(options: argparse.Namespace, out: Path) -> Run:
    """Everything but writing the report."""
    began = time.monotonic()
    settings = get_settings()
    model = current_model(settings, options)
    seconds = {"model (training if needed)": time.monotonic() - began}
    labels, test_set = model_labels(model), load_test_set()
    known = test_set.known(labels.intents)
    rasa = rasa_executable(settings)
    print(f"rasa test nlu: {model.name} on {sum(map(len, known.values()))} messages...")
    by_language, rasa_report, seconds["rasa test nlu"] = run_rasa_test(
        rasa, model, known, labels, out
    )
    print("Parsing every held-out message as the Rasa server does...", flush=True)
    bot, seconds["parse"] = parse_messages(settings, model, known, labels, out)
    results = [LanguageResult(lang, bot[lang], by_language[lang]) for lang in known if bot[lang]]
    detections = [detection(lang, test_set.examples[lang]) for lang in LANGUAGES]
    comparisons = (
        compare(settings, options.compare, known, labels, out) if options.compare else None
    )
    seconds["total"] = time.monotonic() - began
    template = rasa_test_command(
        Path(_relative(rasa)), model, Path("<held-out>.yml"), Path("<tmp>")
    )
    template[template.index("--model") + 1] = "<model>"
    return Run(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        model=model,
        command=options.command,
        rasa_command=shlex.join(template),
        seconds=seconds,
        test_set=test_set,
        digest=test_set_digest(),
        labels=labels,
        results=results,
        rasa_report=rasa_report,
        detections=detections,
        comparisons=comparisons,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Evaluate, write the report, print the targets."""
    options = parse_args(argv)
    try:
        if options.results is not None:
            options.results.mkdir(parents=True, exist_ok=True)
            run = evaluate(options, options.results.resolve())
        else:
            with tempfile.TemporaryDirectory(prefix="loket-eval-") as out:
                run = evaluate(options, Path(out))
    except (BrainSetupError, EvaluationError) as error:
        print(f"Evaluation failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    options.report.parent.mkdir(parents=True, exist_ok=True)
    options.report.write_text(render(run, previous_components(options.report)), encoding="utf-8")
    print("\n".join(targets_section(run)))
    print(f"Report written to {_relative(options.report.resolve())}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
