"""ReconciliationService: a hospital's day (dzjk) against the NCMS's own settlements
and refunds. It records the comparison and never changes a settlement."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from google.type import date_pb2
from sqlalchemy import Row

from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc
from runtime.auth import STAFF_AUDITOR, STAFF_FUND_OFFICER, current_principal, require_centre
from runtime.clock import BEIJING
from runtime.db import Database
from runtime.timestamps import timestamp

from .. import bills, reconciliation, repository
from ..calculation import money
from .shared import KIND_ENUMS, KINDS, actor

_BUSINESS_ENUMS = {reconciliation.SETTLEMENT: settlement_pb2.BUSINESS_TYPE_SETTLEMENT,
                   reconciliation.REFUND: settlement_pb2.BUSINESS_TYPE_REFUND}
_BUSINESSES = {number: business for business, number in _BUSINESS_ENUMS.items()}


class ReconciliationServicer(settlement_pb2_grpc.ReconciliationServiceServicer):
    def __init__(self, db: Database) -> None:
        self.db = db

    def Reconcile(self, request, context):
        principal = current_principal()
        hospital = principal.hospital_for(request.hospital_code.strip())
        principal.require_letter("FI")
        day = calendar_day(request.date, "date")
        entries = [_entry(entry, f"entries[{index}]") for index, entry in enumerate(request.entries)]
        start, end = day_bounds(day)
        with self.db.read() as connection:
            ncms = repository.day_entries(connection, hospital, start, end)
            recorded = {(e.settlement_number, e.business) for e in ncms}
            asked = sorted({e.settlement_number for e in entries
                            if e.settlement_number and (e.settlement_number, e.business) not in recorded})
            found = repository.entry_days(connection, hospital, asked)
        elsewhere = {}
        for number, (settled_at, refunded_at) in found.items():
            elsewhere[(number, reconciliation.SETTLEMENT)] = settled_at.astimezone(BEIJING).date()
            if refunded_at is not None:
                elsewhere[(number, reconciliation.REFUND)] = refunded_at.astimezone(BEIJING).date()
        outcome = reconciliation.reconcile(day, entries, ncms, elsewhere)
        with self.db.write() as connection:  # the result only; never a settlement
            record = repository.add_reconciliation(connection, {
                "hospital_code": hospital, "day": day, "requested_by": actor(principal),
                "hospital_count": outcome.hospital_count, "ncms_count": outcome.ncms_count,
                "hospital_total": outcome.hospital_total, "ncms_total": outcome.ncms_total,
                "agreed": outcome.agreed,
                "differences": json.dumps([_difference_dict(d) for d in outcome.differences], ensure_ascii=False)})
        return settlement_pb2.ReconcileResponse(reconciliation=_reconciliation_message(record))

    def GetDaySummary(self, request, context):
        principal = current_principal()
        hospital = principal.hospital_for(request.hospital_code.strip())
        if principal.is_staff:
            require_centre(*RECONCILIATION_READERS)
        else:
            principal.require_letter("FI")
        day = calendar_day(request.date, "date")
        start, end = day_bounds(day)
        with self.db.read() as connection:
            entries = repository.day_entries(connection, hospital, start, end)
            history = [_reconciliation_message(record) for record in
                       repository.reconciliations(connection, hospital, day, request.reconciliation_limit or 5)]
        lines = {}
        for entry in entries:
            count, total, compensation = lines.get((entry.kind, entry.business),
                                                   (0, repository.ZERO, repository.ZERO))
            lines[(entry.kind, entry.business)] = (count + 1, total + entry.total, compensation + entry.compensation)
        return settlement_pb2.GetDaySummaryResponse(
            lines=[settlement_pb2.DaySummaryLine(kind=KIND_ENUMS[kind], business=_BUSINESS_ENUMS[business],
                                                 count=count, total=money(total), compensation=money(compensation))
                   for (kind, business), (count, total, compensation) in sorted(
                       lines.items(), key=lambda item: (item[0][0] != "outpatient", item[0][1] != "settlement"))],
            net_compensation=money(reconciliation.net_compensation(entries)),
            entries=[_entry_message(entry) for entry in entries], reconciliations=history)


    def ListReconciliations(self, request, context):
        principal = require_centre(*RECONCILIATION_READERS)
        hospital = principal.hospital_for(request.hospital_code.strip()) if request.hospital_code.strip() else ""
        first = calendar_day(request.first_day, "first_day") if request.HasField("first_day") else None
        last = calendar_day(request.last_day, "last_day") if request.HasField("last_day") else None
        if first and last and last < first:
            raise bills.bad("last_day", "早于 first_day")
        limit = min(request.page_size or 50, 500)
        page = max(request.page, 1)
        with self.db.read() as connection:
            rows, total = repository.latest_reconciliations(
                connection, hospital=hospital, first=first, last=last, differences_only=request.differences_only,
                offset=(page - 1) * limit, limit=limit)
        return settlement_pb2.ListReconciliationsResponse(
            reconciliations=[_reconciliation_message(row) for row in rows], total_count=total)


# Who at the centre reads reconciliations (beside admin and internal clients).
RECONCILIATION_READERS = (STAFF_FUND_OFFICER, STAFF_AUDITOR)


def calendar_day(value: date_pb2.Date, field: str) -> date:
    try:
        return date(value.year, value.month, value.day)
    except ValueError:
        raise bills.bad(field, "须为日期 yyyy-MM-dd") from None


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a Beijing day, in UTC."""
    start = datetime(day.year, day.month, day.day, tzinfo=BEIJING)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def _entry(entry: settlement_pb2.ReconcileEntry, at: str) -> reconciliation.Entry:
    if entry.kind not in KINDS:
        raise bills.bad(f"{at}.kind", "须为 门诊 或 住院")
    if entry.business not in _BUSINESSES:
        raise bills.bad(f"{at}.business", "须为 结算 或 退费")
    return reconciliation.Entry(
        KINDS[entry.kind], bills.required(entry.number, f"{at}.number"), _BUSINESSES[entry.business],
        bills.decimal(entry.total, 2, f"{at}.total", negative=True),
        bills.decimal(entry.compensation, 2, f"{at}.compensation", negative=True),
        entry.settlement_number.strip())


