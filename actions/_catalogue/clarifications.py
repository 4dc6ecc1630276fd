"""clarifications.yml: questions asked when a request can mean several procedures."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .checks import (
    MAX_OPTIONS,
    ProcedureIds,
    fields_problems,
    id_problems,
    languages_problems,
    leaves,
    list_problems,
    read_required,
    report_all,
)
from .messages import message_phrase, message_problems
from .model import Clarification, ClarificationOption, build_text
from .report import PathParts, Report

_CLARIFICATION_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def load_clarifications(path: Path, ids: ProcedureIds, report: Report) -> dict[str, Clarification]:
    """Validate and build clarifications.yml; problems go to `report`."""
    doc = read_required(path, report)
    if doc is None:
        return {}
    problems = list(_clarifications_problems(doc.data, ids))
    report_all(doc, problems, report)
    if problems:
        return {}
    built: dict[str, Clarification] = {}
    for entry in doc.data["clarifications"]:
        options = (_option(value) for value in entry["options"])
        built[entry["id"]] = Clarification(
            id=entry["id"],
            question=message_phrase(entry["question"]),
            options=tuple(option for option in options if option.procedure in ids.files),
        )
    return built


def _option(value: str | Mapping[str, Any]) -> ClarificationOption:
    """Build one validated option: a procedure id, or {procedure, label}."""
    if isinstance(value, str):
        return ClarificationOption(value)
    label = value.get("label")
    return ClarificationOption(value["procedure"], build_text(label) if label else None)


def _clarifications_problems(data: Any, ids: ProcedureIds) -> Iterator[tuple[PathParts, str]]:
    """Every problem of clarifications.yml."""
    top = fields_problems((), data, ("clarifications",))
    yield from top
    if top:
        return
    entries = data["clarifications"]
    shape = list_problems(("clarifications",), entries, "clarifying question")
    yield from shape
    if shape:
        return
    seen: dict[str, str] = {}
    for index, entry in enumerate(entries):
        where: PathParts = ("clarifications", index)
        yield from fields_problems(where, entry, ("id", "question", "options"))
        if not isinstance(entry, dict):
            continue
        if "id" in entry:
            yield from id_problems(where, entry["id"], _CLARIFICATION_ID, "card_blocked", seen)
        if "question" in entry:
            for at, problem in message_problems("question", entry["question"]):
                yield (*where, *at), problem
            yield from _no_placeholders((*where, "question"), entry["question"])
        if "options" in entry:
            yield from _options_problems((*where, "options"), entry["options"], ids)


def _no_placeholders(where: PathParts, data: Any) -> Iterator[tuple[PathParts, str]]:
    """A text with { or }, where nothing fills placeholders."""
    for path, value in leaves(data, where):
        if isinstance(value, str) and ("{" in value or "}" in value):
            yield path, "must not use { or }: this text has no placeholders"


def _options_problems(
    where: PathParts, options: Any, ids: ProcedureIds
) -> Iterator[tuple[PathParts, str]]:
    """Problems of a clarifying question's options: 2 to MAX_OPTIONS different procedures."""
    if not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS:
        yield where, f"must be a list of 2 to {MAX_OPTIONS} options (procedure ids)"
        return
    chosen: dict[str, int] = {}
    for index, value in enumerate(options):
        at: PathParts = (*where, index)
        procedure = value
        if isinstance(value, dict):
            fields = fields_problems(at, value, ("procedure",), ("label",))
            yield from fields
            if "label" in value:
                yield from languages_problems((*at, "label"), value["label"])
            if "procedure" not in value:
                continue
            procedure, at = value["procedure"], (*at, "procedure")
        if problem := ids.problem(procedure):
            yield at, problem
        elif procedure in chosen:
            yield at, f"{procedure} is already option [{chosen[procedure]}]"
        else:
            chosen[procedure] = index
