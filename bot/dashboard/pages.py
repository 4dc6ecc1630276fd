"""The dashboard's pages and exports (handlers in the console's sub-application)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

from aiohttp import web
from markupsafe import Markup

from bot.appkeys import service_key
from bot.console import pages, sessions
from bot.console.i18n import Translator
from bot.conversations.model import Role
from bot.dashboard import charts, unknown
from bot.dashboard.figures import MIN_GROUP, Period, figures

PATH = "/dashboard"
ROLES = frozenset({Role.OPERATOR, Role.SUPERVISOR})
DEFAULT_DAYS = 7


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


def _allowed(request: web.Request) -> None:
    if sessions.current_agent(request).role not in ROLES:
        raise web.HTTPForbidden(reason="operators_only")


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


async def dashboard_page(request: web.Request) -> web.Response:
    """Figures, charts with their tables, and the groups of what was not understood."""
    _allowed(request)
    period = period_of(request)
    store = request.config_dict[service_key].store
    async with store.session() as session:
        numbers = await figures(session, period)
    groups = await _groups(request, period)
    tables = {
        "per_day": numbers.per_day,
        "by_channel": numbers.by_channel,
        "by_language": numbers.by_language,
        "by_topic": numbers.by_topic,
        "handoffs": numbers.handoffs,
    }
    return await pages.render(
        request,
        "dashboard.html",
        {
            "title": await _title(request),
            "page": "dashboard",
            "figures": numbers,
            "tables": tables,
            "charts": {key: Markup(charts.bars(key, rows)) for key, rows in tables.items() if rows},
            "groups": [(n, g) for n, g in enumerate(groups, 1)],
            "min_group": MIN_GROUP,
            "start": period.start.date().isoformat(),
            "end": (period.end.date() - timedelta(days=1)).isoformat(),
            "query": request.query_string,
        },
    )


async def group_page(request: web.Request) -> web.Response:
    """The (redacted) messages of one group."""
    _allowed(request)
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


async def nlu_export(request: web.Request) -> web.Response:
    """The groups as Rasa NLU training data (YAML), to sort into intents by hand."""
    _allowed(request)
    body = unknown.nlu_yaml(await _groups(request, period_of(request)))
    return web.Response(
        text=body,
        content_type="application/x-yaml",
        headers={"Content-Disposition": 'attachment; filename="not-understood.yml"'},
    )


async def csv_export(request: web.Request) -> web.Response:
    """The groups as CSV: group number, size, text (redacted)."""
    _allowed(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["group", "size", "text"])
    for number, g in enumerate(await _groups(request, period_of(request)), 1):
        writer.writerows([number, len(g.texts), text] for text in g.texts)
    return web.Response(
        text=out.getvalue(),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="not-understood.csv"'},
    )
