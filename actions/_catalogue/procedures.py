"""procedures/*.yml: one procedure per file, checked against the schema and by checks.py."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema

from .checks import ProcedureIds, cases_problems, procedure_problems, related_rights_problems
from .model import LANGUAGES, SECTIONS, Case, Procedure, RelatedRight, build_phrase, build_text
from .report import PathParts, Report
from .schema import schema_problems
from .yaml_source import Document, read_yaml


def load_procedures(
    directory: Path,
    validator: jsonschema.protocols.Validator | None,
    ids: ProcedureIds,
    report: Report,
) -> dict[str, Procedure]:
    """Validate and build every procedures/*.yml; problems go to `report`.

    `ids` are the procedures a related right may name; one staged but not published
    yet is left out until it is published.
    """
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
        doc = read_yaml(path, report)
        if doc is None:
            continue
        problems = list(schema_problems(validator, doc.data)) if validator else []
        # One problem per field is enough: the schema's word wins over the extra checks.
        reported = {where for where, _ in problems}
        problems += [p for p in procedure_problems(doc) if p[0] not in reported]
        problems += [p for p in related_rights_problems(doc, ids) if p[0] not in reported]
        problems += [p for p in cases_problems(doc) if p[0] not in reported]
        problems += _intent_clash(doc, intents, report)
        for where, problem in sorted(problems, key=lambda p: (doc.line(p[0]) or 0, str(p))):
            report.add(path, doc.line(where), where, problem)
        if not problems and validator is not None:
            procedures[path.stem] = _build_procedure(doc.data, ids.files)
    return procedures


def _intent_clash(
    doc: Document, intents: dict[str, Path], report: Report
) -> list[tuple[PathParts, str]]:
    """Record this file's intent; return a problem if an earlier file already uses it."""
    intent = doc.data.get("intent") if isinstance(doc.data, dict) else None
    if not isinstance(intent, str):
        return []
    if intent in intents:
        return [(("intent",), f"{intent} is already used by {report.name(intents[intent])}")]
    intents[intent] = doc.path
    return []


def _build_procedure(data: Mapping[str, Any], published: frozenset[str]) -> Procedure:
    """Build a Procedure from data that passed every check; related rights to a
    procedure not `published` yet are left out."""
    return Procedure(
        id=data["id"],
        intent=data["intent"],
        checked_on=datetime.date.fromisoformat(data["checked_on"]),
        sources=tuple(data["sources"]),
        title=build_text(data["title"]),
        summary=build_text(data["summary"]),
        who=build_text(data["who"]),
        steps=tuple(build_phrase(step) for step in data["steps"]),
        **{name: build_phrase(data[name]) for name in SECTIONS if name in data},
        related_rights=tuple(
            RelatedRight(procedure=right["procedure"], why=build_phrase(right["why"]))
            for right in data.get("related_rights", ())
            if right["procedure"] in published
        ),
        cases=tuple(
            Case(
                words=tuple(word for lang in LANGUAGES for word in case["words"][lang]),
                steps=tuple(number - 1 for number in case.get("steps", ())),
                sections=tuple(case.get("sections", ())),
            )
            for case in data.get("cases", ())
        ),
    )
