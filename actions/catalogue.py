"""Load and validate Loket's content: the procedure catalogue and the bot's messages.

Pure Python (stdlib, PyYAML, jsonschema): the brain's action server loads it at start,
and the hub's test suite (Python 3.11+, no Rasa) imports it to check the content in CI.

Layout of a content directory (normally the repository's `content/`):

    procedure.schema.json     JSON Schema of one procedure file
    procedures/<id>.yml       one procedure, FR/NL/EN side by side
    messages.yml              every other sentence the bot says
    menu.yml                  the topic menu: categories of procedures, in order
    clarifications.yml        questions asked when a request is ambiguous
    communes.yml              the 19 Brussels communes and their postcodes

menu.yml and clarifications.yml name procedures by id (the file name without .yml).
An id with no file in procedures/ is an error, except when the file is staged in
procedures-next/ (written, not yet published): it is left out until it is moved.

Every problem of every file is collected and reported at once in a `CatalogueError`,
one line each: "<file>:<line>: <field path>: <what is wrong>".
"""

from __future__ import annotations

import datetime
import json
import os
import re
import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

LANGUAGES: tuple[str, ...] = ("fr", "nl", "en")
"""Languages every text exists in, in menu order."""

SECTIONS: tuple[str, ...] = ("bring", "cost", "deadline", "where", "offline", "related")
"""Optional end-of-procedure sections, in the order they are shown."""

CONTENT_DIR_ENV = "LOKET_CONTENT_DIR"
SCHEMA_FILE = "procedure.schema.json"
PROCEDURES_DIR = "procedures"
MESSAGES_FILE = "messages.yml"
MENU_FILE = "menu.yml"
CLARIFICATIONS_FILE = "clarifications.yml"
COMMUNES_FILE = "communes.yml"
STAGING_DIR = "procedures-next"
"""Procedures written but not published yet; menu.yml may already name them."""

MAX_OPTIONS = 8
"""Most topics one message offers: the hub maps keys 1-9 to its buttons, and the last
button is always "Menu" or "Talk to a person"."""

BUTTON_NAMES: tuple[str, ...] = (
    "next",
    "previous",
    "repeat",
    "all_steps",
    "restart",
    "menu",
    "human",
    "yes",
    "no",
    "contact_commune",
)
"""Button titles messages.yml must hold, as messages called button_<name>."""

_NONE: frozenset[str] = frozenset()
REQUIRED_MESSAGES: Mapping[str, frozenset[str]] = {
    "greeting": _NONE,
    "intro": _NONE,
    "menu_prompt": _NONE,
    "procedure_start": frozenset({"total"}),
    "procedure_one_step": _NONE,
    "step_label": frozenset({"n", "total"}),
    "all_steps_intro": frozenset({"title"}),
    "end_of_procedure": _NONE,
    **{f"section_{name}": _NONE for name in SECTIONS},
    "did_it_help": _NONE,
    "glad_it_helped": _NONE,
    "sorry_not_helped": _NONE,
    "not_understood": _NONE,
    "not_understood_again": _NONE,
    "cannot_help": _NONE,
    "no_procedure_active": _NONE,
    "first_step": _NONE,
    "ask_language": _NONE,
    "language_switched": _NONE,
    "human_requested": _NONE,
    "goodbye": _NONE,
    "thanks_reply": _NONE,
    **{f"button_{name}": _NONE for name in BUTTON_NAMES},
    # Read on the phone after a menu, one per option: the phone layer reads text only.
    "press_for": frozenset({"option", "n"}),
    "press_human": frozenset({"n"}),
    "press_menu": frozenset({"n"}),
    "press_contact_commune": frozenset({"n"}),
    "category_prompt": frozenset({"category"}),
    "did_you_mean": _NONE,
    "commune_found_postcode": frozenset({"postcode", "commune"}),
    "commune_found_name": frozenset({"commune"}),
    "commune_services": _NONE,
    "commune_unknown_postcode": frozenset({"postcode"}),
    "commune_unknown_name": _NONE,
    "ask_commune": _NONE,
}
"""Messages the renderer needs, with the placeholders each must use in every language."""


