"""Reporting a problem with an online public procedure, as a person lives it on the web
chat, on the phone (keypad) and by SMS; and an agent filing or completing one.

The stand-in brain answers a report with the signal `action_report_problem` sends; the
hub leads the rest (bot/conversations/problem_reports.py) and stores the report.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.conversations import reports
from bot.conversations.inbound import KEYS_ONLY, PHONE_CHANNEL, InboundMessage
from bot.conversations.model import ProblemReport
from bot.conversations.records import ProblemReportRecord
from bot.conversations.service import Turn
from bot.settings import LANGUAGES, Settings
from tests.console import Clock, add_agent, post_form, sign_in
from tests.fakes import FakeBrain, echo
from tests.messaging import Twilio, messaging_hub, messaging_settings, service_of
from tests.twilio_standin import TwilioStandIn

pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")
URL = "/api/conversations/{}/messages"
CALLER = "+32471234567"
TRIGGERS = ("report", "signaler", "melden", "IRISbox is only")


def answers_reports(text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """The brain: a wish to report gets the action's signal; anything else an echo."""
    if any(word in text for word in TRIGGERS):
        return [{"custom": {"loket": {"problem_report": "asked"}}}]
    return echo(text, metadata)


@pytest.fixture
async def hub(settings: Settings, twilio_api: TwilioStandIn) -> AsyncIterator[TestClient]:
    async with messaging_hub(messaging_settings(settings, twilio_api.url), Clock()) as client:
        yield client


@pytest.fixture
def reports_brain(brain: FakeBrain) -> FakeBrain:
    brain.reply = answers_reports
    return brain


async def say(
    hub: TestClient, text: str, language: str = "en", person: str = "p1", key: str | None = None
) -> dict[str, Any]:
    """A web chat message; the answer's JSON."""
    headers = {"Idempotency-Key": key} if key else {}
    response = await hub.post(
        URL.format(person), json={"text": text, "language": language}, headers=headers
    )
    assert response.status == 200, await response.text()
    return await response.json()


def said(answer: dict[str, Any]) -> str:
    return " ".join(reply["text"] for reply in answer["replies"])


async def stored(hub: TestClient) -> list[ProblemReportRecord]:
    async with service_of(hub).store.session() as session:
        rows = await session.scalars(select(ProblemReport).order_by(ProblemReport.id))
        return [ProblemReportRecord.of(row) for row in rows]


async def call(hub: TestClient, text: str, language: str = "nl") -> Turn:
    """A turn of a phone call from `CALLER`: a sentence said, or a key's meaning."""
    service = service_of(hub)
    await service.start_call("call-CA1", CALLER)
    return await service.handle(InboundMessage("call-CA1", PHONE_CHANNEL, text, language=language))


async def test_the_web_chat_asks_one_question_at_a_time_and_files_the_report(hub, reports_brain):
    asked = await say(hub, "I want to report a problem")
    assert "Which website or service" in said(asked)
    titles = [button["title"] for button in asked["replies"][-1]["buttons"]]
    assert titles[:3] == ["MyMinfin", "IRISbox", "Mon dossier (My file)"]
    assert "What went wrong with MyMinfin?" in said(await say(hub, "1"))  # a menu number
    assert "in a few words" in said(await say(hub, "/report_category:login"))
    assert "an answer from the helpdesk" in said(await say(hub, "It says my password is wrong"))
    filed = said(await say(hub, "/report_contact:channel"))
    [report] = await stored(hub)
    assert f"Your reference number: {report.reference}." in filed
    assert "The helpdesk will answer you." in filed
    assert (report.service, report.category, report.contact) == ("myminfin", "login", "channel")
    assert report.description == "It says my password is wrong"
    assert (report.conversation_id, report.channel, report.language) == ("p1", "webchat", "en")
    assert report.status == "new" and report.filed_by is None
    assert said(await say(hub, "thanks")).startswith("echo[en]"), "the brain answers again"


async def test_what_the_first_message_said_is_not_asked_again(hub, reports_brain):
    asked = said(await say(hub, "IRISbox is only in French!"))
    assert "in a few words" in asked, "service and category were in the first message"
    assert "an answer" in said(await say(hub, "/report_skip"))
    await say(hub, "no")
    [report] = await stored(hub)
    assert (report.service, report.category) == ("irisbox", "language")
    assert (report.description, report.contact) == (None, "none")


