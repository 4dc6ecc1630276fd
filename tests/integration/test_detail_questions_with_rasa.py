"""Questions about one detail of a procedure, with the real Rasa model and action server
(issue 11, part 1): what a person in the web chat, or a caller, experiences.

"What do I need to bring?" in the middle of a procedure answers that alone and keeps
the place; "how much does a new identity card cost?" answers the cost first and offers
the steps; a detail asked before any procedure asks which one; a detail the content
does not give is said honestly; a detail of another procedure asks before switching."""

from __future__ import annotations

import pytest

from bot.appkeys import service_key
from bot.conversations.inbound import PHONE_CHANNEL, InboundMessage
from tests.integration.test_conversations import ASK, CATALOGUE, NEXT, Person, expect_step

pytestmark = pytest.mark.integration
MESSAGES = CATALOGUE.messages
EID = CATALOGUE.procedures["lost-eid"]
BRING = {
    "fr": "qu'est-ce que je dois apporter ?",
    "nl": "wat moet ik meebrengen",
    "en": "what do i need to bring",
}
EID_COST = {
    "fr": "combien coûte une nouvelle carte d'identité après une perte",
    "nl": "hoeveel kost een nieuwe identiteitskaart na verlies",
    "en": "how much does a new identity card cost after i lost it",
}
YES = {"fr": "oui", "nl": "ja", "en": "yes"}


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
async def test_a_detail_asked_in_the_middle_keeps_the_place(live_hub, language):
    person = Person(live_hub, language)
    await person.say(ASK["lost-eid"][language])
    expect_step(await person.say(NEXT[language]), EID, 2, language)

    said = await person.say(BRING[language])
    assert said.startswith(MESSAGES.text("section_bring", language)), said
    assert EID.bring.written.in_(language) in said  # type: ignore[union-attr]
    assert EID.cost.written.in_(language) not in said  # type: ignore[union-attr]
    assert "/step_next" in person.buttons
    expect_step(await person.say(NEXT[language]), EID, 3, language)


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
async def test_a_detail_asked_first_then_the_steps(live_hub, language):
    """The cost at once, not step 1 of 6; the steps are offered and "yes" starts them."""
    person = Person(live_hub, language)
    said = await person.say(EID_COST[language])
    assert EID.cost.written.in_(language) in said, said  # type: ignore[union-attr]
    assert MESSAGES.text("steps_offer", language, title=EID.title.in_(language)) in said
    assert EID.steps[0].written.in_(language) not in said

    expect_step(await person.say(YES[language]), EID, 1, language)
    expect_step(await person.say(NEXT[language]), EID, 2, language)


async def test_a_detail_before_any_procedure_is_answered_once_one_is_chosen(live_hub):
    person = Person(live_hub, "en")
    said = await person.say("how much does it cost")
    assert said.startswith(MESSAGES.text("section_which_procedure", "en")), said
    assert "/show_menu" not in person.buttons[:1]  # the topics come first

    said = await person.say(f"/{EID.intent}")
    assert EID.cost.written.en in said  # type: ignore[union-attr]
    expect_step(await person.say(NEXT["en"]), EID, 1, "en")  # "next" starts the steps


async def test_a_detail_the_content_lacks_is_said_honestly(live_hub):
    income = CATALOGUE.procedures["integration-income"]
    assert income.cost is None
    person = Person(live_hub, "en")
    await person.say(f"/{income.intent}")
    said = await person.say("how much does it cost")
    assert said.startswith(MESSAGES.text("section_missing", "en", title=income.title.en)), said
    assert income.where.written.en in said  # type: ignore[union-attr]
    expect_step(await person.say(NEXT["en"]), income, 2, "en")


async def test_a_detail_of_another_procedure_asks_before_switching(live_hub):
    address = CATALOGUE.procedures["change-address"]
    person = Person(live_hub, "en")
    await person.say(f"/{EID.intent}")
    said = await person.say("what papers do i need to register my new address")
    question = MESSAGES.text(
        "section_which_of_two", "en", current=EID.title.en, other=address.title.en
    )
    assert said.startswith(question), said
    assert EID.steps[0].written.en not in said

    said = await person.say(person.buttons[1])  # the other procedure
    assert address.bring.written.en in said  # type: ignore[union-attr]
    expect_step(await person.say(YES["en"]), address, 1, "en")


async def test_a_caller_asks_the_cost_and_hears_it_spoken(live_hub):
    service = live_hub.app[service_key]
    conversation = "call-CA-detail-fr"
    await service.start_call(conversation, "+32471000097")

    async def say(text: str) -> str:
        turn = await service.handle(InboundMessage(conversation, PHONE_CHANNEL, text, "fr"))
        return "\n".join(reply.text for reply in turn.replies)

    await say(f"/{EID.intent}")
    said = await say("et ça coûte combien")
    assert EID.cost.spoken.fr in said, said  # type: ignore[union-attr]
    assert MESSAGES.text("keys_next_step", "fr", True) in said


STOLEN = {
    "fr": "et si elle a été volée ?",
    "nl": "en als ze gestolen is?",
    "en": "and if it was stolen?",
}


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
async def test_a_follow_up_that_names_the_other_case(live_hub, language):
    """ "And if it was stolen?" at step 1: step 3 (the police first) alone, the place kept."""
    person = Person(live_hub, language)
    await person.say(ASK["lost-eid"][language])
    said = await person.say(STOLEN[language])
    assert EID.steps[2].written.in_(language) in said, said
    resume = MESSAGES.text("resume_step", language, n=1, total=6, title=EID.title.in_(language))
    assert resume in said
    expect_step(await person.say(NEXT[language]), EID, 2, language)


async def test_a_detail_at_the_commune_does_not_switch_procedure(live_hub):
    """Tried as a new user would: at step 3 of lost-eid, "and how much is it at the
    commune" opened "contact your commune" at step 1. Now the cost of the card, or the
    question which procedure is meant; never the other procedure's first step."""
    contact = CATALOGUE.procedures["commune-contact"]
    person = Person(live_hub, "en")
    await person.say(ASK["lost-eid"]["en"])
    await person.say(NEXT["en"])
    expect_step(await person.say(NEXT["en"]), EID, 3, "en")

    said = await person.say("and how much is it at the commune")
    assert contact.steps[0].written.en not in said, said
    question = MESSAGES.text(
        "section_which_of_two", "en", current=EID.title.en, other=contact.title.en
    )
    assert EID.cost.written.en in said or question in said, said  # type: ignore[union-attr]
