"""Queries on the settlement's tables. Functions take a session and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from services.runtime.db import RawConnection

from .models import Admission, MemberYear, PolicyVersion, Settlement

ZERO = Decimal("0.00")


def policy_version(session: Session, year: int, digest: str) -> PolicyVersion | None:
    return session.scalars(select(PolicyVersion).where(PolicyVersion.year == year,
                                                       PolicyVersion.digest == digest)).first()


def lock_member_year(session: Session, member_id: str, year: int) -> MemberYear:
    """The member's year row, created if missing, locked until the transaction ends.

    On PostgreSQL a row lock (SELECT ... FOR UPDATE); on SQLite the write transaction
    already holds the database's only write lock, which serialises just as well.
    """
    query = select(MemberYear).where(MemberYear.member_id == member_id, MemberYear.year == year)
    row = session.scalars(query.with_for_update()).first()
    if row is not None:
        return row
    table = MemberYear.__table__
    values = {"member_id": member_id, "year": year, "outpatient_total": ZERO, "inpatient_total": ZERO,
              "outpatient_count": 0, "inpatient_count": 0}
    dialect = session.bind.dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(table).values(**values).on_conflict_do_nothing())
    else:
        session.execute(insert(table).values(**values))
    return session.scalars(query.with_for_update().execution_options(populate_existing=True)).one()


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
