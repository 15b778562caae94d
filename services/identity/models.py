"""Identity's tables: hospitals, their users, service clients, the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from runtime.clock import utcnow
from runtime.db import UTCDateTime, declarative_base

Base = declarative_base()

# User states (the contract's "pending, deleted" and the normal one).
PENDING = "pending"
ACTIVE = "active"
DELETED = "deleted"


class Hospital(Base):
    """A designated hospital (定点医疗机构) and its signing key, encrypted at rest."""

    __tablename__ = "hospitals"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer)
    digest_algorithm: Mapped[str] = mapped_column(String(16))
    endpoint: Mapped[str] = mapped_column(String(500), default="")
    # The hospital's user the NCMS calls the endpoint as, and its password (encrypted
    # like the key, see keys.py).
    endpoint_user: Mapped[str] = mapped_column(String(64), default="")
    endpoint_password_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # AES-256-GCM under the master key; see keys.py for the layout.
    key_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    key_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    key_rotated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # After a rotation with an overlap: the key before, which verifies too until
    # previous_key_expires_at (encrypted like the key, under its own version).
    previous_key_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    previous_key_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    previous_key_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A disabled hospital's calls are refused (E1007) until it is enabled again.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    disabled_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # Calls without the MessageHeader (报文标识) are refused with E1008.
    message_header_required: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    users: Mapped[list[User]] = relationship(back_populates="hospital")


class User(Base):
    """A legacy user of one hospital."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("hospital_id", "name"),
        CheckConstraint("state IN ('pending', 'active', 'deleted')", name="state_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"))
    name: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    permissions: Mapped[str] = mapped_column(String(10), default="")
    # Comma-separated normalised IPs and CIDRs.
    allowed_ips: Mapped[str] = mapped_column(Text, default="")
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    requested_by: Mapped[str] = mapped_column(String(64), default="")
    # Bumped by every change that must invalidate cached credentials and tokens.
    credential_version: Mapped[int] = mapped_column(Integer, default=1)
    # Set by an administrator's password reset: every call but yhklxgjk is refused
    # (E1006) until the user changes the password.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    hospital: Mapped[Hospital] = relationship(back_populates="users")
    history: Mapped[list[PasswordHistory]] = relationship(
        back_populates="user", order_by="PasswordHistory.id.desc()", cascade="all, delete-orphan")


class PasswordHistory(Base):
    """Earlier password hashes of a user, for the "not one of the last 5" rule."""

    __tablename__ = "password_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="history")


class ServiceClient(Base):
    """An internal system (or the gateway, or the ncms command) that calls over gRPC."""

    __tablename__ = "service_clients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of the secret: client secrets are 256-bit random values, not passwords.
    secret_hash: Mapped[str] = mapped_column(String(64))
    roles: Mapped[str] = mapped_column(String(100), default="")
    hospital_code: Mapped[str] = mapped_column(String(32), default="")
    permissions: Mapped[str] = mapped_column(String(10), default="")
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A revoked client gets no token any more (its secret hash is cleared).
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_reason: Mapped[str] = mapped_column(String(200), default="", server_default="")


class UsedMessageId(Base):
    """A MessageHeader msgid a hospital has used, kept at least twice as long as the
    allowed sendtime difference: a message sent again within that time finds its msgid
    here (E1008), an older one fails the sendtime check (E1009)."""

    __tablename__ = "used_message_ids"
    __table_args__ = (Index("ix_used_message_ids_received", "received_at"),)

    hospital_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEvent(Base):
    """One decision or action, append-only. Never holds a password, key or ID number."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_hospital_time", "hospital_code", "time"),
        Index("ix_audit_events_call_id", "call_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))
    call_id: Mapped[str] = mapped_column(String(32), default="")
    hospital_code: Mapped[str] = mapped_column(String(32), default="")
    user: Mapped[str] = mapped_column(String(64), default="")
    client_ip: Mapped[str] = mapped_column(String(64), default="")
    operation: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str] = mapped_column(String(8), default="")
    detail: Mapped[str] = mapped_column(String(500), default="")
    actor: Mapped[str] = mapped_column(String(120), default="")


# --- the NCMS centre's staff (the web console) ---------------------------------------------

class StaffMember(Base):
    """A person of the NCMS centre who signs in to the web console as themselves."""

    __tablename__ = "staff_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(50), default="")
    # Comma-separated: administrator, catalog-clerk, fund-officer, auditor.
    roles: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    disabled_reason: Mapped[str] = mapped_column(String(200), default="")
    # The TOTP secret, encrypted under the master key (keys.py); the one being enrolled;
    # the last time step accepted (a code is never accepted twice).
    totp_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    totp_pending_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    totp_last_step: Mapped[int] = mapped_column(BigInteger, default=0)
    # Bumped by a password change or reset, a lock-out and disabling: sessions opened
    # under an older version end.
    credential_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120), default="")
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class StaffPasswordHistory(Base):
    """Earlier password hashes of a staff member (not one of the last five)."""

    __tablename__ = "staff_password_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffSession(Base):
    """A console session: only the SHA-256 of its secret is kept."""

    __tablename__ = "staff_sessions"
    __table_args__ = (Index("ix_staff_sessions_staff", "staff_id", "ended_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_members.id"))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    credential_version: Mapped[int] = mapped_column(Integer)
    client_ip: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


# The audit log searched by time (the console's audit page and dashboard).
Index("ix_audit_events_time", AuditEvent.time)
