"""The suite's clock: times are kept as timezone-aware UTC; people see Beijing time.

A hospital's day, a settlement's year and every time printed for a person are in
Beijing time (UTC+8, no daylight saving); anything stored or sent between services
is UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "北京时间")


def utcnow() -> datetime:
    return datetime.now(UTC)


def beijing_now() -> datetime:
    return datetime.now(BEIJING)


def beijing_year(value: datetime | None = None) -> int:
    """The year in Beijing of ``value`` (default: now): a settlement's year, this
    year's enrolment."""
    return (value or utcnow()).astimezone(BEIJING).year


def beijing_text(value: datetime | None, *, zone: bool = True) -> str:
    """``2026-12-02 17:30:05 北京时间`` (``""`` for None): a time as a person reads it."""
    if value is None:
        return ""
    text = value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    return f"{text} 北京时间" if zone else text
