"""Words explained and related rights offered, as a person meets them (issue 11, parts
2, 3 and 5): the replies of actions/render.py built from the real catalogue, the NLU
data of explain_term and its wiring in the domain.

action_explain_term (actions/actions.py, which needs rasa-sdk) finds the term with
`find_term` in the message and sends `render.explain_term`; it changes no slot.
tests/integration/test_words_with_rasa.py checks the whole turn with the real brain.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from actions import render
from actions.catalogue import LANGUAGES, Catalogue, Procedure, find_term
from actions.render import HUMAN, MENU, NEXT, NO, YES, Reply
from nlu.examples import plain_text, read_examples
from tests.content import REPO

QUESTIONS = {
    "fr": "c'est quoi le CPAS ?",
    "nl": "wat is het OCMW?",
    "en": "what is the CPAS?",
}
WHERE_WE_WERE = {
    "fr": "Nous en étions à l'étape 3 sur {total} : {title}.",
    "nl": "We waren bij stap 3 van {total}: {title}.",
    "en": "We were at step 3 of {total}: {title}.",
}
WRITE_NEXT = {"fr": "« suivant »", "nl": "“volgende”", "en": "“next”"}
SAY_NEXT = {"fr": "dites suivant", "nl": "zeg volgende", "en": "say next"}
DID_IT_HELP = {
    "fr": "Est-ce que cela vous a aidé ?",
    "nl": "Heeft dit u geholpen?",
    "en": "Did this help?",
}
NO_EXPLANATION = {
    "fr": "je n'ai pas d'explication pour ce mot",
    "nl": "voor dat woord heb ik geen uitleg",
    "en": "I do not have an explanation for that word",
}
RIGHT = "/proc_increased_reimbursement"
MIN_TRAINING_EXAMPLES = 45
MIN_HELD_OUT_EXAMPLES = 13


@pytest.fixture(scope="module")
def tariff(cat: Catalogue) -> Procedure:
    """Seven steps, and a related right: the increased reimbursement."""
    return cat.procedures["social-tariff"]


def payloads(reply: Reply) -> list[str]:
    return [button.payload for button in reply.buttons]


def last(proc: Procedure) -> int:
    return len(proc.steps) - 1


# ---------------------------------------------------------------- a word explained


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_word_is_explained_in_the_persons_language(cat: Catalogue, lang: str) -> None:
    term = find_term(QUESTIONS[lang], cat.glossary)
    assert term is not None and term.id == "cpas"
    reply = render.explain_term(cat, term, lang, spoken=False)
    assert reply.text.startswith(cat.glossary["cpas"].written.in_(lang))
    assert payloads(reply) == [MENU]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_word_explained_on_the_phone(cat: Catalogue, lang: str) -> None:
    reply = render.explain_term(cat, cat.glossary["c4"], lang, spoken=True)
    assert reply.text.startswith(cat.glossary["c4"].spoken.in_(lang))
    assert reply.text.endswith(cat.messages.text("press_menu", lang, spoken=True, n=1))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_in_a_procedure_the_place_is_kept(cat: Catalogue, tariff: Procedure, lang: str) -> None:
    """The explanation, where the person was, and that step's buttons: "next" goes on."""
    reply = render.explain_term(cat, cat.glossary["cpas"], lang, False, proc=tariff, index=2)
    title = tariff.title.in_(lang)
    assert reply.text.startswith(cat.glossary["cpas"].written.in_(lang))
    assert WHERE_WE_WERE[lang].format(total=len(tariff.steps), title=title) in reply.text
    assert WRITE_NEXT[lang] in reply.text
    assert reply.buttons == render.step(cat, tariff, 2, lang, spoken=False).buttons
    assert payloads(reply)[0] == NEXT


@pytest.mark.parametrize("lang", LANGUAGES)
def test_in_a_procedure_on_the_phone(cat: Catalogue, tariff: Procedure, lang: str) -> None:
    reply = render.explain_term(cat, cat.glossary["itsme"], lang, True, proc=tariff, index=2)
    assert reply.text.startswith(cat.glossary["itsme"].spoken.in_(lang))
    assert SAY_NEXT[lang] in reply.text  # "say next or press 1": key 1 is Next
    assert payloads(reply)[0] == NEXT


@pytest.mark.parametrize("lang", LANGUAGES)
def test_at_the_last_step_did_this_help_still_stands(
    cat: Catalogue, tariff: Procedure, lang: str
) -> None:
    reply = render.explain_term(cat, cat.glossary["bim"], lang, False, proc=tariff, index=99)
    assert DID_IT_HELP[lang] in reply.text
    assert payloads(reply)[:2] == [YES, NO]
    assert NEXT not in payloads(reply)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_word_the_glossary_lacks_gets_an_honest_answer(cat: Catalogue, lang: str) -> None:
    assert find_term("c'est quoi un zorglub", cat.glossary) is None
    reply = render.explain_term(cat, None, lang, spoken=False)
    assert NO_EXPLANATION[lang] in reply.text
    assert payloads(reply) == [HUMAN, MENU]


