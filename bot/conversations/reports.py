"""Problem reports with online public procedures: the list of services and categories,
recognising them in what a person says, reference numbers, and the reports' storage.

The services, categories and the texts of the report dialogue are data, in
content/problem_reports.yml (labels in French, Dutch and English, and aliases that
recognise them in any of the three). A report is stored with the conversation it came
from (table problem_reports, model.ProblemReport), by the dialogue the hub leads
(problem_reports.py) or by an agent in the console.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from bot.conversations.model import ProblemReport, ReportStatus
from bot.conversations.records import ProblemReportRecord
from bot.conversations.store import ConversationStore
from bot.folding import fold
from bot.settings import LANGUAGES, ROOT, Language

REPORTS_FILE = ROOT / "content" / "problem_reports.yml"
OTHER = "other"
CONTACTS = ("none", "channel", "phone")
"""How the person wants to hear back: not at all, in the channel they wrote from, by phone."""
# Letters and digits that are hard to mix up when read or heard: no 0/O, 1/I/L, 5/S, B/P/D.
REFERENCE_ALPHABET = "ACEFHJKMNRTWXY2346789"
REFERENCE_PATTERN = re.compile(r"^[A-Z0-9]{3}-[A-Z0-9]{3}$")
MAX_DESCRIPTION = 1000
MAX_SERVICE_TEXT = 200
_NOT_WORD = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class Choice:
    """A service or a category: its id, its label by language, its folded aliases."""

    id: str
    label: dict[Language, str]
    aliases: tuple[str, ...]

    def said(self, language: Language) -> str:
        """Its label in `language`."""
        return self.label[language]


@dataclass(frozen=True)
class Catalogue:
    """Everything content/problem_reports.yml holds."""

    services: tuple[Choice, ...]
    categories: tuple[Choice, ...]
    texts: dict[str, dict[Language, str]]


def load_reports(path: Path = REPORTS_FILE) -> Catalogue:
    """Read and check the file: every label and text in every language, "other" a category."""
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    services = tuple(_choice(entry) for entry in raw["services"])
    categories = tuple(_choice(entry) for entry in raw["categories"])
    texts = {name: _in_every_language(name, table) for name, table in raw["texts"].items()}
    ids = [choice.id for choice in (*services, *categories)]
    if OTHER not in {c.id for c in categories} or OTHER in {s.id for s in services}:
        raise ValueError(f"{path}: 'other' must be a category and not a service")
    if any(len(i) > 32 for i in ids) or len({s.id for s in services}) != len(services):
        raise ValueError(f"{path}: ids must be unique and at most 32 characters long")
    return Catalogue(services, categories, texts)


def _choice(entry: dict[str, Any]) -> Choice:
    aliases = tuple(_folded(str(alias)) for alias in entry.get("aliases") or [])
    return Choice(str(entry["id"]), _in_every_language(entry["id"], entry["label"]), aliases)


def _in_every_language(name: str, table: dict[str, Any]) -> dict[Language, str]:
    missing = set(LANGUAGES) - set(table)
    if missing:
        raise ValueError(f"problem reports: {name} has no {', '.join(sorted(missing))}")
    return {language: str(table[language]) for language in LANGUAGES}


@cache
def catalogue() -> Catalogue:
    """The services, categories and texts, read once."""
    return load_reports()


def services() -> tuple[Choice, ...]:
    """The common online services people report, in the order they are offered."""
    return catalogue().services


def categories() -> tuple[Choice, ...]:
    """What can go wrong, in the order it is offered; the last is "other"."""
    return catalogue().categories


def label(choices: Sequence[Choice], choice_id: str, language: Language) -> str:
    """The label of a choice in `language`; an unknown id is shown as it is."""
    found = next((c for c in choices if c.id == choice_id), None)
    return found.said(language) if found else choice_id


def text(
    name: str, language: Language, spoken: bool = False, keys_only: bool = False, **fields: object
) -> str:
    """A text of the report dialogue in `language`: on the phone its spoken twin, or its
    `_keys` twin for a caller who can only use the keys (nothing invites speech)."""
    texts = catalogue().texts
    forms = [f"{name}_keys"] * keys_only + [f"{name}_spoken"] * spoken + [name]
    return next(texts[form] for form in forms if form in texts)[language].format(**fields)


def recognise(said: str, choices: Sequence[Choice]) -> str | None:
    """The id of the choice whose longest alias is in what was said, or None."""
    words = f" {_folded(said)} "
    best: tuple[int, str] | None = None
    for choice in choices:
        for alias in choice.aliases:
            if f" {alias} " in words and (best is None or len(alias) > best[0]):
                best = (len(alias), choice.id)
    return best[1] if best else None


def _folded(said: str) -> str:
    """Lowercase words without accents, separated by single spaces ("Can't" -> "can t")."""
    return " ".join(_NOT_WORD.sub(" ", fold(said)).split())


def new_reference() -> str:
    """A fresh reference: 3 + 3 characters easy to say and hear ("K7P-4QX")."""
    chars = [secrets.choice(REFERENCE_ALPHABET) for _ in range(6)]
    return f"{''.join(chars[:3])}-{''.join(chars[3:])}"


def spelled(reference: str, language: Language) -> str:
    """A reference said character by character, slowly: "K. 7. P. dash. 4. Q. X"."""
    dash = text("dash", language)
    return ". ".join(dash if char == "-" else char for char in reference)


class ProblemReports:
    """The stored reports, on the hub's database."""

    def __init__(self, store: ConversationStore) -> None:
        self._store = store

    async def file(self, report: ProblemReport) -> ProblemReportRecord:
        """Store a new report (an agent's, from the console)."""
        async with self._store.session.begin() as session:
            session.add(report)
            await session.flush()
            return ProblemReportRecord.of(report)

    async def count_by_status(self) -> dict[str, int]:
        """How many reports are new, forwarded and closed (every status, 0 included)."""
        query = select(ProblemReport.status, func.count()).group_by(ProblemReport.status)
        async with self._store.session() as session:
            counted = dict((await session.execute(query)).tuples().all())
        return {status.value: counted.get(status.value, 0) for status in ReportStatus}

    async def of_conversation(self, conversation_id: str) -> list[ProblemReportRecord]:
        """The reports filed in a conversation, oldest first."""
        query = (
            select(ProblemReport)
            .where(ProblemReport.conversation_id == conversation_id)
            .order_by(ProblemReport.id)
        )
        async with self._store.session() as session:
            return [ProblemReportRecord.of(row) for row in await session.scalars(query)]

    async def complete(
        self, report_id: int, conversation_id: str, values: dict[str, Any], now: datetime
    ) -> ProblemReportRecord | None:
        """Change the fields an agent completed; None if the conversation has no such report."""
        async with self._store.session.begin() as session:
            row = await session.get(ProblemReport, report_id, with_for_update=True)
            if row is None or row.conversation_id != conversation_id:
                return None
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = now
            return ProblemReportRecord.of(row)

    async def set_status(
        self, report_id: int, status: ReportStatus, now: datetime
    ) -> ProblemReportRecord | None:
        """Move a report on (an operator's choice on the dashboard); None if there is none."""
        async with self._store.session.begin() as session:
            row = await session.get(ProblemReport, report_id, with_for_update=True)
            if row is None:
                return None
            row.status = status
            row.updated_at = now
            return ProblemReportRecord.of(row)
