"""The console's language and how it writes numbers, money and times.

Simplified Chinese first: every text is written once in English as ``_("...")`` (the
message id, as the ncms command does) and translated through a gettext catalogue
(``console/locale/zh_CN/LC_MESSAGES/console.po``, compiled with Babel: ``make
messages``). A person may switch to English (the link in the page's header keeps the
choice in a cookie); nothing else changes the language, so a desk in a Chinese office
always starts in Chinese.

Money is shown with two places and thousands separators (``1,234.50``; the unit 元 is
in the column's heading), dates as ``2026-12-02``, times in Beijing time with the zone
named in the heading or beside the time.
"""

from __future__ import annotations

import gettext
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from runtime.clock import BEIJING

DOMAIN = "console"
LOCALE_DIR = Path(__file__).parent / "locale"
CHINESE = "zh_CN"
ENGLISH = "en"
LANGUAGES = (CHINESE, ENGLISH)

_CATALOGUES: dict[str, gettext.NullTranslations] = {
    CHINESE: gettext.translation(DOMAIN, LOCALE_DIR, languages=[CHINESE], fallback=True),
    ENGLISH: gettext.NullTranslations(),
}


def catalogue(language: str) -> gettext.NullTranslations:
    return _CATALOGUES.get(language, _CATALOGUES[CHINESE])


def N_(message: str) -> str:
    """Marks a text for the catalogue where it is translated later (tables of names)."""
    return message


def money(value: str | Decimal | None) -> str:
    """``1,234.50`` ("" for nothing; the text as given when it is not a number)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"{number:,.2f}"


def beijing(moment: datetime | None, *, seconds: bool = True) -> str:
    """``2026-12-02 17:30:05`` in Beijing time ("" for nothing)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def stamp(value) -> datetime | None:
    """A protobuf Timestamp as an aware datetime (None when unset)."""
    if value is None or (not value.seconds and not value.nanos):
        return None
    return value.ToDatetime(tzinfo=UTC)


def stamp_text(value, *, seconds: bool = True) -> str:
    return beijing(stamp(value), seconds=seconds)


def day_text(value) -> str:
    """A google.type.Date or a date as ``2026-12-02``."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if not value.year:
        return ""
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def today() -> date:
    return datetime.now(BEIJING).date()