def test_a_word_the_glossary_lacks_in_a_procedure(cat: Catalogue, tariff: Procedure) -> None:
    """The step's buttons with "Talk to a person" after Next (key 2 on the phone: the
    keys 7 to 9 mean the same on every menu), read with its key."""
    step_buttons = render.step(cat, tariff, 2, "en", spoken=True).buttons
    reply = render.explain_term(cat, None, "en", True, proc=tariff, index=2)
    assert payloads(reply)[:2] == [NEXT, HUMAN]
    assert [b for b in reply.buttons if b.payload != HUMAN] == step_buttons
    assert "To talk to a person, press 2." in reply.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_at_the_last_step_a_person_is_key_3(cat: Catalogue, tariff: Procedure, lang: str) -> None:
    reply = render.explain_term(cat, None, lang, True, proc=tariff, index=last(tariff))
    assert payloads(reply)[:3] == [YES, NO, HUMAN]
    assert cat.messages.text("press_human", lang, True, n=3) in reply.text


# ---------------------------------------------------------------- not understood


@pytest.mark.parametrize("lang", LANGUAGES)
def test_not_understood_in_a_procedure_keeps_the_step(
    cat: Catalogue, tariff: Procedure, lang: str
) -> None:
    reply = render.not_understood(cat, lang, False, again=False, proc=tariff, index=2)
    assert WRITE_NEXT[lang] in reply.text
    assert reply.buttons == render.step(cat, tariff, 2, lang, spoken=False).buttons


def test_not_understood_outside_a_procedure_still_offers_the_menu(cat: Catalogue) -> None:
    reply = render.not_understood(cat, "en", False, again=False)
    assert payloads(reply) == [button.payload for button in render.menu_buttons(cat, "en")]


# ---------------------------------------------------------------- related rights


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_last_step_offers_a_related_right(cat: Catalogue, tariff: Procedure, lang: str) -> None:
    rights = render.unsaid_rights(tariff, None)
    reply = render.step(cat, tariff, last(tariff), lang, spoken=False, rights=rights)
    assert rights[0].why.written.in_(lang) in reply.text
    assert payloads(reply)[:3] == [YES, NO, RIGHT]  # yes and no keep keys 1 and 2
    title = cat.procedures["increased-reimbursement"].title.in_(lang)
    assert reply.buttons[2].title == title


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_related_right_on_the_phone(cat: Catalogue, tariff: Procedure, lang: str) -> None:
    rights = render.unsaid_rights(tariff, None)
    reply = render.step(cat, tariff, last(tariff), lang, spoken=True, rights=rights)
    title = cat.procedures["increased-reimbursement"].title.in_(lang)
    assert rights[0].why.spoken.in_(lang) in reply.text
    assert cat.messages.text("press_for", lang, True, option=title, n=3) in reply.text


def test_a_right_is_offered_once(cat: Catalogue, tariff: Procedure) -> None:
    """Offered once (slot rights_offered): the last step shown again no longer says it."""
    assert render.unsaid_rights(tariff, ["increased-reimbursement"]) == ()
    assert render.unsaid_rights(tariff, ["jobseeker"]) == tariff.related_rights
    again = render.step(cat, tariff, last(tariff), "en", spoken=False, rights=())
    assert RIGHT not in payloads(again)
    assert tariff.related_rights[0].why.written.in_("en") not in again.text


def test_all_the_steps_offer_the_right_too(cat: Catalogue, tariff: Procedure) -> None:
    rights = render.unsaid_rights(tariff, ())
    reply = render.all_steps(cat, tariff, "nl", spoken=False, rights=rights)
    assert payloads(reply)[:3] == [YES, NO, RIGHT]
    assert rights[0].why.written.in_("nl") in reply.text


# ---------------------------------------------------------------- the NLU and the domain


def examples(paths: list[Path], intent: str) -> list[str]:
    return [
        plain_text(raw) for path in paths for found, raw in read_examples(path) if found == intent
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_explain_term_has_its_training_and_held_out_examples(lang: str) -> None:
    training = examples([REPO / "nlu" / f"explain-term-{lang}.yml"], "explain_term")
    held_out = examples([REPO / "tests" / "nlu" / f"{lang}.yml"], "explain_term")
    assert len(training) >= MIN_TRAINING_EXAMPLES
    assert len(held_out) >= MIN_HELD_OUT_EXAMPLES


ASKS_WHAT = re.compile(r"^(c ?'? ?est quoi|c koi|what is|whats|what does|wat is|wat betekent)\b")


def test_no_procedure_learns_a_question_about_a_word(cat: Catalogue) -> None:
    """ "What is the CPAS?" asks about a word: no procedure intent is trained on it."""
    paths = sorted((REPO / "nlu").glob("*.yml"))
    asked = [
        (intent, text)
        for path in paths
        for intent, raw in read_examples(path)
        if intent.startswith("proc_")
        and ASKS_WHAT.search(text := plain_text(raw).lower())
        and find_term(text, cat.glossary) is not None
    ]
    assert asked == []


def test_explain_term_is_in_the_domain_with_its_rule() -> None:
    domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    rules = yaml.safe_load((REPO / "nlu" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    assert "explain_term" in domain["intents"]
    assert "action_explain_term" in domain["actions"]
    assert {"steps": [{"intent": "explain_term"}, {"action": "action_explain_term"}]} in [
        {"steps": rule["steps"]} for rule in rules
    ]
    assert domain["slots"]["rights_offered"]["influence_conversation"] is False
