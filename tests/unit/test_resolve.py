"""Tests of actions/resolve.py: postcodes and commune names into communes, and intent
rankings into the procedures to ask about. Pure: no Rasa needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions import resolve
from actions.catalogue import Catalogue, load_catalogue
from actions.resolve import FOUND, OUTSIDE, UNKNOWN, UNSURE, Place, find_commune
from tests.content import fixture_content, full_content


@pytest.fixture(scope="module")
def cat(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    """The fixture procedures (proc_lost_card, proc_one_step) and the real communes."""
    return load_catalogue(fixture_content(tmp_path_factory.mktemp("resolve")))


def found(cat: Catalogue, **said: str) -> tuple[str, str | None, str | None]:
    place = find_commune(cat.communes, **said)
    return place.kind, place.commune.id if place.commune else None, place.postcode


# ---------------------------------------------------------------- communes


def test_words() -> None:
    assert resolve.words("Sint-Jans-Molenbeek") == ("saint", "jans", "molenbeek")
    assert resolve.words("  ÉTTERBEEK ") == ("etterbeek",)
    assert resolve.words("St-Josse") == ("saint", "josse")
    assert resolve.words("j'habite à Ixelles!") == ("j", "habite", "a", "ixelles")


def test_postcode_in() -> None:
    assert resolve.postcode_in("B-1030") == "1030"
    assert resolve.postcode_in("ik woon in 1190 Vorst") == "1190"
    assert resolve.postcode_in("12345") is None
    assert resolve.postcode_in("103") is None
    assert resolve.postcode_in(None) is None


def test_postcode_1030_is_schaerbeek(cat: Catalogue) -> None:
    assert found(cat, postcode="1030") == (FOUND, "schaerbeek", "1030")


@pytest.mark.parametrize(
    ("name", "commune"),
    [
        ("schaarbeek", "schaerbeek"),  # Dutch, lowercase
        ("Schaerbeek", "schaerbeek"),
        ("Elsene", "ixelles"),
        ("ixelles", "ixelles"),
        ("Sint-Gillis", "saint-gilles"),
        ("St Gilles", "saint-gilles"),
        ("saint gilles", "saint-gilles"),
        ("Molenbeek", "molenbeek-saint-jean"),
        ("Sint-Jans-Molenbeek", "molenbeek-saint-jean"),
        ("Saint-Josse", "saint-josse-ten-noode"),
        ("Sint-Pieters-Woluwe", "woluwe-saint-pierre"),
        ("WATERMAEL-BOITSFORT", "watermael-boitsfort"),
        ("Bosvoorde", "watermael-boitsfort"),
        ("Ukkel", "uccle"),
        ("Vorst", "forest"),
        ("Oudergem", "auderghem"),
        ("City of Brussels", "bruxelles"),
        ("Ville de Bruxelles", "bruxelles"),
        ("Brussel-Stad", "bruxelles"),
        ("Bruxelles-ville", "bruxelles"),
    ],
)
def test_commune_names_in_any_language(cat: Catalogue, name: str, commune: str) -> None:
    assert found(cat, commune=name) == (FOUND, commune, None)


@pytest.mark.parametrize("postcode", ["1040", "1050"])
def test_postcodes_where_the_street_decides_keep_their_note(cat: Catalogue, postcode: str) -> None:
    place = find_commune(cat.communes, postcode=postcode)
    assert place.kind == FOUND
    assert place.commune.note is not None
    assert "The street decides." in place.commune.note.in_("en")


@pytest.mark.parametrize("postcode", ["9000", "1300", "2000"])
def test_postcode_outside_brussels(cat: Catalogue, postcode: str) -> None:
    assert found(cat, postcode=postcode) == (OUTSIDE, None, postcode)


def test_unsure_and_unknown_names(cat: Catalogue) -> None:
    # "Bruxelles" alone: the Region or the City? Woluwe: two communes.
    for name in ("Bruxelles", "Brussel", "brussels", "Woluwe"):
        assert found(cat, commune=name) == (UNSURE, None, None), name
    for name in ("Namur", "Liège", "Gent", "Saint"):
        assert found(cat, commune=name) == (UNKNOWN, None, None), name
    assert find_commune(cat.communes) == Place(UNSURE)


def test_name_and_postcode_together(cat: Catalogue) -> None:
    # A name that names one commune wins: for 1050 the street decides.
    assert found(cat, postcode="1050", commune="Ville de Bruxelles") == (FOUND, "bruxelles", None)
    # A postcode wins over an unsure or unknown name.
    assert found(cat, postcode="1030", commune="Bruxelles") == (FOUND, "schaerbeek", "1030")
    assert found(cat, postcode="1180", commune="Ukel") == (FOUND, "uccle", "1180")
    # A postcode tagged as the commune still counts.
    assert found(cat, commune="1030") == (FOUND, "schaerbeek", "1030")


def test_values_mapped_by_nlu_synonyms(cat: Catalogue) -> None:
    """The NLU may map the words said to a commune id; the words are looked up first."""
    assert found(cat, commune="ixelles", said="ixel") == (FOUND, "ixelles", None)
    assert found(cat, commune="bruxelles", said="laeken") == (FOUND, "bruxelles", None)
    assert found(cat, commune="molenbeek-saint-jean", said="molenbek") == (
        FOUND,
        "molenbeek-saint-jean",
        None,
    )
    # "bruxelles" said as such is not mapped: the Region or the City?
    assert found(cat, commune="bruxelles", said="Bruxelles") == (UNSURE, None, None)
    assert found(cat, commune="bruxelles") == (UNSURE, None, None)
    # A value that is no id and words that are no commune.
    assert found(cat, commune="namur", said="namen") == (UNKNOWN, None, None)
    # The words win when they name a commune themselves.
    assert found(cat, commune="ixelles", said="Elsene") == (FOUND, "ixelles", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("j'habite à Schaerbeek", (FOUND, "schaerbeek", None)),
        ("ik woon in Elsene", (FOUND, "ixelles", None)),
        ("I live in 1030", (FOUND, "schaerbeek", "1030")),
        ("ik woon in sint-pieters-woluwe", (FOUND, "woluwe-saint-pierre", None)),
        ("j'habite à Molenbeek depuis 2 ans", (FOUND, "molenbeek-saint-jean", None)),
        ("j'habite à Bruxelles", (UNSURE, None, None)),
        ("j'habite à Schaerbeek, Bruxelles", (FOUND, "schaerbeek", None)),
        ("I live in the city centre of Brussels", (FOUND, "bruxelles", None)),
        ("j'habite à woluwe", (UNSURE, None, None)),
        ("je m'appelle Pierre", (UNSURE, None, None)),
        ("I live in the city", (UNSURE, None, None)),
        ("I live in 9000 Gent", (OUTSIDE, None, "9000")),
    ],
)
def test_the_text_when_the_nlu_found_no_entity(cat: Catalogue, text: str, expected: tuple) -> None:
    assert found(cat, text=text) == expected


# ---------------------------------------------------------------- ambiguous requests


def ranking(*pairs: tuple[str, float]) -> list[dict[str, object]]:
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def ids(procedures: tuple) -> list[str]:
    return [procedure.id for procedure in procedures]


def test_two_procedures_about_as_likely(cat: Catalogue) -> None:
    found_ = resolve.ambiguous_procedures(
        cat,
        ranking(
            ("nlu_fallback", 0.5),  # FallbackClassifier puts itself first
            ("proc_one_step", 0.41),
            ("proc_lost_card", 0.38),
            ("greet", 0.1),
        ),
    )
    assert ids(found_) == ["one-step", "lost-card"]


def test_best_first_whatever_the_order(cat: Catalogue) -> None:
    found_ = resolve.ambiguous_procedures(
        cat, ranking(("proc_lost_card", 0.3), ("proc_one_step", 0.45))
    )
    assert ids(found_) == ["one-step", "lost-card"]


@pytest.mark.parametrize(
    "pairs",
    [
        # one procedure only
        [("proc_one_step", 0.45), ("greet", 0.4), ("thank", 0.1)],
        # the second is under 0.2
        [("proc_one_step", 0.6), ("proc_lost_card", 0.19)],
        # the second procedure is not among the 3 best intents
        [("proc_one_step", 0.4), ("greet", 0.3), ("thank", 0.25), ("proc_lost_card", 0.24)],
        # an intent without a procedure file cannot be offered
        [("proc_one_step", 0.4), ("proc_unknown", 0.35)],
        [],
    ],
)
def test_no_clarification(cat: Catalogue, pairs: list) -> None:
    assert resolve.ambiguous_procedures(cat, ranking(*pairs)) == ()


def test_bad_ranking_entries_are_ignored(cat: Catalogue) -> None:
    entries = [None, {"name": "proc_one_step"}, *ranking(("proc_lost_card", 0.3))]
    assert resolve.ambiguous_procedures(cat, entries) == ()


def test_three_procedures(tmp_path: Path) -> None:
    full = load_catalogue(full_content(tmp_path))
    found_ = resolve.ambiguous_procedures(
        full,
        ranking(("proc_lost_eid", 0.3), ("proc_pin_puk", 0.28), ("proc_phishing_fraud", 0.21)),
    )
    assert ids(found_) == ["lost-eid", "pin-puk", "phishing-fraud"]
