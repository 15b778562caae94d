"""ProjectionService: how far settlement's copies of the catalog and enrolment are,
and waiting until a copy has taken in a change."""

from __future__ import annotations

from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc
from runtime.auth import STAFF_ROLES, current_principal, require_centre
from runtime.clock import utcnow
from runtime.errors import invalid_argument
from runtime.projection import Follower
from runtime.timestamps import timestamp

SOURCES = {settlement_pb2.PROJECTION_SOURCE_CATALOG: "catalog",
           settlement_pb2.PROJECTION_SOURCE_ENROLLMENT: "enrollment"}
SOURCE_ENUMS = {name: number for number, name in SOURCES.items()}


class ProjectionServicer(settlement_pb2_grpc.ProjectionServiceServicer):
    def __init__(self, followers: dict[str, Follower]) -> None:
        self.followers = followers

    def ListProjections(self, request, context):
        require_centre(*STAFF_ROLES)  # every member of the staff: the console's dashboard
        projections = []
        for name, follower in self.followers.items():
            with follower.db.read() as connection:
                cursor = follower.cursor(connection)
                rows = follower.source.counts(connection)
            lag_seconds = 0.0
            if cursor.lag and cursor.change_time is not None:
                lag_seconds = max(0.0, (utcnow() - cursor.change_time).total_seconds())
            projections.append(settlement_pb2.Projection(
                source=SOURCE_ENUMS[name], sequence=cursor.sequence or 0, head_sequence=cursor.head,
                lag_sequences=cursor.lag, lag_seconds=lag_seconds, synced=cursor.synced,
                apply_time=timestamp(cursor.applied_at), rows=rows, applying_here=follower.leading))
        return settlement_pb2.ListProjectionsResponse(projections=projections)

    def AwaitProjection(self, request, context):
        current_principal()
        follower = self.followers.get(SOURCES.get(request.source, ""))
        if follower is None:
            raise invalid_argument("source", "PROJECTION_SOURCE_CATALOG or PROJECTION_SOURCE_ENROLLMENT")
        timeout = max(0.0, request.timeout_seconds)
        remaining = context.time_remaining()
        if remaining is not None:
            timeout = min(timeout, max(0.0, remaining - 0.1))  # answer before the caller gives up
        applied = follower.wait_applied(request.sequence, timeout)
        return settlement_pb2.AwaitProjectionResponse(applied=applied, sequence=follower.cursor().sequence or 0)
