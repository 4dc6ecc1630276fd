"""Reporting a problem with an online procedure, with the real Rasa model and action server:
a walk on the web chat in French, and a call through the phone simulator in English.

On the phone no speech model is installed here (an empty voice folder): the caller's
sentence is handed to the hub as the recogniser would hand it, in the call's
conversation; the rest of the call is keys, pressed through the phone simulator.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app import create_app
from bot.appkeys import service_key, settings_key
from bot.conversations import reports
from bot.conversations.inbound import PHONE_CHANNEL, InboundMessage
from bot.conversations.model import ProblemReport
from bot.conversations.service import ConversationService
from bot.launcher import Child
from bot.settings import Settings
from tests.console import add_agent, sign_in
from tests.integration.test_conversations import Person
from tests.phone_line import with_phone_line
from tests.unit.test_phone_call import phone
from tests.waiting import eventually

pytestmark = pytest.mark.integration
CALLER = "+32470000177"
REPLY_SECONDS = 60.0  # a safety net only: a cold Rasa answers its first messages slowly


async def report_of(service: ConversationService, conversation_id: str) -> ProblemReport | None:
    async with service.store.session() as session:
        return await session.scalar(
            select(ProblemReport).where(ProblemReport.conversation_id == conversation_id)
        )


async def on_the_dashboard(hub: TestClient, reference: str, operator: str) -> None:
    """An operator finds the report in the dashboard's count, its work list and its CSV
    export: on a console of its own over the hub's database, served over http (the phone
    line's https address makes the hub's own session cookie https-only)."""
    settings = hub.app[settings_key].model_copy(update={"public_base_url": "http://127.0.0.1"})
    async with TestClient(TestServer(create_app(settings))) as console:
        await add_agent(console, operator, role="operator")
        assert (await sign_in(console, operator)).status == 303
        dashboard = await (await console.get("/agent/dashboard")).text()
        listed = await (await console.get("/agent/dashboard/reports")).text()
        exported = await (await console.get("/agent/dashboard/reports.csv")).text()
    assert 'id="reports-total"' in dashboard
    assert f'<th scope="row">{reference}</th>' in listed
    assert any(line.startswith(f"{reference},") for line in exported.splitlines())


async def test_a_report_on_the_web_chat_in_french(live_hub):
    person = Person(live_hub, "fr")
    asked = await person.say("bonjour je voudrais signaler un problème avec le site IRISbox")
    assert "Qu'est-ce qui ne va pas avec IRISbox ?" in asked
    assert "Racontez en quelques mots" in await person.say("c'est seulement en français")
    assert "une réponse du service d'aide" in await person.say("/report_skip")
    filed = await person.say("non merci")
    report = await report_of(live_hub.app[service_key], person.id)
    assert report is not None
    assert f"Votre numéro de dossier : {report.reference}." in filed
    assert (report.service, report.category, report.contact) == ("irisbox", "language", "none")
    await on_the_dashboard(live_hub, report.reference, "operator-web")


@pytest.fixture(scope="module")
async def phone_hub(
    brain_settings: Settings, real_brain: list[Child], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[TestClient]:
    """A hub with the phone line on (no speech model), in front of the real brain."""
    settings = with_phone_line(
        brain_settings,
        tmp_path_factory.mktemp("no-voice-models"),
        data_dir=tmp_path_factory.mktemp("report-phone-hub"),
    )
    async with TestClient(TestServer(create_app(settings))) as client:
        yield client


async def test_a_report_by_phone_in_english_with_the_keypad(phone_hub):
    service: ConversationService = phone_hub.app[service_key]

    async def said_since(count: int) -> list[str]:
        messages = await service.messages(call.conversation_id)
        return [m.text for m in messages[count:] if m.author == "bot"]

    async def press(key: str) -> str:
        before = len(await service.messages(call.conversation_id))
        await call.press(key)
        await eventually(lambda: _answered(service, call.conversation_id, before), REPLY_SECONDS)
        return " ".join(await said_since(before))

    async with phone(phone_hub, caller=CALLER) as call:
        assert await call.wait_for_speech(), "no language menu"
        await press("3")  # English
        heard = InboundMessage(
            call.conversation_id, PHONE_CHANNEL, "I want to report a problem", "en"
        )
        asked = " ".join(r.text for r in (await service.handle(heard)).replies)
        assert "1 for MyMinfin, 2 for IRISbox" in asked
        assert "What went wrong with IRISbox?" in await press("2")
        # It asks to print or scan; keys only: their own words are not asked for.
        assert "If yes, press 2." in await press("3")
        filed = await press("1")  # no answer wanted
        await call.hang_up()
    report = await report_of(service, call.conversation_id)
    assert report is not None
    assert filed.count(reports.spelled(report.reference, "en")) == 2
    assert (report.channel, report.service, report.category) == ("phone", "irisbox", "print_scan")
    assert (report.description, report.contact) == (None, "none")
    await on_the_dashboard(phone_hub, report.reference, "operator-phone")


async def _answered(service: ConversationService, conversation_id: str, before: int) -> bool:
    """Whether the bot has said something since message `before`."""
    messages = await service.messages(conversation_id)
    return any(m.author == "bot" for m in messages[before:])
