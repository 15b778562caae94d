"""Wiring of the settlement service: its database, its copies of the catalog and
enrolment (fed by their change feeds), the servicers, and readiness once the copies
are in sync."""

from __future__ import annotations

import logging
import threading

from ncms.identity.v1 import identity_pb2_grpc
from ncms.settlement.v1 import (
    settlement_pb2,
    settlement_pb2_grpc,
    supervision_pb2,
    supervision_pb2_grpc,
)
from runtime import service_main
from runtime.auth import SETTLEMENT_CLIENT
from runtime.clients import ClientCredentials, identity_channel
from runtime.grpc_server import RunningServer, ServiceBinding
from runtime.projection import Follower
from runtime.settings import Settings

from .api.admissions import AdmissionServicer
from .api.hospital_relay import HospitalRelayServicer
from .api.policies import ImportedPolicies, PolicyServicer, import_directory
from .api.projections import ProjectionServicer
from .api.reconciliation import ReconciliationServicer
from .api.settlements import SettlementServicer
from .models import PROJECTION_CURSORS
from .policy import PolicyStore
from .projections.catalog import CatalogSource
from .projections.enrollment import EnrollmentSource
from .projections.facts import ProjectedFacts
from .supervision.service import SupervisionService
from .upstream import Upstream

MIGRATIONS = "services.settlement.migrations"

log = logging.getLogger(__name__)


def _name(module, service: str) -> str:
    return module.DESCRIPTOR.services_by_name[service].full_name


def build(settings: Settings, listen: str | None = None) -> RunningServer:
    db = service_main.open_database(settings, "settlement", MIGRATIONS)
    try:
        import_directory(db, settings.policies_path)  # files of the old policy directory, once
    except Exception:
        db.dispose()
        raise
    policies = PolicyStore(ImportedPolicies(db), default_fallback=settings.policy_default_fallback)
    log.info("policies as imported (a year without one: %s)",
             "the default policy" if settings.policy_default_fallback else "no policy, E4006")
    upstream = Upstream(settings)
    identity = identity_channel(settings.identity_address)
    credentials = ClientCredentials(identity_pb2_grpc.TokenServiceStub(identity), SETTLEMENT_CLIENT,
                                    settings.secret("settlement_client_secret"), timeout=settings.grpc_deadline_seconds)
    sources = [CatalogSource(settings.catalog_address, credentials, settings.projection_page_size),
               EnrollmentSource(settings.enrollment_address, credentials, settings.projection_page_size)]
    followers = {source.name: Follower(db, PROJECTION_CURSORS, source) for source in sources}
    settlements = SettlementServicer(db, policies, ProjectedFacts(upstream), upstream.hospital_level)
    grpc = settlement_pb2_grpc
    running = service_main.serve_with_identity_tokens(settings, "settlement", listen, [
        # A settlement and a refund are short and touch only this service's database:
        # they run on the event loop (runtime.grpc_server).
        ServiceBinding(_name(settlement_pb2, "SettlementService"), grpc.add_SettlementServiceServicer_to_server,
                       settlements, inline=frozenset({"SettleOutpatient", "SettleInpatient", "RefundOutpatient",
                                                      "RefundInpatient", "GetYearTotals"})),
        ServiceBinding(_name(settlement_pb2, "AdmissionService"), grpc.add_AdmissionServiceServicer_to_server,
                       AdmissionServicer(db, settlements.check_member, upstream.hospital_level)),
        ServiceBinding(_name(settlement_pb2, "ReconciliationService"),
                       grpc.add_ReconciliationServiceServicer_to_server, ReconciliationServicer(db)),
        ServiceBinding(_name(settlement_pb2, "HospitalRelayService"), grpc.add_HospitalRelayServiceServicer_to_server,
                       HospitalRelayServicer(upstream, settings.hospital_call_timeout_seconds)),
        ServiceBinding(_name(settlement_pb2, "ProjectionService"), grpc.add_ProjectionServiceServicer_to_server,
                       ProjectionServicer(followers)),
        ServiceBinding(_name(settlement_pb2, "PolicyService"), grpc.add_PolicyServiceServicer_to_server,
                       PolicyServicer(db, policies)),
        ServiceBinding(_name(supervision_pb2, "SupervisionService"),
                       supervision_pb2_grpc.add_SupervisionServiceServicer_to_server,
                       SupervisionService(db, upstream, settings.supervision_rules))],
        serving=False)
    for follower in followers.values():
        follower.start()
    stopping = threading.Event()
    threading.Thread(target=_ready_when_synced, args=(running, followers, stopping), name="readiness",
                     daemon=True).start()
    running.on_stop(stopping.set)
    for follower in followers.values():
        running.on_stop(follower.stop)
    running.on_stop(identity.close)
    running.on_stop(upstream.close)
    running.on_stop(db.dispose)
    return running


def _ready_when_synced(running: RunningServer, followers: dict[str, Follower], stopping: threading.Event) -> None:
    """SERVING once every copy has been listed and caught up (by this replica or another)."""
    waiting = set(followers)
    while waiting and not stopping.wait(0.2):
        waiting = {name for name in waiting if not followers[name].cursor().synced}
    if not waiting and not stopping.is_set():
        running.set_serving(True)
        log.info("projections in sync: serving")


def main() -> None:
    service_main.run("settlement", build)