class CatalogueError(ValueError):
    """The content cannot be used. `problems` holds one plain-language line per problem.

    A ValueError and not an ImportError on purpose: rasa-sdk logs and skips action
    modules that raise ImportError, but must refuse to start with broken content.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        count = len(self.problems)
        header = f"The content has {count} problem{'s' if count != 1 else ''}:"
        super().__init__("\n".join((header, *self.problems)))


# ---------------------------------------------------------------- data model


@dataclass(frozen=True)
class Text:
    """One sentence (or short paragraph) in the three languages."""

    fr: str
    nl: str
    en: str

    def in_(self, lang: str) -> str:
        """Return the text in `lang` ("fr", "nl" or "en")."""
        if lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
        return str(getattr(self, lang))


@dataclass(frozen=True)
class Phrase:
    """A text with a written form (chat, SMS) and a spoken form (phone)."""

    written: Text
    spoken: Text

    def render(self, lang: str, spoken: bool) -> str:
        """Return the spoken or written form in `lang`."""
        return (self.spoken if spoken else self.written).in_(lang)


@dataclass(frozen=True)
class Procedure:
    """One public procedure, explained step by step."""

    id: str
    intent: str
    checked_on: datetime.date
    sources: tuple[str, ...]
    title: Text
    summary: Text
    who: Text
    steps: tuple[Phrase, ...]
    bring: Phrase | None = None
    cost: Phrase | None = None
    deadline: Phrase | None = None
    where: Phrase | None = None
    offline: Phrase | None = None
    related: Phrase | None = None

    def sections(self) -> tuple[tuple[str, Phrase], ...]:
        """Return the optional sections this procedure has, as (name, phrase), in SECTIONS order."""
        found = ((name, getattr(self, name)) for name in SECTIONS)
        return tuple((name, phrase) for name, phrase in found if phrase is not None)


@dataclass(frozen=True)
class Messages:
    """Every sentence the bot says outside procedures, by name."""

    phrases: Mapping[str, Phrase]

    def phrase(self, name: str) -> Phrase:
        """Return the message called `name`; KeyError names the missing message."""
        try:
            return self.phrases[name]
        except KeyError:
            raise KeyError(f"{MESSAGES_FILE} has no message called {name!r}") from None

    def text(self, name: str, lang: str, spoken: bool = False, **values: object) -> str:
        """Return message `name` in `lang`, written or spoken, with placeholders filled."""
        return self.phrase(name).render(lang, spoken).format(**values)


@dataclass(frozen=True)
class Category:
    """One entry of the topic menu and the procedures it groups, in menu order."""

    id: str
    title: Text
    procedures: tuple[str, ...]


@dataclass(frozen=True)
class ClarificationOption:
    """One answer to a clarifying question: a procedure, with a label or its own title."""

    procedure: str
    label: Text | None = None


@dataclass(frozen=True)
class Clarification:
    """A question asked when a request can mean several procedures.

    `id` is the intent that asks it (card_blocked: "my card is blocked").
    """

    id: str
    question: Phrase
    options: tuple[ClarificationOption, ...]


@dataclass(frozen=True)
class Commune:
    """One of the 19 communes of the Brussels-Capital Region."""

    id: str
    name: Text
    postcodes: tuple[str, ...]
    note: Text | None = None


@dataclass(frozen=True)
class Catalogue:
    """All procedures (in file-name order), all messages, the menu, the clarifying
    questions and the communes.

    `menu` holds the categories that have at least one published procedure, each
    listing only published procedures.
    """

    procedures: dict[str, Procedure]
    messages: Messages
    menu: tuple[Category, ...] = ()
    clarifications: Mapping[str, Clarification] = field(default_factory=dict)
    communes: tuple[Commune, ...] = ()

    def by_intent(self, intent: str | None) -> Procedure | None:
        """Return the procedure started by `intent`, or None if no procedure has it."""
        return next((p for p in self.procedures.values() if p.intent == intent), None)

    def category(self, category_id: str | None) -> Category | None:
        """Return the menu category `category_id`, or None."""
        return next((c for c in self.menu if c.id == category_id), None)

    def clarification(self, clarification_id: str | None) -> Clarification | None:
        """Return the clarifying question `clarification_id` (an intent name), or None."""
        return self.clarifications.get(clarification_id or "")

    def by_postcode(self, postcode: str | None) -> Commune | None:
        """Return the commune with `postcode` ("1030"), or None."""
        return next((c for c in self.communes if postcode in c.postcodes), None)


def default_content_dir() -> Path:
    """Return $LOKET_CONTENT_DIR if set, else the repository's content/ next to actions/."""
    override = os.environ.get(CONTENT_DIR_ENV, "").strip()
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "content"


