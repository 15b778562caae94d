"""Queries on identity's tables, as SQLAlchemy Core statements on a connection that
the caller's transaction owns (``Database.read()`` / ``write()``); nothing here
commits. Rows come back as ``Row`` objects (``row.name``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Connection,
    Row,
    Table,
    and_,
    bindparam,
    case,
    delete,
    insert,
    or_,
    select,
    update,
)

from runtime.db import insert_if_absent

from .authentication import UserRecord
from .models import (
    DELETED,
    PENDING,
    AuditEvent,
    Hospital,
    PasswordHistory,
    ServiceClient,
    UsedMessageId,
    User,
)

HOSPITALS = Hospital.__table__
USERS = User.__table__
PASSWORD_HISTORY = PasswordHistory.__table__
CLIENTS = ServiceClient.__table__
AUDIT_EVENTS = AuditEvent.__table__
USED_MESSAGE_IDS = UsedMessageId.__table__


@dataclass(frozen=True)
class AuthenticationRow:
    hospital_id: int
    hospital_code: str
    level: int
    digest_algorithm: str
    key_ciphertext: bytes
    key_version: int
    user: UserRecord | None
    # During a key overlap (see authentication.decide), and whether the hospital is disabled.
    previous_key_ciphertext: bytes | None = None
    previous_key_version: int | None = None
    previous_key_expires_at: datetime | None = None
    disabled: bool = False
    message_header_required: bool = False


# The hospital and the named user in one round trip (every legacy call needs both).
_AUTHENTICATION = (
    select(HOSPITALS.c.id, HOSPITALS.c.code, HOSPITALS.c.level, HOSPITALS.c.digest_algorithm,
           HOSPITALS.c.key_ciphertext, HOSPITALS.c.key_version, HOSPITALS.c.previous_key_ciphertext,
           HOSPITALS.c.previous_key_version, HOSPITALS.c.previous_key_expires_at, HOSPITALS.c.disabled_at,
           HOSPITALS.c.message_header_required, USERS.c.id.label("user_id"), USERS.c.name, USERS.c.state, USERS.c.password_hash, USERS.c.permissions,
           USERS.c.allowed_ips, USERS.c.failed_attempts, USERS.c.locked_until, USERS.c.credential_version,
           USERS.c.must_change_password)
    .select_from(HOSPITALS.outerjoin(USERS, and_(USERS.c.hospital_id == HOSPITALS.c.id,
                                                 USERS.c.name == bindparam("user_name"))))
    .where(HOSPITALS.c.code == bindparam("hospital_code")))


def authentication_row(connection: Connection, hospital_code: str, user_name: str) -> AuthenticationRow | None:
    """The hospital and (if it exists there) the user; None: no such hospital."""
    row = connection.execute(_AUTHENTICATION, {"hospital_code": hospital_code, "user_name": user_name}).first()
    if row is None:
        return None
    user = None if row.user_id is None else UserRecord(
        id=row.user_id, name=row.name, state=row.state, password_hash=row.password_hash,
        permissions=row.permissions, allowed_ips=row.allowed_ips, failed_attempts=row.failed_attempts,
        locked_until=row.locked_until, credential_version=row.credential_version,
        must_change_password=bool(row.must_change_password))
    return AuthenticationRow(
        row.id, row.code, row.level, row.digest_algorithm, bytes(row.key_ciphertext), row.key_version, user,
        previous_key_ciphertext=None if row.previous_key_ciphertext is None else bytes(row.previous_key_ciphertext),
        previous_key_version=row.previous_key_version, previous_key_expires_at=row.previous_key_expires_at,
        disabled=row.disabled_at is not None, message_header_required=bool(row.message_header_required))


# --- hospitals ---------------------------------------------------------------------------

def hospital_by_code(connection: Connection, code: str, *, for_update: bool = False) -> Row | None:
    query = select(HOSPITALS).where(HOSPITALS.c.code == code)
    return connection.execute(query.with_for_update() if for_update else query).first()


def hospitals(connection: Connection) -> Sequence[Row]:
    return connection.execute(select(HOSPITALS).order_by(HOSPITALS.c.code)).all()


def add_hospital(connection: Connection, values: dict) -> Row:
    connection.execute(insert(HOSPITALS).values(**values))
    return hospital_by_code(connection, values["code"])


def update_hospital(connection: Connection, hospital_id: int, **values) -> Row:
    connection.execute(update(HOSPITALS).where(HOSPITALS.c.id == hospital_id).values(**values))
    return connection.execute(select(HOSPITALS).where(HOSPITALS.c.id == hospital_id)).one()


# --- users ------------------------------------------------------------------------------

def user_by_name(connection: Connection, hospital_id: int, name: str, *, for_update: bool = False) -> Row | None:
    query = select(USERS).where(USERS.c.hospital_id == hospital_id, USERS.c.name == name)
    return connection.execute(query.with_for_update() if for_update else query).first()


def users(connection: Connection, hospital_id: int, *, pending_only: bool = False) -> Sequence[Row]:
    query = select(USERS).where(USERS.c.hospital_id == hospital_id)
    if pending_only:
        query = query.where(USERS.c.state == PENDING)
    return connection.execute(query.order_by(USERS.c.name)).all()


def add_user(connection: Connection, values: dict) -> Row:
    connection.execute(insert(USERS).values(**values))
    return user_by_name(connection, values["hospital_id"], values["name"])


def update_user(connection: Connection, user_id: int, *, invalidate: bool = True, **values) -> Row:
    """Change a user; ``invalidate`` bumps its credential version, so that cached
    credentials and tokens issued for the old state are not reused."""
    if invalidate:
        values["credential_version"] = USERS.c.credential_version + 1
    connection.execute(update(USERS).where(USERS.c.id == user_id).values(**values))
    return connection.execute(select(USERS).where(USERS.c.id == user_id)).one()


def take_attempt(connection: Connection, account_id: int, now: datetime, threshold: int,
                 accounts: Table = USERS) -> int | None:
    """Take one of the lock-out's attempts before a password is verified: counted as a
    failure until the password proves right (clear_failures). None when every attempt
    is taken (by earlier failures or by attempts in flight) or the account is locked:
    the password is then not verified at all. ``accounts``: hospital users, or the
    centre's staff (the same columns).

    A single UPDATE (a row lock on PostgreSQL, the write lock on SQLite), so that under
    any parallelism at most ``threshold`` passwords are verified per lock window. A lock
    that has expired starts the count afresh.
    """
    expired = and_(accounts.c.locked_until.is_not(None), accounts.c.locked_until <= now)
    counted = case((expired, 0), else_=accounts.c.failed_attempts)
    return connection.execute(
        update(accounts).where(accounts.c.id == account_id,
                               or_(accounts.c.locked_until.is_(None), accounts.c.locked_until <= now),
                               counted < threshold)
        .values(failed_attempts=counted + 1, locked_until=case((expired, None), else_=accounts.c.locked_until))
        .returning(accounts.c.failed_attempts)).scalar_one_or_none()


def give_back_attempt(connection: Connection, account_id: int, accounts: Table = USERS) -> None:
    """An attempt taken for a check that turned out neither right nor wrong (a right
    password still waiting for its second factor): it counts no more."""
    connection.execute(update(accounts).where(accounts.c.id == account_id, accounts.c.failed_attempts > 0)
                       .values(failed_attempts=accounts.c.failed_attempts - 1))


def lock_at_threshold(connection: Connection, account_id: int, attempts: int, now: datetime, threshold: int,
                      lock_minutes: int, accounts: Table = USERS) -> bool:
    """After a failure that took attempt number ``attempts``: lock the account when that
    was the last one (its sessions and tokens end with a new credential version). True
    when this locked it."""
    if attempts < threshold:
        return False
    return connection.execute(
        update(accounts).where(accounts.c.id == account_id, accounts.c.locked_until.is_(None))
        .values(locked_until=now + timedelta(minutes=lock_minutes),
                credential_version=accounts.c.credential_version + 1)).rowcount == 1


def count_failure(connection: Connection, account_id: int, now: datetime, threshold: int, lock_minutes: int,
                  accounts: Table = USERS) -> int:
    """Count one failure atomically, for a check that took no attempt first (a wrong old
    password in a signed-in session); lock the account at ``threshold``."""
    expired = and_(accounts.c.locked_until.is_not(None), accounts.c.locked_until <= now)
    attempts = connection.execute(
        update(accounts).where(accounts.c.id == account_id)
        .values(failed_attempts=case((expired, 0), else_=accounts.c.failed_attempts) + 1,
                locked_until=case((expired, None), else_=accounts.c.locked_until))
        .returning(accounts.c.failed_attempts)).scalar_one()
    lock_at_threshold(connection, account_id, attempts, now, threshold, lock_minutes, accounts)
    return attempts


def clear_failures(connection: Connection, user_id: int) -> None:
    connection.execute(update(USERS).where(USERS.c.id == user_id).values(failed_attempts=0, locked_until=None))


def recent_password_hashes(connection: Connection, user_id: int, limit: int) -> list[str]:
    if limit <= 0:
        return []
    return list(connection.execute(
        select(PASSWORD_HISTORY.c.password_hash).where(PASSWORD_HISTORY.c.user_id == user_id)
        .order_by(PASSWORD_HISTORY.c.id.desc()).limit(limit)).scalars())


def push_password_history(connection: Connection, user_id: int, old_hash: str, keep: int) -> None:
    """Remember ``old_hash``; keep the newest ``keep`` hashes only."""
    connection.execute(insert(PASSWORD_HISTORY).values(user_id=user_id, password_hash=old_hash))
    stale = connection.execute(
        select(PASSWORD_HISTORY.c.id).where(PASSWORD_HISTORY.c.user_id == user_id)
        .order_by(PASSWORD_HISTORY.c.id.desc()).offset(max(keep, 0))).scalars().all()
    if stale:
        connection.execute(delete(PASSWORD_HISTORY).where(PASSWORD_HISTORY.c.id.in_(stale)))


def is_deleted(user: Row | None) -> bool:
    return user is None or user.state == DELETED


# --- service clients ----------------------------------------------------------------------

def client_by_name(connection: Connection, name: str) -> Row | None:
    return connection.execute(select(CLIENTS).where(CLIENTS.c.name == name)).first()


def clients(connection: Connection) -> Sequence[Row]:
    return connection.execute(select(CLIENTS).order_by(CLIENTS.c.name)).all()


def add_client(connection: Connection, values: dict) -> Row:
    connection.execute(insert(CLIENTS).values(**values))
    return client_by_name(connection, values["name"])


def update_client(connection: Connection, client_id: int, **values) -> Row:
    connection.execute(update(CLIENTS).where(CLIENTS.c.id == client_id).values(**values))
    return connection.execute(select(CLIENTS).where(CLIENTS.c.id == client_id)).one()


# --- the audit log ------------------------------------------------------------------------

# --- message ids (the MessageHeader against replay) ----------------------------------------

def record_message_id(connection: Connection, hospital_code: str, message_id: str, now: datetime) -> bool:
    """Remember a msgid of the hospital; False when it was used before (a replay)."""
    return insert_if_absent(connection, USED_MESSAGE_IDS, {
        "hospital_code": hospital_code, "message_id": message_id, "received_at": now})


def forget_message_ids(connection: Connection, before: datetime) -> int:
    return connection.execute(delete(USED_MESSAGE_IDS).where(USED_MESSAGE_IDS.c.received_at < before)).rowcount


_INSERT_AUDIT_EVENTS = insert(AUDIT_EVENTS)  # one object: its cache key is worked out once


def add_audit_events(connection: Connection, rows: list[dict]) -> None:
    connection.execute(_INSERT_AUDIT_EVENTS, rows)


def audit_events(connection: Connection, *, hospital_code: str = "", user: str = "",
                 before_id: int = 0, limit: int = 100) -> Sequence[Row]:
    query = select(AUDIT_EVENTS)
    if hospital_code:
        query = query.where(AUDIT_EVENTS.c.hospital_code == hospital_code)
    if user:
        query = query.where(AUDIT_EVENTS.c.user == user)
    if before_id:
        query = query.where(AUDIT_EVENTS.c.id < before_id)
    return connection.execute(query.order_by(AUDIT_EVENTS.c.id.desc()).limit(limit)).all()
