"""Queries on the settlement's tables, as SQLAlchemy Core statements on a connection
that the caller's transaction owns (``Database.read()`` / ``write()``); nothing
here commits. Statements are built once at import, so each execution reuses its
compiled form."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, Row, and_, bindparam, func, insert, or_, select, text, update

from runtime.db import insert_ignoring_conflicts

from . import reconciliation
from .models import (
    Admission,
    ImportedPolicy,
    MemberYear,
    PolicyVersion,
    Reconciliation,
    Settlement,
    SettlementLine,
)

ZERO = Decimal("0.00")
ADMISSIONS = Admission.__table__
MEMBER_YEARS = MemberYear.__table__
POLICY_VERSIONS = PolicyVersion.__table__
POLICIES = ImportedPolicy.__table__
RECONCILIATIONS = Reconciliation.__table__
SETTLEMENTS = Settlement.__table__
SETTLEMENT_LINES = SettlementLine.__table__


@dataclass(frozen=True)
class Totals:
    """A member's year row: its id and the compensation of each kind so far."""

    id: int
    outpatient: Decimal
    inpatient: Decimal

    def of(self, kind: str) -> Decimal:
        return self.outpatient if kind == "outpatient" else self.inpatient


@dataclass(frozen=True)
class SettlementRecord:
    """A settlement with its lines and the policy it used."""

    settlement: Row
    lines: Sequence[Row]
    policy: Row


# --- policies ------------------------------------------------------------------------------

def policy_version(connection: Connection, year: int, digest: str) -> Row | None:
    return connection.execute(select(POLICY_VERSIONS).where(
        POLICY_VERSIONS.c.year == year, POLICY_VERSIONS.c.digest == digest)).first()


def add_policy_version(connection: Connection, values: dict) -> Row:
    """The recorded copy of a policy, made unless another replica made it meanwhile."""
    insert_ignoring_conflicts(connection, POLICY_VERSIONS, values)
    return policy_version(connection, values["year"], values["digest"])


def imported_policies(connection: Connection, year: int = 0) -> Sequence[Row]:
    """The imported versions (of one year, or all), newest first, without their texts."""
    query = select(*[c for c in POLICIES.c if c.name not in ("text", "content")])
    if year:
        query = query.where(POLICIES.c.year == year)
    return connection.execute(query.order_by(POLICIES.c.year.desc(), POLICIES.c.effective_from.desc(),
                                             POLICIES.c.id.desc())).all()


def policies_in_force(connection: Connection, year: int, day: date) -> list[int]:
    """Ids of the year's versions whose day has come, the one in force first."""
    return list(connection.execute(
        select(POLICIES.c.id).where(POLICIES.c.year == year, POLICIES.c.effective_from <= day)
        .order_by(POLICIES.c.effective_from.desc(), POLICIES.c.id.desc())).scalars())


def imported_policy(connection: Connection, policy_id: int) -> Row | None:
    return connection.execute(select(POLICIES).where(POLICIES.c.id == policy_id)).first()


