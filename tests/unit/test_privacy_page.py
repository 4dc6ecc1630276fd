"""The supervisors' privacy page: a person found by their number however typed (their
call, their WhatsApp messages, a problem report where they left it) or by a conversation
id, exported as JSON, erased after a confirmation, and each action in the privacy log
without the number. After erasure nothing of them is left in any table or export."""

from __future__ import annotations

import json

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.appkeys import rasa_trackers_key
from bot.conversations.model import Conversation, PrivacyAction
from bot.privacy import erasure
from tests.console import OPEN, add_agent, post_form, service_of, sign_in
from tests.dashboard import converse, report
from tests.unit import test_dashboard
from tests.unit.test_erasure import leftovers
from tests.unit.test_retention import add_events, rasa_has_run, rasa_senders

pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")
database = test_dashboard.database  # the same hub, on SQLite and PostgreSQL
hub = test_dashboard.hub
PAGE = "/agent/privacy"
NUMBER = "+32470123456"
TYPED = "0470 12 34 56"  # as the person says it on the phone to the supervisor
THEIRS = ["call-1", "wa-1", "w-report", "470123456", "mon dossier IRISbox"]


async def their_data_and_someone_elses(hub: TestClient) -> None:
    store = service_of(hub).store
    await store.open_conversation("call-1", "phone", NUMBER, OPEN)
    await converse(store, "call-1", "phone", ["mon dossier IRISbox"], OPEN)
    await store.open_conversation("wa-1", "whatsapp", f"whatsapp:{NUMBER}", OPEN)
    await converse(store, "wa-1", "whatsapp", ["mon dossier IRISbox encore"], OPEN)
    await converse(store, "w-report", "webchat", ["IRISbox ne marche pas"], OPEN)
    await report(store, "irisbox", "error", OPEN, "mon dossier IRISbox", NUMBER, "w-report")
    await converse(store, "someone-else", "webchat", ["bonjour"], OPEN)


async def supervisor(hub: TestClient) -> None:
    await add_agent(hub, "sam", role="supervisor")
    assert (await sign_in(hub, "sam")).status == 303


async def test_a_person_is_found_exported_and_erased_with_the_action_logged(hub):
    await their_data_and_someone_elses(hub)
    await supervisor(hub)
    key = {"kind": "contact", "key": TYPED}
    found = await post_form(hub, f"{PAGE}/find", key, page=PAGE)
    assert found.status == 200
    assert "Conversations found: 3." in await found.text()

    exported = await post_form(hub, f"{PAGE}/export", key, page=PAGE)
    assert exported.headers["Content-Disposition"].startswith("attachment")
    rows = json.loads(await exported.text())
    assert {c["id"] for c in rows["conversations"]} == {"call-1", "wa-1", "w-report"}
    assert rows["problem_reports"][0]["contact_number"] == NUMBER  # their own data

    unconfirmed = await post_form(hub, f"{PAGE}/erase", key, page=PAGE)
    assert unconfirmed.status == 400
    assert "Tick the confirmation first: nothing was erased." in await unconfirmed.text()
    assert (await leftovers(service_of(hub).store, ["call-1"])) != {}

    erased = await post_form(hub, f"{PAGE}/erase", key | {"confirm": "yes"}, page=PAGE)
    assert erased.status == 303 and erased.headers["Location"] == PAGE
    assert await leftovers(service_of(hub).store, THEIRS) == {}
    async with service_of(hub).store.session() as session:
        assert await session.get(Conversation, "someone-else") is not None

    page = await (await hub.get(PAGE)).text()
    assert "Erased: " in page and "The action is in the log." in page
    log = page.split('id="table-privacy-log"')[1].split("</table>")[0]
    assert log.count("<tr>") == 1 + 2  # the header, the export, the erasure
    assert "erasure" in log and "export" in log and "number or address" in log
    assert not any(needle in page for needle in ("470123456", "0470 12", "call-1"))


