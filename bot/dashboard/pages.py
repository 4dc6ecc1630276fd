"""The dashboard's pages and exports (handlers in the console's sub-application)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from aiohttp import web
from markupsafe import Markup

from bot.appkeys import service_key
from bot.console import access, pages, sessions
from bot.console.i18n import Translator
from bot.conversations import reports
from bot.dashboard import charts, problems, unknown
from bot.dashboard.figures import MIN_GROUP, OTHER, Period, figures

PATH = "/dashboard"
DEFAULT_DAYS = 7
for_dashboard = access.for_roles(access.DASHBOARD)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def setup_routes(router: web.UrlDispatcher) -> None:
    """The dashboard's pages inside the console's sub-application."""
    router.add_get(PATH, dashboard_page, name="dashboard")
    router.add_get(f"{PATH}/unknown/{{number:\\d+}}", group_page, name="dashboard_group")
    router.add_get(f"{PATH}/unknown.yml", nlu_export)
    router.add_get(f"{PATH}/unknown.csv", csv_export)


def redirect_to_console(app: web.Application) -> None:
    """/dashboard on the hub leads to the console's, where the session cookie is sent."""

    async def to_dashboard(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"{sessions.PREFIX}{PATH}")

    app.router.add_get(PATH, to_dashboard)


def period_of(request: web.Request) -> Period:
    """The ?from=YYYY-MM-DD&to=YYYY-MM-DD period (both days included); last 7 days by default."""
    today = pages.now(request).astimezone(UTC).date()
    end = _day(request.query.get("to"), today)
    start = _day(request.query.get("from"), end - timedelta(days=DEFAULT_DAYS - 1))
    if start > end:
        raise web.HTTPBadRequest(reason="from_after_to")
    midnight = time(tzinfo=UTC)
    return Period(
        datetime.combine(start, midnight), datetime.combine(end + timedelta(days=1), midnight)
    )


def _day(value: str | None, default: date) -> date:
    if not value:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise web.HTTPBadRequest(reason="bad_date") from None


async def _groups(request: web.Request, period: Period) -> list[unknown.Group]:
    """The groups shown: small ones folded into a last, mixed one (see unknown.shown)."""
    store = request.config_dict[service_key].store
    async with store.session() as session:
        texts = await unknown.not_understood(session, period)
    return unknown.shown(unknown.group(texts), MIN_GROUP)


async def _title(request: web.Request) -> str:
    return Translator(await pages.language(request))("nav_dashboard")


@for_dashboard
async def dashboard_page(request: web.Request) -> web.Response:
    """Figures, charts with their tables, problem reports, and the groups of what was not
    understood."""
    period = period_of(request)
    t = Translator(await pages.language(request))
    store = request.config_dict[service_key].store
    async with store.session() as session:
        numbers = await figures(session, period)
        reported = await problems.report_figures(session, period)
    groups = await _groups(request, period)
    tables = {
        "per_day": numbers.per_day,
        "by_channel": numbers.by_channel,
        "by_language": numbers.by_language,
        "by_topic": numbers.by_topic,
        "handoffs": numbers.handoffs,
    }
    report_tables = {
        "reports_per_day": reported.per_day,
        "reports_by_service": _labelled(reports.services(), reported.by_service, t),
        "reports_by_category": _labelled(reports.categories(), reported.by_category, t),
    }
    charted = {key: rows for key, rows in (tables | report_tables).items() if rows}
    return await pages.render(
        request,
        "dashboard.html",
        {
            "title": t("nav_dashboard"),
            "page": "dashboard",
            "figures": numbers,
            "tables": tables,
            "reports_total": reported.total,
            "report_tables": report_tables,
            "charts": {key: Markup(charts.bars(key, rows)) for key, rows in charted.items()},
            "groups": [(n, g) for n, g in enumerate(groups, 1)],
            "min_group": MIN_GROUP,
            "start": period.start.date().isoformat(),
            "end": (period.end.date() - timedelta(days=1)).isoformat(),
            "query": request.query_string,
        },
    )


def _labelled(
    choices: Sequence[reports.Choice], counts: list[tuple[str, int]], t: Translator
) -> list[tuple[str, int]]:
    """Services or categories by their label in the console's language."""
    return [
        (t("dash_other") if key == OTHER else reports.label(choices, key, t.language), count)
        for key, count in counts
    ]


@for_dashboard
async def group_page(request: web.Request) -> web.Response:
    """The (redacted) messages of one group."""
    groups = await _groups(request, period_of(request))
    number = int(request.match_info["number"])
    if not 1 <= number <= len(groups):
        raise web.HTTPNotFound()
    return await pages.render(
        request,
        "dashboard_group.html",
        {"title": await _title(request), "page": "dashboard", "group": groups[number - 1],
         "number": number, "query": request.query_string},
    )  # fmt: skip


@for_dashboard
async def nlu_export(request: web.Request) -> web.Response:
    """The groups as Rasa NLU training data (YAML), to sort into intents by hand."""
    body = unknown.nlu_yaml(await _groups(request, period_of(request)))
    return web.Response(
        text=body,
        content_type="application/x-yaml",
        headers={"Content-Disposition": 'attachment; filename="not-understood.yml"'},
    )


@for_dashboard
async def csv_export(request: web.Request) -> web.Response:
    """The groups as CSV: group number, size, text (redacted)."""
    rows = [
        (number, len(g.texts), text)
        for number, g in enumerate(await _groups(request, period_of(request)), 1)
        for text in g.texts
    ]
    return csv_download("not-understood.csv", ("group", "size", "text"), rows)


def csv_download(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> web.Response:
    """A CSV file to download. A cell a spreadsheet would take for a formula (a person's
    "=..." or "+32...") gets a leading apostrophe, so that their words are never run."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([_inert(cell) for cell in row] for row in rows)
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _inert(cell: object) -> object:
    if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS):
        return f"'{cell}"
    return cell
