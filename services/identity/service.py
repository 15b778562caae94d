"""The identity gRPC servicer: protobuf in and out, one transaction per call.

The rules themselves live in authentication.py (the order of the checks),
passwords.py (strength, hashing, the credential cache), network.py (allowed
addresses) and keys.py (signing keys at rest).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import re
import secrets
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlparse

from google.protobuf import timestamp_pb2
from sqlalchemy.orm import Session

from legacy import digest
from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.auth import (
    PERMISSION_LETTERS,
    ROLE_ADMIN,
    ROLE_GATEWAY,
    ROLE_INTERNAL,
    ROLES,
    Principal,
    TokenSigner,
    current_principal,
    format_letters,
    public_key_bytes,
)
from runtime.db import Database, utcnow
from runtime.errors import (
    ContractError,
    already_exists,
    failed_precondition,
    invalid_argument,
    permission_denied,
    unauthenticated,
)
from runtime.settings import Settings
from runtime.timestamps import timestamp

from . import audit, repository
from .audit import AuditLog, AuditUnavailable
from .authentication import Attempt, Effect, HospitalRecord, decide
from .cache import AuthenticationCache, notify_change
from .keys import KeyVault, new_signing_key
from .models import ACTIVE, DELETED, PENDING, Hospital, ServiceClient, User
from .network import BadAddressList, format_networks, parse_networks, split_list
from .passwords import PasswordChecker, check_strength

log = logging.getLogger(__name__)

ALGORITHM_NAMES = {
    identity_pb2.DIGEST_ALGORITHM_HMAC_SHA256: digest.HMAC_SHA256,
    identity_pb2.DIGEST_ALGORITHM_HMAC_SM3: digest.HMAC_SM3,
}
ALGORITHM_ENUMS = {name: number for number, name in ALGORITHM_NAMES.items()}
USER_STATES = {PENDING: identity_pb2.USER_STATE_PENDING, ACTIVE: identity_pb2.USER_STATE_ACTIVE,
               DELETED: identity_pb2.USER_STATE_DELETED}

# A key issued by the NCMS is 43 characters; anything much shorter is a mistake.
MIN_IMPORTED_KEY_LENGTH = 16
HOSPITAL_CODE = re.compile(r"^[0-9A-Za-z]{1,32}$")
NAME = re.compile(r"^[^\x00-\x1f\x7f,]{1,64}$")
CLIENT_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")

# Built-in service clients, created at start from their configured secrets.
ADMIN_CLIENT = "ncms-admin"
GATEWAY_CLIENT = "ncms-gateway"


def _name_free(session: Session, hospital_id: int, name: str, *, for_update: bool = False) -> User | None:
    """The deleted user of that name (its row is reused), or None; a live one is E1103."""
    existing = repository.user_by_name(session, hospital_id, name, for_update=for_update)
    if existing is not None and existing.state != DELETED:
        raise ContractError("E1103")
    return existing


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def parse_letters(text: str, field: str) -> str:
    cleaned = text.strip().upper()
    bad = sorted({c for c in cleaned if c not in PERMISSION_LETTERS})
    if bad:
        raise ContractError("E2001", f"{field}: 未知权限字母 {''.join(bad)} (可用 A-J)")
    return format_letters(cleaned)


def parse_ip_list(entries: list[str], field: str) -> str:
    try:
        return format_networks(parse_networks(entries))
    except BadAddressList as exc:
        raise ContractError("E2001", f"{field}: {exc}") from None


@dataclass
class _CachedToken:
    token: str
    expires_at: float
    renew_at: float


class IdentityService(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, settings: Settings, db: Database, vault: KeyVault, checker: PasswordChecker,
                 audit_log: AuditLog, signer: TokenSigner, cache: AuthenticationCache) -> None:
        self.settings = settings
        self.cache = cache
        self.db = db
        self.vault = vault
        self.checker = checker
        self.audit = audit_log
        self.signer = signer
        self._keys: dict[tuple[int, int], str] = {}
        self._tokens: dict[tuple, _CachedToken] = {}
        self._lock = threading.Lock()

    # --- helpers ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _changing(self) -> Iterator[Session]:
        """A write transaction on identity data; every replica's cache is cleared on commit."""
        with self.db.write() as session:
            yield session
            notify_change(session.connection())
        self.cache.clear()

    def _signing_key(self, hospital_id: int, code: str, key_version: int, ciphertext: bytes) -> str:
        """The hospital's key in plain text, decrypted once per key version."""
        cache_key = (hospital_id, key_version)
        key = self._keys.get(cache_key)
        if key is None:
            key = self.vault.decrypt(ciphertext, code, key_version)
            with self._lock:
                self._keys = {k: v for k, v in self._keys.items() if k[0] != hospital_id}
                self._keys[cache_key] = key
        return key

    def _hospital_key(self, hospital: Hospital) -> str:
        return self._signing_key(hospital.id, hospital.code, hospital.key_version,
                                 hospital.key_ciphertext)

    def _token_for(self, principal: Principal, cache_key: tuple) -> tuple[str, float]:
        """A token for ``principal``, reused while fresh (cache_key covers every claim)."""
        now = utcnow().timestamp()
        cached = self._tokens.get(cache_key)
        if cached is not None and now < cached.renew_at:
            return cached.token, cached.expires_at
        token, expires_at = self.signer.issue(principal)
        renew_at = now + (expires_at - now) / 2
        with self._lock:
            if len(self._tokens) > 100_000:
                self._tokens.clear()
            self._tokens[cache_key] = _CachedToken(token, expires_at, renew_at)
        return token, expires_at

    def _authentication_row(self, hospital_code: str, user: str) -> repository.AuthenticationRow | None:
        """The hospital and user as the cache holds them (cleared by every change)."""
        cache_key = (hospital_code, user)
        row = self.cache.get(cache_key)
        if row is None:
            generation = self.cache.generation
            row = repository.authentication_row(self.db, hospital_code, user)
            if row is not None and row.user is not None:
                self.cache.put(cache_key, row, generation)
        return row

    def _admin(self) -> Principal:
        principal = current_principal()
        principal.require_role(ROLE_ADMIN)
        return principal

    def _audit_admin(self, principal: Principal, operation: str, hospital_code: str = "",
                     user: str = "", detail: str = "") -> None:
        self.audit.record(audit.Event(
            kind=audit.ADMIN, outcome="succeeded", operation=operation,
            hospital_code=hospital_code, user=user, detail=detail, actor=principal.subject))

    def _hospital(self, session: Session, code: str, *, for_update: bool = False) -> Hospital:
        hospital = repository.hospital_by_code(session, code, for_update=for_update)
        if hospital is None:
            raise ContractError("E1007", f"医院 {code} 未登记")
        return hospital

    def _user_message(self, user: User, hospital_code: str) -> identity_pb2.User:
        return identity_pb2.User(
            hospital_code=hospital_code, name=user.name, state=USER_STATES[user.state],
            allowed_ips=[ip for ip in user.allowed_ips.split(",") if ip],
            permissions=user.permissions,
            locked_until=timestamp(user.locked_until if user.locked_until and user.locked_until > utcnow() else None),
            failed_attempts=user.failed_attempts, requested_by=user.requested_by,
            create_time=timestamp(user.created_at), update_time=timestamp(user.updated_at))

    def _hospital_message(self, hospital: Hospital) -> identity_pb2.Hospital:
        return identity_pb2.Hospital(
            code=hospital.code, name=hospital.name, level=hospital.level,
            digest_algorithm=ALGORITHM_ENUMS[hospital.digest_algorithm],
            endpoint=hospital.endpoint, key_version=hospital.key_version,
            create_time=timestamp(hospital.created_at),
            key_rotate_time=timestamp(hospital.key_rotated_at), endpoint_user=hospital.endpoint_user)

    def _hospital_user(self) -> Principal:
        principal = current_principal()
        if not principal.is_hospital_user:
            raise permission_denied("only a hospital user may do this")
        return principal

    # --- legacy call authentication --------------------------------------------------------

    def Authenticate(self, request, context):
        current_principal().require_role(ROLE_GATEWAY)
        attempt = Attempt(
            hospital_code=request.hospital_code, user=request.user, password=request.password,
            client_ip=request.client_ip, operation=request.operation,
            digest_message=request.digest_message, digest=request.digest)
        now = utcnow()
        row = self._authentication_row(attempt.hospital_code, attempt.user)
        hospital_record = None if row is None else HospitalRecord(
            row.hospital_id, row.hospital_code, row.level, row.digest_algorithm,
            self._signing_key(row.hospital_id, row.hospital_code, row.key_version, row.key_ciphertext))
        user_record = None if row is None else row.user

        decision = decide(attempt, hospital_record, user_record, now,
                          lambda u, password: self.checker.check(u.id, u.password_hash, password))
        if decision.effect is Effect.COUNT_FAILURE:
            with self._changing() as session:
                attempts = repository.count_failure(
                    session, user_record.id, now, self.settings.lockout_threshold,
                    self.settings.lockout_minutes)
            if attempts >= self.settings.lockout_threshold:
                log.warning("user %s/%s locked after %d failed passwords",
                            attempt.hospital_code, attempt.user, attempts)
        elif decision.effect is Effect.CLEAR_FAILURES:
            with self._changing() as session:
                repository.clear_failures(session, user_record.id)

        call_id = uuid.uuid4().hex
        try:
            self.audit.record(audit.Event(
                kind=audit.AUTHENTICATE, outcome="accepted" if decision.accepted else "refused",
                call_id=call_id, hospital_code=attempt.hospital_code, user=attempt.user,
                client_ip=attempt.client_ip, operation=attempt.operation,
                error_code=decision.error_code, detail=decision.detail))
        except AuditUnavailable as exc:
            # No decision leaves identity unaudited.
            raise ContractError("E9001", "审计日志不可用") from exc
        if not decision.accepted:
            raise ContractError(decision.error_code)

        principal = Principal(
            subject=f"user:{hospital_record.code}/{user_record.name}",
            hospital_code=hospital_record.code, hospital_level=hospital_record.level,
            user=user_record.name, permissions=frozenset(user_record.permissions))
        token, expires_at = self._token_for(
            principal, ("user", user_record.id, user_record.credential_version,
                        user_record.permissions, hospital_record.level))
        return identity_pb2.AuthenticateResponse(
            principal=principal_message(principal), token=token,
            token_expire_time=timestamp_from_epoch(expires_at), call_id=call_id)

    def RecordCallOutcomes(self, request, context):
        current_principal().require_role(ROLE_GATEWAY)
        events = [audit.Event(kind=audit.OUTCOME, call_id=o.call_id,
                              outcome="failed" if o.error_code else "succeeded",
                              error_code=o.error_code, detail=o.detail)
                  for o in request.outcomes]
        if events:
            self.audit.record(*events)
        return identity_pb2.RecordCallOutcomesResponse()

    # --- the legacy user operations ---------------------------------------------------------

    def ChangePassword(self, request, context):
        principal = self._hospital_user()
        row = self._authentication_row(principal.hospital_code, principal.user)
        user = None if row is None else row.user
        if user is None or user.state != ACTIVE:
            raise ContractError("E1006")
        # Every slow hash (the old password, the history, the new hash) runs outside the
        # write transaction: on SQLite a write transaction holds the database's only
        # write lock, which every audit event needs.
        if not self.checker.check(user.id, user.password_hash, request.old_password):
            raise ContractError("E1001")
        check_strength(user.name, request.new_password, request.old_password)
        with self.db.read() as session:
            history = repository.recent_password_hashes(session, user.id, self.settings.password_history)
        if self.checker.hasher.matches_any([user.password_hash, *history], request.new_password):
            raise ContractError("E1101", f"不能与最近{self.settings.password_history}次口令相同")
        new_hash = self.checker.hasher.hash(request.new_password)
        with self._changing() as session:
            current = repository.user_by_name(session, row.hospital_id, user.name, for_update=True)
            if current is None or current.credential_version != user.credential_version:
                # Changed meanwhile (another password change, a lock-out, a deletion).
                raise ContractError("E9001", "用户信息已变更, 请重试")
            repository.push_password_history(session, current, current.password_hash,
                                             self.settings.password_history)
            current.password_hash = new_hash
            current.failed_attempts = 0
            current.locked_until = None
            current.credential_version += 1
        self.checker.cache.forget_user(user.id)
        self.checker.cache.remember(user.id, new_hash, request.new_password)
        return identity_pb2.ChangePasswordResponse()

    def RequestUser(self, request, context):
        principal = self._hospital_user()
        principal.require_letter("A")
        name = request.user.strip()
        if not NAME.match(name):
            raise ContractError("E2001", "xzyh: 用户名须为1-64个字符, 不含逗号和控制字符")
        wanted = parse_letters(request.permissions, "fwqx")
        beyond = sorted(set(wanted) - principal.permissions)
        if beyond:
            raise ContractError("E1105", f"发起用户不具备权限 {''.join(beyond)}")
        with self.db.read() as session:  # every refusal before any slow hash
            hospital = self._hospital(session, principal.hospital_code)
            requester = repository.user_by_name(session, hospital.id, principal.user)
            if requester is None or requester.state != ACTIVE:
                raise ContractError("E1006")
            ips = (parse_ip_list(split_list(request.allowed_ips), "yxfwip")
                   if request.allowed_ips.strip() else requester.allowed_ips)
            _name_free(session, hospital.id, name)  # refuse before the slow hash
        check_strength(name, request.password)
        password_hash = self.checker.hasher.hash(request.password)
        with self._changing() as session:
            existing = _name_free(session, hospital.id, name, for_update=True)
            user = self._put_user(session, hospital, existing, name, password_hash, ips, wanted,
                                  state=PENDING, requested_by=principal.user)
            message = self._user_message(user, hospital.code)
        return identity_pb2.RequestUserResponse(user=message)

    def DeleteUser(self, request, context):
        principal = self._hospital_user()
        principal.require_letter("B")
        name = request.user.strip()
        if name == principal.user:
            raise ContractError("E1105", "不能删除发起用户自己")
        with self._changing() as session:
            hospital = self._hospital(session, principal.hospital_code)
            user = repository.user_by_name(session, hospital.id, name, for_update=True)
            if user is None or user.state == DELETED:
                raise ContractError("E1104")
            user.state = DELETED
            user.credential_version += 1
            user_id = user.id
        self.checker.cache.forget_user(user_id)
        return identity_pb2.DeleteUserResponse()

    def _put_user(self, session: Session, hospital: Hospital, existing: User | None, name: str,
                  password_hash: str, ips: str, letters: str, *, state: str, requested_by: str) -> User:
        if existing is None:
            user = User(hospital_id=hospital.id, name=name, state=state, password_hash=password_hash,
                        permissions=letters, allowed_ips=ips, requested_by=requested_by)
            session.add(user)
        else:  # a deleted user's name is given again: a fresh start, history kept
            user = existing
            repository.push_password_history(session, user, user.password_hash,
                                             self.settings.password_history)
            user.state, user.password_hash, user.permissions = state, password_hash, letters
            user.allowed_ips, user.requested_by = ips, requested_by
            user.failed_attempts, user.locked_until = 0, None
            user.credential_version += 1
        session.flush()
        return user

    # --- administration ------------------------------------------------------------------

    def CreateHospital(self, request, context):
        principal = self._admin()
        code = request.code.strip()
        if not HOSPITAL_CODE.match(code):
            raise invalid_argument("code", "1-32 letters or digits")
        name = request.name.strip()
        if not name:
            raise invalid_argument("name", "must not be empty")
        if not 1 <= request.level <= 5:
            raise invalid_argument("level", "must be 1 (村卫生室) to 5 (省级及市外)")
        algorithm = ALGORITHM_NAMES.get(request.digest_algorithm or identity_pb2.DIGEST_ALGORITHM_HMAC_SHA256)
        if algorithm is None:
            raise invalid_argument("digest_algorithm", "HMAC-SHA256 or HMAC-SM3")
        endpoint = check_endpoint(request.endpoint)
        endpoint_user = check_endpoint_user(endpoint, request.endpoint_user, request.endpoint_password)
        signing_key = issued_key(request.signing_key)
        with self._changing() as session:
            if repository.hospital_by_code(session, code) is not None:
                raise already_exists(f"hospital {code}")
            hospital = Hospital(code=code, name=name, level=request.level, digest_algorithm=algorithm,
                                endpoint=endpoint, key_version=1,
                                key_ciphertext=self.vault.encrypt(signing_key, code, 1),
                                endpoint_user=endpoint_user, endpoint_password_ciphertext=(
                                    self.vault.encrypt_endpoint_password(request.endpoint_password, code)
                                    if endpoint_user else None))
            session.add(hospital)
            session.flush()
            message = self._hospital_message(hospital)
        self._audit_admin(principal, "CreateHospital", hospital_code=code,
                          detail=f"level {request.level}, {algorithm}")
        return identity_pb2.CreateHospitalResponse(hospital=message, signing_key=signing_key)

    def RotateHospitalKey(self, request, context):
        principal = self._admin()
        signing_key = issued_key(request.signing_key)
        with self._changing() as session:
            hospital = self._hospital(session, request.code.strip(), for_update=True)
            hospital.key_version += 1
            hospital.key_ciphertext = self.vault.encrypt(signing_key, hospital.code, hospital.key_version)
            hospital.key_rotated_at = utcnow()
            session.flush()
            message = self._hospital_message(hospital)
        self._audit_admin(principal, "RotateHospitalKey", hospital_code=message.code,
                          detail=f"key version {message.key_version}")
        return identity_pb2.RotateHospitalKeyResponse(hospital=message, signing_key=signing_key)

    def ListHospitals(self, request, context):
        principal = current_principal()
        principal.require_role(ROLE_ADMIN, ROLE_INTERNAL, ROLE_GATEWAY)
        with self.db.read() as session:
            found = [self._hospital_message(h) for h in repository.hospitals(session)
                     if not principal.hospital_code or h.code == principal.hospital_code]
        return identity_pb2.ListHospitalsResponse(hospitals=found)

    def GetHospital(self, request, context):
        principal = current_principal()
        code = principal.hospital_for(request.code.strip())
        with self.db.read() as session:
            return identity_pb2.GetHospitalResponse(
                hospital=self._hospital_message(self._hospital(session, code)))

    def SetHospitalEndpoint(self, request, context):
        principal = self._admin()
        endpoint = check_endpoint(request.endpoint)
        user, password = request.user.strip(), request.password
        if endpoint and not check_endpoint_user(endpoint, user, password):
            raise invalid_argument("user", "the hospital's user and password the NCMS calls as")
        with self._changing() as session:
            hospital = self._hospital(session, request.code.strip(), for_update=True)
            hospital.endpoint = endpoint
            hospital.endpoint_user = user if endpoint else ""
            hospital.endpoint_password_ciphertext = (
                self.vault.encrypt_endpoint_password(password, hospital.code) if endpoint else None)
            session.flush()
            message = self._hospital_message(hospital)
        self._audit_admin(principal, "SetHospitalEndpoint", hospital_code=message.code,
                          detail=f"{endpoint or 'removed'} as {user}" if endpoint else "removed")
        return identity_pb2.SetHospitalEndpointResponse(hospital=message)

    def GetHospitalEndpoint(self, request, context):
        principal = current_principal()
        principal.require_role(ROLE_ADMIN, ROLE_INTERNAL)
        code = principal.hospital_for(request.code.strip())
        with self.db.read() as session:
            hospital = self._hospital(session, code)
            if not hospital.endpoint or hospital.endpoint_password_ciphertext is None:
                raise failed_precondition(
                    "NO_ENDPOINT", f"hospital {code} has no endpoint; set one with "
                                   f"`ncms hospital endpoint --code {code} --url URL --user USER`")
            password = self.vault.decrypt_endpoint_password(hospital.endpoint_password_ciphertext, code)
            response = identity_pb2.GetHospitalEndpointResponse(
                endpoint=hospital.endpoint, user=hospital.endpoint_user, password=password,
                digest_algorithm=ALGORITHM_ENUMS[hospital.digest_algorithm])
        # Who took the NCMS's credentials at a hospital (each in-patient query does).
        self._audit_admin(principal, "GetHospitalEndpoint", hospital_code=code)
        return response

    def CreateUser(self, request, context):
        principal = self._admin()
        name = request.name.strip()
        if not NAME.match(name):
            raise invalid_argument("name", "1-64 characters, no commas or control characters")
        letters = parse_letters(request.permissions, "permissions")
        ips = parse_ip_list(list(request.allowed_ips), "allowed_ips")
        if not ips:
            raise invalid_argument("allowed_ips", "at least one IP address or CIDR range")
        with self.db.read() as session:
            hospital = self._hospital(session, request.hospital_code.strip())
            _name_free(session, hospital.id, name)  # refuse before the slow hash
        check_strength(name, request.password)
        password_hash = self.checker.hasher.hash(request.password)
        with self._changing() as session:
            hospital = self._hospital(session, request.hospital_code.strip())
            existing = _name_free(session, hospital.id, name, for_update=True)
            user = self._put_user(session, hospital, existing, name, password_hash, ips, letters,
                                  state=ACTIVE, requested_by="")
            message = self._user_message(user, hospital.code)
        self._audit_admin(principal, "CreateUser", hospital_code=message.hospital_code, user=name,
                          detail=f"letters {letters or '-'}")
        return identity_pb2.CreateUserResponse(user=message)

    def ApproveUser(self, request, context):
        principal = self._admin()
        with self._changing() as session:
            hospital = self._hospital(session, request.hospital_code.strip())
            user = repository.user_by_name(session, hospital.id, request.name.strip(), for_update=True)
            if user is None or user.state == DELETED:
                raise ContractError("E1104")
            if user.state != PENDING:
                raise failed_precondition("NOT_PENDING", f"user {user.name} is {user.state}, not pending")
            if request.HasField("permissions"):
                granted = parse_letters(request.permissions, "permissions")
                beyond = sorted(set(granted) - set(user.permissions))
                if beyond:
                    raise invalid_argument("permissions",
                                           f"{''.join(beyond)} was not requested (requested: {user.permissions or '-'})")
                user.permissions = granted
            user.state = ACTIVE
            user.credential_version += 1
            session.flush()
            message = self._user_message(user, hospital.code)
        self._audit_admin(principal, "ApproveUser", hospital_code=message.hospital_code,
                          user=message.name, detail=f"letters {message.permissions or '-'}")
        return identity_pb2.ApproveUserResponse(user=message)

    def ListUsers(self, request, context):
        principal = current_principal()
        principal.require_role(ROLE_ADMIN)
        with self.db.read() as session:
            hospital = self._hospital(session, request.hospital_code.strip())
            found = [self._user_message(u, hospital.code)
                     for u in repository.users(session, hospital.id, pending_only=request.pending_only)]
        return identity_pb2.ListUsersResponse(users=found)

    def UnlockUser(self, request, context):
        principal = self._admin()
        with self._changing() as session:
            hospital = self._hospital(session, request.hospital_code.strip())
            user = repository.user_by_name(session, hospital.id, request.name.strip(), for_update=True)
            if user is None or user.state == DELETED:
                raise ContractError("E1104")
            user.failed_attempts = 0
            user.locked_until = None
            user.credential_version += 1
            session.flush()
            message = self._user_message(user, hospital.code)
        self._audit_admin(principal, "UnlockUser", hospital_code=message.hospital_code, user=message.name)
        return identity_pb2.UnlockUserResponse(user=message)

    def CreateClient(self, request, context):
        principal = self._admin()
        name = request.name.strip()
        if not CLIENT_NAME.match(name):
            raise invalid_argument("name", "lower-case letters, digits, '.', '_' or '-', at most 64")
        roles = sorted(set(request.roles))
        unknown = [r for r in roles if r not in ROLES]
        if unknown or not roles:
            raise invalid_argument("roles", f"one or more of {', '.join(sorted(ROLES))}")
        letters = parse_letters(request.permissions, "permissions")
        client_secret = secrets.token_urlsafe(32)
        with self._changing() as session:
            if request.hospital_code:
                self._hospital(session, request.hospital_code.strip())
            if repository.client_by_name(session, name) is not None:
                raise already_exists(f"client {name}")
            client = ServiceClient(name=name, secret_hash=secret_hash(client_secret),
                                   roles=",".join(roles), hospital_code=request.hospital_code.strip(),
                                   permissions=letters)
            session.add(client)
            session.flush()
            message = client_message(client)
        self._audit_admin(principal, "CreateClient", hospital_code=message.hospital_code,
                          detail=f"client {name}, roles {','.join(roles)}")
        return identity_pb2.CreateClientResponse(client=message, client_secret=client_secret)

    def ListClients(self, request, context):
        self._admin()
        with self.db.read() as session:
            return identity_pb2.ListClientsResponse(
                clients=[client_message(c) for c in repository.clients(session)])

    def ListAuditEvents(self, request, context):
        self._admin()
        limit = min(request.page_size or 100, 1000)
        with self.db.read() as session:
            events = repository.audit_events(session, hospital_code=request.hospital_code,
                                             user=request.user, before_id=request.before_id,
                                             limit=limit)
            return identity_pb2.ListAuditEventsResponse(events=[identity_pb2.AuditEvent(
                id=e.id, time=timestamp(e.time), kind=e.kind, call_id=e.call_id,
                hospital_code=e.hospital_code, user=e.user, client_ip=e.client_ip,
                operation=e.operation, outcome=e.outcome, error_code=e.error_code,
                detail=e.detail, actor=e.actor) for e in events])

    def SignDigest(self, request, context):
        principal = current_principal()
        principal.require_role(ROLE_ADMIN, ROLE_INTERNAL)
        code = principal.hospital_for(request.hospital_code.strip())
        with self.db.read() as session:
            hospital = self._hospital(session, code)
            key = self._hospital_key(hospital)
            algorithm = hospital.digest_algorithm
        return identity_pb2.SignDigestResponse(
            digest=digest.compute(key, algorithm, request.digest_message),
            digest_algorithm=ALGORITHM_ENUMS[algorithm])

    # --- tokens ------------------------------------------------------------------------

    def IssueToken(self, request, context):
        with self.db.read() as session:
            client = repository.client_by_name(session, request.client_name)
            valid = client is not None and hmac.compare_digest(
                client.secret_hash, secret_hash(request.client_secret))
            level = 0
            if valid and client.hospital_code:
                hospital = repository.hospital_by_code(session, client.hospital_code)
                level = hospital.level if hospital else 0
        if not valid:
            self.audit.record(audit.Event(kind=audit.ADMIN, outcome="refused", operation="IssueToken",
                                          detail=f"client {request.client_name[:64]}",
                                          error_code="", actor=f"client:{request.client_name[:64]}"))
            raise unauthenticated("unknown client or wrong secret")
        principal = Principal(subject=f"client:{client.name}", hospital_code=client.hospital_code,
                              hospital_level=level, permissions=frozenset(client.permissions),
                              roles=frozenset(r for r in client.roles.split(",") if r))
        token, expires_at = self._token_for(
            principal, ("client", client.id, client.secret_hash, client.roles, client.permissions,
                        client.hospital_code, level))
        return identity_pb2.IssueTokenResponse(token=token, expire_time=timestamp_from_epoch(expires_at),
                                               principal=principal_message(principal))

    def GetTokenKeys(self, request, context):
        return identity_pb2.GetTokenKeysResponse(keys=[identity_pb2.TokenKey(
            key_id=self.signer.key_id, algorithm="EdDSA",
            public_key=public_key_bytes(self.signer.public_key))])

    # --- start-up ------------------------------------------------------------------------

    def ensure_builtin_clients(self) -> None:
        """Create or update the built-in clients from their configured secrets."""
        builtin = {ADMIN_CLIENT: (ROLE_ADMIN, self.settings.secret("admin_client_secret")),
                   GATEWAY_CLIENT: (ROLE_GATEWAY, self.settings.secret("gateway_client_secret"))}
        with self._changing() as session:
            for name, (role, client_secret) in builtin.items():
                client = repository.client_by_name(session, name)
                if client is None:
                    session.add(ServiceClient(name=name, secret_hash=secret_hash(client_secret),
                                              roles=role, builtin=True))
                else:
                    client.secret_hash, client.roles, client.builtin = secret_hash(client_secret), role, True


