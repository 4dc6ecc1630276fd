"""communes.yml: the 19 communes of the Brussels-Capital Region and their postcodes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .checks import (
    HYPHENATED_ID,
    fields_problems,
    id_problems,
    languages_problems,
    list_problems,
    read_required,
    report_all,
)
from .model import Commune, build_text
from .report import PathParts, Report

_POSTCODE = re.compile(r"^\d{4}$")


def load_communes(path: Path, report: Report) -> tuple[Commune, ...]:
    """Validate and build communes.yml; problems go to `report`."""
    doc = read_required(path, report)
    if doc is None:
        return ()
    problems = list(_communes_problems(doc.data))
    report_all(doc, problems, report)
    if problems:
        return ()
    return tuple(
        Commune(
            id=entry["id"],
            name=build_text(entry["name"]),
            postcodes=tuple(entry["postcodes"]),
            note=build_text(entry["note"]) if "note" in entry else None,
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
        yield from fields_problems(where, entry, ("id", "name", "postcodes"), ("note",))
        if not isinstance(entry, dict):
            continue
        if "id" in entry:
            yield from id_problems(where, entry["id"], HYPHENATED_ID, "saint-gilles", seen)
        for name in ("name", "note"):
            if name in entry:
                yield from languages_problems((*where, name), entry[name])
        if "postcodes" in entry:
            owner = entry.get("id") if isinstance(entry.get("id"), str) else f"[{index}]"
            yield from _postcodes_problems((*where, "postcodes"), entry["postcodes"], owner, owners)


def _postcodes_problems(
    where: PathParts, postcodes: Any, owner: str, owners: dict[str, str]
) -> Iterator[tuple[PathParts, str]]:
    """Problems of one commune's postcodes; records which commune has each postcode."""
    shape = list_problems(where, postcodes, "postcode")
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
