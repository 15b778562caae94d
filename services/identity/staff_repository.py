"""Queries on the staff tables, and the cross-hospital reads of the console's overview
and audit pages. Like repository.py: Core statements on the caller's connection;
nothing here commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Row, delete, func, insert, or_, select, update

from . import repository
from .models import (
    PENDING,
    AuditEvent,
    Hospital,
    StaffMember,
    StaffPasswordHistory,
    StaffSession,
    User,
)

STAFF = StaffMember.__table__
STAFF_HISTORY = StaffPasswordHistory.__table__
SESSIONS = StaffSession.__table__
USERS = User.__table__
HOSPITALS = Hospital.__table__
AUDIT_EVENTS = AuditEvent.__table__


# --- accounts ---------------------------------------------------------------------------------

def staff_by_name(connection: Connection, name: str, *, for_update: bool = False) -> Row | None:
    query = select(STAFF).where(STAFF.c.name == name)
    return connection.execute(query.with_for_update() if for_update else query).first()


def staff_by_id(connection: Connection, staff_id: int) -> Row:
    return connection.execute(select(STAFF).where(STAFF.c.id == staff_id)).one()


def all_staff(connection: Connection) -> Sequence[Row]:
    return connection.execute(select(STAFF).order_by(STAFF.c.name)).all()


def add_staff(connection: Connection, values: dict) -> Row:
    connection.execute(insert(STAFF).values(**values))
    return staff_by_name(connection, values["name"])


def update_staff(connection: Connection, staff_id: int, *, invalidate: bool = False, **values) -> Row:
    """Change an account; ``invalidate`` ends its sessions (a new credential version)."""
    if invalidate:
        values["credential_version"] = STAFF.c.credential_version + 1
    connection.execute(update(STAFF).where(STAFF.c.id == staff_id).values(**values))
    return staff_by_id(connection, staff_id)


def count_failure(connection: Connection, staff_id: int, now: datetime, threshold: int, lock_minutes: int) -> int:
    """One failure counted (a wrong old password while signed in); the account locks at
    ``threshold`` and its sessions end. Sign-in takes its attempts first instead
    (repository.take_attempt)."""
    return repository.count_failure(connection, staff_id, now, threshold, lock_minutes, STAFF)


def recent_password_hashes(connection: Connection, staff_id: int, limit: int) -> list[str]:
    if limit <= 0:
        return []
    return list(connection.execute(
        select(STAFF_HISTORY.c.password_hash).where(STAFF_HISTORY.c.staff_id == staff_id)
        .order_by(STAFF_HISTORY.c.id.desc()).limit(limit)).scalars())


def push_password_history(connection: Connection, staff_id: int, old_hash: str, keep: int) -> None:
    connection.execute(insert(STAFF_HISTORY).values(staff_id=staff_id, password_hash=old_hash))
    stale = connection.execute(
        select(STAFF_HISTORY.c.id).where(STAFF_HISTORY.c.staff_id == staff_id)
        .order_by(STAFF_HISTORY.c.id.desc()).offset(max(keep, 0))).scalars().all()
    if stale:
        connection.execute(delete(STAFF_HISTORY).where(STAFF_HISTORY.c.id.in_(stale)))


# --- sessions ----------------------------------------------------------------------------------

def add_session(connection: Connection, values: dict) -> None:
    connection.execute(insert(SESSIONS).values(**values))


def session_with_staff(connection: Connection, secret_hash: str) -> Row | None:
    """The session and its account's current state, in one row."""
    return connection.execute(
        select(SESSIONS.c.id.label("session_id"), SESSIONS.c.credential_version.label("session_version"),
               SESSIONS.c.last_seen_at, SESSIONS.c.expires_at, SESSIONS.c.ended_at, STAFF)
        .select_from(SESSIONS.join(STAFF, STAFF.c.id == SESSIONS.c.staff_id))
        .where(SESSIONS.c.secret_hash == secret_hash)).first()


def touch_session(connection: Connection, session_id: int, now: datetime) -> None:
    connection.execute(update(SESSIONS).where(SESSIONS.c.id == session_id).values(last_seen_at=now))


def end_session(connection: Connection, session_id: int, now: datetime) -> None:
    connection.execute(update(SESSIONS).where(SESSIONS.c.id == session_id, SESSIONS.c.ended_at.is_(None))
                       .values(ended_at=now))


def end_sessions_of(connection: Connection, staff_id: int, now: datetime, *, keep: int | None = None) -> None:
    condition = [SESSIONS.c.staff_id == staff_id, SESSIONS.c.ended_at.is_(None)]
    if keep is not None:
        condition.append(SESSIONS.c.id != keep)
    connection.execute(update(SESSIONS).where(*condition).values(ended_at=now))


def set_session_version(connection: Connection, session_id: int, version: int) -> None:
    connection.execute(update(SESSIONS).where(SESSIONS.c.id == session_id).values(credential_version=version))


# --- the overview: across hospitals ------------------------------------------------------------

def pending_users(connection: Connection, limit: int) -> tuple[Sequence[Row], int]:
    base = (select(USERS, HOSPITALS.c.code.label("hospital_code"))
            .select_from(USERS.join(HOSPITALS, HOSPITALS.c.id == USERS.c.hospital_id))
            .where(USERS.c.state == PENDING))
    rows = connection.execute(base.order_by(USERS.c.created_at, USERS.c.id).limit(limit)).all()
    total = connection.execute(select(func.count()).select_from(USERS).where(USERS.c.state == PENDING)).scalar_one()
    return rows, total


def locked_users(connection: Connection, now: datetime) -> int:
    return connection.execute(select(func.count()).select_from(USERS).where(
        USERS.c.locked_until.is_not(None), USERS.c.locked_until > now)).scalar_one()


def hospital_counts(connection: Connection) -> tuple[int, int]:
    total, disabled = connection.execute(select(
        func.count(), func.count(HOSPITALS.c.disabled_at))).one()
    return total, disabled


def decisions_since(connection: Connection, since: datetime) -> tuple[list[tuple[str, int]], int]:
    """Refused legacy calls since ``since`` by code (most frequent first), and the
    number accepted."""
    rows = connection.execute(
        select(AUDIT_EVENTS.c.outcome, AUDIT_EVENTS.c.error_code, func.count())
        .where(AUDIT_EVENTS.c.time >= since, AUDIT_EVENTS.c.kind == "authenticate")
        .group_by(AUDIT_EVENTS.c.outcome, AUDIT_EVENTS.c.error_code)).all()
    refused = sorted(((code or "-", count) for outcome, code, count in rows if outcome == "refused"),
                     key=lambda item: (-item[1], item[0]))
    accepted = sum(count for outcome, _code, count in rows if outcome == "accepted")
    return refused, accepted


def search_audit(connection: Connection, *, since: datetime | None, until: datetime | None,
                 filters: dict[str, str], text: str, before_id: int, limit: int) -> Sequence[Row]:
    condition = []
    if since is not None:
        condition.append(AUDIT_EVENTS.c.time >= since)
    if until is not None:
        condition.append(AUDIT_EVENTS.c.time < until)
    for column, value in filters.items():
        if value:
            condition.append(AUDIT_EVENTS.c[column] == value)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        condition.append(or_(*(AUDIT_EVENTS.c[column].like(pattern, escape="\\")
                               for column in ("operation", "detail", "actor", "user"))))
    if before_id:
        condition.append(AUDIT_EVENTS.c.id < before_id)
    return connection.execute(select(AUDIT_EVENTS).where(*condition)
                              .order_by(AUDIT_EVENTS.c.id.desc()).limit(limit)).all()