def issued_key(text: str) -> str:
    """The signing key to install: one issued elsewhere, or a new one."""
    if not text:
        return new_signing_key()
    if len(text) < MIN_IMPORTED_KEY_LENGTH or text != text.strip() or any(c.isspace() for c in text):
        raise invalid_argument("signing_key", f"at least {MIN_IMPORTED_KEY_LENGTH} characters, without "
                                              "spaces or line breaks (the key as its NCMS issued it)")
    return text


def check_endpoint_user(endpoint: str, user: str, password: str) -> str:
    """The user the NCMS calls ``endpoint`` as ("" when none is given)."""
    user = user.strip()
    if not user and not password:
        return ""
    if not endpoint:
        raise invalid_argument("endpoint_user", "only together with an endpoint")
    if not NAME.match(user) or not password:
        raise invalid_argument("endpoint_user", "the hospital's user and its password, both")
    return user


def check_endpoint(text: str) -> str:
    endpoint = text.strip()
    if not endpoint:
        return ""
    parsed = urlparse(endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise invalid_argument("endpoint", "an http:// or https:// URL of the hospital's SOAP service")
    return endpoint


def principal_message(principal: Principal) -> identity_pb2.Principal:
    return identity_pb2.Principal(
        subject=principal.subject, hospital_code=principal.hospital_code,
        hospital_level=principal.hospital_level, user=principal.user,
        permissions=format_letters(principal.permissions), roles=sorted(principal.roles))


def client_message(client: ServiceClient) -> identity_pb2.Client:
    return identity_pb2.Client(name=client.name, roles=[r for r in client.roles.split(",") if r],
                               hospital_code=client.hospital_code, permissions=client.permissions,
                               create_time=timestamp(client.created_at))


def timestamp_from_epoch(seconds: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromSeconds(int(seconds))
    return stamp
