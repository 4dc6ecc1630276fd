"""The spoken form of a reply: what the phone line says, from the text the renderer made.

Applied once, to every text of a spoken turn (`for_turn`), after rendering:

- Phone numbers are written as digit groups separated by single spaces, "plus" as a word
  ("02 279 22 11", "plus 32 2 518 21 23"), and each is said twice: its sentence is
  followed by message `phone_repeat` ("I repeat: 02 279 22 11."). voice/synthesis.py says
  a sentence holding digit groups slowly. A phone number is a run of digit groups
  (separated by spaces or commas) that starts with "plus", or with 0 and has 9 digits or
  more (02 279 22 11, 0800 35 123), or a short number of two pairs (17 65). Postcodes
  and years are single groups, or lists written with commas: "1000, 1020".
- Acronyms are said as content/spoken_terms.yml says ("C-P-A-S", "Onème"), and the
  first mention in a turn is followed by the plain name: "le C-P-A-S, le centre public
  d'action sociale, de votre commune". Not when the text already says the plain name.

The written form (chat, SMS) never goes through here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from ._catalogue.checks import read_required
from ._catalogue.model import LANGUAGES, Messages
from ._catalogue.report import PathParts, Report
from .catalogue import Catalogue, default_content_dir

SPOKEN_TERMS_FILE = "spoken_terms.yml"
REPEAT_MESSAGE = "phone_repeat"
"""The message that says a phone number again: "I repeat: {number}."."""

# A run of digit groups, separated by a space or a comma and a space, maybe after "plus".
_NUMBER_RUN = re.compile(r"(?<![\w+])(?:(?:plus |\+) ?)?\d+(?:,? \d+)*(?!\w)")
# A sentence: up to . ! ? or … before a space or the end of its line, or up to that end.
_SENTENCE = re.compile(r"[^\n]*?(?:[.!?…](?=\s|$)|$)", re.MULTILINE)
_DIGITS = re.compile(r"\d+")
SPOKEN_NUMBER = re.compile(r"(?:plus )?\d+(?: \d+)+")
"""A phone number in a spoken text, as `say_numbers_twice` writes it (for the phone
line's "repeat the number" key): "Je répète : 02 279 22 11." holds one."""

_TERM_FIELDS = ("said", "plain")


# ---------------------------------------------------------------- the lexicon


@dataclass(frozen=True)
class SpokenTerm:
    """An acronym or name of one language: how it is said, and its plain name if any."""

    written: str
    said: str
    plain: str | None = None

    @property
    def pattern(self) -> re.Pattern[str]:
        """The term as written, capitalised (Onem) or spelled with spaces (C P A S)."""
        forms = {self.written, self.written.capitalize(), " ".join(self.written)}
        alternatives = "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True))
        return re.compile(rf"(?<![\w-])(?:{alternatives})(?!\w)")


@dataclass(frozen=True)
class SpokenTerms:
    """content/spoken_terms.yml: the terms of each language, by written form."""

    terms: Mapping[str, Mapping[str, SpokenTerm]]

    def of(self, lang: str) -> Mapping[str, SpokenTerm]:
        """The terms of `lang` ("fr", "nl", "en"), by written form."""
        return self.terms.get(lang, {})


def _term_problems(where: PathParts, value: Any) -> list[tuple[PathParts, str]]:
    """Problems of one entry: a set of optional texts `said` and `plain`."""
    if not isinstance(value, dict):
        return [(where, "must be a set of fields (said, plain), or {} when none is needed")]
    problems = [
        ((*where, str(key)), f"is not a known field (known: {', '.join(_TERM_FIELDS)})")
        for key in value
        if key not in _TERM_FIELDS
    ]
    problems += [
        ((*where, key), "must be a non-empty text")
        for key in _TERM_FIELDS
        if key in value and (not isinstance(value[key], str) or not value[key].strip())
    ]
    return problems


def _lexicon_problems(data: Any) -> list[tuple[PathParts, str]]:
    """Problems of the whole file: one set of terms per language, each term well formed."""
    if not isinstance(data, dict):
        return [((), "must have the terms of each language: fr, nl and en")]
    problems: list[tuple[PathParts, str]] = [
        ((lang,), "is missing") for lang in LANGUAGES if lang not in data
    ]
    for lang, terms in data.items():
        if lang not in LANGUAGES:
            problems.append(((str(lang),), "is not a known language (use fr, nl and en)"))
        elif not isinstance(terms, dict):
            problems.append(((lang,), "must be a set of terms, like CPAS: {said: ...}"))
        else:
            for written, value in terms.items():
                problems += _term_problems((lang, str(written)), value)
    return problems


def load_spoken_terms(path: Path) -> SpokenTerms:
    """Read and check spoken_terms.yml; raise CatalogueError listing every problem."""
    report = Report(path.parent)
    doc = read_required(path, report)
    if doc is not None:
        for where, problem in _lexicon_problems(doc.data):
            report.add(path, doc.line(where), where, problem)
    report.raise_if_any()
    assert doc is not None  # a missing or empty file is a reported problem
    return SpokenTerms({lang: _terms(doc.data[lang]) for lang in LANGUAGES})


def _terms(entries: Mapping[str, Mapping[str, str]]) -> dict[str, SpokenTerm]:
    """The checked terms of one language, by written form."""
    return {
        str(written): SpokenTerm(
            written=str(written),
            said=entry.get("said", str(written)).strip(),
            plain=entry["plain"].strip() if "plain" in entry else None,
        )
        for written, entry in entries.items()
    }


@cache
def default_terms() -> SpokenTerms:
    """The lexicon of the content directory the brain uses, read once."""
    return load_spoken_terms(default_content_dir() / SPOKEN_TERMS_FILE)


# ---------------------------------------------------------------- phone numbers


def _is_phone_number(run: str) -> bool:
    """Whether a run of digit groups is a phone number (see the module's docstring)."""
    groups = _DIGITS.findall(run)
    if not run[0].isdigit():  # "plus 32 ..."
        return True
    if len(groups) < 2:
        return False
    digits = "".join(groups)
    two_pairs = len(groups) == 2 and all(len(group) == 2 for group in groups)
    return (digits.startswith("0") and len(digits) >= 9) or (two_pairs and digits[0] == "1")


def _grouped(run: str) -> str:
    """A phone number as said: its groups separated by single spaces, "plus" as a word."""
    prefix = "plus " if not run[0].isdigit() else ""
    return prefix + " ".join(_DIGITS.findall(run))


def say_numbers_twice(text: str, repeat: str) -> str:
    """Write each phone number of `text` grouped, and say it again after its sentence.

    `repeat` is the "I repeat: {number}." message of the turn's language.
    """
    return _SENTENCE.sub(lambda sentence: _sentence_twice(sentence.group(0), repeat), text)


def _sentence_twice(sentence: str, repeat: str) -> str:
    """One sentence with its phone numbers grouped, then each of them said again."""
    numbers: list[str] = []

    def grouped(found: re.Match[str]) -> str:
        if not _is_phone_number(found.group(0)):
            return found.group(0)
        numbers.append(_grouped(found.group(0)))
        return numbers[-1]

    said = _NUMBER_RUN.sub(grouped, sentence)
    if not numbers:
        return said
    stop = "" if said.endswith(tuple(".!?…")) else "."
    return said + stop + "".join(f" {repeat.format(number=number)}" for number in numbers)


# ---------------------------------------------------------------- acronyms


def say_terms(text: str, terms: Mapping[str, SpokenTerm], explained: set[str]) -> str:
    """Replace each term of `text` by how it is said; add its plain name the first time.

    `explained` holds the terms whose plain name the turn has said; it grows.
    """
    for term in terms.values():
        text = term.pattern.sub(lambda found, t=term: _said(t, found, explained), text)
    return text


def _said(term: SpokenTerm, found: re.Match[str], explained: set[str]) -> str:
    """One mention of `term`: how it is said, with its plain name if not said yet."""
    text = found.string
    follows = text[found.end() :].lstrip(" ")
    # Part of a name ("SPF Finances", "Capac Brussels"): explained at a later mention.
    if term.plain is None or term.written in explained or follows[:1].isupper():
        return term.said
    explained.add(term.written)
    if term.plain.lower() in text.lower():  # the text explains it itself
        return term.said
    # An apposition: closed by a comma unless the sentence or a clause ends there.
    closing = "" if not follows or follows[0] in ".,;:!?…)\n" else ","
    return f"{term.said}, {term.plain}{closing}"


# ---------------------------------------------------------------- a spoken turn


@dataclass
class Speech:
    """The spoken form of every text of one turn, in one language."""

    terms: Mapping[str, SpokenTerm]
    repeat: str
    explained: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, messages: Messages, terms: SpokenTerms, lang: str) -> Speech:
        """Speech in `lang`, with the catalogue's "I repeat" message and the lexicon."""
        return cls(terms.of(lang), messages.phrase(REPEAT_MESSAGE).spoken.in_(lang))

    def say(self, text: str) -> str:
        """The spoken form of `text`: numbers twice and grouped, terms as said."""
        return say_terms(say_numbers_twice(text, self.repeat), self.terms, self.explained)


class Dispatcher(Protocol):
    """What replies are sent through: rasa-sdk's CollectingDispatcher."""

    def utter_message(self, text: str | None = None, **fields: Any) -> None:
        """Send one message."""


@dataclass
class SpokenDispatcher:
    """A dispatcher that sends every text in its spoken form."""

    dispatcher: Dispatcher
    speech: Speech

    def utter_message(self, text: str | None = None, **fields: Any) -> None:
        """Send one message, its text in the spoken form."""
        self.dispatcher.utter_message(text=self.speech.say(text) if text else text, **fields)


def for_turn(dispatcher: Dispatcher, catalogue: Catalogue, lang: str, spoken: bool) -> Dispatcher:
    """The dispatcher of a turn: as it is when written, speaking every text when spoken."""
    if not spoken:
        return dispatcher
    return SpokenDispatcher(dispatcher, Speech.of(catalogue.messages, default_terms(), lang))
