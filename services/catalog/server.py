"""Wiring of the catalog service."""

from __future__ import annotations

from ncms.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from runtime import service_main
from runtime.grpc_server import RunningServer, ServiceBinding
from runtime.settings import Settings

from .service import CatalogService

SERVICE_NAME = catalog_pb2.DESCRIPTOR.services_by_name["CatalogService"].full_name
MIGRATIONS = "services.catalog.migrations"


def build(settings: Settings, listen: str | None = None) -> RunningServer:
    db = service_main.open_database(settings, "catalog", MIGRATIONS)
    running = service_main.serve_with_identity_tokens(settings, "catalog", listen, [
        ServiceBinding(SERVICE_NAME, catalog_pb2_grpc.add_CatalogServiceServicer_to_server,
                       CatalogService(db))])
    running.on_stop(db.dispose)
    return running


def main() -> None:
    service_main.run("catalog", build)
