"""Tests of the glossary (content/glossary.yml, actions/_catalogue/glossary.py) and of the
procedures' related rights (`related_rights` in content/procedures/*.yml).

Pure: no Rasa needed. Broken content is written to a temporary content/ directory built
from the real schemas, messages, communes and glossary plus the fixture procedures.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from actions._catalogue.checks import acronym_problems, written_acronym_problems
from actions.catalogue import (
    LANGUAGES,
    CatalogueError,
    RelatedRight,
    Term,
    Text,
    find_term,
    glossary,
    load_catalogue,
)
from actions.spoken import SPOKEN_TERMS_FILE, load_spoken_terms
from tests.content import CONTENT, FIXTURES, fixture_content

GLOSSARY = CONTENT / "glossary.yml"
# The words issue 11 names, and the ones its brief adds: each must be explained.
REQUIRED_TERMS = {
    "cpas",
    "onem",
    "capac",
    "c4",
    "doc-stop",
    "card-stop",
    "itsme",
    "csam",
    "bim",
    "grapa",
    "apa",
    "mutualite",
    "actiris",
    "famiris",
    "irisbox",
    "myminfin",
    "mon-dossier",
    "card-reader",
    "pin-puk",
    "annex-12",
    "epn",
    "creg",
    "sibelga",
}
# The related rights issue 11 names, where the fact base supports them.
REQUIRED_RIGHTS = {
    ("increased-reimbursement", "social-tariff"),
    ("social-tariff", "increased-reimbursement"),
    ("integration-income", "increased-reimbursement"),
    ("integration-income", "social-tariff"),
    ("integration-income", "family-allowance"),
    ("jobseeker", "increased-reimbursement"),
    ("jobseeker", "family-allowance"),
}


# ---------------------------------------------------------------- helpers


def real_terms() -> list[dict[str, Any]]:
    """The real glossary as plain data, ready to break."""
    return yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))


def write_yaml(path: Path, data: Any) -> None:
    """Write data as YAML, keeping key order and accents."""
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def problems(content: Path) -> list[str]:
    """Load `content`, expecting a CatalogueError; return its problem lines."""
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(content)
    return list(caught.value.problems)


def assert_problem(found: list[str], file: str, field: str, words: str) -> None:
    """Assert one problem names `file` (with a line), `field` and `words`."""
    pattern = re.compile(rf"^{re.escape(file)}:\d+: {re.escape(field)}: .*{re.escape(words)}")
    assert any(pattern.search(line) for line in found), "\n".join(found)


def term(term_id: str, *names: str) -> Term:
    """A small term for find_term: its names in French, one text everywhere."""
    text = Text(fr="Texte.", nl="Tekst.", en="Text.")
    return Term(term_id, {"fr": names, "nl": (), "en": ()}, text, text, ("https://x.be",))


def fixture_procedure(name: str) -> dict[str, Any]:
    """A fixture procedure as plain data."""
    path = FIXTURES / "procedures" / f"{name}.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def why(sentence: str) -> dict[str, dict[str, str]]:
    """A related right's `why`: the same sentence in every language and form."""
    text = dict.fromkeys(LANGUAGES, sentence)
    return {"written": text, "spoken": text}


# ---------------------------------------------------------------- the real glossary


def test_real_glossary_explains_the_words_people_do_not_know() -> None:
    terms = load_catalogue(CONTENT).glossary
    assert set(terms) >= REQUIRED_TERMS
    for found in terms.values():
        assert found.sources and all(s.startswith(("https://", "http://")) for s in found.sources)
        for lang in LANGUAGES:
            assert found.render(lang, spoken=False) == found.written.in_(lang)
            assert found.render(lang, spoken=True) == found.spoken.in_(lang)
    assert dict(glossary()) == dict(terms)  # the brain's cached copy is the same content


