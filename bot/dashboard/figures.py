"""The dashboard's figures: SQL aggregates over a period, never a Python loop over rows.

Every count comes from GROUP BY in the database, so that 100,000 conversations cost one
round trip per figure. Groups of fewer than MIN_GROUP conversations are folded into
"other": a count of 1 or 2 can point at one person.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.conversations.model import Author, Callback, CallbackStatus, Conversation, Message

MIN_GROUP = 5  # fewer people than this are not shown by themselves
OTHER = "other"
KEYPAD = "0123456789*# "  # what a phone keypad can send


@dataclass(frozen=True)
class Period:
    """From (inclusive) to (exclusive), in UTC."""

    start: datetime
    end: datetime


@dataclass(frozen=True)
class Figures:
    """Everything the dashboard shows for one period."""

    total: int
    contained: int
    per_day: list[tuple[str, int | None]]
    by_channel: list[tuple[str, int]]
    by_language: list[tuple[str, int]]
    by_topic: list[tuple[str, int]]
    handoffs: list[tuple[str, int]]
    callbacks_requested: int
    callbacks_done: int
    callback_median_hours: float | None
    phone_calls: int
    keypad_only_calls: int


def fold_small(counts: list[tuple[str | None, int]]) -> list[tuple[str, int]]:
    """Groups under MIN_GROUP go into "other", which is itself hidden when still too small.

    A group already named "other" (a category of the problem reports) joins it.
    """
    shown: list[tuple[str, int]] = []
    other = 0
    for key, count in counts:
        if count < MIN_GROUP or key is None or key == OTHER:
            other += count
        else:
            shown.append((key, count))
    shown.sort(key=lambda pair: (-pair[1], pair[0]))
    if other >= MIN_GROUP:
        shown.append((OTHER, other))
    return shown


def within(created_at: InstrumentedAttribute[datetime], period: Period) -> list[object]:
    """The conditions of a row created in `period`."""
    return [created_at >= period.start, created_at < period.end]


@dataclass(frozen=True)
class _Breakdown:
    """Counts by channel, language, topic and handoff cause, from one GROUP BY."""

    total: int
    contained: int
    by: dict[str, Counter[str | None]]


async def _breakdown(session: AsyncSession, period: Period) -> _Breakdown:
    """One pass over the period's conversations: its rows are combinations (a few hundred),
    which are then summed per dimension; never the conversations themselves."""
    handed = Conversation.handoff_requested_at.is_not(None).label("handed")
    columns = (Conversation.channel, Conversation.language, Conversation.topic,
               Conversation.handoff_reason, handed)  # fmt: skip
    query = (
        select(*columns, func.count())
        .where(*within(Conversation.created_at, period))
        .group_by(*columns)
    )
    by: dict[str, Counter[str | None]] = defaultdict(Counter)
    total = contained = 0
    for channel, language, topic, reason, was_handed, count in await session.execute(query):
        total += count
        by["channel"][channel] += count
        by["language"][language] += count
        by["topic"][topic] += count
        if was_handed:
            by["handoff"][reason or OTHER] += count
        else:
            contained += count
    return _Breakdown(total, contained, by)


def hide_small(counts: list[tuple[str, int]]) -> list[tuple[str, int | None]]:
    """A series over time keeps every day, but a count under MIN_GROUP becomes None
    ("fewer than 5"): a day with one report can point at one person."""
    return [(key, count if count >= MIN_GROUP else None) for key, count in counts]


async def day_counts(
    session: AsyncSession, created_at: InstrumentedAttribute[datetime], where: list[object]
) -> list[tuple[str, int]]:
    """Rows per day of `created_at` among those matching `where`, oldest day first.

    Days are UTC dates. SQLite stores UTC text (its first 10 characters are the day);
    PostgreSQL would print a moment in the server's time zone, so it is converted first.
    """
    if session.bind.dialect.name == "postgresql":
        day = func.to_char(func.timezone("UTC", created_at), "YYYY-MM-DD")
    else:
        day = func.substr(created_at, 1, 10)
    query = select(day, func.count()).where(*where).group_by(day).order_by(day)
    return [(str(key), count) for key, count in (await session.execute(query)).all()]


async def _callbacks(session: AsyncSession, period: Period) -> tuple[int, int, float | None]:
    """Requested, done, and the median hours from request to done (computed in SQL order)."""
    window = within(Callback.created_at, period)
    done = func.sum(case((Callback.status == CallbackStatus.DONE, 1), else_=0))
    row = (await session.execute(select(func.count(), done).where(*window))).one()
    requested, settled = int(row[0] or 0), int(row[1] or 0)
    if not settled:
        return requested, settled, None
    # The median of the done ones: the middle row by delay, fetched alone.
    delay = _seconds_between(session, Callback.created_at, Callback.done_at)
    middle = (
        select(delay)
        .where(*window, Callback.status == CallbackStatus.DONE, Callback.done_at.is_not(None))
        .order_by(delay)
        .offset(settled // 2)
        .limit(1)
    )
    seconds = (await session.execute(middle)).scalar()
    return requested, settled, None if seconds is None else round(float(seconds) / 3600, 1)


def _seconds_between(session: AsyncSession, start: object, end: object) -> object:
    if session.bind.dialect.name == "postgresql":
        return func.extract("epoch", end - start)  # type: ignore[operator]
    return (func.julianday(end) - func.julianday(start)) * 86400


async def _keypad(session: AsyncSession, period: Period) -> tuple[int, int]:
    """Phone calls, and those where the person only pressed keys (every message is digits).

    Calls keep no flag for it: a message made only of keypad characters is a key press,
    and so is a payload ("/greet" once the language is chosen, "/request_human" for 0):
    the phone sends no other.
    """
    trim = func.btrim if session.bind.dialect.name == "postgresql" else func.trim
    spoken = and_(
        Message.conversation_id == Conversation.id,
        Message.author == Author.PERSON,
        trim(Message.text, KEYPAD) != "",
        Message.text.not_like("/%"),
    )
    has_speech = select(Message.id).where(spoken).exists()
    calls = [*within(Conversation.created_at, period), Conversation.channel == "phone"]
    query = select(func.count(), func.sum(case((has_speech, 0), else_=1))).where(*calls)
    row = (await session.execute(query)).one()
    return int(row[0] or 0), int(row[1] or 0)


async def figures(session: AsyncSession, period: Period) -> Figures:
    """All the dashboard's figures for `period`."""
    counts = await _breakdown(session, period)
    requested, done, median = await _callbacks(session, period)
    calls, keypad_only = await _keypad(session, period)
    in_period = within(Conversation.created_at, period)
    return Figures(
        total=counts.total,
        contained=counts.contained,
        per_day=hide_small(await day_counts(session, Conversation.created_at, in_period)),
        by_channel=fold_small(list(counts.by["channel"].items())),
        by_language=fold_small(list(counts.by["language"].items())),
        by_topic=fold_small(list(counts.by["topic"].items())),
        handoffs=fold_small(list(counts.by["handoff"].items())),
        callbacks_requested=requested,
        callbacks_done=done,
        callback_median_hours=median,
        phone_calls=calls,
        keypad_only_calls=keypad_only,
    )
