"""Urgent topics: a person in distress, violence, thoughts of suicide.

A message that holds one of a topic's phrases (content/urgent.yml) is answered at once
with that topic's answer, the right Belgian numbers, and goes first in the agents' queue
(the conversation service does that part).

Matching, and its trade-off. A phrase matches as a run of whole words, ignoring case,
accents and apostrophes: "Je veux me SUICIDER", "je veux me suicider" and "jveux me
suicidé" meet "suicid*", and "j'en peux plus" meets "jen peux plus". A word ending in
"*" matches every word that starts with it. There is no understanding of meaning, so:

- a false alarm (someone who writes "j'en peux plus de ces papiers") gets the numbers
  and a person sooner than needed: a small cost;
- a miss (someone in danger who gets a procedure menu) is the cost that matters, so
  phrases are generous, single strong words ("suicide", "violence", "zelfmoord") match
  alone, and a negation ("I don't want to die") still matches;
- known innocent uses are listed per topic under `except` ("suicide squad"): their words
  are set aside before matching, so "suicide squad film" does not match while "after
  suicide squad I want to kill myself" still does;
- words that are common in ordinary questions ("help", "au secours", "ik kan niet meer
  inloggen") are not phrases: the tests check every NLU training example stays clear.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import yaml

from bot.folding import fold
from bot.settings import LANGUAGES, Language

MIN_PREFIX = 4
"""Letters a prefix word ("suicid*") needs at least."""

Pattern = tuple[str, ...]
"""A phrase as folded words; a word ending in "*" is a prefix."""

_APOSTROPHES = re.compile("['’‘`´ʼ]")
_WORD = re.compile(r"\w+")
_PATTERN_WORD = re.compile(r"\w+\*?")  # in a phrase, a final "*" makes a prefix
_DIGITS = re.compile(r"\d+(?:[ ,]+\d+)*")
# Letters that Unicode does not split into a base letter and an accent.


class UrgentFileError(ValueError):
    """content/urgent.yml is wrong; the message names the file and the field."""


# ---------------------------------------------------------------- words of phrases


def word_variants(text: str, phrase: bool = False) -> set[Pattern]:
    """The words of `text`, folded, with apostrophes read as a space and as nothing.

    "can't" gives ("can", "t") and ("cant",), so it meets both ways people type it. In a
    `phrase`, a word may end with "*" (a prefix).
    """
    folded, word = fold(text), _PATTERN_WORD if phrase else _WORD
    return {tuple(word.findall(_APOSTROPHES.sub(glue, folded))) for glue in (" ", "")}


def _word_matches(pattern_word: str, word: str) -> bool:
    if pattern_word.endswith("*"):
        return word.startswith(pattern_word[:-1])
    return word == pattern_word


def _spans(pattern: Pattern, words: Pattern) -> Iterator[range]:
    """Every run of `words` that `pattern` matches, as a range of word positions."""
    size = len(pattern)
    for start in range(len(words) - size + 1):
        if all(
            _word_matches(p, w) for p, w in zip(pattern, words[start : start + size], strict=True)
        ):
            yield range(start, start + size)


# ---------------------------------------------------------------- topics and matches


@dataclass(frozen=True)
class Answer:
    """What Loket says for a topic: per language, for the chat and for the phone."""

    written: Mapping[Language, str]
    spoken: Mapping[Language, str]

    def text(self, language: Language, spoken: bool) -> str:
        """The answer in `language`, spoken (phone) or written (chat, SMS)."""
        if language not in LANGUAGES:
            raise ValueError(f"no urgent answer in {language!r}; expected one of {LANGUAGES}")
        return (self.spoken if spoken else self.written)[language]


@dataclass(frozen=True)
class UrgentMatch:
    """An urgent topic found in a message: which, on which phrase, and what to say."""

    topic: str
    phrase: str
    _answer: Answer

    def answer(self, language: Language, spoken: bool = False) -> str:
        """The topic's answer in `language`, spoken for the phone or written."""
        return self._answer.text(language, spoken)


@dataclass(frozen=True)
class Topic:
    """One urgent topic: the phrases that signal it and the answer it gets."""

    id: str
    phrases: tuple[tuple[str, frozenset[Pattern]], ...]  # (phrase as written, its variants)
    exceptions: frozenset[Pattern]
    answer: Answer

    def find(self, words: Pattern) -> str | None:
        """The first phrase of this topic in `words`, outside its exceptions."""
        hidden = {i for p in self.exceptions for span in _spans(p, words) for i in span}
        for phrase, variants in self.phrases:
            for pattern in variants:
                if any(hidden.isdisjoint(span) for span in _spans(pattern, words)):
                    return phrase
        return None


@dataclass(frozen=True)
class Source:
    """Where a number Loket gives was checked."""

    number: str
    service: str
    urls: tuple[str, ...]


@dataclass(frozen=True)
class UrgentTopics:
    """Every urgent topic, most serious first, with the sources of their numbers."""

    topics: tuple[Topic, ...]
    sources: tuple[Source, ...]
    checked_on: date

    def match(self, text: str) -> UrgentMatch | None:
        """The first topic (in file order) with a phrase in `text`, or None."""
        variants = word_variants(text)
        for topic in self.topics:
            for words in variants:
                phrase = topic.find(words)
                if phrase is not None:
                    return UrgentMatch(topic.id, phrase, topic.answer)
        return None


# ---------------------------------------------------------------- loading and checking