async def test_own_words_for_the_service_and_the_problem(hub, reports_brain):
    await say(hub, "je veux signaler un problème", language="fr")
    assert "Qu'est-ce qui ne va pas avec le guichet de Bozar ?" in said(
        await say(hub, "le guichet de Bozar", language="fr")
    )
    answer = said(await say(hub, "ils ont perdu mon formulaire", language="fr"))
    assert "Voulez-vous une réponse" in answer, "their words are the description"
    await say(hub, "/report_contact:none", language="fr")
    [report] = await stored(hub)
    assert (report.service, report.service_text) == ("other", "le guichet de Bozar")
    assert (report.category, report.description) == ("other", "ils ont perdu mon formulaire")


async def test_a_web_chat_person_can_be_called_back_on_a_typed_number(hub, reports_brain):
    await say(hub, "I want to report a problem with itsme, there is an error")
    await say(hub, "skip")
    assert "Which number can we call you on" in said(await say(hub, "/report_contact:phone"))
    assert "Your reference number" in said(await say(hub, "0470 12 34 56"))
    [report] = await stored(hub)
    assert (report.service, report.category) == ("itsme", "error")
    assert (report.contact, report.contact_number) == ("phone", "+32470123456")


async def test_a_made_up_button_asks_the_question_again(hub, reports_brain):
    await say(hub, "I want to report a problem")
    assert "Which website or service" in said(await say(hub, "/report_service:" + "x" * 500))
    assert "What went wrong" in said(await say(hub, "/report_service:famiris"))
    assert "What went wrong" in said(await say(hub, "/report_category:slow"))
    assert await stored(hub) == []


async def test_cancelling_files_nothing(hub, reports_brain):
    await say(hub, "I want to report a problem")
    assert "I will not note anything" in said(await say(hub, "cancel"))
    assert await stored(hub) == []


async def test_a_retried_message_files_one_report_and_gets_the_same_reference(hub, reports_brain):
    await say(hub, "IRISbox is only in French")
    await say(hub, "/report_skip")
    first = await say(hub, "/report_contact:none", key="k-1")
    again = await say(hub, "/report_contact:none", key="k-1")
    assert said(again) == said(first)
    assert len(await stored(hub)) == 1


async def test_on_the_phone_the_keypad_answers_and_the_reference_is_spelled(hub, reports_brain):
    asked = await call(hub, "ik wil een probleem melden")
    [question] = asked.replies
    assert "1 voor MyMinfin, 2 voor IRISbox" in question.text
    assert "Voor een andere, druk op 6" in question.text
    assert "druk: 1 voor Ik kan niet inloggen" in (await call(hub, "2")).replies[0].text
    assert "Om over te slaan, druk op 1" in (await call(hub, "3")).replies[0].text
    assert "Zo ja, druk op 2" in (await call(hub, "1")).replies[0].text
    confirm = await call(hub, "2")
    assert "0471 23 45 67" in confirm.replies[0].text, "the caller's own number is proposed"
    filed = (await call(hub, "1")).replies[0].text
    [report] = await stored(hub)
    spelled = ". ".join("streepje" if c == "-" else c for c in report.reference)
    assert filed.count(spelled) == 2, "said slowly, character by character, twice"
    assert "druk op sterretje" in filed
    assert (report.service, report.category, report.description) == ("irisbox", "print_scan", None)
    assert (report.channel, report.contact, report.contact_number) == ("phone", "phone", CALLER)
    again = await call(hub, "/step_repeat")  # the phone's `*`
    assert spelled in again.replies[0].text
    assert len(await stored(hub)) == 1


async def test_a_caller_who_can_only_use_the_keys_is_never_asked_to_speak(hub, reports_brain):
    keys_only = KEYS_ONLY.set(True)
    try:
        asked = (await call(hub, "I want to report a problem", "en")).replies[0].text
        assert "Press: 1 for MyMinfin" in asked and "Say" not in asked
        category = (await call(hub, "4", "en")).replies[0].text
        assert "What went wrong with itsme? Press: 1 for I cannot log in" in category
        contact = (await call(hub, "5", "en")).replies[0].text
        assert contact.startswith("Do you want the helpdesk to call you back?"), "no own words"
        await call(hub, "1", "en")
    finally:
        KEYS_ONLY.reset(keys_only)
    [report] = await stored(hub)
    assert (report.service, report.category, report.description) == ("itsme", "error", None)


async def test_by_sms_the_choices_are_numbered(hub, reports_brain, twilio_api):
    twilio = Twilio(hub)
    asked = await twilio.send("I want to report a problem")
    assert "Which website or service" in asked and "1" in asked
    assert "What went wrong with Actiris?" in await twilio.send("Actiris")
    assert "in a few words" in await twilio.send("4")  # no_answer, 4th choice
    await twilio.send("They never answer my emails")
    filed = await twilio.send("yes")  # "yes" on a written channel: answer here
    [report] = await stored(hub)
    assert report.reference in filed
    assert (report.channel, report.service, report.category) == ("sms", "actiris", "no_answer")
    assert (report.contact, report.description) == ("channel", "They never answer my emails")


