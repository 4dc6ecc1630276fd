"""Which detail of a procedure a question asks about (issue 11, part 1): the phrases of
nlu/components/section_phrases.py, which SectionEntityExtractor makes the `section`
entity in the Rasa model. Questions name a detail in any message; a request that only
describes the person's situation names none, so it still starts its procedure."""

from __future__ import annotations

import pytest

from actions.catalogue import SECTIONS
from nlu.components.section_phrases import DETAIL_WORDS, QUESTIONS, find_section
from tests.content import REPO

# A question in each language, and the detail it asks about.
QUESTIONS_ASKED = [
    ("Combien ça coûte ?", "cost"),
    ("c'est gratuit ou il faut payer", "cost"),
    ("hoeveel kost een nieuwe identiteitskaart", "cost"),
    ("How much is a new identity card?", "cost"),
    ("Qu'est-ce que je dois apporter ?", "bring"),
    ("welke papieren heb ik nodig", "bring"),
    ("which documents do I need for the CPAS", "bring"),
    ("jusqu'à quand je peux le faire", "deadline"),
    ("hoelang duurt het", "deadline"),
    ("how much time do I have", "deadline"),
    ("Où dois-je aller ?", "where"),
    ("waar moet ik naartoe", "where"),
    ("where do I go for that", "where"),
    ("je peux le faire sans ordinateur ?", "offline"),
    ("kan dat zonder itsme", "offline"),
    ("can I do it on paper", "offline"),
    ("c'est pour qui ?", "who"),
    ("voor wie is dat", "who"),
    ("am I entitled to it", "who"),
    ("il y a d'autres aides ?", "related"),
    ("zijn er nog andere voordelen", "related"),
    ("what else can I get", "related"),
]
# Requests that describe a situation: no detail asked, the procedure starts.
NO_DETAIL = [
    "j'ai perdu ma carte d'identité, je fais quoi",
    "perdue ou volée",
    "que faire quand on perd sa carte",
    "mon énergie coûte trop cher",
    "ik ben mijn identiteitskaart kwijt",
    "ik kan mijn energiefactuur niet betalen",
    "I lost my documents",
    "my medical costs are too high what can I do",
    "the gas price is too high for me",
    "I have no computer and no internet",
    "hoeveel stappen zijn er",
    "combien d'étapes en tout",
]
# Short follow-ups that name a detail only once the message is known to ask one.
FOLLOW_UPS = [
    ("et les documents ?", "bring"),
    ("en de prijs", "cost"),
    ("I don't have internet", "offline"),
    ("l'adresse svp", "where"),
    ("can I get it as a student", "who"),
]


@pytest.mark.parametrize(("text", "detail"), QUESTIONS_ASKED)
def test_a_question_names_its_detail(text: str, detail: str) -> None:
    found = find_section(text)
    assert found is not None and found.value == detail, found


@pytest.mark.parametrize("text", NO_DETAIL)
def test_a_situation_names_no_detail(text: str) -> None:
    assert find_section(text) is None
    assert find_section(text.upper()) is None


@pytest.mark.parametrize(("text", "detail"), FOLLOW_UPS)
def test_single_words_count_only_in_a_question_about_a_detail(text: str, detail: str) -> None:
    assert find_section(text) is None
    found = find_section(text, asks_a_detail=True)
    assert found is not None and found.value == detail


def test_the_words_found_are_the_persons_own() -> None:
    """The entity's span points into the message as written: accents and punctuation."""
    text = "Bonjour, où dois-je aller ?"
    found = find_section(text)
    assert found is not None
    assert text[found.start : found.end] == found.text == "où dois-je"


def test_the_first_detail_asked_wins() -> None:
    found = find_section("how much does it cost and where do I go")
    assert found is not None and found.value == "cost"
    found = find_section("where do I go and how much does it cost")
    assert found is not None and found.value == "where"


def test_every_detail_is_a_section_of_the_catalogue_or_who() -> None:
    assert set(QUESTIONS) == set(DETAIL_WORDS) == {*SECTIONS, "who"}


def test_the_component_runs_after_the_classifiers() -> None:
    """It reads the final intent (ask_section: single words count; nlu_fallback: a
    question about a detail becomes ask_section), so it comes after both classifiers."""
    names = [
        line.split("name:", 1)[1].strip()
        for line in (REPO / "config.yml").read_text().splitlines()
        if line.strip().startswith("- name:")
    ]
    component = "nlu.components.sections.SectionEntityExtractor"
    assert names.index("FallbackClassifier") < names.index(component)
