"""The entry point shared by every service process (``python -m services.<name>``)."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable

from . import metrics, parent, telemetry, tls
from .clients import remote_token_verifier
from .db import Database, migrate, pending_migrations
from .grpc_server import RunningServer, ServiceBinding, create_server
from .logging import configure_logging
from .settings import ConfigurationError, Settings, load_settings

log = logging.getLogger(__name__)


def open_database(settings: Settings, service: str, migrations_package: str) -> Database:
    """The service's database, migrated in development; checked to be current otherwise."""
    db = Database(settings.database_url(service), pool_size=max(5, settings.grpc_max_workers // 2))
    if settings.migrate_on_start:
        migrate(db, migrations_package)
    else:
        pending = pending_migrations(db, migrations_package)
        if pending:
            db.dispose()
            raise ConfigurationError(
                f"the {service} database lacks {len(pending)} migration(s); "
                f"run `ncms migrate {service}` first")
    return db


def transport(settings: Settings, service: str, address: str) -> dict:
    """``create_server``'s transport arguments for ``service`` at ``address``: mutual TLS
    and the plaintext health address when the settings name TLS files (refused without
    them in production)."""
    settings.check_transport_safety()
    files = tls.files_from(settings)
    if files is None:
        return {}
    return {"tls": tls.ServerTls(files, service), "health_address": settings.health_address_of(address)}


def serve_with_identity_tokens(settings: Settings, service: str, listen: str | None,
                               bindings: list[ServiceBinding], *, serving: bool = True) -> RunningServer:
    """The server of a service whose callers present tokens signed by identity (checked
    with identity's published keys); the channel to identity closes with the server."""
    verifier, identity_channel = remote_token_verifier(settings.identity_address)
    address = listen or settings.listen_address_of(service)
    running = create_server(bindings, address, verifier=verifier, max_workers=settings.grpc_max_workers,
                            serving=serving, **transport(settings, service, address))
    running.on_stop(identity_channel.close)
    return running


def run(service: str, build: Callable[[Settings, str | None], RunningServer],
        argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m services.{service}",
                                     description=f"Run the NCMS {service} gRPC service.")
    parser.add_argument("--listen", help="address to listen on (default: NCMS_LISTEN_ADDRESS "
                                         f"or NCMS_{service.upper()}_ADDRESS)")
    args = parser.parse_args(argv)
    parent.stop_with_parent()
    try:
        settings = load_settings()
        configure_logging(service, settings.log_level, settings.log_format)
        telemetry.setup(service)
        metrics.serve(settings.metrics_address, service)
        running = build(settings, args.listen)
    except ConfigurationError as exc:
        print(f"ncms {service}: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    running.serve_until_signalled(settings.shutdown_grace_seconds)
    telemetry.shutdown()
    log.info("stopped")