def lock_policies(connection: Connection) -> None:
    """One import at a time (SQLite serialises writers anyway)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE policies IN SHARE ROW EXCLUSIVE MODE"))


def add_imported_policy(connection: Connection, values: dict) -> Row:
    policy_id = connection.execute(insert(POLICIES).values(**values).returning(POLICIES.c.id)).scalar_one()
    return imported_policy(connection, policy_id)


def recent_settlements(connection: Connection, year: int, limit: int) -> list[SettlementRecord]:
    """The year's newest settlements in force, with their lines (for a policy's dry run)."""
    return _records(connection, connection.execute(
        select(SETTLEMENTS).where(SETTLEMENTS.c.year == year, SETTLEMENTS.c.refunded_at.is_(None))
        .order_by(SETTLEMENTS.c.id.desc()).limit(limit)).all())


# --- a settlement's write path ----------------------------------------------------------------

_MEMBER_YEAR = select(MEMBER_YEARS.c.id, MEMBER_YEARS.c.outpatient_total, MEMBER_YEARS.c.inpatient_total).where(
    MEMBER_YEARS.c.member_id == bindparam("member_id"), MEMBER_YEARS.c.year == bindparam("year"))
_MEMBER_YEAR_LOCKED = _MEMBER_YEAR.with_for_update()
_ADD_TO_YEAR = {kind: update(MEMBER_YEARS).where(MEMBER_YEARS.c.id == bindparam("row_id")).values({
    f"{kind}_total": MEMBER_YEARS.c[f"{kind}_total"] + bindparam("amount", type_=MEMBER_YEARS.c.outpatient_total.type),
    f"{kind}_count": MEMBER_YEARS.c[f"{kind}_count"] + bindparam("count")}) for kind in ("outpatient", "inpatient")}
_IN_FORCE_DIGEST = select(SETTLEMENTS.c.settlement_number, SETTLEMENTS.c.request_digest).where(
    SETTLEMENTS.c.hospital_code == bindparam("hospital"), SETTLEMENTS.c.kind == bindparam("kind"),
    SETTLEMENTS.c.number == bindparam("number"), SETTLEMENTS.c.refunded_at.is_(None))
_INSERT_SETTLEMENT = insert(SETTLEMENTS).returning(SETTLEMENTS.c.id)
_NUMBER_SETTLEMENT = update(SETTLEMENTS).where(SETTLEMENTS.c.id == bindparam("row_id")).values(
    settlement_number=bindparam("settlement_number"))
_INSERT_LINES = insert(SETTLEMENT_LINES)


def lock_member_year(connection: Connection, member_id: str, year: int) -> Totals:
    """The member's year row, created if missing, locked until the transaction ends.

    On PostgreSQL a row lock (SELECT ... FOR UPDATE); on SQLite the write transaction
    already holds the database's only write lock, which serialises just as well.
    """
    query = _MEMBER_YEAR if connection.dialect.name == "sqlite" else _MEMBER_YEAR_LOCKED
    parameters = {"member_id": member_id, "year": year}
    row = connection.execute(query, parameters).first()
    if row is None:
        # A concurrent first settlement of the member may make the row meanwhile: the
        # insert then waits for it and leaves it.
        insert_ignoring_conflicts(connection, MEMBER_YEARS, {
            "member_id": member_id, "year": year, "outpatient_total": ZERO, "inpatient_total": ZERO,
            "outpatient_count": 0, "inpatient_count": 0})
        row = connection.execute(query, parameters).first()
    return Totals(row.id, row.outpatient_total, row.inpatient_total)


def add_to_member_year(connection: Connection, totals: Totals, kind: str, amount: Decimal, count: int) -> None:
    connection.execute(_ADD_TO_YEAR[kind], {"row_id": totals.id, "amount": amount, "count": count})


def in_force_digest(connection: Connection, hospital: str, kind: str, number: str) -> tuple[str, str] | None:
    """(settlement number, request digest) of the settlement in force, if any."""
    row = connection.execute(_IN_FORCE_DIGEST, {"hospital": hospital, "kind": kind, "number": number}).first()
    return None if row is None else (row.settlement_number, row.request_digest)


def insert_settlement(connection: Connection, values: dict, lines: list[dict], prefix: str, day: str) -> str:
    """Insert a settlement and its lines; returns its settlement number (jsbh): prefix,
    the day (Beijing) and the row's id."""
    settlement_id = connection.execute(
        _INSERT_SETTLEMENT, {**values, "settlement_number": uuid.uuid4().hex}).scalar_one()
    number = f"{prefix}{day}{settlement_id:010d}"
    connection.execute(_NUMBER_SETTLEMENT, {"row_id": settlement_id, "settlement_number": number})
    connection.execute(_INSERT_LINES, [{**line, "settlement_id": settlement_id} for line in lines])
    return number


def mark_refunded(connection: Connection, settlement_id: int, at: datetime, by: str) -> None:
    connection.execute(update(SETTLEMENTS).where(SETTLEMENTS.c.id == settlement_id)
                       .values(refunded_at=at, refunded_by=by))


# --- reading settlements ---------------------------------------------------------------------

def settlement_in_force(connection: Connection, hospital: str, kind: str, number: str, *,
                        for_update: bool = False) -> Row | None:
    query = select(SETTLEMENTS).where(
        SETTLEMENTS.c.hospital_code == hospital, SETTLEMENTS.c.kind == kind, SETTLEMENTS.c.number == number,
        SETTLEMENTS.c.refunded_at.is_(None))
    return connection.execute(query.with_for_update() if for_update else query).first()