async def test_nothing_of_the_erased_person_is_in_the_dashboards_exports(hub):
    await their_data_and_someone_elses(hub)
    await supervisor(hub)
    key = {"kind": "contact", "key": NUMBER, "confirm": "yes"}
    assert (await post_form(hub, f"{PAGE}/erase", key, page=PAGE)).status == 303
    for export in ("/agent/dashboard/reports.csv", "/agent/dashboard/unknown.csv"):
        text = await (await hub.get(export)).text()
        assert "IRISbox" not in text and "irisbox" not in text, export


async def test_one_conversation_is_erased_by_its_id(hub):
    await their_data_and_someone_elses(hub)
    await supervisor(hub)
    key = {"kind": "conversation", "key": "wa-1", "confirm": "yes"}
    assert (await post_form(hub, f"{PAGE}/erase", key, page=PAGE)).status == 303
    assert await leftovers(service_of(hub).store, ["wa-1"]) == {}
    assert await leftovers(service_of(hub).store, ["call-1"]) != {}


async def test_nothing_found_and_an_empty_key_are_said(hub):
    await supervisor(hub)
    nothing = await post_form(hub, f"{PAGE}/find", {"kind": "contact", "key": "+3225550000"},
                              page=PAGE)  # fmt: skip
    assert "Loket keeps nothing for this key." in await nothing.text()
    assert "Erase this data" not in await nothing.text()
    empty = await post_form(hub, f"{PAGE}/find", {"kind": "contact", "key": " "}, page=PAGE)
    assert empty.status == 303
    assert "Type a number, address or id first." in await (await hub.get(PAGE)).text()
    bad = await post_form(hub, f"{PAGE}/find", {"kind": "name", "key": "x"}, page=PAGE)
    assert bad.status == 400


async def test_rasa_events_are_counted_exported_erased_and_logged(hub):
    await their_data_and_someone_elses(hub)
    trackers = hub.app[rasa_trackers_key]
    await rasa_has_run(trackers)
    for conversation_id in ("call-1", "someone-else"):
        await add_events(trackers, conversation_id, days_ago=0)
    await supervisor(hub)
    key = {"kind": "contact", "key": NUMBER}

    found = await (await post_form(hub, f"{PAGE}/find", key, page=PAGE)).text()
    assert '<th scope="row">rasa events</th><td>2</td>' in found
    exported = await post_form(hub, f"{PAGE}/export", key, page=PAGE)
    assert len(json.loads(await exported.text())["rasa events"]) == 2
    erased = await post_form(hub, f"{PAGE}/erase", key | {"confirm": "yes"}, page=PAGE)
    assert erased.status == 303

    assert await rasa_senders(trackers) == ["someone-else", "someone-else"]
    async with service_of(hub).store.session() as session:
        logged = await session.scalars(select(PrivacyAction.tables).order_by(PrivacyAction.id))
        assert [tables["rasa events"] for tables in logged] == [2, 2]  # export, erasure


@pytest.mark.parametrize("role", ["agent", "operator"])
async def test_only_supervisors_see_the_privacy_page(hub, role):
    await their_data_and_someone_elses(hub)
    await add_agent(hub, "kim", role=role)
    assert (await sign_in(hub, "kim")).status == 303
    assert (await hub.get(PAGE)).status == 403
    key = {"kind": "contact", "key": NUMBER, "confirm": "yes"}
    page = "/agent/dashboard" if role == "operator" else "/agent/"
    for action in ("find", "export", "erase"):
        assert (await post_form(hub, f"{PAGE}/{action}", key, page=page)).status == 403
    assert await leftovers(service_of(hub).store, ["call-1"]) != {}


def test_a_number_is_found_in_every_form_it_is_kept_in():
    typed = erasure.Person(contact=TYPED).addresses()
    assert typed == [TYPED, NUMBER, f"whatsapp:{NUMBER}"]
    assert erasure.Person(contact=f"whatsapp:{NUMBER}").addresses() == [
        f"whatsapp:{NUMBER}",
        NUMBER,
    ]
    assert erasure.Person(contact="123456789").addresses() == ["123456789"]  # a Telegram chat
