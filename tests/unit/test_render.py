"""Tests of actions/render.py: the replies built from the catalogue.

Pure: no Rasa needed. Uses the fixture procedures, menu and clarifying question
(tests/fixtures) with the real messages and communes; the full catalogue (staged
procedures published) for the real menu; and the real catalogue as it is.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from actions import plain_language as pl
from actions import render, resolve, spoken
from actions.catalogue import LANGUAGES, Catalogue, Procedure, load_catalogue
from actions.render import (
    ALL_STEPS,
    HUMAN,
    MENU,
    NEXT,
    NO,
    PREVIOUS,
    REPEAT,
    RESTART,
    SMS,
    YES,
    Button,
    Reply,
    category_payload,
    menu_payload,
)
from tests.content import CONTENT, fixture_content, full_content

MODES = (False, True)
LABELS = {"fr": "Étape 2 sur 3 :", "nl": "Stap 2 van 3:", "en": "Step 2 of 3:"}
CARDS = '/show_category{"category":"cards"}'
OTHER = '/show_category{"category":"other"}'


@pytest.fixture(scope="module")
def cat(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    """The fixture procedures, menu and clarifications with the real messages and schema."""
    return load_catalogue(fixture_content(tmp_path_factory.mktemp("render")))


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    """The real content with the staged procedures published: 15 procedures, 3 categories."""
    return load_catalogue(full_content(tmp_path_factory.mktemp("full")))


@pytest.fixture(scope="module")
def card(cat: Catalogue) -> Procedure:
    """Three steps and every optional section."""
    return cat.procedures["lost-card"]


@pytest.fixture(scope="module")
def one(cat: Catalogue) -> Procedure:
    """One step, no optional section."""
    return cat.procedures["one-step"]


def payloads(reply: Reply) -> list[str]:
    return [button.payload for button in reply.buttons]


# ---------------------------------------------------------------- steps


@pytest.mark.parametrize("lang", LANGUAGES)
def test_step_label(cat: Catalogue, card: Procedure, lang: str) -> None:
    reply = render.step(cat, card, 1, lang, spoken=False)
    assert reply.text.startswith(LABELS[lang] + "\n")
    assert reply.text.endswith(card.steps[1].written.in_(lang))


def test_spoken_step_label(cat: Catalogue, card: Procedure) -> None:
    assert render.step(cat, card, 1, "en", spoken=True).text.startswith("Step 2 of 3.\n")


def test_first_step_buttons(cat: Catalogue, card: Procedure) -> None:
    reply = render.step(cat, card, 0, "en", spoken=False)
    assert payloads(reply) == [NEXT, REPEAT, ALL_STEPS, MENU]
    assert [b.title for b in reply.buttons] == ["Next step", "Repeat", "All steps", "Menu"]
    assert "Did this help?" not in reply.text


def test_middle_step_buttons(cat: Catalogue, card: Procedure) -> None:
    reply = render.step(cat, card, 1, "en", spoken=False)
    assert payloads(reply) == [NEXT, PREVIOUS, REPEAT, ALL_STEPS, MENU]


def test_last_step_ends_the_procedure(cat: Catalogue, card: Procedure) -> None:
    reply = render.step(cat, card, 2, "en", spoken=False)
    assert payloads(reply) == [YES, NO, PREVIOUS, REPEAT, ALL_STEPS, MENU]
    assert reply.text.startswith("Step 3 of 3:\nAsk for a new card.")
    assert "That was the last step." in reply.text
    # Every section, labelled, in order, then the question.
    labels = [
        "What to bring:",
        "Cost:",
        "Time limit:",
        "Where:",
        "Without a computer:",
        "Good to know:",
    ]
    positions = [reply.text.index(label) for label in labels]
    assert positions == sorted(positions)
    assert "What to bring:\nA photo." in reply.text
    assert reply.text.endswith("\n\nDid this help?")


def test_single_step_procedure(cat: Catalogue, one: Procedure) -> None:
    reply = render.step(cat, one, 0, "fr", spoken=False)
    assert payloads(reply) == [YES, NO, REPEAT, ALL_STEPS, MENU]
    assert reply.text.startswith("Étape 1 sur 1 :\nFaites la chose.")
    assert "À prendre" not in reply.text  # no optional section
    assert reply.text.endswith("Est-ce que cela vous a aidé ?")


def test_step_index_is_clamped(cat: Catalogue, card: Procedure) -> None:
    assert render.step(cat, card, 99, "en", False) == render.step(cat, card, 2, "en", False)
    assert render.step(cat, card, -3, "en", False) == render.step(cat, card, 0, "en", False)
    assert render.step(cat, card, None, "en", False) == render.step(cat, card, 0, "en", False)
    assert render.step(cat, card, 1.0, "en", False) == render.step(cat, card, 1, "en", False)
    assert render.is_last_step(card, 2.0)
    assert not render.is_last_step(card, 1)


def test_spoken_mode_uses_spoken_forms(cat: Catalogue, card: Procedure) -> None:
    written = render.step(cat, card, 0, "en", spoken=False)
    spoken = render.step(cat, card, 0, "en", spoken=True)
    assert "https://" in written.text
    assert "https://" not in spoken.text
    assert "Block the card on the blocking website." in spoken.text
    # Buttons stay, with their written titles: the phone layer reads them out.
    assert spoken.buttons == written.buttons
    last = render.step(cat, card, 2, "nl", spoken=True).text
    assert "Vraag tot slot een nieuwe kaart aan." in last
    bring = render.section(cat, card, "bring", "nl", spoken=True, index=2).text
    assert "Een recente foto." in bring
    assert "Een foto." not in bring


def test_intro_keeps_title_in_spoken_mode(cat: Catalogue, card: Procedure, one: Procedure) -> None:
    intro = render.procedure_intro(cat, card, "en", spoken=True)
    assert intro.text.startswith("Lost card (test)\n")
    assert "There are 3 steps." in intro.text
    assert intro.buttons == []
    assert "There is only one step." in render.procedure_intro(cat, one, "en", False).text


# ---------------------------------------------------------------- all steps


def test_all_steps_numbering(cat: Catalogue, card: Procedure) -> None:
    reply = render.all_steps(cat, card, "en", spoken=False)
    lines = reply.text.splitlines()
    assert lines[0] == "Here are all the steps for: Lost card (test)."
    assert lines[1].startswith("1. Block the card at https://")
    assert lines[2] == "2. Go to the commune."
    assert lines[3] == "3. Ask for a new card."
    assert "Good to know:\nAlso block your bank cards." in reply.text
    assert "That was the last step." not in reply.text
    assert reply.text.endswith("Did this help?")
    assert payloads(reply) == [YES, NO, RESTART, SMS, MENU]


def test_all_steps_spoken(cat: Catalogue, card: Procedure) -> None:
    text = render.all_steps(cat, card, "fr", spoken=True).text
    assert "Étape 1 sur 3. Bloquez la carte sur le site de blocage." in text
    assert "Étape 3 sur 3. Enfin, demandez une nouvelle carte." in text
    assert "https://" not in text


# ---------------------------------------------------------------- menu


def test_welcome(cat: Catalogue) -> None:
    reply = render.welcome(cat, "nl", spoken=False, greeting=True)
    assert reply.text.startswith("Hallo, ik ben Loket. ")
    assert reply.text.endswith("\n\nKies een onderwerp of schrijf uw vraag.")
    assert reply.buttons == [
        Button("Kaarten (test)", CARDS),
        Button("Andere (test)", OTHER),
        Button("Met een persoon praten", HUMAN),
    ]
    without = render.welcome(cat, "nl", spoken=True, greeting=False)
    assert not without.text.startswith("Hallo")
    # The phone layer reads only the text: the options follow, with their keys.
    assert without.text.endswith(
        "Kies een onderwerp of stel uw vraag.\n"
        "Voor Kaarten (test), druk op 1.\n"
        "Voor Andere (test), druk op 2.\n"
        "Om met een persoon te praten, druk op 3."
    )
    assert without.buttons == reply.buttons  # titles stay, in the same order


@pytest.mark.parametrize("lang", LANGUAGES)
def test_phone_greeting_is_one_sentence_and_an_open_question(cat: Catalogue, lang: str) -> None:
    """On the phone the caller can act at once: no introduction, no list of topics."""
    reply = render.welcome(cat, lang, spoken=True, greeting=True)
    hello = cat.messages.text("phone_greeting", lang)
    assert reply.text == f"{hello} {cat.messages.text('open_question', lang)}"
    assert payloads(reply) == [MENU]  # key 1: the list of topics
    assert len(pl.text_stats(reply.text, lang).sentence_words) == 2


def test_phone_greeting_in_english(cat: Catalogue) -> None:
    reply = render.welcome(cat, "en", spoken=True, greeting=True)
    assert reply.text == "Hello, this is Loket. Tell me what you need, or press 1 for the topics."
    keys_only = render.welcome(cat, "en", spoken=True, greeting=True, keys_only=True)
    assert keys_only.text == "Hello, this is Loket. For the list of topics, press 1."
    assert keys_only.buttons == reply.buttons


@pytest.mark.parametrize("lang", LANGUAGES)
def test_keypad_only_texts_never_invite_speech(cat: Catalogue, card: Procedure, lang: str) -> None:
    """A language Loket cannot hear yet: "press", never "say" or "ask your question"."""
    spoken = {
        "greeting": render.welcome(cat, lang, True, greeting=True),
        "menu": render.menu(cat, lang, True),
        "step": render.step(cat, card, 0, lang, True),
        "not understood": render.not_understood(cat, lang, True, again=False),
    }
    keys_only = {
        "greeting": render.welcome(cat, lang, True, greeting=True, keys_only=True),
        "menu": render.menu(cat, lang, True, keys_only=True),
        "step": render.step(cat, card, 0, lang, True, keys_only=True),
        "not understood": render.not_understood(cat, lang, True, False, keys_only=True),
    }
    speech = {
        "fr": r"\b(dites|posez|dire)\b",
        "nl": r"\b(zeg|stel|zeggen)\b",
        "en": r"\b(say|ask|tell)\b",
    }
    for name, reply in keys_only.items():
        assert re.search(speech[lang], spoken[name].text, re.IGNORECASE), name  # today's invite
        assert not re.search(speech[lang], reply.text, re.IGNORECASE), (name, reply.text)
        assert payloads(reply) == payloads(spoken[name]), name  # the keys mean the same
    # Written channels are not the phone: the keypad forms never reach them.
    assert render.menu(cat, lang, False, keys_only=True) == render.menu(cat, lang, False)


def test_show_menu_has_no_introduction(cat: Catalogue) -> None:
    reply = render.menu(cat, "en", spoken=False)
    assert reply.text == "Choose a topic or write your question."
    assert payloads(reply) == [CARDS, OTHER, HUMAN]
    assert MENU == "/show_menu"


def test_category_payload() -> None:
    assert category_payload("identity") == '/show_category{"category":"identity"}'
    assert category_payload("income", 2) == '/show_category{"category":"income","page":2}'
    assert menu_payload() == MENU
    assert menu_payload(2) == '/show_menu{"page":2}'


def test_one_category_shows_its_procedures(cat: Catalogue) -> None:
    """No one chooses among one: a menu of one category is that category's procedures."""
    single = dataclasses.replace(cat, menu=cat.menu[:1])
    assert payloads(render.menu(single, "en", False)) == ["/proc_lost_card", HUMAN]
    without = dataclasses.replace(cat, menu=())  # no menu at all: every procedure
    assert payloads(render.menu(without, "en", False)) == [
        "/proc_lost_card",
        "/proc_one_step",
        HUMAN,
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_category_menu_written(cat: Catalogue, lang: str) -> None:
    cards = cat.category("cards")
    reply = render.category_menu(cat, cards, lang, spoken=False)
    title = cards.title.in_(lang)
    prompts = {"fr": "Choisissez un sujet.", "nl": "Kies een onderwerp.", "en": "Choose a topic."}
    assert reply.text == f"{title}. {prompts[lang]}"
    assert payloads(reply) == ["/proc_lost_card", MENU]
    assert reply.buttons[0].title == cat.procedures["lost-card"].title.in_(lang)


def test_category_menu_spoken(cat: Catalogue) -> None:
    reply = render.category_menu(cat, cat.category("cards"), "fr", spoken=True)
    assert reply.text == (
        "Cartes (test). Choisissez un sujet.\n"
        "Pour Carte perdue (test), tapez 1.\n"
        "Pour revenir au menu, tapez 2."
    )
    assert payloads(reply) == ["/proc_lost_card", MENU]


def spoken_keys(text: str) -> list[int]:
    """The keys a spoken text reads out, in order ("press 2", "tapez 2", "druk op 2")."""
    return [int(n) for n in re.findall(r"(?:press|tapez|druk op) (\d)\.", text)]


def assert_plain(text: str, lang: str) -> None:
    """The rendered text passes the plain-language rules: sentences, readability."""
    stats = pl.text_stats(text, lang)
    assert max(stats.sentence_words) <= pl.MAX_SENTENCE_WORDS, text
    assert stats.score >= pl.MIN_SCORE, f"{stats.score:.1f}: {text}"


def full_menus(full: Catalogue, lang: str, spoken: bool) -> dict[str, Reply]:
    """Every menu of the full catalogue: welcome, menu, each category, the clarification."""
    menus = {
        "welcome": render.welcome(full, lang, spoken, greeting=False),
        "menu": render.menu(full, lang, spoken),
        "card_blocked": render.clarification(
            full, full.clarification("card_blocked"), lang, spoken
        ),
        "did_you_mean": render.did_you_mean(
            full, [full.procedures["lost-eid"], full.procedures["pin-puk"]], lang, spoken
        ),
    }
    for category in full.menu:
        menus[category.id] = render.category_menu(full, category, lang, spoken)
    return menus


@pytest.mark.parametrize("lang", LANGUAGES)
def test_full_menu_written(full: Catalogue, lang: str) -> None:
    reply = render.menu(full, lang, spoken=False)
    assert payloads(reply) == [*(category_payload(c.id) for c in full.menu), HUMAN]
    assert [b.title for b in reply.buttons[: len(full.menu)]] == [
        c.title.in_(lang) for c in full.menu
    ]
    assert spoken_keys(reply.text) == []  # written: the buttons carry the options
    for category in full.menu:  # written: every procedure at once, then "Menu"
        shown = render.category_menu(full, category, lang, spoken=False)
        intents = [f"/{full.procedures[pid].intent}" for pid in category.procedures]
        assert payloads(shown) == [*intents, MENU]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_spoken_reply_uses_the_phone_keys_8_and_9(full: Catalogue, lang: str) -> None:
    # On the phone, digit n picks the n-th button; 8 repeats a number and 9 changes the
    # language, so a spoken reply never has more than 7 buttons.
    replies = [*full_menus(full, lang, spoken=True).values()]
    for page in (2, 3):
        replies.append(render.menu(full, lang, True, page=page))
        replies += [render.category_menu(full, c, lang, True, page=page) for c in full.menu]
    for proc in full.procedures.values():
        replies += [render.step(full, proc, i, lang, True) for i in range(len(proc.steps))]
    assert max(len(reply.buttons) for reply in replies) <= 7


@pytest.mark.parametrize("lang", LANGUAGES)
def test_full_menus_spoken_read_every_option_with_its_key(full: Catalogue, lang: str) -> None:
    for name, reply in full_menus(full, lang, spoken=True).items():
        keys = spoken_keys(reply.text)
        assert keys == list(range(1, len(reply.buttons) + 1)), name
        topics = [b for b in reply.buttons if b.payload.startswith(("/proc_", "/show_category"))]
        pages = [b for b in topics if '"page"' in b.payload]
        assert len(topics) - len(pages) <= render.PAGE_SIZE, name  # at most 4 at a time
        # The last lines read the options in button order, topics with their titles.
        lines = reply.text.splitlines()[-len(reply.buttons) :]
        for line, button in zip(lines, reply.buttons, strict=True):
            if button in topics and button not in pages:
                assert f" {button.title}, " in line, (name, line)
        assert_plain(reply.text, lang)


def test_full_menu_spoken_in_english(full: Catalogue) -> None:
    reply = render.menu(full, "en", spoken=True)
    assert reply.text == (
        "Choose a topic or ask your question.\n"
        "For Identity and address, press 1.\n"
        "For Income and social rights, press 2.\n"
        "For Online, taxes and safety, press 3.\n"
        "To talk to a person, press 4."
    )


def test_phone_menu_reads_four_topics_then_more(full: Catalogue) -> None:
    """Six procedures: four, "more" on key 5 and the menu; then the last two."""
    income = full.category("income")
    first = render.category_menu(full, income, "en", spoken=True)
    procedures = [f"/{full.procedures[pid].intent}" for pid in income.procedures]
    assert payloads(first) == [*procedures[:4], category_payload("income", 2), MENU]
    fourth = full.procedures[income.procedures[3]].title.en
    assert first.text.endswith(
        f"For {fourth}, press 4.\nFor more topics, press 5.\nFor the menu, press 6."
    )
    second = render.category_menu(full, income, "en", spoken=True, page=2)
    assert payloads(second) == [*procedures[4:], MENU]  # keys 1 and 2 are the next topics
    assert spoken_keys(second.text) == [1, 2, 3]
    assert second.text.startswith("Income and social rights. Choose a topic.\nFor ")
    # A page past the end (an old button) is the last page; written shows every topic.
    assert render.category_menu(full, income, "en", spoken=True, page=9) == second
    assert payloads(render.category_menu(full, income, "en", spoken=False)) == [*procedures, MENU]


def test_every_topic_is_on_a_phone_page(full: Catalogue) -> None:
    """Following "more" from the first page reaches every procedure of every category."""
    for category in full.menu:
        heard: list[str] = []
        page = 1
        while True:
            reply = render.category_menu(full, category, "fr", spoken=True, page=page)
            heard += [p for p in payloads(reply) if p.startswith("/proc_")]
            if category_payload(category.id, page + 1) not in payloads(reply):
                break
            page += 1
        assert heard == [f"/{full.procedures[pid].intent}" for pid in category.procedures]


# ---------------------------------------------------------------- clarifying questions


def test_clarification_fixture(cat: Catalogue) -> None:
    question = cat.clarification("card_trouble")
    reply = render.clarification(cat, question, "en", spoken=False)
    assert reply.text == "Which problem? (test)"
    assert reply.buttons == [
        Button("Something else (test)", "/proc_one_step"),  # its label
        Button("Lost card (test)", "/proc_lost_card"),  # the procedure's title
        Button("Menu", MENU),
    ]
    spoken = render.clarification(cat, question, "nl", spoken=True)
    assert spoken.text == (
        "Welk probleem? (test)\n"
        "Voor Iets anders (test), druk op 1.\n"
        "Voor Kaart verloren (test), druk op 2.\n"
        "Voor het menu, druk op 3."
    )


@pytest.mark.parametrize("lang", LANGUAGES)
def test_card_blocked_asks_which_card(full: Catalogue, lang: str) -> None:
    reply = render.clarification(full, full.clarification("card_blocked"), lang, spoken=False)
    assert payloads(reply) == ["/proc_pin_puk", "/proc_phishing_fraud", "/proc_lost_eid", MENU]
    assert len(pl.split_sentences(reply.text)) <= 2  # one short question
    assert reply.buttons[2].title == full.procedures["lost-eid"].title.in_(lang)
    assert reply.buttons[0].title != full.procedures["pin-puk"].title.in_(lang)  # a label


def test_did_you_mean(cat: Catalogue) -> None:
    procedures = [cat.procedures["one-step"], cat.procedures["lost-card"]]
    reply = render.did_you_mean(cat, procedures, "en", spoken=False)
    assert reply.text == "I am not sure what you mean. Is it one of these topics?"
    assert payloads(reply) == ["/proc_one_step", "/proc_lost_card", MENU]
    spoken = render.did_you_mean(cat, procedures, "en", spoken=True)
    assert spoken.text.endswith("For Lost card (test), press 2.\nFor the menu, press 3.")


# ---------------------------------------------------------------- the person's commune


def commune_reply(catalogue: Catalogue, lang: str, spoken: bool = False, **said: str) -> Reply:
    place = resolve.find_commune(catalogue.communes, **said)
    return render.commune_answer(catalogue, place, lang, spoken)


def test_commune_by_postcode(full: Catalogue) -> None:
    reply = commune_reply(full, "en", postcode="1030")
    assert reply.text == (
        "1030 is Schaerbeek.\n\nThe population service of your commune can help you. "
        "It deals with your identity card, your address and your certificates."
    )
    assert reply.buttons == [
        Button("Contact my commune", "/proc_commune_contact"),
        Button("Menu", MENU),
    ]
    assert commune_reply(full, "fr", postcode="1030").text.startswith("Le 1030, c'est Schaerbeek.")
    assert commune_reply(full, "nl", postcode="1030").text.startswith("1030 is Schaarbeek.")


def test_commune_by_name_in_its_language(full: Catalogue) -> None:
    nl = commune_reply(full, "nl", commune="Elsene").text
    assert nl.startswith("Uw gemeente is Elsene.\n\nDe dienst Bevolking")  # no postcode note
    assert commune_reply(full, "fr", commune="Elsene").text.startswith("Votre commune est Ixelles.")


@pytest.mark.parametrize("postcode", ["1040", "1050"])
def test_commune_postcode_where_the_street_decides(full: Catalogue, postcode: str) -> None:
    text = commune_reply(full, "en", postcode=postcode).text
    assert text.startswith(f"{postcode} is ")
    assert "Part of this postcode belongs to the City of Brussels. The street decides." in text


@pytest.mark.parametrize("postcode", ["9000", "1300"])
def test_commune_outside_brussels_is_said_honestly(full: Catalogue, postcode: str) -> None:
    reply = commune_reply(full, "en", postcode=postcode)
    assert reply.text == (
        f"{postcode} is not a postcode of the 19 communes of Brussels. "
        "I only know the procedures in Brussels."
    )
    assert payloads(reply) == [MENU]
    assert commune_reply(full, "fr", postcode=postcode).text.startswith(f"Le {postcode} n'est pas")


def test_commune_unsure_or_unknown_asks(full: Catalogue) -> None:
    unsure = commune_reply(full, "en", commune="Bruxelles")
    assert unsure.text.startswith("Brussels has 19 communes. Which one do you live in?")
    assert payloads(unsure) == [MENU]
    unknown = commune_reply(full, "nl", commune="Namen")
    assert unknown.text == "Ik vind deze gemeente niet in Brussel. Wat is uw postcode?"


def test_commune_without_the_contact_procedure(cat: Catalogue) -> None:
    """The fixture catalogue has no commune-contact procedure: only "Menu" is offered."""
    reply = commune_reply(cat, "en", postcode="1180")
    assert reply.text.startswith("1180 is Uccle.")
    assert payloads(reply) == [MENU]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_commune_answers_spoken(full: Catalogue, lang: str) -> None:
    for said in ({"postcode": "1050"}, {"postcode": "9000"}, {"commune": "Woluwe"}):
        reply = commune_reply(full, lang, spoken=True, **said)
        assert spoken_keys(reply.text) == list(range(1, len(reply.buttons) + 1))
        assert_plain(reply.text, lang)


# ---------------------------------------------------------------- failures and other replies


def test_failures_offer_a_person(cat: Catalogue) -> None:
    first = render.not_understood(cat, "en", False, again=False)
    again = render.not_understood(cat, "en", False, again=True)
    assert payloads(first) == [CARDS, OTHER, HUMAN]
    assert payloads(again) == [HUMAN, MENU]
    assert "person" in again.text
    out_of_scope = render.cannot_help(cat, "en", False)
    assert "cannot help" in out_of_scope.text
    assert payloads(out_of_scope)[-1] == HUMAN
    assert payloads(render.feedback_answer(cat, "en", False, helped=False)) == [HUMAN, MENU]
    assert payloads(render.feedback_answer(cat, "en", False, helped=True))[-1] == HUMAN


def test_ask_language(cat: Catalogue) -> None:
    reply = render.ask_language(cat, "en", spoken=False)
    assert reply.buttons == [
        Button("Français", '/switch_language{"language":"fr"}'),
        Button("Nederlands", '/switch_language{"language":"nl"}'),
        Button("English", '/switch_language{"language":"en"}'),
    ]
    assert render.language_switched(cat, "en", False).text == "OK, I will continue in English."


def test_reply_as_dict(cat: Catalogue) -> None:
    reply = render.no_procedure_active(cat, "en", spoken=False)
    assert reply.as_dict() == {
        "text": reply.text,
        "buttons": [{"title": button.title, "payload": button.payload} for button in reply.buttons],
    }
    assert reply.as_dict()["buttons"], "the reply checked has buttons"


def all_replies(cat: Catalogue, proc: Procedure, lang: str, spoken: bool) -> list[Reply]:
    """Every reply the renderer can build, for one procedure, language and mode."""
    steps = [render.step(cat, proc, i, lang, spoken) for i in range(len(proc.steps))]
    places = [
        resolve.find_commune(cat.communes, postcode=code) for code in ("1000", "1050", "9000")
    ]
    places += [resolve.Place(kind) for kind in (resolve.UNKNOWN, resolve.UNSURE)]
    return [
        render.welcome(cat, lang, spoken, greeting=True),
        render.menu(cat, lang, spoken),
        *(render.category_menu(cat, category, lang, spoken) for category in cat.menu),
        *(render.clarification(cat, q, lang, spoken) for q in cat.clarifications.values()),
        render.did_you_mean(cat, list(cat.procedures.values())[:2], lang, spoken),
        *(render.commune_answer(cat, place, lang, spoken) for place in places),
        render.procedure_intro(cat, proc, lang, spoken),
        *steps,
        render.all_steps(cat, proc, lang, spoken),
        render.first_step_notice(cat, lang, spoken),
        render.no_procedure_active(cat, lang, spoken),
        render.feedback_answer(cat, lang, spoken, helped=True),
        render.feedback_answer(cat, lang, spoken, helped=False),
        render.not_understood(cat, lang, spoken, again=False),
        render.not_understood(cat, lang, spoken, again=True),
        render.cannot_help(cat, lang, spoken),
        render.ask_language(cat, lang, spoken),
        render.language_switched(cat, lang, spoken),
        render.goodbye(cat, lang, spoken, thanks=True),
        render.goodbye(cat, lang, spoken, thanks=False),
    ]


def check_reply(reply: Reply) -> None:
    """A reply has text, no unfilled placeholder, and usable buttons."""
    assert reply.text.strip()
    assert "{" not in reply.text and "}" not in reply.text
    for button in reply.buttons:
        assert button.title.strip()
        assert button.payload.startswith("/")


@pytest.mark.parametrize("spoken", MODES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_language_renders(cat: Catalogue, lang: str, spoken: bool) -> None:
    for proc in cat.procedures.values():
        for reply in all_replies(cat, proc, lang, spoken):
            check_reply(reply)


@pytest.mark.parametrize("spoken", MODES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_full_catalogue_renders(full: Catalogue, lang: str, spoken: bool) -> None:
    for proc in full.procedures.values():
        for reply in all_replies(full, proc, lang, spoken):
            check_reply(reply)


@pytest.mark.parametrize("spoken", MODES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_real_catalogue_renders(lang: str, spoken: bool) -> None:
    if not any((CONTENT / "procedures").glob("*.yml")):
        pytest.skip("content/procedures has no procedure files yet")
    real = load_catalogue(CONTENT)
    for proc in real.procedures.values():
        for reply in all_replies(real, proc, lang, spoken):
            check_reply(reply)
            if spoken:
                assert "http" not in reply.text and "www." not in reply.text


# ---------------------------------------------------------------- spoken form (actions/spoken.py)

REPEAT_WORDS = {"fr": "Je répète : ", "nl": "Ik herhaal: ", "en": "I repeat: "}


def speech(lang: str) -> spoken.Speech:
    """The spoken form of one turn in `lang`, with the real messages and lexicon."""
    real = load_catalogue(CONTENT)
    return spoken.Speech.of(real.messages, spoken.default_terms(), lang)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_phone_number_is_said_grouped_then_again(lang: str) -> None:
    said = speech(lang).say("Bel 02, 279, 22, 11. Daarna nog iets.")
    again = REPEAT_WORDS[lang]
    assert said == f"Bel 02 279 22 11. {again}02 279 22 11. Daarna nog iets."
    assert spoken.SPOKEN_NUMBER.findall(said) == ["02 279 22 11", "02 279 22 11"]


def test_every_number_of_a_step_is_said_twice_and_the_written_form_is_unchanged() -> None:
    real = load_catalogue(CONTENT)
    doc_stop = real.procedures["lost-eid"]
    written = render.step(real, doc_stop, 0, "en", spoken=False).text
    said = speech("en").say(render.step(real, doc_stop, 0, "en", spoken=True).text)
    assert "I repeat: 00 800 21 23 21 23." in said
    assert "call plus 32 2 518 21 23. I repeat: plus 32 2 518 21 23." in said
    assert "I repeat" not in written and "00800 2123 2123" in written


@pytest.mark.parametrize(
    ("text", "said"),
    [
        # a short number of two pairs, at the end of a line without a full stop
        ("Or the Pension Service on 17, 65", "Or the Pension Service on 17 65. I repeat: 17 65."),
        # postcodes, a year, a street number and hours are not phone numbers
        (
            "Postcodes 1000, 1020 and 1130 are the City.",
            "Postcodes 1000, 1020 and 1130 are the City.",
        ),
        (
            "In 2026, at rue des Plantes 69, from 13 to 15.",
            "In 2026, at rue des Plantes 69, from 13 to 15.",
        ),
        ("Step 2 of 5.", "Step 2 of 5."),
    ],
)
def test_only_phone_numbers_are_said_twice(text: str, said: str) -> None:
    assert speech("en").say(text) == said


def test_an_acronym_is_said_as_people_say_it_with_its_plain_name_once_per_turn() -> None:
    turn = speech("fr")
    first = turn.say("Demandez de l'aide au CPAS de votre commune.")
    second = turn.say("Le CPAS décide dans les 30 jours.")
    assert first == (
        "Demandez de l'aide au C-P-A-S, le centre public d'action sociale, de votre commune."
    )
    assert second == "Le C-P-A-S décide dans les 30 jours."
    assert (
        speech("fr").say("Allez au CPAS.") == "Allez au C-P-A-S, le centre public d'action sociale."
    )


@pytest.mark.parametrize(
    ("lang", "text", "said"),
    [
        (
            "nl",
            "Vraag het aan het OCMW.",
            "Vraag het aan het O-C-M-W, het openbaar centrum voor maatschappelijk welzijn.",
        ),
        (
            "nl",
            "Voor steun van het O C M W vraagt u het aan uw O C M W.",
            "Voor steun van het O-C-M-W, het openbaar centrum voor maatschappelijk welzijn,"
            " vraagt u het aan uw O-C-M-W.",
        ),
        # the text explains it already: not twice
        (
            "fr",
            "L'Onem, l'office national de l'emploi, décide.",
            "L'Onème, l'office national de l'emploi, décide.",
        ),
        (
            "en",
            "Ask Capac or your union.",
            "Ask Capac, the public fund that pays unemployment benefits, or your union.",
        ),
        # part of a name: the plain name waits for a mention that is not
        (
            "fr",
            "Appelez le SPF Finances. Le SPF répond.",
            "Appelez le S-P-F Finances. Le S-P-F, le service public fédéral, répond.",
        ),
        # known, said as written, no plain name
        ("en", "Log in with itsme and your PIN.", "Log in with its me and your PIN."),
    ],
)
def test_acronyms_in_each_language(lang: str, text: str, said: str) -> None:
    assert speech(lang).say(text) == said


class Recording:
    """A dispatcher that keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[dict[str, object]] = []

    def utter_message(self, text: str | None = None, **fields: object) -> None:
        self.sent.append({"text": text, **fields})


def test_a_spoken_turn_sends_every_text_in_its_spoken_form_and_a_written_one_as_it_is() -> None:
    real = load_catalogue(CONTENT)
    recording = Recording()
    phone = spoken.for_turn(recording, real, "en", spoken=True)
    phone.utter_message(text="Ask the CPAS.", buttons=[])
    phone.utter_message(text="The CPAS decides.")
    phone.utter_message(json_message={"loket": {"topic": "x"}})
    assert [sent["text"] for sent in recording.sent] == [
        "Ask the C-P-A-S, the public social welfare centre.",
        "The C-P-A-S decides.",
        None,
    ]
    assert recording.sent[2]["json_message"] == {"loket": {"topic": "x"}}
    assert spoken.for_turn(recording, real, "en", spoken=False) is recording
