"""The held-out set: tests/nlu/{fr,nl,en}.yml, never training data.

A held-out message also found in nlu/ (ignoring case, accents and punctuation) is a
leak: it is left out of the figures and listed. Reading the NLU files themselves is
nlu/examples.py.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import LANGUAGES, ROOT
from nlu.evaluation import EvaluationError
from nlu.examples import MARKUP, entity_type, plain_text, read_examples

TEST_DIR = ROOT / "tests" / "nlu"
TRAINING_DIR = ROOT / "nlu"

Span = tuple[str, int, int]  # (entity type, start, end) in the message text


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
