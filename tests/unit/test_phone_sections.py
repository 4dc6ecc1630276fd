"""The end of a procedure on the phone (issue 11, part 4, "Plain language"): after the
last step, the sections (what to bring, the cost, ...) are offered one key each instead
of being read all at once; a section asked for is read alone, then the others are
offered again, and the person keeps their place. Written channels show every section.

The replies of actions/render.py from the real catalogue, and the wiring of
`ask_section` in the domain. action_ask_section (actions/actions.py, which needs
rasa-sdk) records the sections heard in the slot `sections_heard` and sends
`render.section`; tests/integration/test_phone_sections_with_rasa.py checks a call's
turns with the real brain.
"""

from __future__ import annotations

import json

import pytest
import yaml

from actions import render
from actions.catalogue import LANGUAGES, Catalogue, Procedure
from actions.render import NO, YES, Reply, section_payload
from tests.content import REPO

MORE = section_payload(page=2)


def last(proc: Procedure) -> int:
    return len(proc.steps) - 1


def payloads(reply: Reply) -> list[str]:
    return [button.payload for button in reply.buttons]


def press(cat: Catalogue, name: str, lang: str, n: int) -> str:
    """The sentence that offers section `name` (or "more_sections") on key `n`."""
    return cat.messages.text(f"press_{name}", lang, True, n=n)


def section_texts(proc: Procedure, lang: str) -> dict[str, str]:
    return {name: phrase.render(lang, spoken=True) for name, phrase in proc.sections()}


# ---------------------------------------------------------------- the last step


@pytest.mark.parametrize("lang", LANGUAGES)
def test_on_the_phone_the_last_step_offers_the_sections_instead_of_reading_them(
    cat: Catalogue, eid: Procedure, lang: str
) -> None:
    reply = render.step(cat, eid, last(eid), lang, spoken=True)

    assert eid.steps[-1].render(lang, spoken=True) in reply.text
    assert not [name for name, text in section_texts(eid, lang).items() if text in reply.text]
    assert cat.messages.text("keys_yes_no", lang, True) in reply.text  # 1 yes, 2 no
    offers = [
        press(cat, "section_bring", lang, 3),
        press(cat, "section_cost", lang, 4),
        press(cat, "section_deadline", lang, 5),
        press(cat, "more_sections", lang, 6),  # keys 7, 8, 9 mean the same everywhere
    ]
    assert reply.text.endswith(" ".join(offers))
    assert payloads(reply) == [
        YES,
        NO,
        '/ask_section{"section":"bring"}',
        '/ask_section{"section":"cost"}',
        '/ask_section{"section":"deadline"}',
        MORE,
    ]
    # Shorter than the sections it used to read: about a minute of speech.
    assert len(reply.text) < sum(len(text) for text in section_texts(eid, lang).values())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_written_the_last_step_still_shows_every_section(
    cat: Catalogue, eid: Procedure, lang: str
) -> None:
    reply = render.step(cat, eid, last(eid), lang, spoken=False)
    for name, phrase in eid.sections():
        assert phrase.written.in_(lang) in reply.text, name
    assert not [payload for payload in payloads(reply) if payload.startswith("/ask_section")]


def test_the_related_rights_keep_the_keys_after_yes_and_no(cat: Catalogue) -> None:
    """Three rights on keys 3 to 5: the sections wait behind key 6."""
    income = cat.procedures["integration-income"]
    rights = render.unsaid_rights(income, None)
    reply = render.step(cat, income, last(income), "en", spoken=True, rights=rights)
    rights_intents = [f"/{cat.procedures[right.procedure].intent}" for right in rights]
    assert payloads(reply) == [YES, NO, *rights_intents, "/ask_section"]
    assert reply.text.endswith(press(cat, "more_sections", "en", 6))


