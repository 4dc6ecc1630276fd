"""Office hours (bot/conversations/office_hours.py): Brussels time, holidays, summer time.

Every "now" is pinned. Times are written in Brussels time (`bxl`) or in UTC (`utc`) so
the tests read like the rule they check.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.conversations.office_hours import OfficeHours, OfficeHoursError

BRUSSELS = ZoneInfo("Europe/Brussels")
DEFAULT = "mon-fri 09:00-17:00"
SPLIT = "mon-thu 09:00-12:30,13:30-17:00; fri 09:00-12:00"


def bxl(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """A time of day in Brussels."""
    return datetime(y, mo, d, h, mi, s, tzinfo=BRUSSELS)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A time of day in UTC."""
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


@pytest.fixture
def hours() -> OfficeHours:
    return OfficeHours(DEFAULT)


# ---------------------------------------------------------------- open or closed


@pytest.mark.parametrize(
    ("now", "is_open"),
    [
        (bxl(2026, 12, 3, 8, 59, 59), False),
        (bxl(2026, 12, 3, 9, 0), True),  # opens at 09:00 sharp
        (bxl(2026, 12, 3, 12, 0), True),
        (bxl(2026, 12, 3, 16, 59, 59), True),
        (bxl(2026, 12, 3, 17, 0), False),  # closed from 17:00 sharp
        (bxl(2026, 12, 3, 23, 0), False),
    ],
)
def test_edges_of_the_day(hours: OfficeHours, now: datetime, is_open: bool) -> None:
    assert hours.is_open(now) is is_open


def test_brussels_time_not_utc(hours: OfficeHours) -> None:
    """In winter Brussels is UTC+1: 08:30 UTC is 09:30 there, open; 16:30 UTC is closed."""
    assert hours.is_open(utc(2026, 12, 3, 8, 30))
    assert not hours.is_open(utc(2026, 12, 3, 16, 30))
    assert not hours.is_open(utc(2026, 12, 3, 7, 59))


@pytest.mark.parametrize("day", [5, 6])  # Saturday 5 and Sunday 6 December 2026
def test_weekends_are_closed(hours: OfficeHours, day: int) -> None:
    assert not hours.is_open(bxl(2026, 12, day, 11, 0))


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 12, 25), "Christmas, a Friday"),
        (date(2026, 4, 6), "Easter Monday"),
        (date(2026, 7, 21), "National Day, a Tuesday"),
        (date(2026, 5, 14), "Ascension Day, a Thursday"),
        (date(2026, 5, 25), "Whit Monday"),
        (date(2026, 11, 11), "Armistice Day, a Wednesday"),
    ],
)
def test_belgian_public_holidays_are_closed(hours: OfficeHours, day: date, name: str) -> None:
    assert hours.closing_day(day), name
    assert not hours.is_open(bxl(day.year, day.month, day.day, 11, 0)), name


def test_the_day_after_a_holiday_is_open(hours: OfficeHours) -> None:
    assert hours.is_open(bxl(2026, 4, 7, 11, 0))  # Tuesday after Easter Monday
    assert hours.is_open(bxl(2026, 7, 22, 11, 0))


def test_extra_closing_days_every_year_and_once() -> None:
    hours = OfficeHours(DEFAULT, "05-08, 2026-12-24")
    assert not hours.is_open(bxl(2026, 5, 8, 11, 0))  # Friday 8 May 2026
    assert not hours.is_open(bxl(2028, 5, 8, 11, 0))  # Monday 8 May 2028: every year
    assert not hours.is_open(bxl(2026, 12, 24, 11, 0))  # Thursday 24 December 2026
    assert hours.is_open(bxl(2027, 12, 24, 11, 0))  # Friday 24 December 2027: once only
    assert hours.is_open(bxl(2026, 5, 7, 11, 0))
    assert OfficeHours(DEFAULT).is_open(bxl(2026, 5, 8, 11, 0))  # not closed by default


def test_split_hours() -> None:
    hours = OfficeHours(SPLIT)
    monday, friday = (2026, 12, 7), (2026, 12, 4)
    assert hours.is_open(bxl(*monday, 12, 29))
    assert not hours.is_open(bxl(*monday, 12, 30))  # lunch
    assert not hours.is_open(bxl(*monday, 13, 29))
    assert hours.is_open(bxl(*monday, 13, 30))
    assert hours.is_open(bxl(*friday, 11, 59))
    assert not hours.is_open(bxl(*friday, 12, 0))
    assert not hours.is_open(bxl(*friday, 14, 0))  # no afternoon on Friday
    assert hours.next_opening(bxl(*monday, 12, 45)) == bxl(*monday, 13, 30)
    assert hours.next_opening(bxl(*friday, 12, 0)) == bxl(*monday, 9, 0)


