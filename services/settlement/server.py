"""Wiring of the settlement service."""

from __future__ import annotations

import logging

from ncms.settlement.v1 import (
    settlement_pb2,
    settlement_pb2_grpc,
    supervision_pb2,
    supervision_pb2_grpc,
)
from services.runtime import service_main
from services.runtime.clients import remote_token_verifier
from services.runtime.grpc_server import RunningServer, ServiceBinding, create_server
from services.runtime.settings import Settings

from .policy import PolicyStore
from .service import SettlementService
from .supervision.service import SupervisionService
from .upstream import Upstream

SERVICE_NAME = settlement_pb2.DESCRIPTOR.services_by_name["SettlementService"].full_name
SUPERVISION_NAME = supervision_pb2.DESCRIPTOR.services_by_name["SupervisionService"].full_name
MIGRATIONS = "services.settlement.migrations"

log = logging.getLogger(__name__)


def build(settings: Settings, listen: str | None = None) -> RunningServer:
    db = service_main.open_database(settings, "settlement", MIGRATIONS)
    policies = PolicyStore(settings.policies_path, default_fallback=settings.policy_default_fallback)
    log.info("policies from %s (a year without a file: %s)", settings.policies_path,
             "the default policy" if settings.policy_default_fallback else "no policy, E4006")
    upstream = Upstream(settings)
    verifier, identity_channel = remote_token_verifier(settings.identity_address)
    running = create_server(
        [ServiceBinding(SERVICE_NAME, settlement_pb2_grpc.add_SettlementServiceServicer_to_server,
                        SettlementService(db, policies, upstream,
                                          hospital_timeout=settings.hospital_call_timeout_seconds)),
         ServiceBinding(SUPERVISION_NAME, supervision_pb2_grpc.add_SupervisionServiceServicer_to_server,
                        SupervisionService(db, upstream, settings.supervision_rules))],
        listen or settings.listen_address_of("settlement"), verifier=verifier,
        max_workers=settings.grpc_max_workers)
    running.on_stop(upstream.close)
    running.on_stop(identity_channel.close)
    running.on_stop(db.dispose)
    return running


def main() -> None:
    service_main.run("settlement", build)