def _records(connection: Connection, rows: Sequence[Row]) -> list[SettlementRecord]:
    """The rows with their lines and policies (two more queries, whatever the count)."""
    if not rows:
        return []
    lines: dict[int, list[Row]] = {row.id: [] for row in rows}
    for line in connection.execute(select(SETTLEMENT_LINES).where(
            SETTLEMENT_LINES.c.settlement_id.in_(list(lines))).order_by(
            SETTLEMENT_LINES.c.settlement_id, SETTLEMENT_LINES.c.position)):
        lines[line.settlement_id].append(line)
    policies = {p.id: p for p in connection.execute(select(POLICY_VERSIONS).where(
        POLICY_VERSIONS.c.id.in_({row.policy_version_id for row in rows})))}
    return [SettlementRecord(row, lines[row.id], policies[row.policy_version_id]) for row in rows]


def settlements_of(connection: Connection, hospital: str, kind: str, number: str) -> list[SettlementRecord]:
    """Every settlement of a number, newest first."""
    return _records(connection, connection.execute(select(SETTLEMENTS).where(
        SETTLEMENTS.c.hospital_code == hospital, SETTLEMENTS.c.kind == kind, SETTLEMENTS.c.number == number)
        .order_by(SETTLEMENTS.c.id.desc())).all())


def settlement_by_number(connection: Connection, settlement_number: str) -> SettlementRecord | None:
    found = _records(connection, connection.execute(select(SETTLEMENTS).where(
        SETTLEMENTS.c.settlement_number == settlement_number)).all())
    return found[0] if found else None


def member_settlements(connection: Connection, member_id: str, year: int) -> list[SettlementRecord]:
    query = select(SETTLEMENTS).where(SETTLEMENTS.c.member_id == member_id)
    if year:
        query = query.where(SETTLEMENTS.c.year == year)
    return _records(connection, connection.execute(query.order_by(SETTLEMENTS.c.settled_at)).all())


def year_totals(connection: Connection, member_ids: Sequence[str], year: int) -> dict[str, Totals]:
    """Each member's compensation totals of a year (members without one are absent)."""
    if not member_ids:
        return {}
    return {row.member_id: Totals(row.id, row.outpatient_total, row.inpatient_total)
            for row in connection.execute(select(MEMBER_YEARS).where(
                MEMBER_YEARS.c.member_id.in_(list(member_ids)), MEMBER_YEARS.c.year == year))}


# --- admissions ------------------------------------------------------------------------------

def admission(connection: Connection, hospital: str, number: str) -> Row | None:
    return connection.execute(select(ADMISSIONS).where(
        ADMISSIONS.c.hospital_code == hospital, ADMISSIONS.c.number == number)).first()


def add_admission(connection: Connection, values: dict) -> None:
    connection.execute(insert(ADMISSIONS).values(**values))


# --- reconciliation ----------------------------------------------------------------------------

def day_entries(connection: Connection, hospital: str, start: datetime, end: datetime) -> list[reconciliation.Entry]:
    """The NCMS's settlements and refunds of [start, end) for a hospital, in time order."""
    rows = connection.execute(select(
        SETTLEMENTS.c.kind, SETTLEMENTS.c.number, SETTLEMENTS.c.settlement_number, SETTLEMENTS.c.total,
        SETTLEMENTS.c.compensation, SETTLEMENTS.c.settled_at, SETTLEMENTS.c.refunded_at).where(
        SETTLEMENTS.c.hospital_code == hospital,
        or_(and_(SETTLEMENTS.c.settled_at >= start, SETTLEMENTS.c.settled_at < end),
            and_(SETTLEMENTS.c.refunded_at >= start, SETTLEMENTS.c.refunded_at < end)))).all()
    events: list[tuple[datetime, reconciliation.Entry]] = []
    for row in rows:
        for business, at in ((reconciliation.SETTLEMENT, row.settled_at), (reconciliation.REFUND, row.refunded_at)):
            if at is not None and start <= at < end:
                events.append((at, reconciliation.Entry(row.kind, row.number, business, row.total,
                                                        row.compensation, row.settlement_number)))
    return [entry for _, entry in sorted(events, key=lambda event: event[0])]


def entry_days(connection: Connection, hospital: str,
               settlement_numbers: Sequence[str]) -> dict[str, tuple[datetime, datetime | None]]:
    """(settled_at, refunded_at) of the hospital's settlements by number."""
    if not settlement_numbers:
        return {}
    return {row.settlement_number: (row.settled_at, row.refunded_at) for row in connection.execute(select(
        SETTLEMENTS.c.settlement_number, SETTLEMENTS.c.settled_at, SETTLEMENTS.c.refunded_at).where(
        SETTLEMENTS.c.hospital_code == hospital, SETTLEMENTS.c.settlement_number.in_(list(settlement_numbers))))}