def load_catalogue(content_dir: Path) -> Catalogue:
    """Read and validate a content directory; raise CatalogueError listing every problem."""
    content_dir = Path(content_dir)
    report = _Report(content_dir)
    validator = _load_schema(content_dir / SCHEMA_FILE, report)
    procedures = _load_procedures(content_dir / PROCEDURES_DIR, validator, report)
    messages = _load_messages(content_dir / MESSAGES_FILE, report)
    # References are checked against the files, not the procedures that loaded: a
    # broken procedure is reported once, in its own file.
    ids = _Ids(
        files=_stems(content_dir / PROCEDURES_DIR),
        staged=_stems(content_dir / STAGING_DIR) - _stems(content_dir / PROCEDURES_DIR),
    )
    menu = _load_menu(content_dir / MENU_FILE, ids, report)
    clarifications = _load_clarifications(content_dir / CLARIFICATIONS_FILE, ids, report)
    communes = _load_communes(content_dir / COMMUNES_FILE, report)
    report.raise_if_any()
    assert messages is not None  # a None here always comes with a reported problem
    return Catalogue(
        procedures=procedures,
        messages=messages,
        menu=menu,
        clarifications=clarifications,
        communes=communes,
    )


# ---------------------------------------------------------------- reporting

PathParts = tuple[str | int, ...]


def format_field(path: Sequence[str | int]) -> str:
    """Format a field path for editors: ("steps", 2, "spoken", "nl") -> "steps[2].spoken.nl"."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class _Report:
    """Collects problems of all files so they can be fixed in one go."""

    content_dir: Path
    problems: list[str] = field(default_factory=list)

    def name(self, path: Path) -> str:
        """Name a file relative to the content directory's parent, e.g. content/messages.yml."""
        try:
            inner = path.relative_to(self.content_dir).parts
        except ValueError:
            return path.as_posix()
        return Path(self.content_dir.name, *inner).as_posix()

    def add(self, path: Path, line: int | None, where: PathParts, problem: str) -> None:
        """Record one problem of file `path` at field `where` (line is 1-based)."""
        location = self.name(path) + (f":{line}" if line else "")
        label = format_field(where)
        prefix = f"{location}: {label}" if label else location
        self.problems.append(f"{prefix}: {problem}")

    def raise_if_any(self) -> None:
        """Raise one CatalogueError listing every recorded problem."""
        if self.problems:
            raise CatalogueError(self.problems)


# ---------------------------------------------------------------- YAML reading

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_BOOL_TAG = "tag:yaml.org,2002:bool"


class _ContentLoader(yaml.SafeLoader):
    """SafeLoader for hand-written content.

    Why each change: an unquoted 2026-11-30 would become a date object and fail the
    schema's "text" rule confusingly, so dates stay text; YAML 1.1 reads no/yes/on/off
    as booleans, which would turn an English "No" button into False, so only
    true/false are booleans; a repeated key would silently drop a translation, so it
    is an error.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Build a mapping, refusing a key that appears twice."""
        seen: set[str] = set()
        for key_node, _ in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} appears twice", key_node.start_mark
                )
            if key is not None:
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


_ContentLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_TIMESTAMP_TAG, _BOOL_TAG)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ContentLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True)
class _Document:
    """A parsed YAML file with its node tree, kept to give line numbers for problems."""

    path: Path
    data: Any
    node: yaml.Node | None

    def line(self, where: PathParts) -> int | None:
        """Return the 1-based line of the deepest field along `where` that exists.

        None when only the whole document matches: "line 1" would point nowhere useful.
        """
        node, line = self.node, None
        for part in where:
            found = _child(node, part) if node is not None else None
            if found is None:
                break
            mark, node = found
            line = mark.line + 1
        return line


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Mark, yaml.Node] | None:
    """Return (where the field starts, its value node) for key or index `part`, or None.

    For a mapping the field starts at its key, the line an editor looks for.
    """
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        return next(
            ((key.start_mark, value) for key, value in node.value if key.value == part), None
        )
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part].start_mark, node.value[part]
    return None


def _read_yaml(path: Path, report: _Report) -> _Document | None:
    """Parse one YAML file; on failure record the problem (with its line) and return None."""
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        report.add(path, None, (), "is not UTF-8 text")
        return None
    except OSError as exc:
        report.add(path, None, (), f"cannot be read ({exc.strerror or exc})")
        return None
    loader = _ContentLoader(source)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        report.add(path, line, (), f"is not valid YAML: {exc.problem or exc.context}")
        return None
    except yaml.YAMLError as exc:
        report.add(path, None, (), f"is not valid YAML: {exc}")
        return None
    finally:
        loader.dispose()
    return _Document(path, data, node)


