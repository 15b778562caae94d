"""Wiring of the settlement service."""

from __future__ import annotations

import logging

from ncms.settlement.v1 import (
    settlement_pb2,
    settlement_pb2_grpc,
    supervision_pb2,
    supervision_pb2_grpc,
)
from runtime import service_main
from runtime.grpc_server import RunningServer, ServiceBinding
from runtime.settings import Settings

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
    running = service_main.serve_with_identity_tokens(settings, "settlement", listen, [
        ServiceBinding(SERVICE_NAME, settlement_pb2_grpc.add_SettlementServiceServicer_to_server,
                       SettlementService(db, policies, upstream,
                                         hospital_timeout=settings.hospital_call_timeout_seconds)),
        ServiceBinding(SUPERVISION_NAME, supervision_pb2_grpc.add_SupervisionServiceServicer_to_server,
                       SupervisionService(db, upstream, settings.supervision_rules))])
    running.on_stop(upstream.close)
    running.on_stop(db.dispose)
    return running


def main() -> None:
    service_main.run("settlement", build)
