"""When the helpdesk's people are there: opening hours in Brussels time, minus holidays.

Opening hours come from the settings as text, for example
`"mon-fri 09:00-17:00"` or `"mon-thu 09:00-12:30,13:30-17:00; fri 09:00-12:00"`.
Closed: Belgian public holidays (the `holidays` package) and the extra closing days of
the settings, either every year (`05-08`: 8 May, the Brussels Region's holiday) or once
(`2026-12-24`). Every time is timezone-aware; the caller passes "now", so tests pin it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

BRUSSELS = ZoneInfo("Europe/Brussels")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
LOOK_AHEAD_DAYS = 60  # longer than any run of holidays: there is always a next opening


class OfficeHoursError(ValueError):
    """Opening hours or closing days that cannot be read; the message says what is wrong."""


@dataclass(frozen=True)
class Opening:
    """One period the helpdesk is open, in Brussels time."""

    start: datetime
    end: datetime


class OfficeHours:
    """Answers "is the helpdesk open?" and "when does it open next?"."""

    def __init__(self, hours: str, closed_days: str = "", tz: ZoneInfo = BRUSSELS) -> None:
        self._tz = tz
        self._week = _parse_hours(hours)
        self._yearly, self._once = _parse_closed_days(closed_days)
        self._holidays = holidays.country_holidays("BE", language="en_US")

    def local(self, moment: datetime) -> datetime:
        """`moment` in the helpdesk's time zone; a naive time is refused, not guessed."""
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"{moment!r} has no time zone: pass an aware datetime")
        return moment.astimezone(self._tz)

    def is_open(self, now: datetime) -> bool:
        """True when `now` falls in an opening period."""
        local = self.local(now)
        return any(o.start <= local < o.end for o in self._openings_on(local.date()))

    def current_or_next(self, now: datetime) -> Opening:
        """The opening period `now` is in, or the next one after it."""
        local = self.local(now)
        for offset in range(LOOK_AHEAD_DAYS):
            for opening in self._openings_on(local.date() + timedelta(days=offset)):
                if local < opening.end:
                    return opening
        raise OfficeHoursError(f"the helpdesk never opens in the next {LOOK_AHEAD_DAYS} days")

    def next_opening(self, now: datetime) -> datetime:
        """When the helpdesk next opens (now, if it is open)."""
        opening = self.current_or_next(now)
        return max(opening.start, self.local(now))

    def closing_day(self, day: date) -> bool:
        """True on a public holiday or an extra closing day."""
        return day in self._holidays or day in self._once or (day.month, day.day) in self._yearly

    def half_days(self, now: datetime, count: int) -> list[tuple[date, str]]:
        """The next `count` half-days ("am" / "pm") with opening hours, from the next opening."""
        found: list[tuple[date, str]] = []
        day = self.local(now).date()
        for offset in range(LOOK_AHEAD_DAYS):
            current = day + timedelta(days=offset)
            for opening in self._openings_on(current):
                for half, start, end in (("am", time(0), time(12)), ("pm", time(12), time.max)):
                    # The part of the opening in this half-day must still be ahead of now.
                    until = min(opening.end, datetime.combine(current, end, self._tz))
                    overlaps = opening.start.time() < end and opening.end.time() > start
                    if overlaps and until > now and (current, half) not in found:
                        found.append((current, half))
                if len(found) >= count:
                    return found[:count]
        return found

    def _openings_on(self, day: date) -> list[Opening]:
        if self.closing_day(day):
            return []
        return [
            # combine() with tzinfo gives the right UTC offset on either side of a DST change.
            Opening(datetime.combine(day, start, self._tz), datetime.combine(day, end, self._tz))
            for start, end in self._week[day.weekday()]
        ]


def _parse_hours(text: str) -> dict[int, list[tuple[time, time]]]:
    week: dict[int, list[tuple[time, time]]] = {day: [] for day in range(7)}
    for part in filter(None, (p.strip() for p in text.lower().split(";"))):
        days, _, ranges = part.partition(" ")
        periods = [
            _parse_range(r, text) for r in filter(None, (r.strip() for r in ranges.split(",")))
        ]
        for day in _parse_days(days, text):
            if not periods:
                raise OfficeHoursError(f"{part!r} in {text!r} has no hours, e.g. 09:00-17:00")
            week[day] += periods
    if not any(week.values()):
        raise OfficeHoursError(f"no opening hours in {text!r}; write e.g. 'mon-fri 09:00-17:00'")
    for day, periods in week.items():
        periods.sort()  # in time order, however they were written
        _check_no_overlap(periods, _DAYS[day], text)
    return week


def _check_no_overlap(periods: list[tuple[time, time]], day: str, text: str) -> None:
    """Sorted periods of one day must not overlap (a day written twice, by mistake)."""
    for (_, end), (start, _) in itertools.pairwise(periods):
        if start < end:
            raise OfficeHoursError(f"the hours of {day} overlap in {text!r}")


def _parse_days(days: str, text: str) -> list[int]:
    if days[:1].isdigit():
        raise OfficeHoursError(f"days are missing in {text!r}: write e.g. 'mon-fri 09:00-17:00'")
    first, _, last = days.partition("-")
    if first not in _DAYS or (last and last not in _DAYS):
        raise OfficeHoursError(f"unknown day in {text!r}: use mon, tue, wed, thu, fri, sat, sun")
    start = _DAYS.index(first)
    end = _DAYS.index(last) if last else start
    if end < start:
        raise OfficeHoursError(f"{days!r} in {text!r} runs backwards: write e.g. 'mon-fri'")
    return list(range(start, end + 1))


def _parse_range(period: str, text: str) -> tuple[time, time]:
    match = _RANGE.match(period)
    if match is None:
        raise OfficeHoursError(f"hours must look like 09:00-17:00 in {text!r}, not {period!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError:
        raise OfficeHoursError(
            f"{period!r} in {text!r} is not a time of day: use 00:00 to 23:59"
        ) from None
    if start >= end:
        raise OfficeHoursError(f"{period!r} in {text!r} ends before it starts")
    return start, end


def _parse_closed_days(text: str) -> tuple[set[tuple[int, int]], set[date]]:
    yearly: set[tuple[int, int]] = set()
    once: set[date] = set()
    for item in filter(None, (i.strip() for i in text.split(","))):
        try:
            if len(item) == 5:
                month, day = (int(n) for n in item.split("-"))
                date(2000, month, day)  # checks the day exists (2000: 29 February too)
                yearly.add((month, day))
            else:
                once.add(date.fromisoformat(item))
        except ValueError:
            raise OfficeHoursError(
                f"closing day {item!r}: write MM-DD for every year or YYYY-MM-DD for once"
            ) from None
    return yearly, once