# ---------------------------------------------------------------- schema


def _load_schema(path: Path, report: _Report) -> jsonschema.protocols.Validator | None:
    """Read the procedure JSON Schema; record a problem and return None if unusable."""
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
    except OSError as exc:
        report.add(path, None, (), f"cannot be read ({exc.strerror or exc})")
        return None
    except json.JSONDecodeError as exc:
        report.add(path, exc.lineno, (), f"is not valid JSON: {exc.msg}")
        return None
    except jsonschema.SchemaError as exc:
        report.add(path, None, tuple(exc.absolute_path), f"is not a valid schema: {exc.message}")
        return None
    return validator_class(schema)


_HINTS: Mapping[str, str] = {
    "checked_on": "must be a date like 2026-11-30",
    "id": "must use lowercase letters, digits and hyphens, like lost-eid",
    "intent": "must be proc_ followed by lowercase letters, digits or underscores, "
    "like proc_lost_eid",
    "sources": "must be a web address starting with https://",
}


def _schema_problems(
    validator: jsonschema.protocols.Validator, data: Any
) -> Iterator[tuple[PathParts, str]]:
    """Yield (field path, plain-language problem) for every schema violation."""
    if data is None:
        yield (), "is empty"
        return
    seen: set[tuple[PathParts, str]] = set()
    for error in validator.iter_errors(data):
        for found in _describe(error):
            if found not in seen:
                seen.add(found)
                yield found


def _describe(error: jsonschema.ValidationError) -> Iterator[tuple[PathParts, str]]:
    """Translate one jsonschema error into (field path, problem) pairs."""
    path: PathParts = tuple(error.absolute_path)
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        for key in error.validator_value:
            if key not in instance:
                yield (*path, key), "is missing"
    elif error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = list(error.schema.get("properties", {}))
        for key in instance:
            if key not in allowed:
                yield (*path, str(key)), f"is not a known field (known: {', '.join(allowed)})"
    else:
        yield path, _problem(error, path)


def _problem(error: jsonschema.ValidationError, path: PathParts) -> str:
    """Say in plain words what is wrong with one value."""
    kind, expected = error.validator, error.validator_value
    names = [part for part in path if isinstance(part, str)]
    hint = _HINTS.get(names[-1]) if len(names) == 1 else None
    if kind in ("type", "pattern", "format") and hint and expected not in ("array", "object"):
        return hint
    if kind == "type":
        return _type_problem(expected, error.schema, path)
    if kind == "minLength":
        return f"must be a non-empty text (at least {expected} characters)"
    if kind == "maxLength":
        return f"is too long ({len(error.instance)} characters; at most {expected})"
    if kind == "minItems":
        return f"must have at least {expected} item{'s' if expected != 1 else ''}"
    return str(error.message)


def _type_problem(expected: Any, schema: Mapping[str, Any], path: PathParts) -> str:
    """Explain a wrong value type, naming what the editor should write instead."""
    required = schema.get("required", [])
    if expected == "string":
        return "must be a non-empty text" if path and path[-1] in LANGUAGES else "must be a text"
    if expected == "array":
        return "must be a list"
    if expected == "object" and not path:
        return "must be a set of fields (id, intent, checked_on, ...)"
    if expected == "object" and set(required) == set(LANGUAGES):
        return "must have a text for each language: fr, nl and en"
    if expected == "object" and set(required) == {"written", "spoken"}:
        return "must have a written and a spoken form, each with fr, nl and en"
    return f"must be of type {expected}"


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


