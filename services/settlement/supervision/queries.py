"""The SQL behind supervision: what each rule looks at, and the report's sums.

Everything heavy happens in the database — selection, grouping, medians with window
functions — and rows stream out, so a province's month (a million settlements, ten
million lines) needs little memory here. Written with SQLAlchemy expressions on the
models, so amounts keep their exact types on both backends; only the Beijing-day
arithmetic differs between PostgreSQL and SQLite.

"In force": not refunded. The period is [start, end) of settlement time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, and_, case, func, literal_column, or_, select, union_all
from sqlalchemy.orm import aliased

from ..models import INPATIENT, OUTPATIENT, Admission, Settlement, SettlementLine
from .rules import HospitalRefunds, LineRow, QuantityRow, SameDayVisits, Stay

S, L = Settlement, SettlementLine
BATCH = 5000


def beijing_day(connection: Connection, column):
    if connection.dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Shanghai", column))
    return func.date(column, "+8 hours")


def beijing_month(connection: Connection, column):
    if connection.dialect.name == "postgresql":
        return func.date(func.date_trunc("month", func.timezone("Asia/Shanghai", column)))
    return func.strftime("%Y-%m-01", column, "+8 hours")


def as_date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _in_period(start: datetime, end: datetime, hospital: str):
    conditions = [S.settled_at >= start, S.settled_at < end, S.refunded_at.is_(None)]
    if hospital:
        conditions.append(S.hospital_code == hospital)
    return and_(*conditions)


def _stream(connection: Connection, statement):
    return connection.execution_options(stream_results=True, yield_per=BATCH).execute(statement)


_LINE_COLUMNS = (S.hospital_code, S.settlement_number, S.member_id, S.number, L.line_number, L.item_code,
                 L.item_name, L.price, L.quantity, L.amount)


def _line(row, **extra) -> LineRow:
    return LineRow(row.hospital_code, row.settlement_number, row.member_id, row.number, row.line_number,
                   row.item_code, row.item_name, row.price, row.quantity, row.amount, **extra)


# --- line rules ----------------------------------------------------------------------------

def over_limit_lines(connection: Connection, start: datetime, end: datetime, hospital: str,
                     min_excess: Decimal) -> Iterator[LineRow]:
    statement = (select(*_LINE_COLUMNS, L.price_limit, L.over_limit).join(S, S.id == L.settlement_id)
                 .where(_in_period(start, end, hospital), L.over_limit >= min_excess)
                 .order_by(S.id, L.position))
    for row in _stream(connection, statement):
        yield _line(row, price_limit=row.price_limit, over_limit=row.over_limit)


def unmapped_lines(connection: Connection, start: datetime, end: datetime, hospital: str) -> Iterator[LineRow]:
    statement = (select(*_LINE_COLUMNS).join(S, S.id == L.settlement_id)
                 .where(_in_period(start, end, hospital), L.ncms_code == "")
                 .order_by(S.id, L.position))
    for row in _stream(connection, statement):
        yield _line(row)


def fee_outside_stay_lines(connection: Connection, start: datetime, end: datetime,
                           hospital: str) -> Iterator[LineRow]:
    fee_day, admitted, discharged = (beijing_day(connection, L.fee_at), beijing_day(connection, S.visit_at),
                                     beijing_day(connection, S.discharged_at))
    statement = (select(*_LINE_COLUMNS, fee_day.label("fee_day"), admitted.label("admitted"),
                        discharged.label("discharged")).join(S, S.id == L.settlement_id)
                 .where(_in_period(start, end, hospital), S.kind == INPATIENT, L.fee_at.is_not(None),
                        or_(fee_day < admitted, fee_day > discharged))
                 .order_by(S.id, L.position))
    for row in _stream(connection, statement):
        yield _line(row, fee_day=as_date(row.fee_day), stay=(as_date(row.admitted), as_date(row.discharged)))


def quantity_outlier_lines(connection: Connection, start: datetime, end: datetime, hospital: str,
                           factor: Decimal, min_samples: int) -> Iterator[QuantityRow]:
    """Lines whose quantity exceeds ``factor`` times the median of the same hospital's
    same item in the period. The median is computed in SQL with window functions."""
    partition = (S.hospital_code, L.item_code)
    ranked = (select(S.hospital_code.label("hospital"), L.item_code.label("item"), L.quantity.label("quantity"),
                     L.id.label("line_id"),
                     func.row_number().over(partition_by=partition, order_by=L.quantity).label("rank"),
                     func.count().over(partition_by=partition).label("samples"))
              .join(S, S.id == L.settlement_id)
              .where(_in_period(start, end, hospital), L.quantity > 0).cte("ranked"))
    middle = or_(ranked.c.rank == (ranked.c.samples + 1) // 2, ranked.c.rank == (ranked.c.samples + 2) // 2)
    medians = (select(ranked.c.hospital, ranked.c.item, func.min(ranked.c.quantity).label("low"),
                      func.max(ranked.c.quantity).label("high"), func.max(ranked.c.samples).label("samples"))
               .where(middle).group_by(ranked.c.hospital, ranked.c.item)
               .having(func.max(ranked.c.samples) >= min_samples).cte("medians"))
    # quantity > factor × (low + high) / 2, in whole numbers: no typed parameter is
    # bound here, since a bound value would take the quantity's scaled storage type.
    hundredths = literal_column(str(int((factor * 100).to_integral_value())))
    statement = (select(*_LINE_COLUMNS, medians.c.low, medians.c.high, medians.c.samples)
                 .select_from(ranked.join(medians, and_(ranked.c.hospital == medians.c.hospital,
                                                        ranked.c.item == medians.c.item)))
                 .join(L, L.id == ranked.c.line_id).join(S, S.id == L.settlement_id)
                 .where(ranked.c.quantity * literal_column("200") > (medians.c.low + medians.c.high) * hundredths)
                 .order_by(S.hospital_code, L.item_code, S.id, L.position))
    for row in _stream(connection, statement):
        yield QuantityRow(_line(row), (row.low + row.high) / 2, row.samples)


# --- visits and stays -----------------------------------------------------------------------

def stays(connection: Connection, start: datetime, end: datetime, hospital: str,
          lookback_days: int = 0) -> list[Stay]:
    """Settled stays (in force) discharged since ``lookback_days`` before the period or
    later and admitted before its end, and stays still in hospital (admitted, never
    settled) admitted in that window."""
    since = start - timedelta(days=lookback_days)
    settled = [S.kind == INPATIENT, S.refunded_at.is_(None), S.visit_at < end, S.discharged_at >= since]
    current = [Admission.admitted_at >= since, Admission.admitted_at < end]
    if hospital:
        settled.append(S.hospital_code == hospital)
        current.append(Admission.hospital_code == hospital)
    in_force = aliased(Settlement)
    rows = connection.execute(union_all(
        select(S.hospital_code, S.hospital_level, S.member_id, S.number, beijing_day(connection, S.visit_at),
               beijing_day(connection, S.discharged_at), S.settlement_number, S.total).where(*settled),
        select(Admission.hospital_code, literal_column("0"), Admission.member_id, Admission.number,
               beijing_day(connection, Admission.admitted_at), literal_column("NULL"), literal_column("''"),
               literal_column("0")).where(
            *current, ~select(in_force.id).where(in_force.admission_id == Admission.id,
                                                 in_force.refunded_at.is_(None)).exists()))).all()
    # The union's columns take the first select's types: total arrives as an exact Decimal.
    return [Stay(h, level, member, number, as_date(admitted), as_date(discharged), jsbh, total)
            for h, level, member, number, admitted, discharged, jsbh, total in rows]


def same_day_visits(connection: Connection, start: datetime, end: datetime, hospital: str,
                    more_than: int) -> Iterator[SameDayVisits]:
    day = beijing_day(connection, S.visit_at)
    groups = (select(S.hospital_code, S.member_id, day.label("day"))
              .where(_in_period(start, end, hospital), S.kind == OUTPATIENT)
              .group_by(S.hospital_code, S.member_id, day).having(func.count() > more_than).subquery())
    statement = (select(S.hospital_code, S.member_id, groups.c.day, S.number)
                 .join(groups, and_(S.hospital_code == groups.c.hospital_code, S.member_id == groups.c.member_id,
                                    day == groups.c.day))
                 .where(_in_period(start, end, hospital), S.kind == OUTPATIENT)
                 .order_by(S.hospital_code, S.member_id, groups.c.day, S.visit_at))
    current, numbers = None, []
    for row in _stream(connection, statement):
        key = (row.hospital_code, row.member_id, as_date(row.day))
        if key != current and current is not None:
            yield SameDayVisits(*current, tuple(numbers))
            numbers = []
        current = key
        numbers.append(row.number)
    if current is not None:
        yield SameDayVisits(*current, tuple(numbers))


def hospital_refunds(connection: Connection, start: datetime, end: datetime) -> list[HospitalRefunds]:
    """Every hospital's settlements of the period, and how many of them were refunded."""
    statement = (select(S.hospital_code, func.count(),
                        func.sum(case((S.refunded_at.is_not(None), 1), else_=0)))
                 .where(S.settled_at >= start, S.settled_at < end).group_by(S.hospital_code)
                 .order_by(S.hospital_code))
    return [HospitalRefunds(code, total, int(refunded or 0)) for code, total, refunded in connection.execute(statement)]


