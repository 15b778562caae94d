"""What a bill needs to know of its member and its items: from settlement's own copies,
or, for what a copy does not hold yet (a member imported or an item uploaded a moment
ago), from the owner itself, so that nothing is settled on a copy that lags."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, and_, bindparam, select

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
    """Reads settlement's copies (in the caller's transaction); asks the owners (over
    gRPC, with the caller's token) for what the copies do not hold yet."""

    def __init__(self, upstream: Upstream) -> None:
        self.upstream = upstream

    @staticmethod
    def member(connection: Connection, member_id: str, year: int) -> Enrollee | None:
        """The member in that year as the copy holds it; None when the copy does not know
        the member or that year."""
        row = connection.execute(_MEMBER, {"member_id": member_id, "year": year}).first()
        if row is None or row.active is None:
            return None
        return Enrollee(row.card, row.name, enrolled=row.active, stopped=not row.active, category=row.category)

    @staticmethod
    def items(connection: Connection, hospital: str, lines: Sequence[BillLine]) -> list[Resolved | None]:
        """Each line's item as the copy holds it; None for an item the copy does not know."""
        rows = connection.execute(_ITEMS, {"hospital": hospital,
                                           "codes": sorted({line.item_code for line in lines})}).all()
        found = {(row.kind, row.code): row for row in rows}
        return [_resolved(found.get((line.item_kind, line.item_code))) for line in lines]

    def owner_member(self, member_id: str, year: int) -> Enrollee:
        return self.upstream.enrollee(member_id, year)

    def owner_items(self, hospital: str, lines: Sequence[BillLine], known: Sequence[Resolved | None]) -> list[Resolved]:
        """``known`` with its gaps filled by the catalog."""
        missing = [line for line, item in zip(lines, known, strict=True) if item is None]
        answers = iter(self.upstream.resolve(hospital, missing) if missing else [])
        return [item if item is not None else next(answers) for item in known]


def _resolved(row) -> Resolved | None:
    """A line's item as the copy has it; None when the copy does not know the item."""
    if row is None:
        return None
    if row.deleted or not row.ncms_code or row.version_id is None:
        return UNMAPPED
    ratio = row.self_pay_ratio if row.charge_class == CLASS_B else None
    return Resolved(row.ncms_code, row.charge_class, ratio, row.price_limit, True, row.version_id)
