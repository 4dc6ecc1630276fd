"""Checks the schema cannot do, and checks shared by the small files.

The first part checks texts read aloud and what a procedure file holds beyond its schema;
the second holds what menu.yml, clarifications.yml and communes.yml have in common:
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


def procedure_problems(doc: Document) -> Iterator[tuple[PathParts, str]]:
    """Yield problems the schema cannot express: id vs file name, real dates, spoken texts."""
    data = doc.data if isinstance(doc.data, dict) else {}
    stem = doc.path.stem
    if isinstance(data.get("id"), str) and data["id"] != stem:
        yield ("id",), f"must equal the file name without .yml ({stem!r}), not {data['id']!r}"
    checked_on = data.get("checked_on")
    if isinstance(checked_on, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", checked_on):
        try:
            datetime.date.fromisoformat(checked_on)
        except ValueError:
            yield ("checked_on",), f"must be a date like 2026-11-30 ({checked_on} does not exist)"
    yield from _text_problems(data)


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