def test_every_acronym_of_the_glossary_is_explained_and_can_be_said() -> None:
    """Written: an acronym with a plain name says it in the same text; spoken: the phone
    knows how to say every acronym (content/spoken_terms.yml)."""
    lexicon = load_spoken_terms(CONTENT / SPOKEN_TERMS_FILE)
    plain = {
        lang: {w: t.plain for w, t in lexicon.of(lang).items() if t.plain} for lang in LANGUAGES
    }
    terms = load_catalogue(CONTENT).glossary.values()
    written = [(t.id, [{lang: t.written.in_(lang) for lang in LANGUAGES}]) for t in terms]
    assert written_acronym_problems(written, plain) == []
    spoken = [(t.id, lang, t.spoken.in_(lang)) for t in terms for lang in LANGUAGES]
    known = {lang: lexicon.of(lang).keys() for lang in LANGUAGES}
    assert acronym_problems(spoken, known) == []


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("C'est quoi le CPAS ?", "cpas"),
        ("c est quoi le c.p.a.s.", "cpas"),
        ("wat is een OCMW", "cpas"),
        ("What is the public social welfare centre?", "cpas"),
        ("l'Onem c'est qui", "onem"),
        ("wat doet de RVA", "onem"),
        ("wat is een C4-formulier?", "c4"),
        ("I lost my C4", "c4"),
        ("c'est quoi doc-stop", "doc-stop"),
        ("what is Card Stop", "card-stop"),
        ("c'est quoi l’intervention majorée", "bim"),
        ("wat is de verhoogde tegemoetkoming", "bim"),
        ("wat is de IGO?", "grapa"),
        ("la mutuelle, c'est quoi", "mutualite"),
        ("wat is een ziekenfonds", "mutualite"),
        ("what is a health insurance fund", "mutualite"),
        ("IRISBOX ?", "irisbox"),
        ("c'est quoi un lecteur de carte", "card-reader"),
        ("mijn pincode", "pin-puk"),
        ("what is annex 12?", "annex-12"),
        ("c'est quoi un espace public numérique", "epn"),
        ("qui est Sibelga", "sibelga"),
        ("c'est quoi une clé numérique", "csam"),
        ("wat is een digitale sleutel", "csam"),
        ("what is a digital key", "csam"),
        # The apostrophe dropped, as people type it.
        ("c est quoi lonem", "onem"),
        ("c est quoi l onem", "onem"),
        # What speech recognition writes: numbers as words, acronyms letter by letter.
        ("c'est quoi une annexe douze", "annex-12"),
        ("wat is een bijlage twaalf", "annex-12"),
        ("what is an annex twelve", "annex-12"),
        ("c'est quoi un c quatre", "c4"),
        ("c'est quoi le c p a s", "cpas"),
        ("wat is het o c m w", "cpas"),
        ("wat doet de r v a", "onem"),
    ],
)
def test_find_term_in_a_question(question: str, expected: str) -> None:
    found = find_term(question)
    assert found is not None and found.id == expected


@pytest.mark.parametrize(
    "question",
    [
        "je suis perdu",
        "ik ben de weg kwijt",
        "I'm lost",
        "x",
        "?",
        "",
        "apart",
        "CPASS",
        "c pas grave",  # "c'est pas grave": letters apart spell an acronym, not one letter
        "il y a deux semaines",
    ],
)
def test_find_term_names_no_term(question: str) -> None:
    assert find_term(question) is None


def test_find_term_takes_the_longest_name_as_a_whole_word() -> None:
    terms = {"card": term("card", "carte"), "reader": term("reader", "lecteur de carte")}
    found = find_term("c'est quoi un LECTEUR   de carte ?", terms)
    assert found is not None and found.id == "reader"
    assert find_term("ma carte", terms) == terms["card"]
    assert find_term("cartes", terms) is None  # a whole word, not a piece of one
    assert find_term("lecteur de carte", {}) is None  # an empty glossary names nothing


def test_a_term_can_be_hashed_and_compared() -> None:
    one, same = term("cpas", "CPAS"), term("cpas", "CPAS")
    assert one == same and hash(one) == hash(same)
    assert one.phrase.render("en", spoken=True) == "Text."


# ---------------------------------------------------------------- checks at load


def broken_glossary(tmp_path: Path, entries: list[dict[str, Any]]) -> list[str]:
    """Write `entries` as the glossary of a fixture content directory; return the problems."""
    content = fixture_content(tmp_path)
    write_yaml(content / "glossary.yml", entries)
    return problems(content)


