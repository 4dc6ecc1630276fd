"""The end of a procedure on the phone with the real Rasa model and action server (issue
11, part 4): at the last step the caller hears the sections offered a key each, presses
the key for "what to bring", hears that section alone, and still answers "Did this
help?" with key 1. Keys reach the core as a call sends them: the hub maps a digit to the
n-th button of the last reply."""

from __future__ import annotations

import pytest

from bot.appkeys import service_key
from bot.conversations.inbound import PHONE_CHANNEL, InboundMessage
from tests.integration.test_conversations import CATALOGUE

pytestmark = pytest.mark.integration
NEXT = YES = "1"


@pytest.mark.parametrize("language", ["fr", "nl", "en"])
async def test_at_the_last_step_a_caller_presses_the_key_for_what_to_bring(live_hub, language):
    procedure = CATALOGUE.procedures["lost-eid"]
    messages = CATALOGUE.messages
    service = live_hub.app[service_key]
    conversation = f"call-CA-sections-{language}"
    await service.start_call(conversation, "+32471000098")

    async def press(text: str) -> str:
        turn = await service.handle(InboundMessage(conversation, PHONE_CHANNEL, text, language))
        return "\n".join(reply.text for reply in turn.replies)

    await press(f"/{procedure.intent}")
    for _ in procedure.steps[1:]:
        said = await press(NEXT)
    bring_key = messages.text("press_section_bring", language, True, n=3)
    assert bring_key in said
    assert messages.text("section_bring", language, True) not in said  # offered, not read

    said = await press("3")
    assert said.startswith(messages.text("section_bring", language, True))
    assert messages.text("section_cost", language, True) not in said  # read alone
    assert messages.text("did_it_help", language, True) in said  # the place is kept
    assert bring_key not in said
    assert messages.text("press_section_cost", language, True, n=3) in said  # the others again

    said = await press(YES)
    assert said.startswith(messages.text("glad_it_helped", language, True))
