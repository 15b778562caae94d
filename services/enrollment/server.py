"""Wiring of the enrollment service."""

from __future__ import annotations

from ncms.enrollment.v1 import enrollment_pb2, enrollment_pb2_grpc
from services.runtime import service_main
from services.runtime.clients import remote_token_verifier
from services.runtime.grpc_server import RunningServer, ServiceBinding, create_server
from services.runtime.settings import Settings

from .service import EnrollmentService

SERVICE_NAME = enrollment_pb2.DESCRIPTOR.services_by_name["EnrollmentService"].full_name
MIGRATIONS = "services.enrollment.migrations"


def build(settings: Settings, listen: str | None = None) -> RunningServer:
    db = service_main.open_database(settings, "enrollment", MIGRATIONS)
    verifier, identity_channel = remote_token_verifier(settings.identity_address)
    running = create_server(
        [ServiceBinding(SERVICE_NAME, enrollment_pb2_grpc.add_EnrollmentServiceServicer_to_server,
                        EnrollmentService(db))],
        listen or settings.listen_address_of("enrollment"), verifier=verifier,
        max_workers=settings.grpc_max_workers)
    running.on_stop(identity_channel.close)
    running.on_stop(db.dispose)
    return running


def main() -> None:
    service_main.run("enrollment", build)
