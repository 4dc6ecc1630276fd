"""Messaging channels (SMS, WhatsApp, Telegram) have no session: the core keeps one
conversation per person's address until it goes quiet, and can write to an address first."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

import bot.conversations.service as service_module
from bot.app import create_app
from bot.channels.webchat import service_key
from bot.conversations.model import Author, State
from bot.conversations.records import ConversationRecord, MessageRecord
from bot.conversations.service import ConversationService
from bot.settings import Settings
from tests.fakes import FakeBrain

QUIET = timedelta(hours=4)
NUMBER = "+32470123456"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Recorder:
    """A channel sender that keeps what it was handed."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, conversation: ConversationRecord, message: MessageRecord) -> bool:
        self.sent.append((conversation.contact or "", message.text))
        return True


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def service(
    settings: Settings, brain: FakeBrain, clock: Clock
) -> AsyncIterator[ConversationService]:
    async with TestClient(TestServer(create_app(settings, clock=clock))) as hub:
        yield hub.server.app[service_key]


async def say(service: ConversationService, conversation_id: str, text: str) -> None:
    await service.handle(service_module.InboundMessage(conversation_id, "sms", text))


async def test_messages_from_one_number_continue_one_conversation_until_it_goes_quiet(
    service: ConversationService, clock: Clock
):
    first = await service.conversation_at("sms", NUMBER, QUIET)
    await say(service, first, "I lost my identity card")
    clock.now += QUIET - timedelta(minutes=1)
    assert await service.conversation_at("sms", NUMBER, QUIET) == first
    await say(service, first, "next")
    clock.now += QUIET + timedelta(minutes=1)
    assert await service.conversation_at("sms", NUMBER, QUIET) != first


async def test_other_numbers_and_other_channels_have_their_own_conversation(
    service: ConversationService,
):
    sms = await service.conversation_at("sms", NUMBER, QUIET)
    assert await service.conversation_at("sms", "+32470000000", QUIET) != sms
    assert await service.conversation_at("whatsapp", f"whatsapp:{NUMBER}", QUIET) != sms


async def test_a_person_waiting_for_an_agent_keeps_the_conversation_however_long_it_takes(
    service: ConversationService, clock: Clock
):
    first = await service.conversation_at("sms", NUMBER, QUIET)
    await service.store.update_conversation(first, state=State.WAITING_FOR_AGENT)
    clock.now += QUIET * 3
    assert await service.conversation_at("sms", NUMBER, QUIET) == first


async def test_two_first_messages_at_once_make_one_conversation(service: ConversationService):
    ids = await asyncio.gather(*(service.conversation_at("sms", NUMBER, QUIET) for _ in range(5)))
    assert len(set(ids)) == 1


async def test_loket_can_write_first_to_a_number_in_the_persons_language(
    service: ConversationService,
):
    recorder = Recorder()
    service.outbound.register("sms", recorder)
    message = await service.send_to(
        "sms", NUMBER, "Lost identity card: 1. Call Doc Stop", "nl", QUIET
    )
    assert recorder.sent == [(NUMBER, "Lost identity card: 1. Call Doc Stop")]
    assert message.author == Author.BOT
    conversation = await service.conversation(message.conversation_id)
    assert conversation is not None and conversation.language == "nl"
    # The person's answer continues that conversation.
    assert await service.conversation_at("sms", NUMBER, QUIET) == message.conversation_id


async def test_language_detection_runs_off_the_event_loop(
    service: ConversationService, monkeypatch: pytest.MonkeyPatch
):
    loop_thread = threading.get_ident()
    threads: list[int] = []
    detection = service_module.detection

    def recording_detection(text: str):  # type: ignore[no-untyped-def]
        threads.append(threading.get_ident())
        return detection(text)

    monkeypatch.setattr(service_module, "detection", recording_detection)
    await say(service, "detect", "Bonjour, j'ai perdu ma carte d'identité hier dans le tram " * 20)
    assert threads and loop_thread not in threads
