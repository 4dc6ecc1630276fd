"""Whole conversations through the hub's web chat API with the real Rasa server, the
real action server and a trained model: what a person in the web chat experiences."""

from __future__ import annotations

import itertools

import pytest

from actions.catalogue import Catalogue, Procedure, default_content_dir, load_catalogue

pytestmark = pytest.mark.integration
_ids = itertools.count()

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
    "household-composition": {
        "fr": "il me faut une composition de ménage",
        "nl": "ik heb een gezinssamenstelling nodig",
        "en": "I need a household composition certificate",
    },
}
NEXT = {"fr": "suivant", "nl": "volgende", "en": "next"}
PREVIOUS = {"fr": "étape précédente", "nl": "vorige stap", "en": "previous step"}
REPEAT = {"fr": "vous pouvez répéter", "nl": "kan je dat herhalen", "en": "can you repeat that"}
RESTART = {"fr": "recommencer depuis le début", "nl": "opnieuw beginnen", "en": "start over"}
LABEL = {"fr": "Étape {n} sur {total}", "nl": "Stap {n} van {total}", "en": "Step {n} of {total}"}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(default_content_dir())


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
@pytest.mark.parametrize("procedure_id", list(ASK))
async def test_a_person_walks_through_a_procedure(live_hub, catalogue, language, procedure_id):
    procedure = catalogue.procedures[procedure_id]
    person = Person(live_hub)
    said = await person.say(ASK[procedure_id][language])
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
    for procedure in catalogue.procedures.values():
        assert f"/{procedure.intent}" in person.buttons
        assert procedure.title.in_(language) in [
            b["title"] for r in person.answer["replies"] for b in r["buttons"]
        ]
    assert said


async def test_buttons_and_menu_numbers_work_like_typed_text(live_hub, catalogue):
    person = Person(live_hub, "en")
    await person.say("/ask_capabilities")
    first = catalogue.procedures[next(iter(catalogue.procedures))]
    said = await person.say("1")  # by SMS or keypad: the first button
    expect_step(said, first, 1, "en")
    expect_step(await person.say("/step_next"), first, 2, "en")


async def test_a_person_switches_language_in_the_middle_of_a_procedure(live_hub, catalogue):
    procedure = catalogue.procedures["change-address"]
    person = Person(live_hub)
    expect_step(await person.say(ASK["change-address"]["fr"]), procedure, 1, "fr")
    said = await person.say("in het Nederlands alstublieft")
    assert person.answer["language"] == "nl"
    expect_step(said, procedure, 1, "nl")
    expect_step(await person.say("volgende"), procedure, 2, "nl")


async def test_a_request_for_a_person_is_answered_honestly_and_recorded(live_hub):
    from bot.channels.webchat import service_key

    person = Person(live_hub)
    said = await person.say("je veux parler à un humain")
    assert "commune" in said
    conversation = await live_hub.server.app[service_key].conversation(person.id)
    assert conversation.handoff_requested_at is not None


async def test_readyz_is_green_with_the_real_brain(live_hub):
    response = await live_hub.get("/readyz")
    assert response.status == 200
    assert (await response.json())["model_loaded"] is True
