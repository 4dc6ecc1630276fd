"""Checks the schema cannot do, and checks shared by the small files.

The first part checks texts read aloud and what a procedure file holds beyond its schema;
then what the content review looks for in a procedure (sections that contradict their
label, ruled-out words, weak numbers said as sure, languages that differ, acronyms not
explained); the last part holds what menu.yml, clarifications.yml and communes.yml have in common:
procedure ids, sets of fields, {fr, nl, en} texts, lists and unique ids.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .layout import PROCEDURES_DIR
from .model import LANGUAGES
from .report import PathParts, Report, format_field
from .yaml_source import Document, read_yaml

MAX_OPTIONS = 8
"""Most topics one message offers: the hub maps keys 1-9 to its buttons, and the last
button is always "Menu" or "Talk to a person"."""


# ---------------------------------------------------------------- checks the schema cannot do

_SPOKEN_FORBIDDEN: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"http|www\.", re.IGNORECASE), "a web address"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "an e-mail address"),
    # A bare domain such as irisbox.brussels is a web address too when read aloud.
    (
        re.compile(r"\b[a-z0-9-]+\.(?:be|brussels|com|org|net|eu|info)\b", re.IGNORECASE),
        "a web address",
    ),
)


def spoken_problem(text: str) -> str | None:
    """Return why `text` cannot be read aloud (a URL or e-mail address), or None if it can."""
    for pattern, what in _SPOKEN_FORBIDDEN:
        match = pattern.search(text)
        if match:
            return f"is read aloud and must not contain {what} (found {match.group(0)!r})"
    return None


ACRONYM = re.compile(r"(?<![\w-])[A-Z][A-Z0-9]*[A-Z][A-Z0-9]*(?![\w-])")
"""An acronym in capitals, as a spoken text may hold it: CPAS, ONEM, SPF (not C4)."""


def unknown_acronyms(text: str, known: Collection[str]) -> list[str]:
    """The acronyms in capitals of `text` that `known` (a lexicon's written forms) lacks."""
    return sorted({found for found in ACRONYM.findall(text) if found not in known})


def acronym_problems(
    spoken_texts: Iterable[tuple[str, str, str]], known: Mapping[str, Collection[str]]
) -> list[str]:
    """One line per spoken text holding an acronym its language's lexicon does not know.

    `spoken_texts` are (where, language, text); `known` holds the written forms of each
    language's terms (content/spoken_terms.yml): an unknown acronym would be read by the
    speech engine's guess, with no plain name.
    """
    problems = []
    for where, lang, text in spoken_texts:
        missing = unknown_acronyms(text, known.get(lang, ()))
        if missing:
            names = ", ".join(missing)
            problems.append(
                f"{where}: {names} is read aloud but not in the {lang} terms of "
                f"spoken_terms.yml: add how it is said and its plain name"
            )
    return problems


def leaves(data: Any, path: PathParts = ()) -> Iterator[tuple[PathParts, Any]]:
    """Yield (path, value) for every scalar in nested dicts and lists."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from leaves(value, (*path, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from leaves(value, (*path, index))
    else:
        yield path, data


def _is_spoken(path: PathParts) -> bool:
    """Whether the text at `path` of a procedure is read aloud on the phone.

    Spoken forms are, and so are title, summary and who, which have a single form.
    """
    return "spoken" in path or (len(path) == 2 and path[0] in ("title", "summary", "who"))


def _text_problems(data: Any) -> Iterator[tuple[PathParts, str]]:
    """Yield blank texts and spoken texts that contain a URL or e-mail address."""
    for path, value in leaves(data):
        if not isinstance(value, str) or not path or path[-1] not in LANGUAGES:
            continue
        if not value.strip():
            yield path, "must be a non-empty text"
        elif _is_spoken(path) and (problem := spoken_problem(value)):
            yield path, problem


# ---------------------------------------------------------------- the content review's checks

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_ONLINE = re.compile(
    r"\b(?:en ligne|online|sites?|websites?|internet|appli|app|itsme|IRISbox|Mon DOSSIER"
    r"|Mijn dossier|MyMinfin|Tax-on-web|sur un ordinateur|op een computer|on a computer)\b",
    re.IGNORECASE,
)
_NOT_ONLINE: Mapping[str, re.Pattern[str]] = {
    "fr": re.compile(
        r"guichet|téléphone|appelez|poste|lettre|papier|sur place|bureau|police"
        r"|espace public numérique",
        re.IGNORECASE,
    ),
    "nl": re.compile(
        r"loket|telefoon|\bbel|\bpost\b|brief|papier|ter plaatse|kantoor|politie"
        r"|openbare computerruimte",
        re.IGNORECASE,
    ),
    "en": re.compile(
        r"counter|phone|\bcall|\bpost\b|letter|paper|in person|office|police"
        r"|public computer space",
        re.IGNORECASE,
    ),
}
_COST: Mapping[str, re.Pattern[str]] = {
    # Not "payer" or "pay" alone: "you pay less for care" says nothing of a price.
    "fr": re.compile(r"€|\d+ euros?\b|gratuit|\bprix\b|payant|co[uû]t|amende|\btarif", re.I),
    "nl": re.compile(r"€|\d+ euro\b|gratis|\bprijs|\bkost|boete|\btarief", re.I),
    "en": re.compile(r"€|\d+ euros?\b|\bfree\b|\bprice|\bcost|\bfine\b|\bfees?\b|tariff", re.I),
}
FORBIDDEN_WORDS: Mapping[str, tuple[tuple[re.Pattern[str], str], ...]] = {
    "fr": (
        (re.compile(r"\bmutuelles?\b", re.I), "say mutualité, the word used everywhere"),
        (re.compile(r"\bparfois gratuit", re.I), "no free case is confirmed: ask the office"),
        (re.compile(r"\bsans travail\b", re.I), "too broad: au chômage ou en incapacité"),
        (re.compile(r"\bautre bien\b(?! immobilier)", re.I), "say autre bien immobilier"),
    ),
    "nl": (
        (re.compile(r"\bsoms gratis\b", re.I), "no free case is confirmed: ask the office"),
        (re.compile(r"\b(?:zonder|geen) werk\b", re.I), "too broad: werkloos of arbeidsongeschikt"),
    ),
    "en": (
        (re.compile(r"\bsometimes free\b", re.I), "no free case is confirmed: ask the office"),
        (re.compile(r"\bwithout work\b", re.I), "too broad: out of work or unfit to work"),
    ),
}
"""Words the content review ruled out, per language, with what to say instead."""

WEAK_NUMBERS: tuple[str, ...] = ("0800 40 400", "02 572 57 57")
"""Phone numbers the fact base has from news or third parties only: never said as sure."""
_HEDGE: Mapping[str, re.Pattern[str]] = {
    "fr": re.compile(r"essay|selon", re.IGNORECASE),
    "nl": re.compile(r"probe|volgens", re.IGNORECASE),
    "en": re.compile(r"\btry|according to", re.IGNORECASE),
}
_PM = re.compile(r"\b(\d{1,2})(?:[.:](\d{2}))?\s*pm\b", re.IGNORECASE)
_DIGITS = re.compile(r"\d+(?:(?:,? |[.,:h\u00a0\u202f])\d+)*")
_WEB = re.compile("|".join(pattern.pattern for pattern, _ in _SPOKEN_FORBIDDEN), re.IGNORECASE)


def sentences(text: str) -> list[str]:
    """Split `text` at the end of each sentence."""
    return [piece for piece in _SENTENCE.split(text.strip()) if piece]


def offline_problem(text: str, lang: str) -> str | None:
    """Why an `offline` ("without a computer") text sends people online, or None."""
    if problem := spoken_problem(text):
        return problem.replace("is read aloud and", "is for people without a computer and")
    for sentence in sentences(text):
        online = _ONLINE.search(sentence)
        if online and not _NOT_ONLINE[lang].search(sentence):
            return (
                f"is for people without a computer but sends them online ({online.group(0)!r} "
                "with no counter, phone, post or help in the same sentence)"
            )
    return None


def cost_problem(text: str, lang: str) -> str | None:
    """Why a `cost` text says nothing of a cost, or None."""
    if _COST[lang].search(text):
        return None
    return (
        "is a cost section but names no cost: say the price, that it is free, or who sets "
        "it (or remove the section)"
    )


def forbidden_problem(text: str, lang: str) -> str | None:
    """The first word of FORBIDDEN_WORDS in `text` and what to say instead, or None."""
    for pattern, instead in FORBIDDEN_WORDS.get(lang, ()):
        if found := pattern.search(text):
            return f"must not say {found.group(0)!r}: {instead}"
    return None


def numbers(text: str, lang: str) -> list[str]:
    """The numbers of `text`, digits only, in order: "02 279 22 11" and "02, 279, 22, 11"
    are one number, "15h30", "15.30" and "3.30 pm" are 1530, "1 250" and "1,250" are 1250."""
    if lang == "en":
        text = _PM.sub(lambda m: f"{int(m[1]) + 12}{m[2] or ''}", text)
    return sorted(re.sub(r"\D", "", run) for run in _DIGITS.findall(text))


def hedge_problem(text: str, lang: str) -> str | None:
    """Why `text` states a weakly sourced phone number as sure, or None."""
    weak = {re.sub(r"\D", "", number) for number in WEAK_NUMBERS}
    for sentence in sentences(text):
        if weak & set(numbers(sentence, lang)) and not _HEDGE[lang].search(sentence):
            return (
                "states a number the sources do not confirm as sure: say "
                "'you can try' or give its source in the same sentence"
            )
    return None


def languages_differ(texts: Mapping[str, str], spoken: bool = False) -> str | None:
    """Why the fr, nl and en forms of one text do not carry the same numbers and web
    addresses, or None if they do.

    A spoken form says times its language's way ("half past 3"): there, only numbers of
    4 digits or more (phone numbers, amounts, years) must be the same.
    """
    shortest = 4 if spoken else 1
    for what, found in (
        (
            "numbers",
            {
                lang: [n for n in numbers(text, lang) if len(n) >= shortest]
                for lang, text in texts.items()
            },
        ),
        ("web addresses", {lang: sorted(_WEB.findall(text)) for lang, text in texts.items()}),
    ):
        if len({tuple(values) for values in found.values()}) > 1:
            shown = "; ".join(f"{lang}: {', '.join(v) or 'none'}" for lang, v in found.items())
            return f"the languages do not give the same {what} ({shown})"
    return None


_SECTION_CHECKS = {"offline": offline_problem, "cost": cost_problem}


def _review_problems(data: Mapping[str, Any]) -> Iterator[tuple[PathParts, str]]:
    """Yield what the content review looks for: sections that contradict their label,
    ruled-out words, weak numbers said as sure, languages that differ."""
    for path, text in leaves(data):
        if isinstance(text, str) and path and path[-1] in LANGUAGES:
            lang = str(path[-1])
            section = _SECTION_CHECKS.get(str(path[0]))
            for problem in (
                section(text, lang) if section else None,
                forbidden_problem(text, lang),
                hedge_problem(text, lang),
            ):
                if problem:
                    yield path, problem
    for path, value in _texts(data):
        if problem := languages_differ(value, spoken="spoken" in path):
            yield path, problem


def _texts(data: Any, path: PathParts = ()) -> Iterator[tuple[PathParts, dict[str, str]]]:
    """Yield (path, {fr, nl, en}) for every text in the three languages."""
    if isinstance(data, dict):
        if all(isinstance(data.get(lang), str) for lang in LANGUAGES):
            yield path, {lang: data[lang] for lang in LANGUAGES}
            return
        for key, value in data.items():
            yield from _texts(value, (*path, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _texts(value, (*path, index))


def written_acronym_problems(
    procedures: Iterable[tuple[str, Sequence[Mapping[str, str]]]],
    plain: Mapping[str, Mapping[str, str]],
) -> list[str]:
    """One line per acronym a written procedure uses before saying what it is.

    `procedures` are (id, texts in reading order: summary, who, steps, sections), each
    text {fr, nl, en}; `plain` holds each language's plain names (spoken_terms.yml),
    article included. The text holding an acronym's first use must hold its plain name.
    """
    problems = []
    for procedure_id, texts in procedures:
        for lang in LANGUAGES:
            names = plain.get(lang, {})
            seen: set[str] = set()
            for text in (t[lang] for t in texts):
                for found in ACRONYM.findall(text):
                    if found in names and found not in seen:
                        seen.add(found)
                        name = _without_article(names[found])
                        if name.lower() not in text.lower():
                            problems.append(
                                f"{procedure_id} ({lang}): {found} is first used without "
                                f"saying what it is: add {name!r} or use the plain name"
                            )
    return problems


def _without_article(name: str) -> str:
    """A plain name without its article: "le centre public" -> "centre public"."""
    return re.sub(r"^(?:le |la |les |l'|het |de |the )", "", name, flags=re.IGNORECASE)


def date_problem(value: Any) -> str | None:
    """Why `value` is not a real date written like 2026-11-30, or None."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return "must be a date like 2026-11-30, in quotes"
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        return f"must be a date like 2026-11-30 ({value} does not exist)"
    return None


def procedure_problems(doc: Document) -> Iterator[tuple[PathParts, str]]:
    """Yield problems the schema cannot express: id vs file name, real dates, spoken texts,
    and what the content review looks for (see `_review_problems`)."""
    data = doc.data if isinstance(doc.data, dict) else {}
    stem = doc.path.stem
    if isinstance(data.get("id"), str) and data["id"] != stem:
        yield ("id",), f"must equal the file name without .yml ({stem!r}), not {data['id']!r}"
    checked_on = data.get("checked_on")
    # A badly written date is the schema's to report; a date that does not exist is ours.
    if (
        isinstance(checked_on, str)
        and re.fullmatch(r"\d{4}-\d{2}-\d{2}", checked_on)
        and (problem := date_problem(checked_on))
    ):
        yield ("checked_on",), problem
    yield from _text_problems(data)
    yield from _review_problems(data)


def related_rights_problems(doc: Document, ids: ProcedureIds) -> Iterator[tuple[PathParts, str]]:
    """Problems of a procedure's related_rights the schema cannot see: a target that is
    no procedure, the procedure itself, or named twice. The other direction is not
    required: a right can lead to a procedure that does not lead back."""
    data = doc.data if isinstance(doc.data, dict) else {}
    rights = data.get("related_rights")
    if not isinstance(rights, list):
        return
    named: dict[str, int] = {}
    for index, right in enumerate(rights):
        target = right.get("procedure") if isinstance(right, dict) else None
        where: PathParts = ("related_rights", index, "procedure")
        if not isinstance(target, str):
            continue  # the schema reports it
        if target == doc.path.stem:
            yield where, "must name another procedure, not this one"
        elif problem := ids.problem(target):
            yield where, problem
        elif target in named:
            yield where, f"{target} is already related right [{named[target]}]"
        else:
            named[target] = index


def cases_problems(doc: Document) -> Iterator[tuple[PathParts, str]]:
    """Problems of a procedure's cases the schema cannot see: a step it does not have, a
    section it does not have."""
    data = doc.data if isinstance(doc.data, dict) else {}
    cases, steps = data.get("cases"), data.get("steps")
    if not isinstance(cases, list) or not isinstance(steps, list):
        return
    for index, case in enumerate(cases):
        if not isinstance(case, dict):
            continue  # the schema reports it
        for at, number in enumerate(case.get("steps") or ()):
            if isinstance(number, int) and not 1 <= number <= len(steps):
                where: PathParts = ("cases", index, "steps", at)
                yield where, f"is step {number}, but this procedure has {len(steps)} steps"
        for at, name in enumerate(case.get("sections") or ()):
            if isinstance(name, str) and name not in data:
                yield ("cases", index, "sections", at), f"names {name}: this procedure has none"


# ---------------------------------------------------------------- shared checks of small files

HYPHENATED_ID = re.compile(r"^[a-z][a-z0-9-]*$")
"""Form of category and commune ids: lowercase letters, digits and hyphens."""


def stems(directory: Path) -> frozenset[str]:
    """Return the names without .yml of the files in `directory` (none if it is missing)."""
    return (
        frozenset(path.stem for path in directory.glob("*.yml"))
        if directory.is_dir()
        else frozenset()
    )


@dataclass(frozen=True)
class ProcedureIds:
    """Procedure ids other files may name: published (`files`) or staged."""

    files: frozenset[str]
    staged: frozenset[str]

    def problem(self, value: Any) -> str | None:
        """Why `value` cannot name a procedure, or None if it can."""
        if not isinstance(value, str) or not value.strip():
            return "must be a procedure id: its file name without .yml, like lost-eid"
        if value in self.files or value in self.staged:
            return None
        return f"{value!r} is not a procedure: there is no {PROCEDURES_DIR}/{value}.yml"


def read_required(path: Path, report: Report) -> Document | None:
    """Parse a content file that must exist; record why it cannot be used, else return it."""
    if not path.is_file():
        report.add(path, None, (), "is missing")
        return None
    doc = read_yaml(path, report)
    if doc is not None and doc.data is None:
        report.add(path, None, (), "is empty")
        return None
    return doc


def report_all(doc: Document, problems: Sequence[tuple[PathParts, str]], report: Report) -> None:
    """Record the problems of one file in the order of their lines, one per field."""
    first = {where: problem for where, problem in reversed(problems)}
    for where, problem in sorted(first.items(), key=lambda p: (doc.line(p[0]) or 0, str(p))):
        report.add(doc.path, doc.line(where), where, problem)


def fields_problems(
    where: PathParts, value: Any, required: Sequence[str], optional: Sequence[str] = ()
) -> list[tuple[PathParts, str]]:
    """Problems of a set of fields: not a mapping, a required field missing, an unknown one."""
    known = (*required, *optional)
    if not isinstance(value, dict):
        return [(where, f"must be a set of fields ({', '.join(known)})")]
    problems = [((*where, key), "is missing") for key in required if key not in value]
    problems += [
        ((*where, str(key)), f"is not a known field (known: {', '.join(known)})")
        for key in value
        if key not in known
    ]
    return problems


def languages_problems(where: PathParts, value: Any) -> Iterator[tuple[PathParts, str]]:
    """Problems of a {fr, nl, en} text that is shown and read aloud."""
    if not isinstance(value, dict):
        yield where, "must have a text for each language: fr, nl and en"
        return
    for lang in value:
        if lang not in LANGUAGES:
            yield (*where, str(lang)), "is not a known language (use fr, nl and en)"
    for lang in LANGUAGES:
        text = value.get(lang)
        if text is None:
            yield (*where, lang), "is missing"
        elif not isinstance(text, str) or not text.strip():
            yield (*where, lang), "must be a non-empty text"
        elif "{" in text or "}" in text:
            yield (*where, lang), "must not use { or }: this text has no placeholders"
        elif problem := spoken_problem(text):
            yield (*where, lang), problem


def list_problems(where: PathParts, value: Any, what: str) -> list[tuple[PathParts, str]]:
    """Problems of a field that must be a non-empty list of `what`."""
    if not isinstance(value, list) or not value:
        return [(where, f"must be a list of at least one {what}")]
    return []


def id_problems(
    where: PathParts, value: Any, pattern: re.Pattern[str], example: str, seen: dict[str, str]
) -> Iterator[tuple[PathParts, str]]:
    """Problems of the id of the entry at `where`: its form, and whether an earlier one has it."""
    if not isinstance(value, str) or not pattern.fullmatch(value):
        kind = "underscores" if "_" in example else "hyphens"
        yield (*where, "id"), f"must use lowercase letters, digits and {kind}, like {example}"
    elif value in seen:
        yield (*where, "id"), f"{value} is already the id of {seen[value]}"
    else:
        seen[value] = format_field(where)
