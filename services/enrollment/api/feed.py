"""EnrollmentFeedService: members and their years, and the changes to them, for the
services that keep a copy of what a settlement needs (runtime.change_feed)."""

from __future__ import annotations

from ncms.enrollment.v1 import enrollment_pb2, enrollment_pb2_grpc
from runtime.auth import require_centre_system
from runtime.change_feed import ChangeFeed, PageToken, follow, page_size
from runtime.db import Database
from runtime.timestamps import timestamp

from .. import repository
from .messages import enrollment_change, member_change


class EnrollmentFeedServicer(enrollment_pb2_grpc.EnrollmentFeedServiceServicer):
    def __init__(self, db: Database, feed: ChangeFeed) -> None:
        self.db = db
        self.feed = feed

    def ListEnrollmentState(self, request, context):
        """Members in order of their id, each followed by its enrolment years."""
        require_centre_system()
        limit = page_size(request.page_size)
        with self.db.read() as connection:
            token = PageToken.parse(request.page_token) or PageToken(0, "", self.feed.head(connection))
            members = repository.members_page(connection, str(token.after), limit)
            years = repository.enrollments_of(connection, [m.member_id for m in members])
        by_member: dict[str, list] = {}
        for year in years:
            by_member.setdefault(year.member_id, []).append(enrollment_change(year))
        items = []
        for member in members:
            items.append(member_change(member))
            items += by_member.get(member.member_id, [])
        following = PageToken(0, members[-1].member_id, token.sequence) if len(members) == limit else None
        return enrollment_pb2.ListEnrollmentStateResponse(items=items, sequence=token.sequence,
                                                          next_page_token=following.text() if following else "")

    def WatchEnrollmentChanges(self, request, context):
        require_centre_system()
        for changes, head in follow(self.feed, request.after_sequence, stopping=lambda: not context.is_active()):
            changes = [_stamped(c.payload, c.sequence, c.created_at) for c in changes]
            yield enrollment_pb2.WatchEnrollmentChangesResponse(changes=changes, head_sequence=head)


def _stamped(payload: bytes, sequence: int, created) -> enrollment_pb2.EnrollmentChange:
    change = enrollment_pb2.EnrollmentChange.FromString(payload)
    change.sequence = sequence
    change.create_time.CopyFrom(timestamp(created))
    return change