# --- report sums -----------------------------------------------------------------------------

@dataclass(frozen=True)
class KindSums:
    hospital_code: str
    hospital_level: int
    kind: str
    count: int
    total: Decimal
    compensation: Decimal
    personal: Decimal
    days: int  # stays: the sum of 住院天数


def kind_sums(connection: Connection, start: datetime, end: datetime, hospital: str) -> list[KindSums]:
    if connection.dialect.name == "postgresql":
        span = beijing_day(connection, S.discharged_at) - beijing_day(connection, S.visit_at)
    else:
        span = func.julianday(beijing_day(connection, S.discharged_at)) - func.julianday(
            beijing_day(connection, S.visit_at))
    days = case((S.kind == INPATIENT, case((span < 1, 1), else_=span)), else_=0)
    statement = (select(S.hospital_code, S.hospital_level, S.kind, func.count(), func.sum(S.total),
                        func.sum(S.compensation), func.sum(S.personal), func.sum(days))
                 .where(_in_period(start, end, hospital))
                 .group_by(S.hospital_code, S.hospital_level, S.kind).order_by(S.hospital_code, S.kind))
    return [KindSums(code, level, kind, count, total, compensation, personal, int(day_sum or 0))
            for code, level, kind, count, total, compensation, personal, day_sum in connection.execute(statement)]


@dataclass(frozen=True)
class TrendSums:
    start: date
    hospital_code: str
    kind: str
    count: int
    total: Decimal
    compensation: Decimal


def trend_sums(connection: Connection, start: datetime, end: datetime, hospital: str,
               by_month: bool) -> list[TrendSums]:
    bucket = (beijing_month if by_month else beijing_day)(connection, S.settled_at).label("bucket")
    statement = (select(bucket, S.hospital_code, S.kind, func.count(), func.sum(S.total), func.sum(S.compensation))
                 .where(_in_period(start, end, hospital)).group_by(bucket, S.hospital_code, S.kind)
                 .order_by(bucket, S.hospital_code, S.kind))
    return [TrendSums(as_date(day), code, kind, count, total, compensation)
            for day, code, kind, count, total, compensation in connection.execute(statement)]