def test_references_are_short_and_easy_to_say():
    seen = {reports.new_reference() for _ in range(200)}
    assert len(seen) == 200
    for reference in seen:
        assert reports.REFERENCE_PATTERN.match(reference), reference
        assert not set(reference) & set("0O1IL5SBPD"), "no look-alikes"
    assert reports.spelled("K7P-4QX", "fr") == "K. 7. P. tiret. 4. Q. X"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_service_and_category_has_a_label_and_recognises_itself(language):
    for choices in (reports.services(), reports.categories()):
        for choice in choices:
            assert choice.said(language)
            assert reports.recognise(choice.said(language), choices) in (choice.id, None)
    assert reports.categories()[-1].id == reports.OTHER


def test_the_longest_alias_wins():
    categories = reports.categories()
    assert reports.recognise("IRISbox is alleen in het Frans", categories) == "language"
    assert reports.recognise("het lukt me niet alleen", categories) == "needs_help"
    assert reports.recognise("Can't log in to MyMinfin", reports.services()) == "myminfin"


REPORT_FORM = "/agent/conversations/{}/report"
GOOD = {"service": "csam", "category": "needs_help", "description": "Needs her son for it",
        "contact": "phone", "contact_number": "0470 12 34 56", "service_text": ""}  # fmt: skip


async def signed_in_agent(hub: TestClient) -> None:
    await add_agent(hub)
    assert (await sign_in(hub)).status == 303


async def test_an_agent_files_a_report_for_a_conversation(hub, reports_brain):
    await say(hub, "hello")
    await signed_in_agent(hub)
    page = await (await hub.get("/agent/conversations/p1")).text()
    assert "No problem reported in this conversation." in page
    response = await post_form(hub, REPORT_FORM.format("p1"), GOOD)
    assert response.status == 303
    [report] = await stored(hub)
    assert (report.service, report.category, report.filed_by) == ("csam", "needs_help", "ana")
    assert (report.contact, report.contact_number) == ("phone", "+32470123456")
    assert (report.channel, report.language, report.status) == ("webchat", "en", "new")
    page = await (await hub.get("/agent/conversations/p1")).text()
    assert f"Report saved: {report.reference}." in page
    assert f"Reference {report.reference}" in page and "by ana" in page


async def test_an_agent_completes_the_persons_report(hub, reports_brain):
    await say(hub, "IRISbox is only in French")
    await say(hub, "/report_skip")
    await say(hub, "/report_contact:none")
    [filed] = await stored(hub)
    await signed_in_agent(hub)
    assert "by the person" in await (await hub.get("/agent/conversations/p1")).text()
    completed = GOOD | {"report_id": str(filed.id), "service": "irisbox", "category": "language",
                        "contact": "channel", "contact_number": ""}  # fmt: skip
    assert (await post_form(hub, REPORT_FORM.format("p1"), completed)).status == 303
    [report] = await stored(hub)
    assert report.reference == filed.reference and report.filed_by is None
    assert (report.description, report.contact) == ("Needs her son for it", "channel")


@pytest.mark.parametrize(
    ("changed", "status"),
    [
        ({"service": "bozar"}, 400),
        ({"category": "slow"}, 400),
        ({"contact": "fax"}, 400),
        ({"contact_number": ""}, 400),  # "by phone" without a number
        ({"contact_number": "call me"}, 400),
        ({"description": "x" * (reports.MAX_DESCRIPTION + 1)}, 400),
        ({"service_text": "x" * (reports.MAX_SERVICE_TEXT + 1)}, 400),
        ({"report_id": "one"}, 400),
        ({"report_id": "999"}, 404),
    ],
)
async def test_a_bad_console_form_stores_nothing(hub, reports_brain, changed, status):
    await say(hub, "hello")
    await signed_in_agent(hub)
    response = await post_form(hub, REPORT_FORM.format("p1"), GOOD | changed)
    assert response.status == status
    assert await stored(hub) == []


async def test_a_report_form_without_its_token_or_for_no_conversation_is_refused(
    hub, reports_brain
):
    await say(hub, "hello")
    await signed_in_agent(hub)
    no_token = await hub.post(REPORT_FORM.format("p1"), data=GOOD, allow_redirects=False)
    assert no_token.status == 403
    assert (await post_form(hub, REPORT_FORM.format("nobody"), GOOD)).status == 404
    assert await stored(hub) == []
