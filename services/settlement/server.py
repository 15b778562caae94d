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

from .api.admissions import AdmissionServicer
from .api.hospital_relay import HospitalRelayServicer
from .api.reconciliation import ReconciliationServicer
from .api.settlements import SettlementServicer
from .policy import PolicyStore
from .supervision.service import SupervisionService
from .upstream import Upstream

MIGRATIONS = "services.settlement.migrations"

log = logging.getLogger(__name__)


def _name(module, service: str) -> str:
    return module.DESCRIPTOR.services_by_name[service].full_name


def build(settings: Settings, listen: str | None = None) -> RunningServer:
    db = service_main.open_database(settings, "settlement", MIGRATIONS)
    policies = PolicyStore(settings.policies_path, default_fallback=settings.policy_default_fallback)
    log.info("policies from %s (a year without a file: %s)", settings.policies_path,
             "the default policy" if settings.policy_default_fallback else "no policy, E4006")
    upstream = Upstream(settings)
    settlements = SettlementServicer(db, policies, upstream, upstream.hospital_level)
    grpc = settlement_pb2_grpc
    running = service_main.serve_with_identity_tokens(settings, "settlement", listen, [
        # A settlement and a refund are short and touch only this service's database:
        # they run on the event loop (runtime.grpc_server).
        ServiceBinding(_name(settlement_pb2, "SettlementService"), grpc.add_SettlementServiceServicer_to_server,
                       settlements, inline=frozenset({"GetYearTotals"})),
        ServiceBinding(_name(settlement_pb2, "AdmissionService"), grpc.add_AdmissionServiceServicer_to_server,
                       AdmissionServicer(db, settlements.check_member, upstream.hospital_level)),
        ServiceBinding(_name(settlement_pb2, "ReconciliationService"),
                       grpc.add_ReconciliationServiceServicer_to_server, ReconciliationServicer(db)),
        ServiceBinding(_name(settlement_pb2, "HospitalRelayService"), grpc.add_HospitalRelayServiceServicer_to_server,
                       HospitalRelayServicer(upstream, settings.hospital_call_timeout_seconds)),
        ServiceBinding(_name(supervision_pb2, "SupervisionService"),
                       supervision_pb2_grpc.add_SupervisionServiceServicer_to_server,
                       SupervisionService(db, upstream, settings.supervision_rules))])
    running.on_stop(upstream.close)
    running.on_stop(db.dispose)
    return running


def main() -> None:
    service_main.run("settlement", build)
