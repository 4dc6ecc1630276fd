"""Questions about one detail of a procedure (issue 11, part 1): the replies of
actions/render.py from the real catalogue. A detail is answered alone, in the person's
language and the channel's form, and the place is kept; a procedure not started yet
offers its steps; a detail the content does not give is answered honestly, with where
to ask, never guessed. The dialogue with the real model is
tests/integration/test_detail_questions_with_rasa.py."""

from __future__ import annotations

import dataclasses

import pytest

from actions import render
from actions.catalogue import LANGUAGES, Catalogue, Procedure
from actions.render import HUMAN, MENU, NO, YES, Reply, section_payload


def payloads(reply: Reply) -> list[str]:
    return [button.payload for button in reply.buttons]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_detail_in_the_middle_keeps_the_place(cat: Catalogue, eid: Procedure, lang: str) -> None:
    reply = render.section(cat, eid, "cost", lang, spoken=False, index=2)
    heading = cat.messages.text("section_cost", lang)
    assert reply.text.startswith(f"{heading}\n{eid.cost.render(lang, False)}")  # type: ignore[union-attr]
    resume = cat.messages.text("resume_step", lang, n=3, total=6, title=eid.title.in_(lang))
    assert resume in reply.text
    assert eid.bring.render(lang, False) not in reply.text  # type: ignore[union-attr]
    assert payloads(reply)[0] == "/step_next"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_who_it_is_for_is_a_detail_too(cat: Catalogue, eid: Procedure, lang: str) -> None:
    reply = render.section(cat, eid, "who", lang, spoken=False, index=0)
    assert reply.text.startswith(cat.messages.text("section_who", lang))
    assert eid.who.in_(lang) in reply.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_on_the_phone_the_detail_is_spoken(cat: Catalogue, eid: Procedure, lang: str) -> None:
    reply = render.section(cat, eid, "where", lang, spoken=True, index=1)
    assert eid.where.render(lang, spoken=True) in reply.text  # type: ignore[union-attr]
    assert cat.messages.text("keys_next_step", lang, True) in reply.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_detail_the_content_lacks_is_not_guessed(cat: Catalogue, lang: str) -> None:
    """integration-income has no cost section: said honestly, then where to ask."""
    proc = cat.procedures["integration-income"]
    assert proc.cost is None and proc.where is not None
    reply = render.section(cat, proc, "cost", lang, spoken=False, index=0)
    missing = cat.messages.text("section_missing", lang, title=proc.title.in_(lang))
    assert reply.text.startswith(missing)
    assert proc.where.render(lang, False) in reply.text
    assert cat.messages.text("section_cost", lang) not in reply.text


def test_without_a_where_section_a_person_is_offered(cat: Catalogue, eid: Procedure) -> None:
    """Every procedure has a "where" section today; one without it still never guesses."""
    bare = dataclasses.replace(eid, cost=None, where=None)
    reply = render.section(cat, bare, "cost", "en", spoken=False, index=0)
    assert cat.messages.text("section_missing_ask", "en") in reply.text
    assert HUMAN in payloads(reply)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_detail_first_offers_the_steps(cat: Catalogue, eid: Procedure, lang: str) -> None:
    """ "How much is a new identity card?": the cost, then the steps offered, not imposed."""
    reply = render.section(cat, eid, "cost", lang, spoken=False, index=None, started=False)
    assert eid.cost.render(lang, False) in reply.text  # type: ignore[union-attr]
    assert cat.messages.text("steps_offer", lang, title=eid.title.in_(lang)) in reply.text
    assert payloads(reply) == [YES, NO, MENU]
    assert eid.steps[0].render(lang, False) not in reply.text


def test_a_detail_first_on_the_phone_says_the_keys(cat: Catalogue, eid: Procedure) -> None:
    reply = render.section(cat, eid, "bring", "fr", spoken=True, index=None, started=False)
    assert cat.messages.text("keys_yes_no", "fr", True) in reply.text
    assert cat.messages.text("press_menu", "fr", True, n=3) in reply.text


def test_no_detail_named_offers_each_in_writing(cat: Catalogue, eid: Procedure) -> None:
    reply = render.section(cat, eid, None, "nl", spoken=False, index=1)
    assert reply.text.startswith(cat.messages.text("section_choose", "nl", title=eid.title.nl))
    offered = [section_payload(name) for name in ("who", *dict(eid.sections()))]
    assert payloads(reply)[1 : 1 + len(offered)] == offered


def test_other_rights_asked_are_the_related_rights(cat: Catalogue) -> None:
    tariff = cat.procedures["social-tariff"]
    reply = render.section(cat, tariff, "related", "en", spoken=False, index=0)
    for right in tariff.related_rights:
        assert right.why.render("en", False) in reply.text
        assert f"/{cat.procedures[right.procedure].intent}" in payloads(reply)


def test_a_detail_of_another_procedure_asks_which_one(cat: Catalogue, eid: Procedure) -> None:
    address = cat.procedures["change-address"]
    reply = render.which_of_two(cat, eid, address, "cost", "en", spoken=False)
    assert eid.title.en in reply.text and address.title.en in reply.text
    assert payloads(reply) == [section_payload("cost"), '/proc_change_address{"section":"cost"}']


def test_a_detail_before_any_procedure_asks_which(cat: Catalogue) -> None:
    reply = render.which_procedure(cat, "fr", spoken=False)
    assert reply.text.startswith(cat.messages.text("section_which_procedure", "fr"))
    assert payloads(reply) == payloads(render.menu(cat, "fr", spoken=False))
