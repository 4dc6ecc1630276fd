"""Tests of "contact my commune": the communes' phone numbers, addresses and websites in
content/communes.yml (`contact`), their checks, and the reply (render.commune_contact),
written and spoken.

Pure: no Rasa needed. ActionStartProcedure sends this reply first when the procedure
is commune-contact (actions/actions.py, which needs rasa-sdk: not imported here).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions import render
from actions.catalogue import LANGUAGES, Catalogue, CatalogueError, load_catalogue
from actions.spoken import Speech, default_terms
from tests.content import fixture_content

MIN_PHONES = 10
"""Communes whose number an official page gave (2026-12-04): it must not go down."""


def said(catalogue: Catalogue, text: str, lang: str) -> str:
    """What the phone line says for `text` (numbers twice, acronyms said)."""
    return Speech.of(catalogue.messages, default_terms(), lang).say(text)


def test_every_commune_has_sourced_contacts(cat: Catalogue) -> None:
    assert len(cat.communes) == 19
    contacts = [c.contact for c in cat.communes if c.contact is not None]
    assert len(contacts) >= 18  # Ixelles: no official page found yet (see communes.yml)
    for contact in contacts:
        assert contact.sources
        assert all(url.startswith(("https://", "http://")) for url in contact.sources)
        assert contact.phone or contact.address or contact.website
    phones = [c.phone for c in contacts if c.phone]
    assert len(phones) >= MIN_PHONES
    assert all(re.fullmatch(r"0\d{1,3}( \d{2,4})+", phone) for phone in phones)
    # the City of Brussels' number is the one the fact base and the procedure give
    city = cat.commune("bruxelles")
    assert city is not None and city.contact is not None
    assert city.contact.phone == "02 279 22 11"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_commune_with_every_fact_written(cat: Catalogue, lang: str) -> None:
    commune = cat.commune("saint-josse-ten-noode")
    assert commune is not None and commune.contact is not None
    text = render.commune_contact(cat, commune, lang, spoken=False).text
    assert commune.name.in_(lang) in text
    assert "02 220 26 11" in text
    assert commune.contact.address is not None
    assert commune.contact.address.in_(lang) in text
    assert "https://sjtn.brussels" in text  # where the opening hours are
    assert commune.contact.sources[0] in text and "2026-12-04" in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_commune_said_on_the_phone(cat: Catalogue, lang: str) -> None:
    commune = cat.commune("bruxelles")
    text = render.commune_contact(cat, commune, lang, spoken=True).text
    assert "http" not in text and "www" not in text  # no web address read aloud
    speech = said(cat, text, lang)
    assert speech.count("02 279 22 11") == 2  # said, then said again
    assert cat.messages.text("commune_contact_hours_spoken", lang, spoken=True) in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_what_no_official_page_gave_is_said_missing(cat: Catalogue, lang: str) -> None:
    schaerbeek = cat.commune("schaerbeek")
    text = render.commune_contact(cat, schaerbeek, lang, spoken=False).text
    name = "Schaerbeek" if lang != "nl" else "Schaarbeek"
    assert cat.messages.text("commune_contact_no_phone", lang, commune=name) in text
    assert "https://www.1030.be" in text  # what is sourced is still given
    ixelles = cat.commune("ixelles")
    assert ixelles is not None and ixelles.contact is None
    text = render.commune_contact(cat, ixelles, lang, spoken=True).text
    assert not re.search(r"\d{3}", text)  # no number made up
    for missing in ("commune_contact_no_phone", "commune_contact_no_address"):
        name = ixelles.name.in_(lang)
        assert cat.messages.text(missing, lang, spoken=True, commune=name) in text


def test_without_a_commune_the_reply_asks_for_it(cat: Catalogue) -> None:
    for lang in LANGUAGES:
        reply = render.commune_contact(cat, None, lang, spoken=False)
        assert reply.text == cat.messages.text("commune_contact_ask", lang)


def test_a_commune_by_id(cat: Catalogue) -> None:
    commune = cat.commune("jette")
    assert commune is not None and commune.postcodes == ("1090",)
    assert cat.commune("nowhere") is None
    assert cat.commune(None) is None


# ---------------------------------------------------------------- the checks


def communes_with(tmp_path: Path, contact: dict[str, Any]) -> list[str]:
    """Give the first commune `contact`; return the problems of loading the content."""
    content = fixture_content(tmp_path)
    data = yaml.safe_load((content / "communes.yml").read_text(encoding="utf-8"))
    data[0]["contact"] = contact
    (content / "communes.yml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(content)
    return list(caught.value.problems)


def assert_problem(found: list[str], field: str, words: str) -> None:
    """Assert one problem of content/communes.yml names `field` and `words`."""
    pattern = re.compile(rf"^content/communes\.yml:\d+: {re.escape(field)}: .*{re.escape(words)}")
    assert any(pattern.search(line) for line in found), "\n".join(found)


def test_contact_problems(tmp_path: Path) -> None:
    found = communes_with(
        tmp_path,
        {
            "phone": "02/279.22.11",
            "address": {"fr": "Boulevard Anspach 6", "nl": "Anspachlaan 6"},
            "website": "www.bruxelles.be",
            "hours": "8-16",
            "checked_on": "2026-02-30",
        },
    )
    assert_problem(found, "[0].contact.phone", "in groups")
    assert_problem(found, "[0].contact.address.en", "is missing")
    assert_problem(found, "[0].contact.website", "https://")
    assert_problem(found, "[0].contact.hours", "not a known field")
    assert_problem(found, "[0].contact.sources", "is missing")
    assert_problem(found, "[0].contact.checked_on", "does not exist")


def test_a_short_number_or_a_bad_source_is_refused(tmp_path: Path) -> None:
    found = communes_with(
        tmp_path, {"phone": "02 279", "sources": ["bruxelles.be"], "checked_on": "2026-12-04"}
    )
    assert_problem(found, "[0].contact.phone", "in groups")
    assert_problem(found, "[0].contact.sources[0]", "https://")
