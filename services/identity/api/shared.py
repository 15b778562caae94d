"""What identity's servicers share: the database and the caches, the keys, the audit
log, the token signer, and the translation of rows into messages."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from google.protobuf import timestamp_pb2
from sqlalchemy import Connection, Row

from legacy import digest
from ncms.identity.v1 import identity_pb2
from runtime.auth import (
    PERMISSION_LETTERS,
    ROLE_ADMIN,
    STAFF_ADMINISTRATOR,
    Principal,
    current_principal,
    format_letters,
)
from runtime.clock import utcnow
from runtime.db import Database
from runtime.errors import ContractError, permission_denied
from runtime.settings import Settings
from runtime.timestamps import timestamp

from .. import audit, repository
from ..audit import AuditLog
from ..cache import AuthenticationCache, notify_change
from ..keys import KeyVault
from ..models import ACTIVE, DELETED, PENDING
from ..network import BadAddressList, format_networks, parse_networks
from ..passwords import PasswordChecker

ALGORITHM_NAMES = {
    identity_pb2.DIGEST_ALGORITHM_HMAC_SHA256: digest.HMAC_SHA256,
    identity_pb2.DIGEST_ALGORITHM_HMAC_SM3: digest.HMAC_SM3,
}
ALGORITHM_ENUMS = {name: number for number, name in ALGORITHM_NAMES.items()}
# A user name: 1-64 characters, no commas (lists are comma-separated) or control characters.
NAME = re.compile(r"^[^\x00-\x1f\x7f,]{1,64}$")
USER_STATES = {PENDING: identity_pb2.USER_STATE_PENDING, ACTIVE: identity_pb2.USER_STATE_ACTIVE,
               DELETED: identity_pb2.USER_STATE_DELETED}


@dataclass
class _CachedToken:
    token: str
    expires_at: float
    renew_at: float


class Identity:
    """The state every identity servicer works with."""

    def __init__(self, settings: Settings, db: Database, vault: KeyVault, checker: PasswordChecker,
                 audit_log: AuditLog, signer, cache: AuthenticationCache) -> None:
        self.settings = settings
        self.db = db
        self.vault = vault
        self.checker = checker
        self.audit = audit_log
        self.signer = signer
        self.cache = cache
        self._keys: dict[tuple[int, int], str] = {}
        self._tokens: dict[tuple, _CachedToken] = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def changing(self) -> Iterator[Connection]:
        """A write transaction on identity data; every replica's cache is cleared on commit."""
        with self.db.write() as connection:
            yield connection
            notify_change(connection)
        self.cache.clear()

    def signing_key(self, hospital_id: int, code: str, key_version: int, ciphertext: bytes) -> str:
        """The hospital's key in plain text, decrypted once per key version (the two
        newest versions of a hospital are kept: both verify during a key overlap)."""
        cache_key = (hospital_id, key_version)
        key = self._keys.get(cache_key)
        if key is None:
            key = self.vault.decrypt(ciphertext, code, key_version)
            with self._lock:
                kept = sorted([v for h, v in self._keys if h == hospital_id] + [key_version])[-2:]
                self._keys = {k: v for k, v in self._keys.items() if k[0] != hospital_id or k[1] in kept}
                self._keys[cache_key] = key
        return key

    def hospital_key(self, hospital: Row) -> str:
        return self.signing_key(hospital.id, hospital.code, hospital.key_version, bytes(hospital.key_ciphertext))

    def token_for(self, principal: Principal, cache_key: tuple) -> tuple[str, float]:
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

    def authentication_row(self, hospital_code: str, user: str) -> repository.AuthenticationRow | None:
        """The hospital and user as the cache holds them (cleared by every change)."""
        cache_key = (hospital_code, user)
        row = self.cache.get(cache_key)
        if row is None:
            generation = self.cache.generation
            with self.db.read() as connection:
                row = repository.authentication_row(connection, hospital_code, user)
            if row is not None and row.user is not None:
                self.cache.put(cache_key, row, generation)
        return row

    def audit_admin(self, principal: Principal, operation: str, hospital_code: str = "",
                    user: str = "", detail: str = "") -> None:
        self.audit.record(audit.Event(
            kind=audit.ADMIN, outcome="succeeded", operation=operation,
            hospital_code=hospital_code, user=user, detail=detail, actor=principal.subject))


