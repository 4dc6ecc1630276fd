"""Problem reports on the operators' dashboard: counts by service, category and day with
small groups hidden, the work list where an operator sets a report's status, and the CSV
export (redacted, never a phone number). On SQLite and, where a server answers, PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from aiohttp.test_utils import TestClient

from bot.conversations import reports
from tests.console import add_agent, post_form, service_of, sign_in
from tests.dashboard import CALL_ME, OPEN, fill, fill_reports, report
from tests.unit import test_dashboard

pytestmark = pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")
database = test_dashboard.database  # the same hub, on SQLite and PostgreSQL
hub = test_dashboard.hub
operator = test_dashboard.operator
LIST = "/agent/dashboard/reports"
WORDS = "Call me on 0470 12 34 56 or jan.peeters@example.org, it says error 500"


def row(label: str, count: object) -> str:
    return f'<tr><th scope="row">{label}</th><td>{count}</td></tr>'


async def filled(hub: TestClient) -> None:
    store = service_of(hub).store
    await fill(store)
    await fill_reports(store)


async def test_reports_are_counted_by_service_category_and_day(hub):
    await filled(hub)
    await operator(hub)
    html = await (await hub.get("/agent/dashboard")).text()
    assert '<dd id="reports-total">13</dd>' in html  # the one of a month ago is not counted
    by_service = html.split('id="table-reports_by_service"')[1].split("</table>")[0]
    assert row("MyMinfin", 6) in by_service and row("other", 7) in by_service
    assert "IRISbox" not in by_service and "CSAM" not in by_service  # fewer than 5 each
    by_category = html.split('id="table-reports_by_category"')[1].split("</table>")[0]
    assert row("I cannot log in", 6) in by_category and row("other", 7) in by_category
    per_day = html.split('id="table-reports_per_day"')[1].split("</table>")[0]
    assert row("2026-12-03", 11) in per_day and row("2026-12-01", "fewer than 5") in per_day


async def test_the_period_filter_applies_to_the_reports(hub):
    await filled(hub)
    await operator(hub)
    day = OPEN.date().isoformat()
    html = await (await hub.get(f"/agent/dashboard?from={day}&to={day}")).text()
    assert '<dd id="reports-total">11</dd>' in html
    listed = await (await hub.get(f"{LIST}?from={day}&to={day}")).text()
    assert listed.count('<th scope="row">') == 11
    exported = await (await hub.get(f"{LIST}.csv?from={day}&to={day}")).text()
    assert len(list(csv.reader(io.StringIO(exported)))) == 1 + 11


async def test_an_operator_moves_a_report_on(hub):
    await fill(service_of(hub).store)
    filed = await report(service_of(hub).store, "irisbox", "language", OPEN, WORDS, CALL_ME)
    await operator(hub)
    page = await (await hub.get(LIST)).text()
    assert filed.reference in page and "Status of report" in page
    response = await post_form(
        hub, f"{LIST}/{filed.id}/status", {"status": "forwarded", "next": LIST}, page=LIST
    )
    assert response.status == 303 and response.headers["Location"] == LIST
    page = await (await hub.get(LIST)).text()
    assert f"Report {filed.reference}: forwarded." in page
    assert re.search(r'<option value="forwarded" selected>', page)
    [stored] = await reports.ProblemReports(service_of(hub).store).of_conversation("w0")
    assert stored.status == "forwarded"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [("{list}/{id}/status", "lost", 400), ("{list}/999/status", "closed", 404)],
)
async def test_a_bad_status_form_changes_nothing(hub, path, status, code):
    await fill(service_of(hub).store)
    filed = await report(service_of(hub).store, "irisbox", "language", OPEN)
    await operator(hub)
    target = path.format(list=LIST, id=filed.id)
    assert (await post_form(hub, target, {"status": status}, page=LIST)).status == code
    no_token = await hub.post(f"{LIST}/{filed.id}/status", data={"status": "closed"})
    assert no_token.status == 403
    [stored] = await reports.ProblemReports(service_of(hub).store).of_conversation("w0")
    assert stored.status == "new"


async def test_the_list_and_the_csv_are_redacted_and_never_hold_the_number(hub):
    await fill(service_of(hub).store)
    await report(service_of(hub).store, "irisbox", "language", OPEN, WORDS, CALL_ME)
    await report(service_of(hub).store, "other", "other", OPEN, "=HYPERLINK(1)")
    await operator(hub)
    page = await (await hub.get(LIST)).text()
    exported = await (await hub.get(f"{LIST}.csv")).text()
    for shown in (page, exported):
        assert "it says error 500" in shown
        assert "0470" not in shown and "470123456" not in shown and "example.org" not in shown
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [r["service"] for r in rows] == ["other", "irisbox"]  # newest first
    assert rows[0]["description"] == "'=HYPERLINK(1)"  # a spreadsheet shows it, never runs it
    assert (rows[1]["contact"], rows[1]["status"], rows[1]["filed_by"]) == ("phone", "new", "agent")
    assert "contact_number" not in rows[0]


async def test_agents_cannot_see_or_set_reports(hub):
    await fill(service_of(hub).store)
    filed = await report(service_of(hub).store, "irisbox", "language", OPEN)
    await add_agent(hub, "ana")
    assert (await sign_in(hub, "ana")).status == 303
    assert (await hub.get(LIST)).status == 403
    assert (await hub.get(f"{LIST}.csv")).status == 403
    refused = await post_form(hub, f"{LIST}/{filed.id}/status", {"status": "closed"})
    assert refused.status == 403
