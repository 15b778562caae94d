"""Wiring of the catalog service."""

from __future__ import annotations

from datetime import timedelta

from ncms.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from runtime import service_main
from runtime.change_feed import ChangeFeed, Trimmer
from runtime.grpc_server import RunningServer, ServiceBinding
from runtime.settings import Settings

from .api.catalog import CatalogServicer
from .api.feed import CatalogFeedServicer
from .models import FEED_CHANGES, FEED_SEQUENCES

MIGRATIONS = "services.catalog.migrations"
FEED = "catalog"


def _name(service: str) -> str:
    return catalog_pb2.DESCRIPTOR.services_by_name[service].full_name


def build(settings: Settings, listen: str | None = None) -> RunningServer:
    db = service_main.open_database(settings, "catalog", MIGRATIONS)
    feed = ChangeFeed(db, FEED, FEED_CHANGES, FEED_SEQUENCES)
    feed.ensure_counter()
    trimmer = Trimmer([feed], timedelta(hours=settings.feed_retention_hours)).start()
    running = service_main.serve_with_identity_tokens(settings, "catalog", listen, [
        # A bill's items are resolved here only when settlement's copy lacks them.
        ServiceBinding(_name("CatalogService"), catalog_pb2_grpc.add_CatalogServiceServicer_to_server,
                       CatalogServicer(db, feed), inline=frozenset({"ResolveItems"})),
        ServiceBinding(_name("CatalogFeedService"), catalog_pb2_grpc.add_CatalogFeedServiceServicer_to_server,
                       CatalogFeedServicer(db, feed))])
    running.on_stop(trimmer.stop)
    running.on_stop(db.dispose)
    return running


def main() -> None:
    service_main.run("catalog", build)
