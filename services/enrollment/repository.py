"""Queries on enrolment's tables, as SQLAlchemy Core statements on a connection that the
caller's transaction owns; nothing here commits. (Bulk imports are set-based SQL of
their own, in bulk.py.)"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import Connection, Row, and_, bindparam, select

from .models import Enrollment, Household, Member

HOUSEHOLDS = Household.__table__
MEMBERS = Member.__table__
ENROLLMENTS = Enrollment.__table__

_latest = ENROLLMENTS.alias("latest")
_HOUSEHOLD = select(HOUSEHOLDS).where(HOUSEHOLDS.c.card == bindparam("card"))
# Members of a household with their enrolment in the year, and their latest category.
_HOUSEHOLD_MEMBERS = (
    select(MEMBERS.c.member_id, MEMBERS.c.name, MEMBERS.c.sex, MEMBERS.c.birth_date, MEMBERS.c.id_number,
           MEMBERS.c.relation, ENROLLMENTS.c.status, ENROLLMENTS.c.category,
           select(_latest.c.category).where(_latest.c.member_id == MEMBERS.c.member_id)
           .order_by(_latest.c.year.desc()).limit(1).scalar_subquery().label("latest_category"))
    .select_from(MEMBERS.outerjoin(ENROLLMENTS, and_(ENROLLMENTS.c.member_id == MEMBERS.c.member_id,
                                                     ENROLLMENTS.c.year == bindparam("year"))))
    .where(MEMBERS.c.card == bindparam("card")).order_by(MEMBERS.c.member_id))
_CHECK = (select(MEMBERS.c.card, MEMBERS.c.name, ENROLLMENTS.c.status, ENROLLMENTS.c.category)
          .select_from(MEMBERS.outerjoin(ENROLLMENTS, and_(ENROLLMENTS.c.member_id == MEMBERS.c.member_id,
                                                           ENROLLMENTS.c.year == bindparam("year"))))
          .where(MEMBERS.c.member_id == bindparam("member_id")))


def household(connection: Connection, card: str) -> Row | None:
    return connection.execute(_HOUSEHOLD, {"card": card}).first()


def household_members(connection: Connection, card: str, year: int) -> Sequence[Row]:
    return connection.execute(_HOUSEHOLD_MEMBERS, {"card": card, "year": year}).all()


def member(connection: Connection, member_id: str) -> Row | None:
    return connection.execute(select(MEMBERS).where(MEMBERS.c.member_id == member_id)).first()


def member_years(connection: Connection, member_id: str) -> Sequence[Row]:
    return connection.execute(select(ENROLLMENTS).where(ENROLLMENTS.c.member_id == member_id)
                              .order_by(ENROLLMENTS.c.year)).all()


def search_members(connection: Connection, *, id_number: str, card: str, member_id: str, name: str,
                   limit: int) -> Sequence[Row]:
    """Members matching every given value (the name in part), by member id."""
    condition = []
    if id_number:
        condition.append(MEMBERS.c.id_number == id_number)
    if card:
        condition.append(MEMBERS.c.card == card)
    if member_id:
        condition.append(MEMBERS.c.member_id == member_id)
    if name:
        pattern = "%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        condition.append(MEMBERS.c.name.like(pattern, escape="\\"))
    return connection.execute(select(MEMBERS).where(*condition).order_by(MEMBERS.c.member_id).limit(limit)).all()


def enrollment_check(connection: Connection, member_id: str, year: int) -> Row | None:
    """The member's card and name and its enrolment that year (None: no such member)."""
    return connection.execute(_CHECK, {"member_id": member_id, "year": year}).first()


# --- listing the state for the change feed ------------------------------------------------

def members_page(connection: Connection, after: str, limit: int) -> Sequence[Row]:
    return connection.execute(select(MEMBERS.c.member_id, MEMBERS.c.card, MEMBERS.c.name)
                              .where(MEMBERS.c.member_id > after).order_by(MEMBERS.c.member_id).limit(limit)).all()


def enrollments_of(connection: Connection, member_ids: Sequence[str]) -> Sequence[Row]:
    if not member_ids:
        return []
    return connection.execute(select(ENROLLMENTS).where(ENROLLMENTS.c.member_id.in_(list(member_ids)))
                              .order_by(ENROLLMENTS.c.member_id, ENROLLMENTS.c.year)).all()


def stream(connection: Connection, statement, batch: int = 10_000) -> Iterator[Sequence[Row]]:
    """The rows of ``statement`` in batches, without holding them all in memory."""
    result = connection.execution_options(stream_results=True, yield_per=batch).execute(statement)
    yield from result.partitions(batch)

