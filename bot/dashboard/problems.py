"""Problem reports on the dashboard: counts by service, category and day, and the list
an operator works through (status new, forwarded, closed) with its CSV export.

Counts are SQL aggregates over the period, small groups folded or hidden as for the
other figures (figures.py). The list and the CSV are the ombudsman relay's work list:
they carry the person's own words redacted (bot/redact.py), and never the number a
person left to be called back (only how they want to hear back).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversations.model import ProblemReport
from bot.dashboard.figures import Period, day_counts, fold_small, hide_small, within
from bot.redact import redact

LIST_LIMIT = 500  # the most recent reports the page lists; the CSV has the whole period
CSV_HEADER = ("reference", "created_at", "channel", "language", "service", "service_text",
              "category", "description", "contact", "status", "filed_by")  # fmt: skip


@dataclass(frozen=True)
class ReportFigures:
    """The period's reports counted: small groups folded into "other" or hidden."""

    total: int
    by_service: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    per_day: list[tuple[str, int | None]]


@dataclass(frozen=True)
class ListedReport:
    """One report as the work list and the CSV show it: redacted, without a number."""

    id: int
    reference: str
    created_at: datetime
    channel: str
    language: str
    service: str
    service_text: str
    category: str
    description: str
    contact: str
    status: str
    filed_by: str  # "agent" or "person": which account filed it is not exported

    def csv_row(self) -> tuple[str, ...]:
        """The report's cells, in the order of CSV_HEADER."""
        return (self.reference, self.created_at.isoformat(), self.channel, self.language,
                self.service, self.service_text, self.category, self.description,
                self.contact, self.status, self.filed_by)  # fmt: skip


async def report_figures(session: AsyncSession, period: Period) -> ReportFigures:
    """Counts by service and category (one GROUP BY) and per day, for `period`."""
    in_period = within(ProblemReport.created_at, period)
    pairs = (ProblemReport.service, ProblemReport.category)
    query = select(*pairs, func.count()).where(*in_period).group_by(*pairs)
    by_service: Counter[str] = Counter()
    by_category: Counter[str] = Counter()
    for service, category, count in await session.execute(query):
        by_service[service] += count
        by_category[category] += count
    return ReportFigures(
        total=sum(by_service.values()),
        by_service=fold_small(list(by_service.items())),
        by_category=fold_small(list(by_category.items())),
        per_day=hide_small(await day_counts(session, ProblemReport.created_at, in_period)),
    )


async def listed(
    session: AsyncSession, period: Period, limit: int | None = LIST_LIMIT
) -> list[ListedReport]:
    """The period's reports, newest first, redacted (at most `limit`; None: all)."""
    query = (
        select(ProblemReport)
        .where(*within(ProblemReport.created_at, period))
        .order_by(ProblemReport.created_at.desc(), ProblemReport.id.desc())
        .limit(limit)
    )
    return [_listed(row) for row in await session.scalars(query)]


async def number_in(session: AsyncSession, period: Period) -> int:
    """How many reports `period` has."""
    query = select(func.count()).where(*within(ProblemReport.created_at, period))
    return int(await session.scalar(query) or 0)


def _listed(row: ProblemReport) -> ListedReport:
    return ListedReport(
        id=row.id,
        reference=row.reference,
        created_at=row.created_at,
        channel=row.channel,
        language=row.language,
        service=row.service,
        service_text=redact(row.service_text or ""),
        category=row.category,
        description=redact(row.description or ""),
        contact=row.contact,
        status=row.status,
        filed_by="agent" if row.filed_by else "person",
    )
