"""Queries on identity's tables. Every function takes a session and never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, select, update
from sqlalchemy.orm import Session

from runtime.db import Database, RawConnection

from .authentication import UserRecord
from .models import AuditEvent, Hospital, PasswordHistory, ServiceClient, User


@dataclass(frozen=True)
class AuthenticationRow:
    hospital_id: int
    hospital_code: str
    level: int
    digest_algorithm: str
    key_ciphertext: bytes
    key_version: int
    user: UserRecord | None


# Runs on every legacy call, so on the raw connection (see Database.raw).
_AUTHENTICATION_SQL = """
SELECT h.id, h.code, h.level, h.digest_algorithm, h.key_ciphertext, h.key_version,
       u.id, u.name, u.state, u.password_hash, u.permissions, u.allowed_ips,
       u.failed_attempts, u.locked_until, u.credential_version
FROM hospitals h LEFT OUTER JOIN users u ON u.hospital_id = h.id AND u.name = :user_name
WHERE h.code = :hospital_code
"""


def authentication_row(db: Database, hospital_code: str, user_name: str) -> AuthenticationRow | None:
    """The hospital and (if it exists there) the user, in one round trip; None: no hospital."""
    with db.raw() as connection:
        row = connection.execute(_AUTHENTICATION_SQL, {"hospital_code": hospital_code,
                                                       "user_name": user_name}).fetchone()
    if row is None:
        return None
    user = None if row[6] is None else UserRecord(
        id=row[6], name=row[7], state=row[8], password_hash=row[9], permissions=row[10],
        allowed_ips=row[11], failed_attempts=row[12], locked_until=RawConnection.time_value(row[13]),
        credential_version=row[14])
    return AuthenticationRow(row[0], row[1], row[2], row[3], bytes(row[4]), row[5], user)


def hospital_by_code(session: Session, code: str, *, for_update: bool = False) -> Hospital | None:
    query = select(Hospital).where(Hospital.code == code)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def hospitals(session: Session) -> Sequence[Hospital]:
    return session.scalars(select(Hospital).order_by(Hospital.code)).all()


def user_by_name(session: Session, hospital_id: int, name: str, *,
                 for_update: bool = False) -> User | None:
    query = select(User).where(User.hospital_id == hospital_id, User.name == name)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def users(session: Session, hospital_id: int, *, pending_only: bool = False) -> Sequence[User]:
    query = select(User).where(User.hospital_id == hospital_id)
    if pending_only:
        query = query.where(User.state == "pending")
    return session.scalars(query.order_by(User.name)).all()


def count_failure(session: Session, user_id: int, now: datetime, threshold: int,
                  lock_minutes: int) -> int:
    """Count one wrong password atomically; lock the user at ``threshold``.

    A single UPDATE (a row lock on PostgreSQL, the write lock on SQLite), so that
    concurrent wrong passwords are each counted. A lock that has expired starts the
    count afresh.
    """
    expired = and_(User.locked_until.is_not(None), User.locked_until <= now)
    attempts = session.execute(
        update(User)
        .where(User.id == user_id)
        .values(failed_attempts=case((expired, 0), else_=User.failed_attempts) + 1,
                locked_until=case((expired, None), else_=User.locked_until))
        .returning(User.failed_attempts)
    ).scalar_one()
    if attempts >= threshold:
        session.execute(
            update(User)
            .where(User.id == user_id, User.locked_until.is_(None))
            .values(locked_until=now + timedelta(minutes=lock_minutes),
                    credential_version=User.credential_version + 1))
    return attempts


def clear_failures(session: Session, user_id: int) -> None:
    session.execute(update(User).where(User.id == user_id)
                    .values(failed_attempts=0, locked_until=None))


def recent_password_hashes(session: Session, user_id: int, limit: int) -> list[str]:
    if limit <= 0:
        return []
    return list(session.scalars(
        select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user_id)
        .order_by(PasswordHistory.id.desc()).limit(limit)))


def push_password_history(session: Session, user: User, old_hash: str, keep: int) -> None:
    session.add(PasswordHistory(user_id=user.id, password_hash=old_hash))
    session.flush()
    stale = session.scalars(
        select(PasswordHistory.id).where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.id.desc()).offset(max(keep, 0))).all()
    for history_id in stale:
        session.delete(session.get(PasswordHistory, history_id))


def client_by_name(session: Session, name: str) -> ServiceClient | None:
    return session.scalars(select(ServiceClient).where(ServiceClient.name == name)).first()


def clients(session: Session) -> Sequence[ServiceClient]:
    return session.scalars(select(ServiceClient).order_by(ServiceClient.name)).all()


def audit_events(session: Session, *, hospital_code: str = "", user: str = "",
                 before_id: int = 0, limit: int = 100) -> Sequence[AuditEvent]:
    query = select(AuditEvent)
    if hospital_code:
        query = query.where(AuditEvent.hospital_code == hospital_code)
    if user:
        query = query.where(AuditEvent.user == user)
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    return session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)).all()
