"""communes.yml: the 19 communes of the Brussels-Capital Region, their postcodes, and
how to reach each one (phone, address, website), as official pages give it."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .checks import (
    HYPHENATED_ID,
    date_problem,
    fields_problems,
    id_problems,
    languages_problems,
    list_problems,
    read_required,
    report_all,
)
from .model import Commune, CommuneContact, build_text
from .report import PathParts, Report

_POSTCODE = re.compile(r"^\d{4}$")
_PHONE = re.compile(r"^0\d{1,3}(?: \d{2,4})+$")
"""A Belgian number grouped as it is said: 02 279 22 11, 0800 35 123 (9 digits or more)."""
_URL = re.compile(r"^https?://\S+$")
_CONTACT_FIELDS = ("sources", "checked_on")
_CONTACT_OPTIONAL = ("phone", "address", "website")


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
            contact=_contact(entry["contact"]) if "contact" in entry else None,
        )
        for entry in doc.data
    )


def _contact(data: Mapping[str, Any]) -> CommuneContact:
    """Build a commune's contact from data that passed every check."""
    return CommuneContact(
        sources=tuple(data["sources"]),
        checked_on=datetime.date.fromisoformat(data["checked_on"]),
        phone=data.get("phone"),
        address=build_text(data["address"]) if "address" in data else None,
        website=data.get("website"),
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
        yield from fields_problems(where, entry, ("id", "name", "postcodes"), ("note", "contact"))
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
        if "contact" in entry:
            yield from _contact_problems((*where, "contact"), entry["contact"])


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


def _contact_problems(where: PathParts, contact: Any) -> Iterator[tuple[PathParts, str]]:
    """Problems of a commune's contact: its fields, a number said as grouped digits, web
    addresses, an address in the three languages, a real date."""
    shape = fields_problems(where, contact, _CONTACT_FIELDS, _CONTACT_OPTIONAL)
    yield from shape
    if not isinstance(contact, dict):
        return
    phone = contact.get("phone")
    if phone is not None and (
        not isinstance(phone, str)
        or not _PHONE.fullmatch(phone)
        or len(re.sub(r"\D", "", phone)) < 9
    ):
        yield (*where, "phone"), 'must be a number in groups, in quotes, like "02 279 22 11"'
    if "address" in contact:
        yield from languages_problems((*where, "address"), contact["address"])
    website = contact.get("website")
    if website is not None and (not isinstance(website, str) or not _URL.fullmatch(website)):
        yield (*where, "website"), "must be a web address starting with https://"
    sources = contact.get("sources")
    if "sources" in contact:
        yield from list_problems((*where, "sources"), sources, "web address")
        for index, url in enumerate(sources if isinstance(sources, list) else ()):
            if not isinstance(url, str) or not _URL.fullmatch(url):
                yield (*where, "sources", index), "must be a web address starting with https://"
    if "checked_on" in contact and (problem := date_problem(contact["checked_on"])):
        yield (*where, "checked_on"), problem
