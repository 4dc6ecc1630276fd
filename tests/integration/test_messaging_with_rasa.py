"""SMS, WhatsApp and Telegram with the real Rasa server, action server and model: a person
on each walks through a procedure in their own words, and asks for a person."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from pydantic import SecretStr

from actions.catalogue import Catalogue
from bot.appkeys import service_key
from bot.channels.telegram import WEBHOOK_PATH
from bot.channels.telegram.webhook import SECRET_HEADER
from bot.settings import Settings
from tests.console import OPEN, Clock
from tests.integration.test_conversations import ASK, CATALOGUE, LABEL, NEXT
from tests.messaging import WHATSAPP_PERSON, Twilio, messaging_hub, messaging_settings, standin
from tests.telegram_standin import TOKEN, TelegramStandIn
from tests.unit.test_telegram import CHAT, text_update

pytestmark = pytest.mark.integration
SECRET = "integration-webhook-secret"
PROCEDURE = "lost-eid"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return CATALOGUE


@pytest.fixture
async def telegram() -> AsyncIterator[TelegramStandIn]:
    bot_api = TelegramStandIn()
    await bot_api.start()
    yield bot_api
    await bot_api.stop()


@pytest.fixture
async def hub(
    brain_settings: Settings, real_brain, telegram: TelegramStandIn, tmp_path: Path
) -> AsyncIterator[TestClient]:
    """A hub with its own database: each test's person starts a new conversation (and so a
    new Rasa tracker), whatever the tests before it left in theirs, on its pinned clock."""
    twilio = await standin()
    assert telegram.server is not None
    settings = messaging_settings(brain_settings, twilio.url).model_copy(
        update={
            "data_dir": tmp_path,
            "telegram_bot_token": SecretStr(TOKEN),
            "telegram_webhook_secret": SecretStr(SECRET),
            "telegram_api_base_url": str(telegram.server.make_url("")).rstrip("/"),
        }
    )
    async with messaging_hub(settings, Clock(OPEN)) as client:
        await telegram.wait_for("setWebhook")
        yield client
    await twilio.stop()


def first_words(text: str, count: int = 4) -> str:
    return " ".join(text.split()[:count])


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
@pytest.mark.parametrize("language", ["fr", "nl", "en"])
async def test_a_person_walks_a_procedure_by_sms_and_whatsapp(
    hub: TestClient, catalogue: Catalogue, channel: str, language: str
):
    procedure = catalogue.procedures[PROCEDURE]
    twilio = Twilio(hub)
    sender = {"sender": WHATSAPP_PERSON} if channel == "whatsapp" else {}
    said = await twilio.send(ASK[PROCEDURE][language], **sender)
    for n in range(1, len(procedure.steps) + 1):
        if n > 1:
            said = await twilio.send(NEXT[language], **sender)
        assert LABEL[language].format(n=n, total=len(procedure.steps)) in said, said
        assert first_words(procedure.steps[n - 1].written.in_(language)) in said


async def test_a_person_walks_a_procedure_on_telegram_and_asks_for_a_person(
    hub: TestClient, catalogue: Catalogue, telegram: TelegramStandIn
):
    procedure = catalogue.procedures[PROCEDURE]
    update_ids = iter(range(1, 100))

    async def say(text: str, language_code: str = "nl") -> str:
        before = len(telegram.sent(CHAT))
        update = text_update(next(update_ids), text, language_code)
        response = await hub.post(WEBHOOK_PATH, json=update, headers={SECRET_HEADER: SECRET})
        assert response.status == 200
        return "\n".join(message["text"] for message in telegram.sent(CHAT)[before:])

    said = await say(ASK[PROCEDURE]["nl"])
    for n in range(1, len(procedure.steps) + 1):
        if n > 1:
            said = await say(NEXT["nl"])
        assert LABEL["nl"].format(n=n, total=len(procedure.steps)) in said, said
    await say("/human")
    service = hub.app[service_key]
    conversation_id = await service.conversation_at("telegram", str(CHAT), timedelta(hours=1))
    conversation = await service.conversation(conversation_id)
    assert conversation is not None and conversation.state == "waiting_for_agent"
    assert conversation.topic == PROCEDURE
