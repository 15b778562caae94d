"""HospitalRelayService: the NCMS asks a hospital's own SOAP service (zysjcxjk)."""

from __future__ import annotations

from ncms.settlement.v1 import settlement_pb2_grpc
from runtime.auth import ROLE_ADMIN, ROLE_INTERNAL, current_principal
from runtime.errors import invalid_argument, permission_denied

from .. import hospital_relay
from ..upstream import Upstream


class HospitalRelayServicer(settlement_pb2_grpc.HospitalRelayServiceServicer):
    def __init__(self, upstream: Upstream, hospital_timeout: float) -> None:
        self.upstream = upstream
        self.hospital_timeout = hospital_timeout

    def QueryInpatient(self, request, context):
        principal = current_principal()
        # The NCMS's own systems only: not a client bound to one hospital.
        if not (principal.has_role(ROLE_ADMIN) or (principal.has_role(ROLE_INTERNAL) and not principal.hospital_code)):
            raise permission_denied(f"{principal.subject} may not query hospitals' in-patients")
        hospital, number = request.hospital_code.strip(), request.number.strip()
        if not hospital:
            raise invalid_argument("hospital_code", "the hospital to ask")
        if not number:
            raise invalid_argument("number", "the 住院编号 zybh")
        timeout = self.hospital_timeout
        remaining = context.time_remaining()
        if remaining is not None:
            timeout = max(0.1, min(timeout, remaining - 0.1))  # answer before our caller gives up
        return hospital_relay.query(self.upstream, hospital, number, timeout)