def test_periods_written_out_of_order_are_sorted() -> None:
    """Regression: an unsorted day used to make next_opening skip the morning."""
    hours = OfficeHours("mon-thu 13:30-17:00,09:00-12:30; fri 09:00-12:00")
    monday = (2026, 12, 7)
    assert hours.next_opening(bxl(*monday, 8, 0)) == bxl(*monday, 9, 0)
    assert hours.half_days(bxl(*monday, 8, 0), 2) == [
        (date(*monday), "am"),
        (date(*monday), "pm"),
    ]


# ---------------------------------------------------------------- next opening


def test_next_opening_is_now_when_open(hours: OfficeHours) -> None:
    now = bxl(2026, 12, 3, 10, 15)
    assert hours.next_opening(now) == now


def test_next_opening_later_today_and_tomorrow(hours: OfficeHours) -> None:
    assert hours.next_opening(bxl(2026, 12, 3, 7, 0)) == bxl(2026, 12, 3, 9, 0)
    assert hours.next_opening(bxl(2026, 12, 3, 17, 0)) == bxl(2026, 12, 4, 9, 0)


def test_next_opening_across_a_long_weekend(hours: OfficeHours) -> None:
    """Good Friday is a working day; Easter Monday 6 April 2026 is not."""
    assert hours.next_opening(bxl(2026, 4, 3, 17, 30)) == bxl(2026, 4, 7, 9, 0)
    # Whit Monday 25 May 2026
    assert hours.next_opening(bxl(2026, 5, 22, 18, 0)) == bxl(2026, 5, 26, 9, 0)


def test_next_opening_over_christmas() -> None:
    hours = OfficeHours(DEFAULT, "12-24, 12-31")
    # Wednesday 23 December 2026 after hours: 24 closed, 25 Christmas, then a weekend.
    assert hours.next_opening(bxl(2026, 12, 23, 17, 0)) == bxl(2026, 12, 28, 9, 0)
    # Wednesday 30 December: 31 closed, 1 January a holiday, then a weekend.
    assert hours.next_opening(bxl(2026, 12, 30, 17, 0)) == bxl(2027, 1, 4, 9, 0)


def test_current_or_next_gives_the_whole_period(hours: OfficeHours) -> None:
    opening = hours.current_or_next(bxl(2026, 12, 3, 10, 0))
    assert (opening.start, opening.end) == (bxl(2026, 12, 3, 9, 0), bxl(2026, 12, 3, 17, 0))


def test_a_helpdesk_that_never_opens_says_so() -> None:
    """Open on Sundays only, and every Sunday of the next 60 days closed."""
    hours = OfficeHours("sun 09:00-17:00", "12-20, 12-27, 01-03, 01-10, 01-17, 01-24, 01-31, 02-07")
    with pytest.raises(OfficeHoursError, match="never opens"):
        hours.next_opening(bxl(2026, 12, 14))


# ---------------------------------------------------------------- summer time


def test_spring_forward_2026_03_29(hours: OfficeHours) -> None:
    """09:00 in Brussels is 08:00 UTC before the change and 07:00 UTC after it."""
    before = hours.next_opening(bxl(2026, 3, 26, 18, 0))  # Friday 27 March
    after = hours.next_opening(bxl(2026, 3, 28, 12, 0))  # Monday 30 March
    assert before.astimezone(UTC) == utc(2026, 3, 27, 8, 0)
    assert after.astimezone(UTC) == utc(2026, 3, 30, 7, 0)
    assert not hours.is_open(utc(2026, 3, 30, 6, 59))
    assert hours.is_open(utc(2026, 3, 30, 7, 0))
    assert not hours.is_open(utc(2026, 3, 30, 15, 0))  # 17:00 in Brussels
    assert hours.is_open(utc(2026, 3, 27, 15, 30))  # 16:30 in Brussels, winter time


def test_fall_back_2026_10_25(hours: OfficeHours) -> None:
    """09:00 in Brussels is 07:00 UTC before the change and 08:00 UTC after it."""
    before = hours.next_opening(bxl(2026, 10, 22, 18, 0))  # Friday 23 October
    after = hours.next_opening(bxl(2026, 10, 24, 12, 0))  # Monday 26 October
    assert before.astimezone(UTC) == utc(2026, 10, 23, 7, 0)
    assert after.astimezone(UTC) == utc(2026, 10, 26, 8, 0)
    assert not hours.is_open(utc(2026, 10, 26, 7, 30))
    assert hours.is_open(utc(2026, 10, 26, 8, 0))


