"""Wiring of the enrollment service."""

from __future__ import annotations

from ncms.enrollment.v1 import enrollment_pb2, enrollment_pb2_grpc
from runtime import service_main
from runtime.grpc_server import RunningServer, ServiceBinding
from runtime.settings import Settings

from .service import EnrollmentService

SERVICE_NAME = enrollment_pb2.DESCRIPTOR.services_by_name["EnrollmentService"].full_name
MIGRATIONS = "services.enrollment.migrations"


def build(settings: Settings, listen: str | None = None) -> RunningServer:
    db = service_main.open_database(settings, "enrollment", MIGRATIONS)
    running = service_main.serve_with_identity_tokens(settings, "enrollment", listen, [
        ServiceBinding(SERVICE_NAME, enrollment_pb2_grpc.add_EnrollmentServiceServicer_to_server,
                       EnrollmentService(db))])
    running.on_stop(db.dispose)
    return running


def main() -> None:
    service_main.run("enrollment", build)
