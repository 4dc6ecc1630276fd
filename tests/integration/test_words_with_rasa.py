"""Words explained and related rights offered, with the real Rasa model and action server
(issue 11, parts 2 and 5): what a person in the web chat experiences."""

from __future__ import annotations

import pytest

from tests.integration.test_conversations import ASK, CATALOGUE, NEXT, Person, expect_step

pytestmark = pytest.mark.integration
GLOSSARY = CATALOGUE.glossary
# A question about a word, in the person's words, and the word's glossary id.
ASK_WORD = {
    "fr": ("c'est quoi un C4 ?", "c4"),
    "nl": ("wat is het OCMW?", "cpas"),
    "en": ("What is the CPAS?", "cpas"),
}
REPEAT = {"fr": "vous pouvez répéter", "nl": "kan je dat herhalen", "en": "can you repeat that"}


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
async def test_a_word_asked_in_the_middle_of_a_procedure_keeps_the_place(live_hub, language):
    """Explained in the person's language; the step's buttons come back and "next" gives
    the step after the one the person was at, not a new procedure."""
    procedure = CATALOGUE.procedures["lost-eid"]
    person = Person(live_hub, language)
    await person.say(ASK["lost-eid"][language])
    expect_step(await person.say(NEXT[language]), procedure, 2, language)

    question, term = ASK_WORD[language]
    said = await person.say(question)
    assert GLOSSARY[term].written.in_(language) in said
    assert "/step_next" in person.buttons
    expect_step(await person.say(NEXT[language]), procedure, 3, language)


async def test_a_word_asked_outside_a_procedure(live_hub):
    person = Person(live_hub, "en")
    said = await person.say("what does itsme mean")
    assert GLOSSARY["itsme"].written.in_("en") in said


async def test_a_related_right_is_offered_once_after_the_last_step(live_hub):
    procedure = CATALOGUE.procedures["social-tariff"]
    right = procedure.related_rights[0]
    offer = f"/{CATALOGUE.procedures[right.procedure].intent}"
    person = Person(live_hub, "en")
    await person.say(f"/{procedure.intent}")
    for _ in procedure.steps[1:]:
        said = await person.say(NEXT["en"])
    assert right.why.written.in_("en") in said
    assert offer in person.buttons

    said = await person.say(REPEAT["en"])
    expect_step(said, procedure, len(procedure.steps), "en")
    assert right.why.written.in_("en") not in said
    assert offer not in person.buttons
