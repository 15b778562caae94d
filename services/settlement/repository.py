"""Queries on the settlement's tables. Functions take a session (on the hot path of a
settlement, a RawConnection on the session's transaction) and never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from runtime.db import RawConnection

from . import reconciliation
from .models import (
    INPATIENT,
    OUTPATIENT,
    Admission,
    MemberYear,
    PolicyVersion,
    Reconciliation,
    Settlement,
    SettlementLine,
)

ZERO = Decimal("0.00")


def policy_version(session: Session, year: int, digest: str) -> PolicyVersion | None:
    return session.scalars(select(PolicyVersion).where(PolicyVersion.year == year,
                                                       PolicyVersion.digest == digest)).first()


@dataclass(frozen=True)
class Totals:
    id: int
    outpatient: Decimal
    inpatient: Decimal


_MEMBER_YEARS = MemberYear.__table__
_SETTLEMENTS = Settlement.__table__
_SETTLEMENT_LINES = SettlementLine.__table__

# These run on every settlement, inside its write() transaction, as raw statements
# (Database.raw_in): the ORM's cost per statement was most of the transaction's.
_MEMBER_YEAR = ("SELECT id, outpatient_total, inpatient_total FROM member_years "
                "WHERE member_id = :member_id AND year = :year")


def lock_member_year(sql: RawConnection, member_id: str, year: int) -> Totals:
    """The member's year row, created if missing, locked until the transaction ends.

    On PostgreSQL a row lock (SELECT ... FOR UPDATE); on SQLite the write transaction
    already holds the database's only write lock, which serialises just as well.
    """
    query = _MEMBER_YEAR if sql.is_sqlite else _MEMBER_YEAR + " FOR UPDATE"
    parameters = {"member_id": member_id, "year": year}
    row = sql.execute(query, parameters).fetchone()
    if row is None:
        values = {"member_id": member_id, "year": year, "outpatient_total": ZERO, "inpatient_total": ZERO,
                  "outpatient_count": 0, "inpatient_count": 0}
        # skip_existing: on PostgreSQL a concurrent first settlement of the member may
        # have made the row meanwhile (the insert waits for it, then leaves it).
        sql.insert(_MEMBER_YEARS, [values], skip_existing=True)
        row = sql.execute(query, parameters).fetchone()
    return Totals(row[0], sql.decimal_value(row[1], 2), sql.decimal_value(row[2], 2))


def add_to_member_year(sql: RawConnection, member_year_id: int, kind: str, amount: Decimal, count: int) -> None:
    total, counter = f"{kind}_total", f"{kind}_count"
    sql.execute(f"UPDATE member_years SET {total} = {total} + :amount, "  # noqa: S608 (kind is ours)
                f"{counter} = {counter} + :count WHERE id = :id",
                {"amount": sql.bind(_MEMBER_YEARS, {total: amount})[total], "count": count, "id": member_year_id})


def in_force_digest(sql: RawConnection, hospital: str, kind: str, number: str) -> tuple[str, str] | None:
    """(settlement number, request digest) of the settlement in force, if any."""
    row = sql.execute("SELECT settlement_number, request_digest FROM settlements WHERE hospital_code = :hospital "
                      "AND kind = :kind AND number = :number AND refunded_at IS NULL",
                      {"hospital": hospital, "kind": kind, "number": number}).fetchone()
    return None if row is None else (row[0], row[1])


def insert_settlement(sql: RawConnection, values: dict, lines: list[dict], prefix: str, day: str) -> str:
    """Insert a settlement and its lines; returns its settlement number (jsbh):
    prefix, the day (Beijing) and the row's id."""
    settlement_id = sql.insert_returning(_SETTLEMENTS, {**values, "settlement_number": uuid.uuid4().hex}, "id")
    number = f"{prefix}{day}{settlement_id:010d}"
    sql.execute("UPDATE settlements SET settlement_number = :number WHERE id = :id",
                {"number": number, "id": settlement_id})
    sql.insert(_SETTLEMENT_LINES, [{**line, "settlement_id": settlement_id} for line in lines])
    return number


def _with_lines(query):
    return query.options(selectinload(Settlement.lines), selectinload(Settlement.policy))


def settlement_in_force(session: Session, hospital: str, kind: str, number: str, *,
                        for_update: bool = False) -> Settlement | None:
    query = _with_lines(select(Settlement).where(
        Settlement.hospital_code == hospital, Settlement.kind == kind, Settlement.number == number,
        Settlement.refunded_at.is_(None)))
    if for_update:
        query = query.with_for_update(of=Settlement)
    return session.scalars(query).first()


