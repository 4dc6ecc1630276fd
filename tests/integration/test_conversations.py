"""Whole conversations through the hub's web chat API with the real Rasa server, the
real action server and a trained model: what a person in the web chat experiences."""

from __future__ import annotations

import itertools

import pytest

from actions.catalogue import Catalogue, Procedure, default_content_dir, load_catalogue

pytestmark = pytest.mark.integration
_ids = itertools.count()

CATALOGUE = load_catalogue(default_content_dir())
# How a person asks for two example procedures, in their own words (a few tests use
# one example procedure; the walk below takes every procedure of the catalogue).
ASK = {
    "lost-eid": {
        "fr": "j'ai perdu ma carte d'identité, je fais quoi",
        "nl": "ik ben mijn identiteitskaart kwijt",
        "en": "I lost my ID card, what should I do",
    },
    "change-address": {
        "fr": "je déménage, comment changer mon adresse",
        "nl": "ik ben verhuisd, hoe geef ik mijn nieuw adres door",
        "en": "I moved house, how do I change my address",
    },
}
NEXT = {"fr": "suivant", "nl": "volgende", "en": "next"}
PREVIOUS = {"fr": "étape précédente", "nl": "vorige stap", "en": "previous step"}
REPEAT = {"fr": "vous pouvez répéter", "nl": "kan je dat herhalen", "en": "can you repeat that"}
RESTART = {"fr": "recommencer depuis le début", "nl": "opnieuw beginnen", "en": "start over"}
LABEL = {"fr": "Étape {n} sur {total}", "nl": "Stap {n} van {total}", "en": "Step {n} of {total}"}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return CATALOGUE


class Person:
    """One person chatting through the public API."""

    def __init__(self, hub, language: str | None = None) -> None:
        self.hub = hub
        self.id = f"it-{next(_ids)}"
        self.language = language
        self.answer: dict = {}

    async def say(self, text: str) -> str:
        response = await self.hub.post(
            f"/api/conversations/{self.id}/messages", json={"text": text, "language": self.language}
        )
        assert response.status == 200, await response.text()
        self.answer = await response.json()
        assert self.answer["replies"], f"no reply to {text!r}"
        return "\n".join(reply["text"] for reply in self.answer["replies"])

    @property
    def buttons(self) -> list[str]:
        return [b["payload"] for reply in self.answer["replies"] for b in reply["buttons"]]


def expect_step(said: str, procedure: Procedure, n: int, language: str) -> None:
    assert LABEL[language].format(n=n, total=len(procedure.steps)) in said, said
    assert procedure.steps[n - 1].written.in_(language) in said


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
@pytest.mark.parametrize("procedure_id", list(CATALOGUE.procedures))
async def test_a_person_walks_through_a_procedure(live_hub, catalogue, language, procedure_id):
    """Every procedure, opened as its menu button opens it, then walked in words."""
    procedure = catalogue.procedures[procedure_id]
    person = Person(live_hub, language)
    said = await person.say(f"/{procedure.intent}")
    assert person.answer["language"] == language
    assert procedure.title.in_(language) in said
    expect_step(said, procedure, 1, language)

    for n in range(2, len(procedure.steps) + 1):
        expect_step(await person.say(NEXT[language]), procedure, n, language)
    assert "/affirm" in person.buttons  # "did this help?" at the end

    expect_step(await person.say(PREVIOUS[language]), procedure, len(procedure.steps) - 1, language)
    expect_step(await person.say(REPEAT[language]), procedure, len(procedure.steps) - 1, language)
    expect_step(await person.say(RESTART[language]), procedure, 1, language)