def load_urgent(path: Path) -> UrgentTopics:
    """Read and check content/urgent.yml; UrgentFileError names the file and field."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise UrgentFileError(f"{path}: cannot be read: {error}") from None
    reader = _Reader(str(path))
    mapping = reader.mapping(data, "")
    checked_on = mapping.get("checked_on")
    if not isinstance(checked_on, date):
        reader.fail("checked_on", "must be a date written YYYY-MM-DD")
    sources = tuple(
        _source(reader, item, f"sources[{i}]")
        for i, item in enumerate(reader.items(mapping, "sources"))
    )
    known = {_digits(source.number) for source in sources}
    topics = tuple(
        _topic(reader, item, f"topics[{i}]", known)
        for i, item in enumerate(reader.items(mapping, "topics"))
    )
    _check_unique(reader, [topic.id for topic in topics])
    return UrgentTopics(topics, sources, checked_on)


class _Reader:
    """Reads fields of the loaded YAML; every failure names the file and the field."""

    def __init__(self, path: str) -> None:
        self.path = path

    def fail(self, field: str, problem: str) -> NoReturn:
        """Raise UrgentFileError for `field`."""
        raise UrgentFileError(f"{self.path}: {field or 'the file'} {problem}")

    def mapping(self, value: object, field: str) -> Mapping[str, Any]:
        """`value` as a mapping, or fail."""
        if not isinstance(value, Mapping):
            self.fail(field, "is missing or not a mapping of names to values")
        return value

    def items(self, mapping: Mapping[str, Any], key: str, field: str = "") -> list[Any]:
        """The non-empty list at `mapping[key]`, or fail."""
        value = mapping.get(key)
        if not isinstance(value, list) or not value:
            self.fail(_join(field, key), "is missing or empty: it must be a list")
        return value

    def text(self, mapping: Mapping[str, Any], key: str, field: str) -> str:
        """The non-empty text at `mapping[key]`, or fail."""
        value = mapping.get(key)
        if not isinstance(value, str) or not value.strip():
            self.fail(_join(field, key), "is missing or empty: it must be a text")
        return value.strip()

    def texts(self, mapping: Mapping[str, Any], key: str, field: str) -> list[str]:
        """The non-empty list of texts with a word at `mapping[key]`, or fail."""
        values = self.items(mapping, key, field)
        for i, value in enumerate(values):
            if not isinstance(value, str) or not word_variants(value, phrase=True) - {()}:
                self.fail(f"{_join(field, key)}[{i}]", "must be a text with at least one word")
        return [value.strip() for value in values]


def _join(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key


def _source(reader: _Reader, item: object, field: str) -> Source:
    mapping = reader.mapping(item, field)
    number = reader.text(mapping, "number", field)
    if not _digits(number):
        reader.fail(f"{field}.number", f"{number!r} holds no digits")
    urls = reader.texts(mapping, "urls", field)
    return Source(number, reader.text(mapping, "service", field), tuple(urls))


def _topic(reader: _Reader, item: object, field: str, known: set[str]) -> Topic:
    mapping = reader.mapping(item, field)
    topic_id = reader.text(mapping, "id", field)
    field = f"{field} ({topic_id})"
    phrases_by_language = reader.mapping(mapping.get("phrases"), f"{field}.phrases")
    phrases: list[str] = []
    for language in LANGUAGES:
        phrases += reader.texts(phrases_by_language, language, f"{field}.phrases")
    for language in sorted(set(phrases_by_language) - set(LANGUAGES)):
        phrases += reader.texts(phrases_by_language, language, f"{field}.phrases")
    _check_prefixes(reader, phrases, f"{field}.phrases")
    exceptions = reader.texts(mapping, "except", field) if "except" in mapping else []
    answer = _answer(reader, mapping.get("answer"), f"{field}.answer", known)
    return Topic(
        id=topic_id,
        phrases=tuple((p, frozenset(word_variants(p, phrase=True))) for p in phrases),
        exceptions=frozenset(v for p in exceptions for v in word_variants(p, phrase=True)),
        answer=answer,
    )


def _answer(reader: _Reader, value: object, field: str, known: set[str]) -> Answer:
    mapping = reader.mapping(value, field)
    forms: dict[str, dict[Language, str]] = {}
    for form in ("written", "spoken"):
        texts = reader.mapping(mapping.get(form), f"{field}.{form}")
        forms[form] = {lang: reader.text(texts, lang, f"{field}.{form}") for lang in LANGUAGES}
        for lang, text in forms[form].items():
            _check_numbers(reader, text, f"{field}.{form}.{lang}", known)
    return Answer(written=forms["written"], spoken=forms["spoken"])


def _check_prefixes(reader: _Reader, phrases: Sequence[str], field: str) -> None:
    """A prefix ("suicid*") needs 4 letters at least, or it would match far too much."""
    for phrase in phrases:
        for pattern in word_variants(phrase, phrase=True):
            if any(w.endswith("*") and len(w) < MIN_PREFIX + 1 for w in pattern):
                reader.fail(
                    field, f"hold {phrase!r}: a word ending in * needs {MIN_PREFIX}+ letters"
                )


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _check_numbers(reader: _Reader, text: str, field: str, known: set[str]) -> None:
    """Every number said must be one of the sourced numbers."""
    for found in _DIGITS.findall(text):
        if _digits(found) not in known:
            reader.fail(field, f"gives the number {found.strip()!r}, which no source lists")


def _check_unique(reader: _Reader, ids: Sequence[str]) -> None:
    seen: set[str] = set()
    for topic_id in ids:
        if topic_id in seen:
            reader.fail("topics", f"hold the id {topic_id!r} twice")
        seen.add(topic_id)