def test_glossary_problems_name_file_line_and_field(tmp_path: Path) -> None:
    entries = real_terms()
    entries[1]["id"] = entries[0]["id"]  # two terms with one id
    entries[2]["names"]["en"].append("O.C.M.W.")  # a name of the cpas term
    entries[3]["written"]["fr"] = "Un. Deux. Trois."
    entries[4]["spoken"]["en"] = "See www.docstop.be for it."
    entries[5]["written"]["fr"] = "Demandez à votre mutuelle."
    entries[6]["written"]["nl"] = "Bel 02 279 22 11."
    entries[7]["written"]["en"] = " ".join(["word"] * 21) + "."
    del entries[8]["sources"]
    found = broken_glossary(tmp_path, entries)
    file = "content/glossary.yml"
    assert_problem(found, file, "[1].id", "already the id of [0]")
    assert_problem(found, file, "[2].names.en[1]", "already a name of cpas")
    assert_problem(found, file, "[3].written.fr", "3 sentences")
    assert_problem(found, file, "[4].spoken.en", "contains a web address")
    assert_problem(found, file, "[5].written.fr", "'mutuelle'")
    assert_problem(found, file, "[6].written", "do not give the same numbers")
    assert_problem(found, file, "[7].written.en", "sentence of 21 words")
    assert_problem(found, file, "[8].sources", "is missing")


def test_a_hard_explanation_is_refused(tmp_path: Path) -> None:
    entries = real_terms()
    entries[0]["written"]["en"] = (
        "Institutional intermediaries administratively operationalise supplementary "
        "socioeconomic entitlements."
    )
    found = broken_glossary(tmp_path, entries)
    assert_problem(found, "content/glossary.yml", "[0].written.en", "Flesch reading ease score")


def test_a_missing_glossary_is_a_problem(tmp_path: Path) -> None:
    content = fixture_content(tmp_path)
    (content / "glossary.yml").unlink()
    assert "content/glossary.yml: is missing" in problems(content)


# ---------------------------------------------------------------- related rights


def test_real_related_rights() -> None:
    catalogue = load_catalogue(CONTENT)
    found = {
        (procedure.id, right.procedure)
        for procedure in catalogue.procedures.values()
        for right in procedure.related_rights
    }
    assert found >= REQUIRED_RIGHTS
    for source, target in found:
        assert target in catalogue.procedures and target != source
    right = catalogue.procedures["integration-income"].related_rights[0]
    assert isinstance(right, RelatedRight)
    assert "3" in right.why.render("nl", spoken=True)
    assert catalogue.procedures["lost-eid"].related_rights == ()  # the list is optional


def test_related_rights_problems(tmp_path: Path) -> None:
    content = fixture_content(tmp_path)
    data = fixture_procedure("lost-card")
    data["related_rights"] = [
        {"procedure": "nowhere", "why": why("You may get it.")},
        {"procedure": "lost-card", "why": why("You may get it.")},
        {"procedure": "one-step", "why": why("You may get it.")},
        {"procedure": "one-step", "why": why("You may get it too.")},
        {"procedure": "one-step"},
    ]
    write_yaml(content / "procedures" / "lost-card.yml", data)
    found = problems(content)
    file = "content/procedures/lost-card.yml"
    assert_problem(found, file, "related_rights[0].procedure", "no procedures/nowhere.yml")
    assert_problem(found, file, "related_rights[1].procedure", "another procedure")
    assert_problem(found, file, "related_rights[3].procedure", "already related right [2]")
    assert_problem(found, file, "related_rights[4].why", "is missing")


def test_a_related_right_to_a_staged_procedure_waits(tmp_path: Path) -> None:
    content = fixture_content(tmp_path)
    staged = content / "procedures-next"
    staged.mkdir()
    future = fixture_procedure("one-step")
    future["id"], future["intent"] = "future", "proc_future"
    write_yaml(staged / "future.yml", future)
    data = fixture_procedure("lost-card")
    data["related_rights"] = [
        {"procedure": "future", "why": why("You may get it.")},
        {"procedure": "one-step", "why": why("You may get it.")},
    ]
    write_yaml(content / "procedures" / "lost-card.yml", data)
    rights = load_catalogue(content).procedures["lost-card"].related_rights
    assert [right.procedure for right in rights] == ["one-step"]