def admin() -> Principal:
    """The NCMS centre's administration: the ncms command, or a staff administrator
    signed in to the console."""
    principal = current_principal()
    principal.require_role(ROLE_ADMIN, STAFF_ADMINISTRATOR)
    return principal


def hospital_user() -> Principal:
    principal = current_principal()
    if not principal.is_hospital_user:
        raise permission_denied("only a hospital user may do this")
    return principal


def hospital(connection: Connection, code: str, *, for_update: bool = False) -> Row:
    found = repository.hospital_by_code(connection, code, for_update=for_update)
    if found is None:
        raise ContractError("E1007", f"医院 {code} 未登记")
    return found


def name_free(connection: Connection, hospital_id: int, name: str, *, for_update: bool = False) -> Row | None:
    """The deleted user of that name (its row is reused), or None; a live one is E1103."""
    existing = repository.user_by_name(connection, hospital_id, name, for_update=for_update)
    if existing is not None and existing.state != DELETED:
        raise ContractError("E1103")
    return existing


def put_user(connection: Connection, settings: Settings, hospital_id: int, existing: Row | None, name: str,
             password_hash: str, ips: str, letters: str, *, state: str, requested_by: str) -> Row:
    """A new user, or a deleted one's name given again: a fresh start, history kept."""
    if existing is None:
        return repository.add_user(connection, {
            "hospital_id": hospital_id, "name": name, "state": state, "password_hash": password_hash,
            "permissions": letters, "allowed_ips": ips, "requested_by": requested_by})
    repository.push_password_history(connection, existing.id, existing.password_hash, settings.password_history)
    return repository.update_user(connection, existing.id, state=state, password_hash=password_hash,
                                  permissions=letters, allowed_ips=ips, requested_by=requested_by,
                                  failed_attempts=0, locked_until=None)


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


def user_message(user: Row, hospital_code: str) -> identity_pb2.User:
    locked = user.locked_until if user.locked_until and user.locked_until > utcnow() else None
    return identity_pb2.User(
        hospital_code=hospital_code, name=user.name, state=USER_STATES[user.state],
        allowed_ips=[ip for ip in user.allowed_ips.split(",") if ip], permissions=user.permissions,
        locked_until=timestamp(locked), failed_attempts=user.failed_attempts, requested_by=user.requested_by,
        create_time=timestamp(user.created_at), update_time=timestamp(user.updated_at),
        must_change_password=bool(user.must_change_password))


def in_key_overlap(row: Row) -> bool:
    return (row.previous_key_ciphertext is not None and row.previous_key_expires_at is not None
            and row.previous_key_expires_at > utcnow())


def hospital_message(row: Row) -> identity_pb2.Hospital:
    overlap = in_key_overlap(row)
    return identity_pb2.Hospital(
        code=row.code, name=row.name, level=row.level, digest_algorithm=ALGORITHM_ENUMS[row.digest_algorithm],
        endpoint=row.endpoint, key_version=row.key_version, create_time=timestamp(row.created_at),
        key_rotate_time=timestamp(row.key_rotated_at), endpoint_user=row.endpoint_user,
        previous_key_version=row.previous_key_version if overlap else 0,
        previous_key_expire_time=timestamp(row.previous_key_expires_at) if overlap else None,
        disable_time=timestamp(row.disabled_at), disable_reason=row.disabled_reason if row.disabled_at else "",
        message_header_required=row.message_header_required)


def principal_message(principal: Principal) -> identity_pb2.Principal:
    return identity_pb2.Principal(
        subject=principal.subject, hospital_code=principal.hospital_code,
        hospital_level=principal.hospital_level, user=principal.user,
        permissions=format_letters(principal.permissions), roles=sorted(principal.roles))


def timestamp_from_epoch(seconds: float) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromSeconds(int(seconds))
    return stamp
