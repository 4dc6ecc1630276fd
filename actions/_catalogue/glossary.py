"""glossary.yml: words people do not know, explained, and finding one in a question.

`glossary()` reads the glossary of the content directory the brain uses, once;
`find_term("c'est quoi le C.P.A.S. ?")` returns the term a question names. The checks
run at load: glossary.schema.json, unique ids, a name used by one term only, one or two
sentences, the plain-language rules of actions/plain_language.py, no web address read
aloud, no ruled-out word, weak numbers hedged, the three languages saying the same
numbers. Acronyms have a spoken form and a plain name: tests/unit/test_glossary.py
checks them against content/spoken_terms.yml, as test_catalogue.py does for procedures.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from .. import plain_language as pl
from .checks import (
    forbidden_problem,
    hedge_problem,
    languages_differ,
    read_required,
    report_all,
    sentences,
)
from .layout import GLOSSARY_FILE, GLOSSARY_SCHEMA_FILE, default_content_dir
from .model import LANGUAGES, Term, build_text
from .report import PathParts, Report
from .schema import load_schema, schema_problems

__all__ = ["MAX_SENTENCES", "Term", "find_term", "glossary", "load_glossary", "normalise"]

MAX_SENTENCES = 2
"""An explanation is one or two sentences (issue 11): a longer one is a procedure."""

_FORMS = ("written", "spoken")


def load_glossary(content_dir: Path, report: Report) -> dict[str, Term]:
    """Validate and build glossary.yml of `content_dir`; problems go to `report`."""
    validator = load_schema(content_dir / GLOSSARY_SCHEMA_FILE, report)
    doc = read_required(content_dir / GLOSSARY_FILE, report)
    if doc is None or validator is None:
        return {}
    problems = list(schema_problems(validator, doc.data))
    # The checks below rely on the shape the schema guarantees: they skip the entries
    # it refused, and the whole file when it is not a list.
    broken = {where[0] for where, _ in problems if where}
    if isinstance(doc.data, list) and all(where for where, _ in problems):
        problems += _glossary_problems(doc.data, broken)
    report_all(doc, problems, report)
    if problems:
        return {}
    return {entry["id"]: _build_term(entry) for entry in doc.data}


@cache
def glossary() -> Mapping[str, Term]:
    """The glossary of the content directory the brain uses, by term id, read once.

    Raises CatalogueError listing every problem of glossary.yml.
    """
    content_dir = default_content_dir()
    report = Report(content_dir)
    terms = load_glossary(content_dir, report)
    report.raise_if_any()
    return terms


def normalise(text: str) -> str:
    """Lowercase `text`, drop its accents and straighten its apostrophes: "Mutualité’s"
    -> "mutualite's"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("\u2019", "'"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


_NUMBER_WORDS: dict[str, int] = {
    word: number
    for words in (
        # fr, nl and en, from 2: "un", "een" and "one" are also articles
        "deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze "
        "seize dix-sept dix-huit dix-neuf vingt",
        "twee drie vier vijf zes zeven acht negen tien elf twaalf dertien veertien vijftien "
        "zestien zeventien achttien negentien twintig",
        "two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty",
    )
    for number, word in enumerate(words.split(), start=2)
}
"""Numbers as speech recognition writes them ("annexe douze"), for names with digits."""
_NUMBER_WORD = re.compile(
    r"(?<!\w)(?:"
    + "|".join(
        r"[\s-]+".join(map(re.escape, word.split("-")))
        for word in sorted(_NUMBER_WORDS, key=len, reverse=True)
    )
    + r")(?!\w)"
)


def _digits(said: str) -> str:
    """`said` (normalised) with its numbers from two to twenty written as digits:
    "bijlage twaalf" -> "bijlage 12", "dix sept" -> "17"."""
    return _NUMBER_WORD.sub(lambda found: str(_number(found.group())), said)


def _number(word: str) -> int:
    """The value of a number word as found, spaces or a hyphen inside ("dix sept")."""
    return _NUMBER_WORDS["-".join(word.replace("-", " ").split())]


def find_term(text: str, terms: Mapping[str, Term] | None = None) -> Term | None:
    """The term whose longest name `text` holds as a whole word, in any language, ignoring
    case and accents; None if it names none. `terms` defaults to `glossary()`.

    Speech recognition writes numbers as words and an acronym as its letters: "annexe
    douze" and "c p a s" find "annexe 12" and "CPAS" (see `_patterns`)."""
    said = _digits(normalise(text))
    known = glossary() if terms is None else terms
    found = [
        (len(name), term)
        for term, name, pattern in _patterns(tuple(known.values()))
        if pattern.search(said)
    ]
    return max(found, key=lambda pair: pair[0])[1] if found else None


@cache
def _patterns(terms: tuple[Term, ...]) -> tuple[tuple[Term, str, re.Pattern[str]], ...]:
    """(term, normalised name, whole-word pattern) for every name (`_name_pattern`)."""
    return tuple(
        (term, name, _name_pattern(name))
        for term in terms
        for name in {normalise(name) for names in term.names.values() for name in names}
    )


def _name_pattern(name: str) -> re.Pattern[str]:
    """The whole-word pattern of a normalised name. A space in it also matches a hyphen or
    several spaces ("Doc-Stop", "doc  stop"). A one-word name also matches its letters
    and digits said one by one, as speech recognition writes an acronym ("c p a s",
    "c 4"): one letter apart ("c pas") is not enough. A name starting with a vowel also
    matches with a French "l" or "d" before it, the apostrophe dropped ("lonem")."""
    forms = [_spaced(name)]
    if re.fullmatch(r"[a-z0-9]{2,}", name):
        forms.append(r"\s+".join(name))
    elided = "(?:[ld]'?)?" if name[0] in "aeiou" else ""
    return re.compile(rf"(?<!\w){elided}(?:{'|'.join(forms)})(?!\w)")


def _spaced(name: str) -> str:
    """The regular expression of a normalised name, spaces matching spaces or hyphens."""
    return r"[\s-]+".join(re.escape(word) for word in name.split())


def _build_term(entry: Mapping[str, Any]) -> Term:
    """Build a Term from an entry that passed every check."""
    return Term(
        id=entry["id"],
        names={lang: tuple(entry["names"][lang]) for lang in LANGUAGES},
        written=build_text(entry["written"]),
        spoken=build_text(entry["spoken"]),
        sources=tuple(entry["sources"]),
    )


def _glossary_problems(
    data: list[Mapping[str, Any]], broken: set[str | int]
) -> Iterator[tuple[PathParts, str]]:
    """Every problem of the entries the schema accepted (all but the `broken` indexes)."""
    ids: dict[str, int] = {}
    owners: dict[str, str] = {}
    for index, entry in enumerate(data):
        if index in broken:
            continue
        if entry["id"] in ids:
            yield (index, "id"), f"{entry['id']} is already the id of [{ids[entry['id']]}]"
        ids.setdefault(entry["id"], index)
        yield from _names_problems(index, entry, owners)
        for form in _FORMS:
            for lang in LANGUAGES:
                where: PathParts = (index, form, lang)
                for problem in _text_problems(entry[form][lang], lang, form == "spoken"):
                    yield where, problem
            if problem := languages_differ(entry[form], spoken=form == "spoken"):
                yield (index, form), problem


def _names_problems(
    index: int, entry: Mapping[str, Any], owners: dict[str, str]
) -> Iterator[tuple[PathParts, str]]:
    """A name another term already has: find_term could not tell which one is meant."""
    for lang in LANGUAGES:
        for at, name in enumerate(entry["names"][lang]):
            key = normalise(name)
            owner = owners.setdefault(key, entry["id"])
            if owner != entry["id"]:
                yield (index, "names", lang, at), f"{name!r} is already a name of {owner}"


def _text_problems(text: str, lang: str, spoken: bool) -> Iterator[str]:
    """Problems of one explanation: its length, plain language, what it may not say."""
    count = len(sentences(text))
    if count > MAX_SENTENCES:
        yield f"has {count} sentences: explain the word in one or two"
    # The rules of a message (sentence length, score); read aloud, no web address.
    measure = pl.Measure("", lang, "message", spoken, text, pl.text_stats(text, lang))
    for found in pl.check_measures([measure]):
        yield f"is not plain language: {found.problem}"
    for problem in (forbidden_problem(text, lang), hedge_problem(text, lang)):
        if problem:
            yield problem