def settlements_of(session: Session, hospital: str, kind: str, number: str) -> Sequence[Settlement]:
    """Every settlement of a number, newest first."""
    return session.scalars(_with_lines(select(Settlement).where(
        Settlement.hospital_code == hospital, Settlement.kind == kind, Settlement.number == number))
        .order_by(Settlement.id.desc())).all()


def settlement_by_number(session: Session, settlement_number: str) -> Settlement | None:
    return session.scalars(_with_lines(select(Settlement).where(
        Settlement.settlement_number == settlement_number))).first()


def member_settlements(session: Session, member_id: str, year: int) -> Sequence[Settlement]:
    query = select(Settlement).where(Settlement.member_id == member_id)
    if year:
        query = query.where(Settlement.year == year)
    return session.scalars(_with_lines(query).order_by(Settlement.settled_at)).all()


def admission(session: Session, hospital: str, number: str) -> Admission | None:
    return session.scalars(select(Admission).where(Admission.hospital_code == hospital,
                                                   Admission.number == number)).first()


def year_totals(session: Session, member_ids: Sequence[str], year: int) -> dict[str, MemberYear]:
    return {row.member_id: row for row in session.scalars(select(MemberYear).where(
        MemberYear.member_id.in_(list(member_ids)), MemberYear.year == year))}


def year_totals_raw(connection: RawConnection, member_ids: Sequence[str],
                    year: int) -> dict[str, tuple[Decimal, Decimal]]:
    """(outpatient, inpatient) compensation totals of a year, by member (chryxxjk)."""
    if not member_ids:
        return {}
    names = [f"m{i}" for i in range(len(member_ids))]
    rows = connection.execute(
        f"SELECT member_id, outpatient_total, inpatient_total FROM member_years "  # noqa: S608
        f"WHERE year = :year AND member_id IN ({', '.join(':' + n for n in names)})",
        {"year": year, **dict(zip(names, member_ids, strict=True))}).fetchall()
    return {row[0]: (connection.decimal_value(row[1], 2), connection.decimal_value(row[2], 2)) for row in rows}


# --- reconciliation ----------------------------------------------------------------------

JSLX = {OUTPATIENT: reconciliation.OUTPATIENT, INPATIENT: reconciliation.INPATIENT}


def day_entries(session: Session, hospital: str, start: datetime, end: datetime) -> list[reconciliation.Entry]:
    """The NCMS's settlements and refunds of [start, end) for a hospital, in time order."""
    rows = session.execute(select(
        Settlement.kind, Settlement.number, Settlement.settlement_number, Settlement.total,
        Settlement.compensation, Settlement.settled_at, Settlement.refunded_at).where(
        Settlement.hospital_code == hospital,
        or_(and_(Settlement.settled_at >= start, Settlement.settled_at < end),
            and_(Settlement.refunded_at >= start, Settlement.refunded_at < end)))).all()
    events: list[tuple[datetime, reconciliation.Entry]] = []
    for kind, number, settlement_number, total, compensation, settled_at, refunded_at in rows:
        for business, at in ((reconciliation.SETTLEMENT, settled_at), (reconciliation.REFUND, refunded_at)):
            if at is not None and start <= at < end:
                events.append((at, reconciliation.Entry(JSLX[kind], number, business, total, compensation,
                                                        settlement_number)))
    return [entry for _, entry in sorted(events, key=lambda event: event[0])]


def entry_days(session: Session, hospital: str,
               settlement_numbers: Sequence[str]) -> dict[str, tuple[datetime, datetime | None]]:
    """(settled_at, refunded_at) of the hospital's settlements by number."""
    if not settlement_numbers:
        return {}
    return {row[0]: (row[1], row[2]) for row in session.execute(select(
        Settlement.settlement_number, Settlement.settled_at, Settlement.refunded_at).where(
        Settlement.hospital_code == hospital, Settlement.settlement_number.in_(list(settlement_numbers))))}


def reconciliations(session: Session, hospital: str, day: date, limit: int) -> Sequence[Reconciliation]:
    return session.scalars(select(Reconciliation).where(
        Reconciliation.hospital_code == hospital, Reconciliation.day == day).order_by(
        Reconciliation.reconciled_at.desc(), Reconciliation.id.desc()).limit(limit)).all()
