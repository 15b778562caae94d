"""Enrolment's feed, applied to settlement's tables of members and enrolment years."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import Connection, delete, func, select

from ncms.enrollment.v1 import enrollment_pb2, enrollment_pb2_grpc
from runtime.clients import ClientCredentials, open_channel, with_token
from runtime.db import upsert
from runtime.projection import Change, change_time, last_per_key

from ..calculation import ENTITLED, FIVE_GUARANTEES, ORDINARY, SUBSISTENCE
from ..models import ProjectedEnrollment, ProjectedMember

MEMBERS = ProjectedMember.__table__
ENROLLMENTS = ProjectedEnrollment.__table__
CATEGORIES = {enrollment_pb2.CATEGORY_ORDINARY: ORDINARY, enrollment_pb2.CATEGORY_FIVE_GUARANTEES: FIVE_GUARANTEES,
              enrollment_pb2.CATEGORY_SUBSISTENCE: SUBSISTENCE, enrollment_pb2.CATEGORY_ENTITLED: ENTITLED}


class EnrollmentSource:
    name = "enrollment"

    def __init__(self, address: str, credentials: ClientCredentials, page_size: int = 2000) -> None:
        self._channel = open_channel(address)
        self._feed = enrollment_pb2_grpc.EnrollmentFeedServiceStub(with_token(self._channel, credentials.token))
        self._page_size = page_size

    def list_page(self, page_token: str) -> tuple[list, int, str]:
        page = self._feed.ListEnrollmentState(enrollment_pb2.ListEnrollmentStateRequest(
            page_size=self._page_size, page_token=page_token), timeout=60)
        return list(page.items), page.sequence, page.next_page_token

    def watch(self, after: int) -> Iterator[tuple[list[Change], int]]:
        request = enrollment_pb2.WatchEnrollmentChangesRequest(after_sequence=after)
        for response in self._feed.WatchEnrollmentChanges(request):
            yield [Change(c.sequence, change_time(c), c) for c in response.changes], response.head_sequence

    def apply(self, connection: Connection, entities: Sequence[enrollment_pb2.EnrollmentChange],
              generation: int) -> None:
        members, enrollments = [], []
        for change in entities:
            if change.HasField("member"):
                member = change.member
                members.append({"member_id": member.member_id, "card": member.card, "name": member.name,
                                "generation": generation})
            elif change.HasField("enrollment"):
                enrollment = change.enrollment
                enrollments.append({
                    "member_id": enrollment.member_id, "year": enrollment.year,
                    "active": enrollment.status == enrollment_pb2.ENROLLMENT_STATUS_ACTIVE,
                    "category": CATEGORIES.get(enrollment.category, ORDINARY), "generation": generation})
        upsert(connection, MEMBERS, last_per_key(members, lambda r: r["member_id"]), ("member_id",))
        upsert(connection, ENROLLMENTS, last_per_key(enrollments, lambda r: (r["member_id"], r["year"])),
               ("member_id", "year"))

    def sweep(self, connection: Connection, generation: int) -> None:
        for table in (MEMBERS, ENROLLMENTS):
            connection.execute(delete(table).where(table.c.generation < generation))

    def counts(self, connection: Connection) -> dict[str, int]:
        return {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for table in (MEMBERS, ENROLLMENTS)}

    def close(self) -> None:
        self._channel.close()
