"""The problem reports of a period as operators work through them: listed with their
status (new, forwarded, closed), each status set with a form, and exported as CSV.

The person's words are redacted and their phone number is never shown nor exported
(problems.py); the conversation page in the console keeps the full report for agents.
"""

from __future__ import annotations

from aiohttp import web

from bot.appkeys import service_key
from bot.console import pages, sessions
from bot.console.forms import BadForm
from bot.console.i18n import Translator
from bot.conversations import reports
from bot.conversations.model import ReportStatus
from bot.dashboard import problems
from bot.dashboard.pages import PATH, csv_download, for_dashboard, period_of

LIST_PATH = f"{PATH}/reports"


def setup_routes(router: web.UrlDispatcher) -> None:
    """The work list, its status forms and its CSV, beside the dashboard."""
    router.add_get(LIST_PATH, reports_page, name="dashboard_reports")
    router.add_post(f"{LIST_PATH}/{{report_id:\\d+}}/status", set_status)
    router.add_get(f"{LIST_PATH}.csv", reports_csv)


@for_dashboard
async def reports_page(request: web.Request) -> web.Response:
    """The period's reports, newest first, each with its status form."""
    period = period_of(request)
    t = Translator(await pages.language(request))
    async with request.config_dict[service_key].store.session() as session:
        listed = await problems.listed(session, period)
        total = await problems.number_in(session, period)
    return await pages.render(
        request,
        "dashboard_reports.html",
        {
            "title": t("reports_list_title"),
            "page": "dashboard",
            "reports": listed,
            "total": total,
            "services": {s.id: s.said(t.language) for s in reports.services()},
            "categories": {c.id: c.said(t.language) for c in reports.categories()},
            "statuses": tuple(ReportStatus),
            "query": request.query_string,
        },
    )


@for_dashboard
async def set_status(request: web.Request) -> web.Response:
    """Set one report's status, then back to the list where the form was."""
    form = await request.post()
    status = str(form.get("status", ""))
    if status not in tuple(ReportStatus):
        raise BadForm(400)
    service = request.config_dict[service_key]
    record = await reports.ProblemReports(service.store).set_status(
        int(request.match_info["report_id"]), ReportStatus(status), pages.now(request)
    )
    if record is None:
        raise web.HTTPNotFound()
    language = await pages.language(request)
    said = Translator(language).label("report_status", status)
    await pages.flash(request, "flash_status_set", id=record.reference, status=said)
    raise web.HTTPSeeOther(sessions.safe_next(str(form.get("next", ""))))


@for_dashboard
async def reports_csv(request: web.Request) -> web.Response:
    """Every report of the period, redacted, without any phone number."""
    async with request.config_dict[service_key].store.session() as session:
        listed = await problems.listed(session, period_of(request), limit=None)
    return csv_download(
        "problem-reports.csv", problems.CSV_HEADER, [report.csv_row() for report in listed]
    )
