"""The data model of the content: what `load_catalogue` returns, and CatalogueError.

Every text exists in the three LANGUAGES; a Phrase adds a spoken form for the phone.
`build_text` and `build_phrase` make them from mappings that passed every check.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .layout import MESSAGES_FILE

LANGUAGES: tuple[str, ...] = ("fr", "nl", "en")
"""Languages every text exists in, in menu order."""

SECTIONS: tuple[str, ...] = ("bring", "cost", "deadline", "where", "offline", "related")
"""Optional end-of-procedure sections, in the order they are shown."""


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
class RelatedRight:
    """Another procedure the person may be entitled to, said once at the end of this one.

    `why` is one careful sentence ("you may be entitled to ..."), written and spoken.
    """

    procedure: str
    why: Phrase


@dataclass(frozen=True)
class Case:
    """Another case of a procedure that a follow-up names ("and if it was stolen?").

    `words` name it, in any of the three languages (matched as whole words, ignoring case
    and accents); `steps` (0-based) and `sections` are the parts of the procedure that
    answer it, said alone while the person keeps their place.
    """

    words: tuple[str, ...]
    steps: tuple[int, ...] = ()
    sections: tuple[str, ...] = ()


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
    related_rights: tuple[RelatedRight, ...] = ()
    cases: tuple[Case, ...] = ()

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
class CommuneContact:
    """How to reach a commune, as official pages give it: each fact may be missing.

    `phone` is grouped as it is said ("02 279 22 11"); `website` is where its opening
    hours are; `sources` and `checked_on` say where and when the facts were read.
    """

    sources: tuple[str, ...]
    checked_on: datetime.date
    phone: str | None = None
    address: Text | None = None
    website: str | None = None


@dataclass(frozen=True)
class Commune:
    """One of the 19 communes of the Brussels-Capital Region."""

    id: str
    name: Text
    postcodes: tuple[str, ...]
    note: Text | None = None
    contact: CommuneContact | None = None


@dataclass(frozen=True)
class Term:
    """A word people do not know (CPAS, C4, itsme), explained in one or two sentences.

    `names` holds how people write it, per language; `written` is shown in chat and SMS,
    `spoken` is read on the phone; `sources` support the explanation's facts.
    """

    id: str
    # A mapping cannot be hashed: the other fields make a Term's hash.
    names: Mapping[str, tuple[str, ...]] = field(hash=False)
    written: Text
    spoken: Text
    sources: tuple[str, ...]

    @property
    def phrase(self) -> Phrase:
        """The explanation as a Phrase, like a procedure's sections."""
        return Phrase(written=self.written, spoken=self.spoken)

    def render(self, lang: str, spoken: bool) -> str:
        """Return the spoken or written explanation in `lang`."""
        return self.phrase.render(lang, spoken)


@dataclass(frozen=True)
class Catalogue:
    """All procedures (in file-name order), all messages, the menu, the clarifying
    questions, the communes and the glossary (by term id).

    `menu` holds the categories that have at least one published procedure, each
    listing only published procedures.
    """

    procedures: dict[str, Procedure]
    messages: Messages
    menu: tuple[Category, ...] = ()
    clarifications: Mapping[str, Clarification] = field(default_factory=dict)
    communes: tuple[Commune, ...] = ()
    glossary: Mapping[str, Term] = field(default_factory=dict)

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

    def commune(self, commune_id: str | None) -> Commune | None:
        """Return the commune `commune_id` ("schaerbeek"), or None."""
        return next((c for c in self.communes if c.id == commune_id), None)


def build_text(data: Mapping[str, str]) -> Text:
    """Build a Text from a validated {fr, nl, en} mapping, trimming block-scalar newlines."""
    return Text(**{lang: data[lang].strip() for lang in LANGUAGES})


def build_phrase(data: Mapping[str, Any]) -> Phrase:
    """Build a Phrase from a validated {written, spoken} mapping."""
    return Phrase(written=build_text(data["written"]), spoken=build_text(data["spoken"]))
