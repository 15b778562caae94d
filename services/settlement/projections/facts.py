"""What a bill needs to know of its member and its items: from settlement's own copies,
or, for what a copy does not hold yet (a member imported or an item uploaded a moment
ago), from the owner itself, so that nothing is settled on a copy that lags."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, bindparam, select

from runtime.db import Database

from ..bills import BillLine
from ..calculation import CLASS_B, CLASS_C
from ..models import ProjectedEnrollment, ProjectedHospitalItem, ProjectedMember, ProjectedNcmsItem
from ..upstream import Enrollee, Resolved, Upstream

MEMBERS = ProjectedMember.__table__
ENROLLMENTS = ProjectedEnrollment.__table__
HOSPITAL_ITEMS = ProjectedHospitalItem.__table__
NCMS_ITEMS = ProjectedNcmsItem.__table__

UNMAPPED = Resolved("", CLASS_C, None, None, False, None)

_MEMBER = (select(MEMBERS.c.card, MEMBERS.c.name, ENROLLMENTS.c.active, ENROLLMENTS.c.category)
           .select_from(MEMBERS.outerjoin(ENROLLMENTS, and_(ENROLLMENTS.c.member_id == MEMBERS.c.member_id,
                                                            ENROLLMENTS.c.year == bindparam("year"))))
           .where(MEMBERS.c.member_id == bindparam("member_id")))
_ITEMS = (select(HOSPITAL_ITEMS.c.kind, HOSPITAL_ITEMS.c.code, HOSPITAL_ITEMS.c.deleted, HOSPITAL_ITEMS.c.ncms_code,
                 NCMS_ITEMS.c.version_id, NCMS_ITEMS.c.charge_class, NCMS_ITEMS.c.self_pay_ratio,
                 NCMS_ITEMS.c.price_limit)
          .select_from(HOSPITAL_ITEMS.outerjoin(NCMS_ITEMS, and_(NCMS_ITEMS.c.kind == HOSPITAL_ITEMS.c.kind,
                                                                 NCMS_ITEMS.c.code == HOSPITAL_ITEMS.c.ncms_code)))
          .where(HOSPITAL_ITEMS.c.hospital_code == bindparam("hospital"),
                 HOSPITAL_ITEMS.c.code.in_(bindparam("codes", expanding=True))))


class ProjectedFacts:
    def __init__(self, db: Database, upstream: Upstream) -> None:
        self.db = db
        self.upstream = upstream

    def enrollee(self, member_id: str, year: int) -> Enrollee:
        with self.db.read() as connection:
            row = connection.execute(_MEMBER, {"member_id": member_id, "year": year}).first()
        if row is None or row.active is None:  # not in the copy (yet): ask enrolment
            return self.upstream.enrollee(member_id, year)
        return Enrollee(row.card, row.name, enrolled=row.active, stopped=not row.active, category=row.category)

    def resolve(self, hospital: str, lines: Sequence[BillLine]) -> list[Resolved]:
        with self.db.read() as connection:
            rows = connection.execute(_ITEMS, {"hospital": hospital,
                                               "codes": sorted({line.item_code for line in lines})}).all()
        found = {(row.kind, row.code): row for row in rows}
        resolved: list[Resolved | None] = [_resolved(found.get((line.item_kind, line.item_code))) for line in lines]
        missing = [line for line, item in zip(lines, resolved, strict=True) if item is None]
        if missing:  # not in the copy (yet): ask the catalog
            answers = iter(self.upstream.resolve(hospital, missing))
            resolved = [item if item is not None else next(answers) for item in resolved]
        return resolved


def _resolved(row) -> Resolved | None:
    """A line's item as the copy has it; None when the copy does not know the item."""
    if row is None:
        return None
    if row.deleted or not row.ncms_code or row.version_id is None:
        return UNMAPPED
    ratio = row.self_pay_ratio if row.charge_class == CLASS_B else None
    return Resolved(row.ncms_code, row.charge_class, ratio, row.price_limit, True, row.version_id)
