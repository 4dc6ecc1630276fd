"""Tests of bot/channels/phone/sender.py: the outbound path reaches a caller during a call."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.appkeys import service_key
from bot.channels.phone.sender import PhoneSender
from bot.conversations.inbound import PHONE_CHANNEL
from bot.conversations.model import State
from bot.conversations.outbound import Outbound
from bot.conversations.records import ConversationRecord, MessageRecord
from bot.settings import Language, Settings
from tests.phone_line import with_phone_line

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
CONVERSATION = ConversationRecord(
    id="call-CA" + "4" * 32,
    channel=PHONE_CHANNEL,
    contact="+32470123456",
    language="nl",
    language_source="explicit",
    state=State.WITH_AGENT,
    created_at=NOW,
    updated_at=NOW,
)


class Call:
    """A live call that records what it was asked to say."""

    def __init__(self, over: bool = False) -> None:
        self.said: list[tuple[str, Language]] = []
        self.over = over

    def say(self, text: str, language: Language) -> bool:
        if self.over:
            return False
        self.said.append((text, language))
        return True


def message(text: str, language: str | None = "nl") -> MessageRecord:
    return MessageRecord(1, CONVERSATION.id, "agent", text, [], language, "queued", NOW)


def outbound_with(sender: PhoneSender) -> Outbound:
    outbound = Outbound()
    outbound.register(PHONE_CHANNEL, sender)
    return outbound


async def test_a_message_is_spoken_on_the_live_call_and_fails_once_it_is_over():
    sender, call = PhoneSender(), Call()
    outbound = outbound_with(sender)
    assert not await outbound.deliver(CONVERSATION, message("Goedendag.")), "no call yet"

    sender.call_started(CONVERSATION.id, call)
    assert await outbound.deliver(CONVERSATION, message("Goedendag."))
    assert await outbound.deliver(CONVERSATION, message("Hello.", language=None))
    assert call.said == [("Goedendag.", "nl"), ("Hello.", "nl")], "the call's language by default"

    sender.call_ended(CONVERSATION.id, call)
    assert not await outbound.deliver(CONVERSATION, message("Nog iets?"))
    assert not sender.live(CONVERSATION.id)


async def test_a_call_that_ends_late_does_not_unregister_a_newer_one():
    sender, old, new = PhoneSender(), Call(), Call()
    sender.call_started(CONVERSATION.id, old)
    sender.call_started(CONVERSATION.id, new)
    sender.call_ended(CONVERSATION.id, old)
    assert await sender.send(CONVERSATION, message("Dag."))
    assert new.said and not old.said


async def test_a_call_that_cannot_speak_any_more_is_a_failed_delivery():
    sender = PhoneSender()
    sender.call_started(CONVERSATION.id, Call(over=True))  # put through to the helpdesk
    assert not await outbound_with(sender).deliver(CONVERSATION, message("Dag."))


async def test_the_hub_speaks_on_calls_through_the_phone_sender(settings: Settings, tmp_path: Path):
    app = create_app(with_phone_line(settings, tmp_path / "voice"))
    async with TestClient(TestServer(app)) as hub:
        assert hub.app[service_key].outbound.has_sender(PHONE_CHANNEL)