def _leaves(data: Any, path: PathParts = ()) -> Iterator[tuple[PathParts, Any]]:
    """Yield (path, value) for every scalar in nested dicts and lists."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, (*path, str(key)))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _leaves(value, (*path, index))
    else:
        yield path, data


def _is_spoken(path: PathParts) -> bool:
    """Whether the text at `path` of a procedure is read aloud on the phone.

    Spoken forms are, and so are title, summary and who, which have a single form.
    """
    return "spoken" in path or (len(path) == 2 and path[0] in ("title", "summary", "who"))


def _text_problems(data: Any) -> Iterator[tuple[PathParts, str]]:
    """Yield blank texts and spoken texts that contain a URL or e-mail address."""
    for path, value in _leaves(data):
        if not isinstance(value, str) or not path or path[-1] not in LANGUAGES:
            continue
        if not value.strip():
            yield path, "must be a non-empty text"
        elif _is_spoken(path) and (problem := spoken_problem(value)):
            yield path, problem


def _procedure_problems(doc: _Document) -> Iterator[tuple[PathParts, str]]:
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


# ---------------------------------------------------------------- procedures


def _load_procedures(
    directory: Path, validator: jsonschema.protocols.Validator | None, report: _Report
) -> dict[str, Procedure]:
    """Validate and build every procedures/*.yml; problems go to `report`."""
    if not directory.is_dir():
        report.add(directory, None, (), "is missing (it must hold the procedure files)")
        return {}
    for stray in sorted(directory.glob("*.yaml")):
        report.add(stray, None, (), "must be named with .yml, not .yaml")
    paths = sorted(directory.glob("*.yml"))
    if not paths:
        report.add(directory, None, (), "has no procedure files (*.yml)")
    procedures: dict[str, Procedure] = {}
    intents: dict[str, Path] = {}
    for path in paths:
        doc = _read_yaml(path, report)
        if doc is None:
            continue
        problems = list(_schema_problems(validator, doc.data)) if validator else []
        # One problem per field is enough: the schema's word wins over the extra checks.
        reported = {where for where, _ in problems}
        problems += [p for p in _procedure_problems(doc) if p[0] not in reported]
        problems += _intent_clash(doc, intents, report)
        for where, problem in sorted(problems, key=lambda p: (doc.line(p[0]) or 0, str(p))):
            report.add(path, doc.line(where), where, problem)
        if not problems and validator is not None:
            procedures[path.stem] = _build_procedure(doc.data)
    return procedures


def _intent_clash(
    doc: _Document, intents: dict[str, Path], report: _Report
) -> list[tuple[PathParts, str]]:
    """Record this file's intent; return a problem if an earlier file already uses it."""
    intent = doc.data.get("intent") if isinstance(doc.data, dict) else None
    if not isinstance(intent, str):
        return []
    if intent in intents:
        return [(("intent",), f"{intent} is already used by {report.name(intents[intent])}")]
    intents[intent] = doc.path
    return []


def _text(data: Mapping[str, str]) -> Text:
    """Build a Text from a validated {fr, nl, en} mapping, trimming block-scalar newlines."""
    return Text(**{lang: data[lang].strip() for lang in LANGUAGES})


def _phrase(data: Mapping[str, Any]) -> Phrase:
    """Build a Phrase from a validated {written, spoken} mapping."""
    return Phrase(written=_text(data["written"]), spoken=_text(data["spoken"]))


def _build_procedure(data: Mapping[str, Any]) -> Procedure:
    """Build a Procedure from data that passed every check."""
    return Procedure(
        id=data["id"],
        intent=data["intent"],
        checked_on=datetime.date.fromisoformat(data["checked_on"]),
        sources=tuple(data["sources"]),
        title=_text(data["title"]),
        summary=_text(data["summary"]),
        who=_text(data["who"]),
        steps=tuple(_phrase(step) for step in data["steps"]),
        **{name: _phrase(data[name]) for name in SECTIONS if name in data},
    )


# ---------------------------------------------------------------- messages


def _load_messages(path: Path, report: _Report) -> Messages | None:
    """Validate and build messages.yml; return None (problems reported) if unusable."""
    if not path.is_file():
        report.add(path, None, (), "is missing")
        return None
    doc = _read_yaml(path, report)
    if doc is None:
        return None
    if not isinstance(doc.data, dict):
        report.add(path, doc.line(()), (), "must be a set of named messages")
        return None
    problems = [((name,), "is missing") for name in REQUIRED_MESSAGES if name not in doc.data]
    phrases: dict[str, Phrase] = {}
    for name, entry in doc.data.items():
        found = list(_message_problems(str(name), entry))
        problems += found
        if not found:
            phrases[str(name)] = _message_phrase(entry)
    for where, problem in problems:
        report.add(path, doc.line(where), where, problem)
    return None if problems else Messages(phrases)


def _message_forms(name: str, entry: Any) -> dict[PathParts, Any] | None:
    """Return the language maps of one message entry by path, or None if its shape is wrong.

    An entry is either {fr, nl, en} (same words written and spoken) or
    {written: {fr, nl, en}, spoken: {fr, nl, en}}.
    """
    if isinstance(entry, dict) and set(entry) == {"written", "spoken"}:
        return {(name, "written"): entry["written"], (name, "spoken"): entry["spoken"]}
    if isinstance(entry, dict) and not {"written", "spoken"} & set(entry):
        return {(name,): entry}
    return None


def _message_problems(name: str, entry: Any) -> Iterator[tuple[PathParts, str]]:
    """Yield every problem of one message: shape, languages, URLs when spoken, placeholders."""
    forms = _message_forms(name, entry)
    if forms is None:
        yield (name,), "must have fr, nl and en, or a written and a spoken form with fr, nl, en"
        return
    placeholders: dict[PathParts, frozenset[str]] = {}
    for where, texts in forms.items():
        if not isinstance(texts, dict):
            yield where, "must have a text for each language: fr, nl and en"
            continue
        for lang in texts:
            if lang not in LANGUAGES:
                yield (*where, str(lang)), "is not a known language (use fr, nl and en)"
        for lang in LANGUAGES:
            found = yield from _message_text_problems((*where, lang), texts.get(lang), where)
            if found is not None:
                placeholders[(*where, lang)] = found
    yield from _placeholder_problems(name, placeholders)


def _message_text_problems(
    where: PathParts, text: Any, form: PathParts
) -> Iterator[tuple[PathParts, str]]:
    """Yield problems of one message text; return its placeholder names if it is usable."""
    if text is None:
        yield where, "is missing"
        return None
    if not isinstance(text, str) or not text.strip():
        yield where, "must be a non-empty text"
        return None
    spoken = form[-1] == "spoken" or len(form) == 1
    if spoken and (problem := spoken_problem(text)):
        yield where, problem
    try:
        names = [found[1] for found in string.Formatter().parse(text) if found[1] is not None]
    except ValueError as exc:
        yield where, f"has a broken placeholder ({exc}); write placeholders like {{n}}"
        return None
    if "" in names or any(not name.isidentifier() for name in names):
        yield where, "has a placeholder without a plain name; write placeholders like {n}"
        return None
    return frozenset(names)


def _placeholder_problems(
    name: str, placeholders: Mapping[PathParts, frozenset[str]]
) -> Iterator[tuple[PathParts, str]]:
    """Yield texts whose placeholders differ from the required set or from the other texts."""
    if not placeholders:
        return
    reference = REQUIRED_MESSAGES.get(name)
    if reference is None:
        reference = next(iter(placeholders.values()))
    for where, found in placeholders.items():
        if found != reference:
            expected = f"must use the placeholders {_braces(reference)} like the other texts"
            yield where, f"{expected}, not {_braces(found)}"


def _braces(names: frozenset[str]) -> str:
    """Show placeholder names as editors write them: {n} {total}, or 'none'."""
    return " ".join(f"{{{name}}}" for name in sorted(names)) or "none"


def _message_phrase(entry: Mapping[str, Any]) -> Phrase:
    """Build the Phrase of a validated message entry."""
    if "written" in entry:
        return _phrase(entry)
    text = _text(entry)
    return Phrase(written=text, spoken=text)


# ---------------------------------------------------------------- shared checks of small files

_CATEGORY_ID = re.compile(r"^[a-z][a-z0-9-]*$")
_CLARIFICATION_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_POSTCODE = re.compile(r"^\d{4}$")


def _stems(directory: Path) -> frozenset[str]:
    """Return the names without .yml of the files in `directory` (none if it is missing)."""
    return frozenset(path.stem for path in directory.glob("*.yml")) if directory.is_dir() else _NONE


@dataclass(frozen=True)
class _Ids:
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


def _read_required(path: Path, report: _Report) -> _Document | None:
    """Parse a content file that must exist; record why it cannot be used, else return it."""
    if not path.is_file():
        report.add(path, None, (), "is missing")
        return None
    doc = _read_yaml(path, report)
    if doc is not None and doc.data is None:
        report.add(path, None, (), "is empty")
        return None
    return doc


def _report_all(doc: _Document, problems: Sequence[tuple[PathParts, str]], report: _Report) -> None:
    """Record the problems of one file in the order of their lines, one per field."""
    first = {where: problem for where, problem in reversed(problems)}
    for where, problem in sorted(first.items(), key=lambda p: (doc.line(p[0]) or 0, str(p))):
        report.add(doc.path, doc.line(where), where, problem)


def _fields_problems(
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


def _languages_problems(where: PathParts, value: Any) -> Iterator[tuple[PathParts, str]]:
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


def _list_problems(where: PathParts, value: Any, what: str) -> list[tuple[PathParts, str]]:
    """Problems of a field that must be a non-empty list of `what`."""
    if not isinstance(value, list) or not value:
        return [(where, f"must be a list of at least one {what}")]
    return []


# ---------------------------------------------------------------- menu


def _load_menu(path: Path, ids: _Ids, report: _Report) -> tuple[Category, ...]:
    """Validate and build menu.yml; problems go to `report`."""
    doc = _read_required(path, report)
    if doc is None:
        return ()
    problems = list(_menu_problems(doc.data, ids))
    _report_all(doc, problems, report)
    if problems:
        return ()
    categories = (
        Category(
            id=entry["id"],
            title=_text(entry["title"]),
            procedures=tuple(pid for pid in entry["procedures"] if pid in ids.files),
        )
        for entry in doc.data["categories"]
    )
    # A category whose procedures are all staged would be an empty menu entry.
    return tuple(category for category in categories if category.procedures)


def _menu_problems(data: Any, ids: _Ids) -> Iterator[tuple[PathParts, str]]:
    """Every problem of menu.yml: shape, ids, limits, each procedure in exactly one category."""
    top = _fields_problems((), data, ("categories",))
    yield from top
    if top:
        return
    categories = data["categories"]
    shape = _list_problems(("categories",), categories, "category")
    yield from shape
    if shape:
        return
    if len(categories) > MAX_OPTIONS:
        yield (
            ("categories",),
            f"has {len(categories)} categories; at most {MAX_OPTIONS} "
            "(phone keys 1 to 9, and the last option is Talk to a person)",
        )
    seen: dict[str, str] = {}
    placed: dict[str, PathParts] = {}
    for index, entry in enumerate(categories):
        where: PathParts = ("categories", index)
        fields = _fields_problems(where, entry, ("id", "title", "procedures"))
        yield from fields
        if not isinstance(entry, dict):
            continue
        if "id" in entry:
            yield from _id_problems(where, entry["id"], _CATEGORY_ID, "identity", seen)
        if "title" in entry:
            yield from _languages_problems((*where, "title"), entry["title"])
        if "procedures" in entry:
            yield from _category_procedures_problems(where, entry["procedures"], ids, placed)
    for stem in sorted(ids.files - placed.keys()):
        yield (
            ("categories",),
            f"{stem} ({PROCEDURES_DIR}/{stem}.yml) is in no category; add it to one",
        )


def _id_problems(
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


def _category_procedures_problems(
    where: PathParts, procedures: Any, ids: _Ids, placed: dict[str, PathParts]
) -> Iterator[tuple[PathParts, str]]:
    """Problems of one category's procedure list; records where each procedure is placed."""
    shape = _list_problems((*where, "procedures"), procedures, "procedure id")
    yield from shape
    if shape:
        return
    if len(procedures) > MAX_OPTIONS:
        yield (
            (*where, "procedures"),
            f"has {len(procedures)} procedures; at most {MAX_OPTIONS} "
            "(phone keys 1 to 9, and the last option is Menu)",
        )
    for index, value in enumerate(procedures):
        at: PathParts = (*where, "procedures", index)
        if problem := ids.problem(value):
            yield at, problem
        elif value in placed:
            where_else = format_field(placed[value])
            yield at, f"{value} is already in {where_else}: a procedure is in one category only"
        else:
            placed[value] = at


# ---------------------------------------------------------------- clarifying questions


def _load_clarifications(path: Path, ids: _Ids, report: _Report) -> dict[str, Clarification]:
    """Validate and build clarifications.yml; problems go to `report`."""
    doc = _read_required(path, report)
    if doc is None:
        return {}
    problems = list(_clarifications_problems(doc.data, ids))
    _report_all(doc, problems, report)
    if problems:
        return {}
    built: dict[str, Clarification] = {}
    for entry in doc.data["clarifications"]:
        options = (_option(value) for value in entry["options"])
        built[entry["id"]] = Clarification(
            id=entry["id"],
            question=_message_phrase(entry["question"]),
            options=tuple(option for option in options if option.procedure in ids.files),
        )
    return built


def _option(value: str | Mapping[str, Any]) -> ClarificationOption:
    """Build one validated option: a procedure id, or {procedure, label}."""
    if isinstance(value, str):
        return ClarificationOption(value)
    label = value.get("label")
    return ClarificationOption(value["procedure"], _text(label) if label else None)


def _clarifications_problems(data: Any, ids: _Ids) -> Iterator[tuple[PathParts, str]]:
    """Every problem of clarifications.yml."""
    top = _fields_problems((), data, ("clarifications",))
    yield from top
    if top:
        return
    entries = data["clarifications"]
    shape = _list_problems(("clarifications",), entries, "clarifying question")
    yield from shape
    if shape:
        return
    seen: dict[str, str] = {}
    for index, entry in enumerate(entries):
        where: PathParts = ("clarifications", index)
        yield from _fields_problems(where, entry, ("id", "question", "options"))
        if not isinstance(entry, dict):
            continue
        if "id" in entry:
            yield from _id_problems(where, entry["id"], _CLARIFICATION_ID, "card_blocked", seen)
        if "question" in entry:
            for at, problem in _message_problems("question", entry["question"]):
                yield (*where, *at), problem
            yield from _no_placeholders((*where, "question"), entry["question"])
        if "options" in entry:
            yield from _options_problems((*where, "options"), entry["options"], ids)


def _no_placeholders(where: PathParts, data: Any) -> Iterator[tuple[PathParts, str]]:
    """A text with { or }, where nothing fills placeholders."""
    for path, value in _leaves(data, where):
        if isinstance(value, str) and ("{" in value or "}" in value):
            yield path, "must not use { or }: this text has no placeholders"


def _options_problems(where: PathParts, options: Any, ids: _Ids) -> Iterator[tuple[PathParts, str]]:
    """Problems of a clarifying question's options: 2 to MAX_OPTIONS different procedures."""
    if not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS:
        yield where, f"must be a list of 2 to {MAX_OPTIONS} options (procedure ids)"
        return
    chosen: dict[str, int] = {}
    for index, value in enumerate(options):
        at: PathParts = (*where, index)
        procedure = value
        if isinstance(value, dict):
            fields = _fields_problems(at, value, ("procedure",), ("label",))
            yield from fields
            if "label" in value:
                yield from _languages_problems((*at, "label"), value["label"])
            if "procedure" not in value:
                continue
            procedure, at = value["procedure"], (*at, "procedure")
        if problem := ids.problem(procedure):
            yield at, problem
        elif procedure in chosen:
            yield at, f"{procedure} is already option [{chosen[procedure]}]"
        else:
            chosen[procedure] = index


# ---------------------------------------------------------------- communes


def _load_communes(path: Path, report: _Report) -> tuple[Commune, ...]:
    """Validate and build communes.yml; problems go to `report`."""
    doc = _read_required(path, report)
    if doc is None:
        return ()
    problems = list(_communes_problems(doc.data))
    _report_all(doc, problems, report)
    if problems:
        return ()
    return tuple(
        Commune(
            id=entry["id"],
            name=_text(entry["name"]),
            postcodes=tuple(entry["postcodes"]),
            note=_text(entry["note"]) if "note" in entry else None,
        )
        for entry in doc.data
    )


def _communes_problems(data: Any) -> Iterator[tuple[PathParts, str]]:
    """Every problem of communes.yml: fields, unique ids, postcodes of 4 digits used once."""
    if not isinstance(data, list) or not data:
        yield (), "must be a list of communes (- id: ..., name: ..., postcodes: ...)"
        return
    seen: dict[str, str] = {}
    owners: dict[str, str] = {}
    for index, entry in enumerate(data):
        where: PathParts = (index,)
        yield from _fields_problems(where, entry, ("id", "name", "postcodes"), ("note",))
        if not isinstance(entry, dict):
            continue
        if "id" in entry:
            yield from _id_problems(where, entry["id"], _CATEGORY_ID, "saint-gilles", seen)
        for name in ("name", "note"):
            if name in entry:
                yield from _languages_problems((*where, name), entry[name])
        if "postcodes" in entry:
            owner = entry.get("id") if isinstance(entry.get("id"), str) else f"[{index}]"
            yield from _postcodes_problems((*where, "postcodes"), entry["postcodes"], owner, owners)


def _postcodes_problems(
    where: PathParts, postcodes: Any, owner: str, owners: dict[str, str]
) -> Iterator[tuple[PathParts, str]]:
    """Problems of one commune's postcodes; records which commune has each postcode."""
    shape = _list_problems(where, postcodes, "postcode")
    yield from shape
    if shape:
        return
    for index, postcode in enumerate(postcodes):
        at: PathParts = (*where, index)
        if isinstance(postcode, int) and not isinstance(postcode, bool):
            yield at, f'must be a text in quotes, like "{postcode}"'
        elif not isinstance(postcode, str) or not _POSTCODE.fullmatch(postcode):
            yield at, 'must be 4 digits in quotes, like "1030"'
        elif postcode in owners:
            yield at, f"{postcode} is already a postcode of {owners[postcode]}"
        else:
            owners[postcode] = owner