def test_a_naive_time_is_refused(hours: OfficeHours) -> None:
    with pytest.raises(ValueError, match="no time zone"):
        hours.is_open(datetime(2026, 12, 3, 10, 0))
    with pytest.raises(ValueError, match="no time zone"):
        hours.half_days(datetime(2026, 12, 3, 10, 0), 3)


# ---------------------------------------------------------------- half-days for callbacks


def test_half_days_skip_closed_days(hours: OfficeHours) -> None:
    """Thursday 24 December 2026, 10:00: then Christmas and a weekend."""
    assert hours.half_days(bxl(2026, 12, 24, 10, 0), 3) == [
        (date(2026, 12, 24), "am"),
        (date(2026, 12, 24), "pm"),
        (date(2026, 12, 28), "am"),
    ]


def test_half_days_skip_the_current_half_day_once_its_opening_has_passed(
    hours: OfficeHours,
) -> None:
    assert hours.half_days(bxl(2026, 12, 3, 12, 0), 3) == [
        (date(2026, 12, 3), "pm"),
        (date(2026, 12, 4), "am"),
        (date(2026, 12, 4), "pm"),
    ]
    assert hours.half_days(bxl(2026, 12, 3, 17, 0), 3) == [
        (date(2026, 12, 4), "am"),
        (date(2026, 12, 4), "pm"),
        (date(2026, 12, 7), "am"),
    ]


def test_half_days_with_split_hours() -> None:
    hours = OfficeHours(SPLIT)
    # Friday 4 December 2026 12:30: the Friday morning is over and there is no afternoon.
    assert hours.half_days(bxl(2026, 12, 4, 12, 30), 3) == [
        (date(2026, 12, 7), "am"),
        (date(2026, 12, 7), "pm"),
        (date(2026, 12, 8), "am"),
    ]
    # Monday 7 December, 12:45 (lunch): the afternoon is still ahead.
    assert hours.half_days(bxl(2026, 12, 7, 12, 45), 1) == [(date(2026, 12, 7), "pm")]
    # Friday morning: only "am", the Friday has no afternoon.
    assert hours.half_days(bxl(2026, 12, 4, 8, 0), 2) == [
        (date(2026, 12, 4), "am"),
        (date(2026, 12, 7), "am"),
    ]


def test_half_days_from_a_weekend_and_from_utc(hours: OfficeHours) -> None:
    assert hours.half_days(utc(2026, 12, 5, 23, 30), 3) == [  # Sunday 00:30 in Brussels
        (date(2026, 12, 7), "am"),
        (date(2026, 12, 7), "pm"),
        (date(2026, 12, 8), "am"),
    ]


# ---------------------------------------------------------------- bad settings


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mon-fri 9-17", r"hours must look like 09:00-17:00 in 'mon-fri 9-17', not '9-17'"),
        ("xyz 09:00-17:00", r"unknown day in 'xyz 09:00-17:00': use mon, tue"),
        ("17:00-09:00", r"days are missing in '17:00-09:00'"),
        ("mon-fri 17:00-09:00", r"'17:00-09:00' in 'mon-fri 17:00-09:00' ends before it starts"),
        ("mon-fri 09:00-25:00", r"'09:00-25:00' .* is not a time of day"),
        ("mon-fri 09:60-17:00", r"is not a time of day"),
        ("fri-mon 09:00-17:00", r"'fri-mon' in 'fri-mon 09:00-17:00' runs backwards"),
        ("mon-fri 09:00-17:00; fri 09:00-12:00", r"the hours of fri overlap"),
        ("mon-fri 09:00-17:00; sat", r"'sat' in .* has no hours"),
        ("", r"no opening hours in ''"),
    ],
)
def test_bad_opening_hours_get_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(OfficeHoursError, match=message):
        OfficeHours(text)


@pytest.mark.parametrize("closed", ["13-45", "02-30", "2026-13-01", "5-8", "8 May"])
def test_bad_closing_days_get_a_clear_message(closed: str) -> None:
    with pytest.raises(OfficeHoursError, match=f"closing day '{closed}': write MM-DD"):
        OfficeHours(DEFAULT, closed)


def test_settings_are_read_loosely() -> None:
    """Capitals, spaces around ; and , and 29 February as a yearly day are fine."""
    hours = OfficeHours(" Mon-Thu 09:00-12:30 , 13:30-17:00 ;FRI 09:00-12:00 ", " 02-29 ,")
    assert hours.is_open(bxl(2026, 12, 7, 14, 0))
    assert not hours.is_open(bxl(2028, 2, 29, 10, 0))  # a Tuesday, closed every leap year
