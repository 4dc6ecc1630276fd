"""The person's place is kept (issue 11, part 2), with the real Rasa model and action
server: a message that is not understood never moves the person on or switches
procedure; it says so, keeps the step's buttons and says that "next" still works. A
person who says they are lost hears the step again."""

from __future__ import annotations

import pytest

from tests.integration.test_conversations import CATALOGUE, NEXT, Person, expect_step

pytestmark = pytest.mark.integration
LANGUAGE = "fr"


@pytest.mark.parametrize("message", ["x", "?", "..."])
async def test_a_message_not_understood_keeps_the_place(live_hub, message):
    procedure = CATALOGUE.procedures["social-tariff"]
    person = Person(live_hub, LANGUAGE)
    await person.say(f"/{procedure.intent}")
    expect_step(await person.say(NEXT[LANGUAGE]), procedure, 2, LANGUAGE)

    said = await person.say(message)
    assert said.startswith("Je n'ai pas compris"), said
    title, total = procedure.title.in_(LANGUAGE), len(procedure.steps)
    place = CATALOGUE.messages.text("resume_step", LANGUAGE, n=2, total=total, title=title)
    assert place in said
    assert "/step_next" in person.buttons
    expect_step(await person.say(NEXT[LANGUAGE]), procedure, 3, LANGUAGE)


@pytest.mark.parametrize("message", ["jsuis perdu", "je suis perdue la"])
async def test_a_person_who_is_lost_hears_the_step_again(live_hub, message):
    # "perdu" also names the lost identity card: it must not switch procedure.
    procedure = CATALOGUE.procedures["social-tariff"]
    person = Person(live_hub, LANGUAGE)
    await person.say(f"/{procedure.intent}")
    expect_step(await person.say(NEXT[LANGUAGE]), procedure, 2, LANGUAGE)

    expect_step(await person.say(message), procedure, 2, LANGUAGE)
    expect_step(await person.say(NEXT[LANGUAGE]), procedure, 3, LANGUAGE)
