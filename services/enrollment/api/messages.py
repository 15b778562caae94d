"""Enrolment's rows as protobuf messages, and as the changes of its feed."""

from __future__ import annotations

from sqlalchemy import Row

from ncms.enrollment.v1 import enrollment_pb2

# The import format's codes (admin.md): cbzt and rylb.
STATUSES = {"1": enrollment_pb2.ENROLLMENT_STATUS_ACTIVE, "0": enrollment_pb2.ENROLLMENT_STATUS_STOPPED}
CATEGORIES = {"1": enrollment_pb2.CATEGORY_ORDINARY, "2": enrollment_pb2.CATEGORY_FIVE_GUARANTEES,
              "3": enrollment_pb2.CATEGORY_SUBSISTENCE, "4": enrollment_pb2.CATEGORY_ENTITLED}


def enrollment_message(year: int, status: str | None, category: str | None,
                       fallback_category: str | None = None) -> enrollment_pb2.Enrollment:
    return enrollment_pb2.Enrollment(
        year=year, status=STATUSES.get(status or "", enrollment_pb2.ENROLLMENT_STATUS_NONE),
        category=CATEGORIES.get(category or fallback_category or "", enrollment_pb2.CATEGORY_UNSPECIFIED))


def member_change(row: Row) -> enrollment_pb2.EnrollmentChange:
    return enrollment_pb2.EnrollmentChange(member=enrollment_pb2.MemberState(
        member_id=row.member_id, card=row.card, name=row.name))


def enrollment_change(row: Row) -> enrollment_pb2.EnrollmentChange:
    return enrollment_pb2.EnrollmentChange(enrollment=enrollment_pb2.EnrollmentState(
        member_id=row.member_id, year=row.year,
        status=STATUSES.get(row.status, enrollment_pb2.ENROLLMENT_STATUS_NONE),
        category=CATEGORIES.get(row.category, enrollment_pb2.CATEGORY_UNSPECIFIED)))


def entry(change: enrollment_pb2.EnrollmentChange) -> tuple[str, bytes]:
    """(entity key, payload) of a change, for the outbox."""
    if change.HasField("member"):
        key = f"member/{change.member.member_id}"
    else:
        key = f"enrollment/{change.enrollment.member_id}/{change.enrollment.year}"
    return key, change.SerializeToString()
