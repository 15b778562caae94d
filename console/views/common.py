"""What the pages share: the hospitals' names, a list's page and sort, dates from a
query, the roles that may open each part."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import g, request
from google.protobuf import timestamp_pb2

from ncms.identity.v1 import identity_pb2
from runtime.auth import STAFF_ADMINISTRATOR, STAFF_AUDITOR, STAFF_CATALOG_CLERK, STAFF_FUND_OFFICER
from runtime.clock import BEIJING

from ..app import console

ADMINISTRATOR, CLERK, OFFICER, AUDITOR = STAFF_ADMINISTRATOR, STAFF_CATALOG_CLERK, STAFF_FUND_OFFICER, STAFF_AUDITOR
ANYONE = (ADMINISTRATOR, CLERK, OFFICER, AUDITOR)
PAGE_SIZES = (20, 50, 100, 200)


def hospitals() -> dict[str, identity_pb2.Hospital]:
    """Every hospital by code (asked once per request)."""
    if "hospitals" not in g:
        found = console().backends.identity.ListHospitals(identity_pb2.ListHospitalsRequest()).hospitals
        g.hospitals = {h.code: h for h in found}
    return g.hospitals


@dataclass(frozen=True)
class Paging:
    page: int
    size: int
    sort: str

    def pages(self, total: int) -> int:
        return max((total + self.size - 1) // self.size, 1)


def paging(default_sort: str, allowed: set[str], default_size: int = 50) -> Paging:
    try:
        page = max(int(request.args.get("page", "1")), 1)
    except ValueError:
        page = 1
    try:
        size = int(request.args.get("size", str(default_size)))
    except ValueError:
        size = default_size
    if size not in PAGE_SIZES:
        size = default_size
    sort = request.args.get("sort", default_sort)
    if sort.lstrip("-") not in allowed:
        sort = default_sort
    return Paging(page, size, sort)


class BadQuery(ValueError):
    """A query parameter that cannot be used; the message says which and why."""


def day_param(name: str) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadQuery(g._("{field}: a date like 2026-12-02").format(field=name)) from None


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=BEIJING)


def timestamp_of(moment: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def day_range() -> tuple[datetime | None, datetime | None]:
    """[from, to] of the query as Beijing days: the start of ``from``, the end of ``to``."""
    first, last = day_param("from"), day_param("to")
    if first and last and last < first:
        raise BadQuery(g._("to: not before from"))
    return (day_start(first) if first else None, day_start(last) + timedelta(days=1) if last else None)


def today_start() -> datetime:
    now = datetime.now(BEIJING)
    return datetime(now.year, now.month, now.day, tzinfo=BEIJING)


def export_format() -> str | None:
    wanted = request.args.get("format", "")
    return wanted if wanted in ("csv", "xlsx") else None
