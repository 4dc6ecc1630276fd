"""Durations, times and dates as the console writes them, in Brussels time.

Agents work in Brussels: every time is shown in its time zone, whatever the server's.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.console.i18n import text
from bot.conversations.office_hours import BRUSSELS

_WEEKDAYS = {
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
    "nl": ("ma", "di", "wo", "do", "vr", "za", "zo"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_MONTHS = {
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
           "nov.", "déc."),
    "nl": ("jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.",
           "nov.", "dec."),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}  # fmt: skip


def local(moment: datetime) -> datetime:
    """`moment` in Brussels time (the store gives every moment time-zone aware)."""
    return moment.astimezone(BRUSSELS)


def duration(language: str, seconds: float) -> str:
    """ "less than a minute", "12 min", "1 h 05", "2 d 3 h"."""
    minutes = int(max(seconds, 0) // 60)
    if minutes < 1:
        return text(language, "under_a_minute")
    if minutes < 60:
        return text(language, "minutes", m=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return text(language, "hours", h=hours, m=minutes)
    days, hours = divmod(hours, 24)
    return text(language, "days", d=days, h=hours)


def clock_time(moment: datetime) -> str:
    """ "14:05" in Brussels time."""
    return local(moment).strftime("%H:%M")


def day(language: str, value: date, today: date) -> str:
    """ "today", "tomorrow", "yesterday" or "Tue 9 Dec" (with the year when not this one)."""
    offset = (value - today).days
    if offset in (-1, 0, 1):
        return text(language, ("yesterday", "today", "tomorrow")[offset + 1])
    weekday = _WEEKDAYS[language][value.weekday()]
    month = _MONTHS[language][value.month - 1]
    year = f" {value.year}" if value.year != today.year else ""
    return f"{weekday} {value.day} {month}{year}"


def moment(language: str, value: datetime, now: datetime) -> str:
    """ "today 14:05", "Tue 9 Dec 14:05"."""
    shown = local(value)
    return f"{day(language, shown.date(), local(now).date())} {shown.strftime('%H:%M')}"


def half_day(language: str, due: date | None, half: str | None, today: date) -> str:
    """When a callback is due: "tomorrow morning", "Tue 9 Dec afternoon"."""
    if due is None:
        return text(language, "due_unknown")
    part = text(language, f"half_{half}") if half in ("am", "pm") else ""
    return f"{day(language, due, today)} {part}".strip()


def iso(value: datetime) -> str:
    """The machine-readable form, for <time datetime=...>."""
    return local(value).isoformat(timespec="seconds")
