"""Tests of actions/render.py: the replies built from the catalogue.

Pure: no Rasa needed. Uses the fixture procedures (tests/fixtures/procedures) with the
real messages, and the real catalogue once content/procedures holds files.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from actions import render
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
    YES,
    Button,
    Reply,
)

REPO = Path(__file__).resolve().parents[2]
CONTENT = REPO / "content"
FIXTURES = REPO / "tests" / "fixtures" / "procedures"
MODES = (False, True)
LABELS = {"fr": "Étape 2 sur 3 :", "nl": "Stap 2 van 3:", "en": "Step 2 of 3:"}


@pytest.fixture(scope="module")
def cat(tmp_path_factory: pytest.TempPathFactory) -> Catalogue:
    """The fixture procedures with the real messages and schema."""
    content = tmp_path_factory.mktemp("render") / "content"
    (content / "procedures").mkdir(parents=True)
    shutil.copy(CONTENT / "procedure.schema.json", content)
    shutil.copy(CONTENT / "messages.yml", content)
    for path in FIXTURES.glob("*.yml"):
        shutil.copy(path, content / "procedures")
    return load_catalogue(content)


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
    assert "Een recente foto." in last
    assert "Een foto." not in last


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
    assert payloads(reply) == [YES, NO, RESTART, MENU]


def test_all_steps_spoken(cat: Catalogue, card: Procedure) -> None:
    text = render.all_steps(cat, card, "fr", spoken=True).text
    assert "Étape 1 sur 3. Bloquez la carte sur le site de blocage." in text
    assert "Étape 3 sur 3. Enfin, demandez une nouvelle carte." in text
    assert "https://" not in text


# ---------------------------------------------------------------- menu and other replies


def test_welcome(cat: Catalogue) -> None:
    reply = render.welcome(cat, "nl", spoken=False, greeting=True)
    assert reply.text.startswith("Hallo, ik ben Loket. ")
    assert reply.text.endswith("\n\nKies een onderwerp of schrijf uw vraag.")
    assert reply.buttons == [
        Button("Kaart verloren (test)", "/proc_lost_card"),
        Button("Eén stap (test)", "/proc_one_step"),
        Button("Met een persoon praten", HUMAN),
    ]
    without = render.welcome(cat, "nl", spoken=True, greeting=False)
    assert not without.text.startswith("Hallo")
    assert without.text.endswith("Kies een onderwerp of stel uw vraag.")


def test_failures_offer_a_person(cat: Catalogue) -> None:
    first = render.not_understood(cat, "en", False, again=False)
    again = render.not_understood(cat, "en", False, again=True)
    assert payloads(first) == ["/proc_lost_card", "/proc_one_step", HUMAN]
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
    reply = render.human_requested(cat, "en", spoken=False)
    assert reply.as_dict() == {
        "text": reply.text,
        "buttons": [{"title": "Menu", "payload": MENU}],
    }


def all_replies(cat: Catalogue, proc: Procedure, lang: str, spoken: bool) -> list[Reply]:
    """Every reply the renderer can build, for one procedure, language and mode."""
    steps = [render.step(cat, proc, i, lang, spoken) for i in range(len(proc.steps))]
    return [
        render.welcome(cat, lang, spoken, greeting=True),
        render.menu(cat, lang, spoken),
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
        render.human_requested(cat, lang, spoken),
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
def test_real_catalogue_renders(lang: str, spoken: bool) -> None:
    if not any((CONTENT / "procedures").glob("*.yml")):
        pytest.skip("content/procedures has no procedure files yet")
    real = load_catalogue(CONTENT)
    for proc in real.procedures.values():
        for reply in all_replies(real, proc, lang, spoken):
            check_reply(reply)
            if spoken:
                assert "http" not in reply.text and "www." not in reply.text
