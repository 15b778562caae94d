"""AuditService: reading the audit log."""

from __future__ import annotations

from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.auth import ROLE_ADMIN, STAFF_ADMINISTRATOR, STAFF_AUDITOR, current_principal
from runtime.timestamps import timestamp

from .. import repository
from .shared import Identity


class AuditServicer(identity_pb2_grpc.AuditServiceServicer):
    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def ListAuditEvents(self, request, context):
        current_principal().require_role(ROLE_ADMIN, STAFF_ADMINISTRATOR, STAFF_AUDITOR)
        limit = min(request.page_size or 100, 1000)
        with self.identity.db.read() as connection:
            events = repository.audit_events(connection, hospital_code=request.hospital_code, user=request.user,
                                             before_id=request.before_id, limit=limit)
        return identity_pb2.ListAuditEventsResponse(events=[identity_pb2.AuditEvent(
            id=e.id, time=timestamp(e.time), kind=e.kind, call_id=e.call_id, hospital_code=e.hospital_code,
            user=e.user, client_ip=e.client_ip, operation=e.operation, outcome=e.outcome,
            error_code=e.error_code, detail=e.detail, actor=e.actor) for e in events])
