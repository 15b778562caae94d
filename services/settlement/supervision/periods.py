"""Report periods: "2026-05" (a month), "2026-Q2" (a quarter), "2026" (a year).

A settlement belongs to the period of its settlement time in Beijing time. Trends
go by day within a month and by month within a quarter or a year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from runtime.clock import BEIJING

DAY, MONTH = "day", "month"


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date  # the day after the period

    @property
    def granularity(self) -> str:
        return DAY if (self.end - self.start).days <= 31 else MONTH

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as UTC instants."""
        return (datetime(self.start.year, self.start.month, self.start.day, tzinfo=BEIJING).astimezone(UTC),
                datetime(self.end.year, self.end.month, self.end.day, tzinfo=BEIJING).astimezone(UTC))

    def buckets(self) -> list[date]:
        """The first day of each trend point."""
        points, day = [], self.start
        while day < self.end:
            points.append(day)
            day = day + timedelta(days=1) if self.granularity == DAY else _next_month(day)
        return points


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def parse(text: str) -> Period:
    """The period ``text`` names; ValueError says what is expected."""
    text = text.strip()
    if match := re.fullmatch(r"(\d{4})-(\d{2})", text):
        year, month = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12:
            start = date(year, month, 1)
            return Period(text, start, _next_month(start))
    elif match := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
        year, quarter = int(match.group(1)), int(match.group(2))
        start = date(year, 3 * quarter - 2, 1)
        end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return Period(f"{year}-Q{quarter}", start, end)
    elif re.fullmatch(r"\d{4}", text):
        return Period(text, date(int(text), 1, 1), date(int(text) + 1, 1, 1))
    raise ValueError(f"period {text!r}: a month (2026-05), a quarter (2026-Q2) or a year (2026)")