@pytest.mark.parametrize(
    ("language", "hello", "help"),
    [
        ("fr", "bonjour", "qu'est-ce que vous pouvez faire pour moi"),
        ("nl", "goeiedag", "waarmee kan je mij helpen"),
        ("en", "hello", "what can you help me with"),
    ],
)
async def test_a_person_asks_what_loket_can_do(live_hub, catalogue, language, hello, help):
    person = Person(live_hub, language)
    await person.say(hello)
    said = await person.say(help)
    assert said
    # The menu shows categories (or the procedures, when there is only one category);
    # every procedure is one button away from a category.
    offered: dict[str, str] = {}
    menu = list(person.answer["replies"][-1]["buttons"])
    assert menu[-1]["payload"] == "/request_human"
    for button in menu:
        if button["payload"].startswith("/show_category"):
            await person.say(button["payload"])
            assert person.buttons[-1] == "/show_menu"
            offered |= {b["payload"]: b["title"] for b in person.answer["replies"][-1]["buttons"]}
        else:
            offered[button["payload"]] = button["title"]
    for procedure in catalogue.procedures.values():
        assert offered.get(f"/{procedure.intent}") == procedure.title.in_(language)


def first_in_menu(catalogue: Catalogue) -> tuple[Procedure, int]:
    """The first procedure of the menu, and how many times "1" reaches it."""
    if len(catalogue.menu) > 1:
        return catalogue.procedures[catalogue.menu[0].procedures[0]], 2
    if catalogue.menu:
        return catalogue.procedures[catalogue.menu[0].procedures[0]], 1
    return catalogue.procedures[next(iter(catalogue.procedures))], 1


async def test_buttons_and_menu_numbers_work_like_typed_text(live_hub, catalogue):
    person = Person(live_hub, "en")
    await person.say("/ask_capabilities")
    first, presses = first_in_menu(catalogue)
    for _ in range(presses):
        said = await person.say("1")  # by SMS or keypad: the first button
    expect_step(said, first, 1, "en")
    expect_step(await person.say("/step_next"), first, 2, "en")
    said = await person.say("/show_menu")  # the "Menu" button: no introduction
    assert catalogue.messages.text("intro", "en") not in said
    assert person.buttons[-1] == "/request_human"


async def test_my_card_is_blocked_gets_a_question(live_hub, catalogue):
    person = Person(live_hub, "fr")
    said = await person.say("/card_blocked")
    question = catalogue.clarification("card_blocked")
    assert said == question.question.render("fr", spoken=False)
    expected = [f"/{catalogue.procedures[o.procedure].intent}" for o in question.options]
    assert person.buttons == [*expected, "/show_menu"]
    procedure = catalogue.procedures[question.options[0].procedure]
    expect_step(await person.say("1"), procedure, 1, "fr")


@pytest.mark.parametrize(
    ("language", "payload", "expected"),
    [
        ("en", '/inform_commune{"postcode":"1030"}', "1030 is Schaerbeek."),
        ("nl", '/inform_commune{"commune":"ixelles"}', "Uw gemeente is Elsene."),
        ("fr", '/inform_commune{"postcode":"9000"}', "Le 9000 n'est pas un code postal"),
    ],
)
async def test_a_person_says_where_they_live(live_hub, language, payload, expected):
    person = Person(live_hub, language)
    said = await person.say(payload)
    assert said.startswith(expected), said
    assert person.buttons[-1] == "/show_menu"


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
@pytest.mark.parametrize("procedure_id", list(ASK))
async def test_a_person_asks_for_a_procedure_in_their_own_words(
    live_hub, catalogue, language, procedure_id
):
    procedure = catalogue.procedures[procedure_id]
    person = Person(live_hub)
    said = await person.say(ASK[procedure_id][language])
    assert person.answer["language"] == language
    assert procedure.title.in_(language) in said
    expect_step(said, procedure, 1, language)


async def test_a_person_switches_language_in_the_middle_of_a_procedure(live_hub, catalogue):
    procedure = catalogue.procedures["change-address"]
    person = Person(live_hub)
    expect_step(await person.say(ASK["change-address"]["fr"]), procedure, 1, "fr")
    said = await person.say("in het Nederlands alstublieft")
    assert person.answer["language"] == "nl"
    expect_step(said, procedure, 1, "nl")
    expect_step(await person.say("volgende"), procedure, 2, "nl")


async def test_readyz_is_green_with_the_real_brain(live_hub):
    response = await live_hub.get("/readyz")
    assert response.status == 200
    assert (await response.json())["model_loaded"] is True