def _difference_dict(difference: reconciliation.Difference) -> dict:
    return {"kind": difference.kind, "number": difference.number, "business": difference.business,
            "type": difference.type, "settlement_number": difference.settlement_number,
            "hospital_amount": None if difference.hospital_amount is None else money(difference.hospital_amount),
            "ncms_amount": None if difference.ncms_amount is None else money(difference.ncms_amount),
            "note": difference.note}


def _entry_message(entry: reconciliation.Entry) -> settlement_pb2.ReconcileEntry:
    return settlement_pb2.ReconcileEntry(
        kind=KIND_ENUMS[entry.kind], number=entry.number, settlement_number=entry.settlement_number,
        business=_BUSINESS_ENUMS[entry.business], total=money(entry.total), compensation=money(entry.compensation))


def _reconciliation_message(record: Row) -> settlement_pb2.ReconciliationRecord:
    return settlement_pb2.ReconciliationRecord(
        hospital_code=record.hospital_code,
        date=date_pb2.Date(year=record.day.year, month=record.day.month, day=record.day.day),
        reconcile_time=timestamp(record.reconciled_at), requested_by=record.requested_by,
        hospital_count=record.hospital_count, ncms_count=record.ncms_count,
        hospital_total=money(record.hospital_total), ncms_total=money(record.ncms_total), agreed=record.agreed,
        differences=[settlement_pb2.ReconcileDifference(
            kind=KIND_ENUMS[d["kind"]], number=d["number"], business=_BUSINESS_ENUMS[d["business"]], type=d["type"],
            hospital_amount=d["hospital_amount"] or "", ncms_amount=d["ncms_amount"] or "", note=d["note"],
            settlement_number=d["settlement_number"]) for d in json.loads(record.differences)])
