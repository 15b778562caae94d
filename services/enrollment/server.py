"""Wiring of the enrollment service."""

from __future__ import annotations

from datetime import timedelta

from ncms.enrollment.v1 import enrollment_pb2, enrollment_pb2_grpc
from runtime import service_main
from runtime.change_feed import ChangeFeed, Trimmer
from runtime.grpc_server import RunningServer, ServiceBinding
from runtime.settings import Settings

from .api.enrollment import EnrollmentServicer
from .api.feed import EnrollmentFeedServicer
from .models import FEED_CHANGES, FEED_SEQUENCES

MIGRATIONS = "services.enrollment.migrations"
FEED = "enrollment"


def _name(service: str) -> str:
    return enrollment_pb2.DESCRIPTOR.services_by_name[service].full_name


def build(settings: Settings, listen: str | None = None) -> RunningServer:
    db = service_main.open_database(settings, "enrollment", MIGRATIONS)
    feed = ChangeFeed(db, FEED, FEED_CHANGES, FEED_SEQUENCES)
    feed.ensure_counter()
    trimmer = Trimmer([feed], timedelta(hours=settings.feed_retention_hours)).start()
    running = service_main.serve_with_identity_tokens(settings, "enrollment", listen, [
        # Lookups at the desk (chryxxjk) are short reads: on the event loop.
        ServiceBinding(_name("EnrollmentService"), enrollment_pb2_grpc.add_EnrollmentServiceServicer_to_server,
                       EnrollmentServicer(db, feed), inline=frozenset({"GetHousehold", "CheckEnrollment"})),
        ServiceBinding(_name("EnrollmentFeedService"),
                       enrollment_pb2_grpc.add_EnrollmentFeedServiceServicer_to_server,
                       EnrollmentFeedServicer(db, feed))])
    running.on_stop(trimmer.stop)
    running.on_stop(db.dispose)
    return running


def main() -> None:
    service_main.run("enrollment", build)