def add_reconciliation(connection: Connection, values: dict) -> Row:
    row_id = connection.execute(insert(RECONCILIATIONS).values(**values).returning(RECONCILIATIONS.c.id)).scalar_one()
    return connection.execute(select(RECONCILIATIONS).where(RECONCILIATIONS.c.id == row_id)).one()


def reconciliations(connection: Connection, hospital: str, day: date, limit: int) -> Sequence[Row]:
    return connection.execute(select(RECONCILIATIONS).where(
        RECONCILIATIONS.c.hospital_code == hospital, RECONCILIATIONS.c.day == day).order_by(
        RECONCILIATIONS.c.reconciled_at.desc(), RECONCILIATIONS.c.id.desc()).limit(limit)).all()


# --- the centre's web console: searching ---------------------------------------------------------

_SETTLEMENT_ORDER = {"settle_time": SETTLEMENTS.c.settled_at, "hospital": SETTLEMENTS.c.hospital_code,
                     "number": SETTLEMENTS.c.number, "name": SETTLEMENTS.c.name, "total": SETTLEMENTS.c.total,
                     "compensation": SETTLEMENTS.c.compensation}
SETTLEMENT_ORDERS = frozenset(_SETTLEMENT_ORDER)


def search_settlements(connection: Connection, *, hospital: str, since: datetime | None, until: datetime | None,
                       member_ids: Sequence[str], card: str, number: str, state: str, kind: str | None,
                       order_by: str, descending: bool, offset: int,
                       limit: int) -> tuple[Sequence[Row], int, Decimal, Decimal]:
    """A page of settlements matching every given filter, how many match in all, and
    the sums of their zfy and bcje."""
    condition = []
    if hospital:
        condition.append(SETTLEMENTS.c.hospital_code == hospital)
    if since is not None:
        condition.append(SETTLEMENTS.c.settled_at >= since)
    if until is not None:
        condition.append(SETTLEMENTS.c.settled_at < until)
    if member_ids:
        condition.append(SETTLEMENTS.c.member_id.in_(list(member_ids)))
    if card:
        condition.append(SETTLEMENTS.c.card == card)
    if number:
        condition.append(or_(SETTLEMENTS.c.number == number, SETTLEMENTS.c.settlement_number == number))
    if state == "in_force":
        condition.append(SETTLEMENTS.c.refunded_at.is_(None))
    elif state == "refunded":
        condition.append(SETTLEMENTS.c.refunded_at.is_not(None))
    if kind:
        condition.append(SETTLEMENTS.c.kind == kind)
    column = _SETTLEMENT_ORDER[order_by]
    rows = connection.execute(select(SETTLEMENTS).where(*condition).order_by(
        column.desc() if descending else column, SETTLEMENTS.c.id.desc() if descending else SETTLEMENTS.c.id)
        .offset(offset).limit(limit)).all()
    count, total, compensation = connection.execute(select(
        func.count(), func.coalesce(func.sum(SETTLEMENTS.c.total), 0),
        func.coalesce(func.sum(SETTLEMENTS.c.compensation), 0)).where(*condition)).one()
    return rows, count, Decimal(str(total)).quantize(ZERO), Decimal(str(compensation)).quantize(ZERO)


def latest_reconciliations(connection: Connection, *, hospital: str, first: date | None, last: date | None,
                           differences_only: bool, offset: int, limit: int) -> tuple[Sequence[Row], int]:
    """The latest reconciliation of each hospital and day, newest day first."""
    condition = []
    if hospital:
        condition.append(RECONCILIATIONS.c.hospital_code == hospital)
    if first is not None:
        condition.append(RECONCILIATIONS.c.day >= first)
    if last is not None:
        condition.append(RECONCILIATIONS.c.day <= last)
    latest = (select(func.max(RECONCILIATIONS.c.id).label("id")).where(*condition)
              .group_by(RECONCILIATIONS.c.hospital_code, RECONCILIATIONS.c.day).subquery())
    query = select(RECONCILIATIONS).join(latest, latest.c.id == RECONCILIATIONS.c.id)
    if differences_only:
        query = query.where(RECONCILIATIONS.c.agreed.is_(False))
    rows = connection.execute(query.order_by(RECONCILIATIONS.c.day.desc(), RECONCILIATIONS.c.hospital_code)
                              .offset(offset).limit(limit)).all()
    total = connection.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    return rows, total