# ---------------------------------------------------------------- a section asked for


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_section_asked_for_is_read_alone_and_the_place_is_kept(
    cat: Catalogue, eid: Procedure, lang: str
) -> None:
    reply = render.section(cat, eid, "cost", lang, True, last(eid), heard=["cost"])

    cost = section_texts(eid, lang).pop("cost")
    heading = cat.messages.text("section_cost", lang, True)
    assert reply.text.startswith(f"{heading}\n{cost}\n")
    others = [text for name, text in section_texts(eid, lang).items() if name != "cost"]
    assert not [text for text in others if text in reply.text]
    title = eid.title.in_(lang)
    assert cat.messages.text("resume_last_step", lang, True, title=title) in reply.text
    assert cat.messages.text("did_it_help", lang, True) in reply.text
    assert press(cat, "section_bring", lang, 3) in reply.text  # the cost is not offered again
    assert press(cat, "section_deadline", lang, 4) in reply.text
    assert payloads(reply)[:2] == [YES, NO]  # "Did this help?" still stands on 1 and 2
    assert '/ask_section{"section":"cost"}' not in payloads(reply)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("procedure_id", ["lost-eid", "social-tariff", "integration-income"])
def test_a_caller_reaches_every_section_by_key(
    cat: Catalogue, procedure_id: str, lang: str
) -> None:
    """Pressing the first key offered each time, a caller hears every section once; every
    reply reads each option with the key of its button, and no option needs 7 to 9."""
    proc = cat.procedures[procedure_id]
    reply = render.step(cat, proc, last(proc), lang, True, rights=render.unsaid_rights(proc, ()))
    heard: list[str] = []
    for _ in range(2 * len(proc.sections())):
        assert len(reply.buttons) <= render.PHONE_OPTION_KEYS
        offered = [
            (key, json.loads(button.payload.removeprefix("/ask_section") or "{}"))
            for key, button in enumerate(reply.buttons, start=1)
            if button.payload.startswith("/ask_section")
        ]
        for key, entities in offered:
            name = f"section_{entities['section']}" if "section" in entities else "more_sections"
            assert press(cat, name, lang, key) in reply.text
        if not offered:
            break
        entities = offered[0][1]
        if "section" in entities:
            heard.append(entities["section"])
        name, page = entities.get("section"), int(entities.get("page", 1))
        reply = render.section(cat, proc, name, lang, True, last(proc), heard, page)
    assert sorted(heard) == sorted(name for name, _ in proc.sections())


def test_the_next_page_of_sections(cat: Catalogue, eid: Procedure) -> None:
    reply = render.section(cat, eid, None, "en", True, last(eid), heard=["bring"], page=2)
    assert reply.text.startswith("We were at the last step: Lost or stolen identity card.")
    assert payloads(reply)[:4] == [
        YES,
        NO,
        '/ask_section{"section":"offline"}',
        '/ask_section{"section":"related"}',
    ]
    assert press(cat, "section_offline", "en", 3) in reply.text


def test_written_a_section_asked_for_is_shown_with_the_steps_buttons(
    cat: Catalogue, eid: Procedure
) -> None:
    reply = render.section(cat, eid, "where", "en", False, last(eid), heard=["where"])
    assert reply.text.startswith(f"Where:\n{eid.where.written.in_('en')}\n\n")
    assert payloads(reply) == payloads(render.step(cat, eid, last(eid), "en", spoken=False))


def test_section_payloads() -> None:
    assert section_payload("cost") == '/ask_section{"section":"cost"}'
    assert section_payload() == "/ask_section"
    assert section_payload(page=3) == '/ask_section{"page":3}'


# ---------------------------------------------------------------- the domain


def test_ask_section_is_in_the_domain_with_its_rule() -> None:
    domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    rules = yaml.safe_load((REPO / "nlu" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    assert render.ASK_SECTION in domain["intents"]
    assert {"section", "page"} <= set(domain["entities"])
    assert "action_ask_section" in domain["actions"]
    steps = [{"intent": render.ASK_SECTION}, {"action": "action_ask_section"}]
    assert steps in [rule["steps"] for rule in rules]
    assert domain["slots"]["sections_heard"]["influence_conversation"] is False
