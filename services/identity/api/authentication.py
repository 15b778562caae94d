"""AuthenticationService: deciding legacy calls, for the SOAP services in front of
hospitals (gateway role only)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.auth import ROLE_GATEWAY, Principal, current_principal
from runtime.clock import utcnow
from runtime.errors import ContractError
from runtime.grpc_server import leave_event_loop

from .. import audit, repository
from ..audit import AuditUnavailable
from ..authentication import (
    Attempt,
    Effect,
    HospitalRecord,
    MessageHeader,
    PasswordCheck,
    UserRecord,
    decide,
)
from .shared import Identity, principal_message, timestamp_from_epoch

log = logging.getLogger(__name__)


class AuthenticationServicer(identity_pb2_grpc.AuthenticationServiceServicer):
    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def Authenticate(self, request, context):
        current_principal().require_role(ROLE_GATEWAY)
        identity, settings = self.identity, self.identity.settings
        header = (MessageHeader(request.message_header.message_id, request.message_header.send_time)
                  if request.HasField("message_header") else None)
        attempt = Attempt(
            hospital_code=request.hospital_code, user=request.user, password=request.password,
            client_ip=request.client_ip, operation=request.operation,
            digest_message=request.digest_message, digest=request.digest, message_header=header)
        now = utcnow()
        row = identity.authentication_row(attempt.hospital_code, attempt.user)
        hospital_record = None if row is None else self._hospital_record(row, now)
        user_record = None if row is None else row.user
        known_good = user_record is not None and identity.checker.known_good(
            user_record.id, user_record.password_hash, attempt.password)
        if not known_good:
            # A password verified the slow way, or the same time spent for a user that
            # does not exist: not on the event loop. Before anything is written (the
            # call starts again on a worker thread).
            leave_event_loop()
        taken: list[int] = []  # the lock-out attempt this call took, if it took one

        def password_check(user: UserRecord | None, password: str) -> PasswordCheck:
            if known_good:
                return PasswordCheck.MATCH  # verified before: no attempt needed
            if user is None:
                identity.checker.hasher.verify_nothing(password)
                return PasswordCheck.MISMATCH
            with identity.changing() as connection:
                number = repository.take_attempt(connection, user.id, now, settings.lockout_threshold)
            if number is None:
                return PasswordCheck.NO_ATTEMPT_LEFT
            taken.append(number)
            right = identity.checker.check(user.id, user.password_hash, password)
            return PasswordCheck.MATCH if right else PasswordCheck.MISMATCH

        def message_id_fresh(message_id: str) -> bool:
            with identity.db.write() as connection:
                return repository.record_message_id(connection, attempt.hospital_code, message_id, now)

        decision = decide(attempt, hospital_record, user_record, now, password_check,
                          message_id_fresh=message_id_fresh,
                          header_allowed_seconds=settings.message_time_window_seconds)
        if decision.effect is Effect.COUNT_FAILURE and taken:
            with identity.changing() as connection:
                locked = repository.lock_at_threshold(connection, user_record.id, taken[0], now,
                                                      settings.lockout_threshold, settings.lockout_minutes)
            if locked:
                log.warning("user %s/%s locked after %d failed passwords",
                            attempt.hospital_code, attempt.user, taken[0])
        elif decision.effect is Effect.CLEAR_FAILURES or (taken and decision.effect is not Effect.COUNT_FAILURE):
            with identity.changing() as connection:
                repository.clear_failures(connection, user_record.id)

        call_id = uuid.uuid4().hex
        try:
            identity.audit.record(audit.Event(
                kind=audit.AUTHENTICATE, outcome="accepted" if decision.accepted else "refused",
                call_id=call_id, hospital_code=attempt.hospital_code, user=attempt.user,
                client_ip=attempt.client_ip, operation=attempt.operation,
                error_code=decision.error_code, detail=decision.detail))
        except AuditUnavailable as exc:
            # No decision leaves identity unaudited.
            raise ContractError("E9001", "审计日志不可用") from exc
        if not decision.accepted:
            raise ContractError(decision.error_code, decision.message)

        principal = Principal(
            subject=f"user:{hospital_record.code}/{user_record.name}",
            hospital_code=hospital_record.code, hospital_level=hospital_record.level,
            user=user_record.name, permissions=frozenset(user_record.permissions))
        token, expires_at = identity.token_for(
            principal, ("user", user_record.id, user_record.credential_version,
                        user_record.permissions, hospital_record.level))
        return identity_pb2.AuthenticateResponse(
            principal=principal_message(principal), token=token,
            token_expire_time=timestamp_from_epoch(expires_at), call_id=call_id)

    def _hospital_record(self, row: repository.AuthenticationRow, now: datetime) -> HospitalRecord:
        identity = self.identity
        previous = None
        overlap = (row.previous_key_ciphertext is not None and row.previous_key_expires_at is not None
                   and now < row.previous_key_expires_at)
        if overlap:
            previous = identity.signing_key(row.hospital_id, row.hospital_code, row.previous_key_version,
                                            row.previous_key_ciphertext)
        return HospitalRecord(
            row.hospital_id, row.hospital_code, row.level, row.digest_algorithm,
            identity.signing_key(row.hospital_id, row.hospital_code, row.key_version, row.key_ciphertext),
            previous_key=previous, previous_key_until=row.previous_key_expires_at if overlap else None,
            disabled=row.disabled, message_header_required=row.message_header_required)

    def RecordCallOutcomes(self, request, context):
        current_principal().require_role(ROLE_GATEWAY)
        events = [audit.Event(kind=audit.OUTCOME, call_id=o.call_id,
                              outcome="failed" if o.error_code else "succeeded",
                              error_code=o.error_code, detail=o.detail)
                  for o in request.outcomes]
        if events:
            self.identity.audit.record(*events)
        return identity_pb2.RecordCallOutcomesResponse()
