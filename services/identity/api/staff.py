"""StaffService and CentreOverviewService: the NCMS centre's staff signing in to the
web console, their accounts, and the cross-hospital reads of the console's dashboard
and audit pages.

A sign-in follows ``staff.decide``; passwords follow the contract's rules
(``passwords.check_strength``, not one of the last five) and lock out like a hospital
user's (NCMS_LOCKOUT_THRESHOLD, NCMS_LOCKOUT_MINUTES). Every attempt, sign-out and
change is in the audit log (kind "console" for sign-ins and sign-outs). Slow hashes run
outside write transactions, as in hospital_users.py.
"""

from __future__ import annotations

import hashlib
import secrets
import urllib.parse
from datetime import datetime, timedelta

from sqlalchemy import Row

from ncms.identity.v1 import identity_pb2, staff_pb2, staff_pb2_grpc
from runtime.auth import (
    ROLE_ADMIN,
    ROLE_CONSOLE,
    STAFF_ADMINISTRATOR,
    STAFF_AUDITOR,
    STAFF_PREFIX,
    STAFF_ROLES,
    Principal,
    current_principal,
)
from runtime.clock import BEIJING, utcnow
from runtime.errors import (
    ContractError,
    DomainError,
    Status,
    already_exists,
    invalid_argument,
    not_found,
)
from runtime.timestamps import timestamp

from .. import audit, repository, staff, staff_repository
from ..passwords import check_strength
from ..staff_repository import STAFF
from .shared import Identity, timestamp_from_epoch, user_message

CONSOLE = "console"  # the audit kind of sign-ins and sign-outs
# Compared with when the name is unknown, so that an unknown name costs what a wrong
# password costs (no timing difference tells which names exist).
_UNKNOWN_NAME_PASSWORD = "unknown-name"  # noqa: S105 (not a secret: a decoy)

_MESSAGES = {
    staff.Outcome.BAD_CREDENTIALS: "用户名或口令错误",
    staff.Outcome.LOCKED: "账户已锁定, 请稍后再试或请管理员解锁",
    staff.Outcome.TOTP_REQUIRED: "请输入动态验证码",
    staff.Outcome.BAD_TOTP: "动态验证码错误",
    staff.Outcome.DISABLED: "账户已停用",
}


def _secret_hash(session: str) -> str:
    return hashlib.sha256(session.encode("utf-8")).hexdigest()


def _refused(reason: str, message: str) -> DomainError:
    return DomainError(Status.UNAUTHENTICATED, reason, message)


def _bad(exc: staff.BadStaff) -> DomainError:
    return invalid_argument(exc.field, str(exc))


def staff_message(row: Row) -> staff_pb2.StaffMember:
    locked = row.locked_until if row.locked_until and row.locked_until > utcnow() else None
    return staff_pb2.StaffMember(
        name=row.name, display_name=row.display_name, roles=[r for r in row.roles.split(",") if r],
        disabled=row.disabled_at is not None, locked_until=timestamp(locked), failed_attempts=row.failed_attempts,
        totp_enabled=row.totp_ciphertext is not None, must_change_password=bool(row.must_change_password),
        create_time=timestamp(row.created_at), last_sign_in_time=timestamp(row.last_sign_in_at),
        created_by=row.created_by)


def staff_principal(row: Row) -> Principal:
    """Who the person's token speaks for: no role until a reset password is changed."""
    roles = frozenset() if row.must_change_password else frozenset(r for r in row.roles.split(",") if r)
    return Principal(subject=f"{STAFF_PREFIX}{row.name}", roles=roles & frozenset(STAFF_ROLES))


def staff_administrator() -> Principal:
    principal = current_principal()
    principal.require_role(ROLE_ADMIN, STAFF_ADMINISTRATOR)
    return principal


class StaffServicer(staff_pb2_grpc.StaffServiceServicer):
    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    # --- signing in ----------------------------------------------------------------------------

    def _audit(self, operation: str, name: str, client_ip: str, outcome: str, detail: str = "") -> None:
        self.identity.audit.record(audit.Event(kind=CONSOLE, outcome=outcome, operation=operation, user=name[:64],
                                               client_ip=client_ip[:64], detail=detail, actor="console"))

    def _account(self, row: Row | None) -> staff.Account | None:
        if row is None:
            return None
        secret = None
        if row.totp_ciphertext is not None:
            secret = self.identity.vault.decrypt_totp_secret(bytes(row.totp_ciphertext), row.name)
        return staff.Account(row.id, row.name, row.password_hash, row.failed_attempts, row.locked_until,
                             row.disabled_at is not None, secret, row.totp_last_step or 0)

    def _token(self, row: Row) -> tuple[str, float]:
        return self.identity.signer.issue(staff_principal(row))

    def SignIn(self, request, context):
        current_principal().require_role(ROLE_CONSOLE)
        identity, settings = self.identity, self.identity.settings
        name = request.name.strip().lower()[:64]
        now = utcnow()
        with identity.db.read() as connection:
            row = staff_repository.staff_by_name(connection, name) if name else None
        account = self._account(row)
        hasher = identity.checker.hasher
        if account is None:
            hasher.verify(_decoy_hash(hasher), request.password)
        taken: list[int] = []  # the lock-out attempt this sign-in took

        def password_ok(account: staff.Account, password: str) -> bool | None:
            # One of the lock-out's attempts first, atomically: parallel guesses never
            # get more than the threshold verified (the same rule as hospital users).
            with identity.changing() as connection:
                number = repository.take_attempt(connection, account.id, now, settings.lockout_threshold, STAFF)
            if number is None:
                return None
            taken.append(number)
            return hasher.verify(account.password_hash, password)

        decision = staff.decide(account, request.password, request.totp_code, now, password_ok)
        if taken and decision.count_failure:  # already counted: lock at the last attempt
            with identity.changing() as connection:
                repository.lock_at_threshold(connection, account.id, taken[0], now, settings.lockout_threshold,
                                             settings.lockout_minutes, STAFF)
        elif taken and decision.outcome is staff.Outcome.TOTP_REQUIRED:  # right, and not yet a failure
            with identity.changing() as connection:
                repository.give_back_attempt(connection, account.id, STAFF)
        if not decision.accepted:
            if decision.clear_failures or (taken and decision.outcome is staff.Outcome.DISABLED):
                with identity.changing() as connection:
                    staff_repository.update_staff(connection, account.id, failed_attempts=0, locked_until=None)
            self._audit("SignIn", name, request.client_ip, "refused", decision.outcome.value)
            raise _refused(decision.outcome.value, _MESSAGES[decision.outcome])
        session = secrets.token_urlsafe(32)
        expires = now + timedelta(hours=settings.staff_session_max_hours)
        with identity.changing() as connection:
            current = staff_repository.staff_by_name(connection, name, for_update=True)
            changes = {"last_sign_in_at": now, "failed_attempts": 0, "locked_until": None}
            if decision.totp_step is not None:
                changes["totp_last_step"] = decision.totp_step
            current = staff_repository.update_staff(connection, current.id, **changes)
            staff_repository.add_session(connection, {
                "staff_id": current.id, "secret_hash": _secret_hash(session),
                "credential_version": current.credential_version, "client_ip": request.client_ip[:64],
                "created_at": now, "last_seen_at": now, "expires_at": expires})
        self._audit("SignIn", name, request.client_ip, "accepted",
                    "must change the password" if current.must_change_password else "")
        token, expires_at = self._token(current)
        return staff_pb2.SignInResponse(
            session=session, token=token, token_expire_time=timestamp_from_epoch(expires_at),
            staff=staff_message(current), must_change_password=bool(current.must_change_password),
            session_expire_time=timestamp(expires))

    def _live_session(self, session: str, now: datetime, *, touch: bool = True) -> Row:
        """The session with its account, if it may go on; else it is ended and refused."""
        settings = self.identity.settings
        with self.identity.db.read() as connection:
            row = staff_repository.session_with_staff(connection, _secret_hash(session)) if session else None
        if row is None or row.ended_at is not None:
            raise _refused("SESSION_ENDED", "会话已结束, 请重新登录")
        idle = now - row.last_seen_at > timedelta(minutes=settings.staff_session_idle_minutes)
        over = (now >= row.expires_at or idle or row.session_version != row.credential_version
                or row.disabled_at is not None or (row.locked_until is not None and row.locked_until > now))
        with self.identity.db.write() as connection:
            if over:
                staff_repository.end_session(connection, row.session_id, now)
            elif touch:
                staff_repository.touch_session(connection, row.session_id, now)
        if over:
            raise _refused("SESSION_ENDED", "会话已结束, 请重新登录")
        return row

    def RefreshSession(self, request, context):
        current_principal().require_role(ROLE_CONSOLE)
        row = self._live_session(request.session, utcnow())
        token, expires_at = self._token(row)
        return staff_pb2.RefreshSessionResponse(token=token, token_expire_time=timestamp_from_epoch(expires_at),
                                                staff=staff_message(row),
                                                must_change_password=bool(row.must_change_password))

    def SignOut(self, request, context):
        current_principal().require_role(ROLE_CONSOLE)
        now = utcnow()
        with self.identity.db.read() as connection:
            row = staff_repository.session_with_staff(connection, _secret_hash(request.session)) \
                if request.session else None
        if row is not None and row.ended_at is None:
            with self.identity.db.write() as connection:
                staff_repository.end_session(connection, row.session_id, now)
            self._audit("SignOut", row.name, request.client_ip, "succeeded")
        return staff_pb2.SignOutResponse()

    def ChangeOwnPassword(self, request, context):
        current_principal().require_role(ROLE_CONSOLE)
        identity, settings = self.identity, self.identity.settings
        now = utcnow()
        row = self._live_session(request.session, now)
        hasher = identity.checker.hasher
        if not hasher.verify(row.password_hash, request.old_password):
            with identity.changing() as connection:
                staff_repository.count_failure(connection, row.id, now, settings.lockout_threshold,
                                               settings.lockout_minutes)
            self._audit("ChangeOwnPassword", row.name, "", "refused", "wrong password")
            raise ContractError("E1001", "原口令错误")
        check_strength(row.name, request.new_password, request.old_password)
        with identity.db.read() as connection:
            history = staff_repository.recent_password_hashes(connection, row.id, settings.password_history)
        if hasher.matches_any([row.password_hash, *history], request.new_password):
            raise ContractError("E1101", f"不能与最近{settings.password_history}次口令相同")
        new_hash = hasher.hash(request.new_password)
        with identity.changing() as connection:
            current = staff_repository.staff_by_name(connection, row.name, for_update=True)
            if current.credential_version != row.credential_version:
                raise ContractError("E9001", "账户信息已变更, 请重试")
            staff_repository.push_password_history(connection, current.id, current.password_hash,
                                                   settings.password_history)
            current = staff_repository.update_staff(connection, current.id, invalidate=True,
                                                    password_hash=new_hash, must_change_password=False,
                                                    failed_attempts=0, locked_until=None)
            # This session goes on under the new password; every other one ends.
            staff_repository.set_session_version(connection, row.session_id, current.credential_version)
            staff_repository.end_sessions_of(connection, current.id, now, keep=row.session_id)
        identity.audit_admin(staff_principal(current), "ChangeOwnPassword", user=current.name)
        token, expires_at = self._token(current)
        return staff_pb2.ChangeOwnPasswordResponse(token=token, token_expire_time=timestamp_from_epoch(expires_at),
                                                   staff=staff_message(current))

    def BeginTotp(self, request, context):
        current_principal().require_role(ROLE_CONSOLE)
        row = self._live_session(request.session, utcnow())
        if row.must_change_password:
            raise DomainError(Status.FAILED_PRECONDITION, "MUST_CHANGE_PASSWORD", "请先修改口令")
        secret = staff.new_totp_secret()
        with self.identity.changing() as connection:
            staff_repository.update_staff(connection, row.id, totp_pending_ciphertext=self.identity.vault
                                          .encrypt_totp_secret(secret, row.name))
        return staff_pb2.BeginTotpResponse(secret=secret, uri=_totp_uri(secret, row.name))

    def ConfirmTotp(self, request, context):
        current_principal().require_role(ROLE_CONSOLE)
        now = utcnow()
        row = self._live_session(request.session, now)
        if row.totp_pending_ciphertext is None:
            raise DomainError(Status.FAILED_PRECONDITION, "NO_TOTP_PENDING", "请先生成动态验证码密钥")
        secret = self.identity.vault.decrypt_totp_secret(bytes(row.totp_pending_ciphertext), row.name)
        step = staff.totp_match(secret, request.code, now)
        if step is None:
            raise invalid_argument("code", "动态验证码错误 (请核对手机时间)")
        with self.identity.changing() as connection:
            current = staff_repository.update_staff(connection, row.id, totp_ciphertext=row.totp_pending_ciphertext,
                                                    totp_pending_ciphertext=None, totp_last_step=step)
        self.identity.audit_admin(staff_principal(current), "ConfirmTotp", user=current.name,
                                  detail="second factor enrolled")
        return staff_pb2.ConfirmTotpResponse(staff=staff_message(current))

    # --- administration --------------------------------------------------------------------------

    def CreateStaff(self, request, context):
        principal = staff_administrator()
        identity = self.identity
        try:
            name = staff.check_name(request.name.strip().lower())
            display_name = staff.check_display_name(request.display_name or request.name)
            roles = staff.parse_roles(request.roles)
        except staff.BadStaff as exc:
            raise _bad(exc) from None
        with identity.db.read() as connection:
            if staff_repository.staff_by_name(connection, name) is not None:
                raise already_exists(f"staff member {name}")
        check_strength(name, request.password)
        password_hash = identity.checker.hasher.hash(request.password)
        with identity.changing() as connection:
            if staff_repository.staff_by_name(connection, name) is not None:
                raise already_exists(f"staff member {name}")
            row = staff_repository.add_staff(connection, {
                "name": name, "display_name": display_name, "roles": ",".join(roles),
                "password_hash": password_hash, "must_change_password": not request.keep_password,
                "created_by": principal.subject, "created_at": utcnow()})
        identity.audit_admin(principal, "CreateStaff", user=name, detail=f"roles {','.join(roles)}")
        return staff_pb2.CreateStaffResponse(staff=staff_message(row))

    def ListStaff(self, request, context):
        current_principal().require_role(ROLE_ADMIN, STAFF_ADMINISTRATOR, STAFF_AUDITOR)
        with self.identity.db.read() as connection:
            return staff_pb2.ListStaffResponse(staff=[staff_message(r) for r in staff_repository.all_staff(connection)])

    def _changing(self, name: str, change, operation: str, detail=None):
        """Apply ``change(connection, row) -> row`` to the named account, audited."""
        principal = staff_administrator()
        with self.identity.changing() as connection:
            row = staff_repository.staff_by_name(connection, name.strip().lower(), for_update=True)
            if row is None:
                raise not_found(f"staff member {name.strip()}")
            before = row
            row = change(connection, row)
        text = detail(before, row) if detail else ""
        if text is not None:
            self.identity.audit_admin(principal, operation, user=row.name, detail=text)
        return row

    def UpdateStaff(self, request, context):
        changes: dict = {}
        try:
            if request.HasField("display_name"):
                changes["display_name"] = staff.check_display_name(request.display_name)
            if request.set_roles:
                changes["roles"] = ",".join(staff.parse_roles(request.roles))
        except staff.BadStaff as exc:
            raise _bad(exc) from None
        if not changes:
            raise invalid_argument("roles", "nothing to change: give the roles or the display name")

        def change(connection, row):
            return staff_repository.update_staff(connection, row.id, **changes)

        def detail(before, after):
            parts = [f"{field} {getattr(before, field) or '-'} -> {getattr(after, field) or '-'}"
                     for field in changes if getattr(before, field) != getattr(after, field)]
            return "; ".join(parts) or "unchanged"

        return staff_pb2.UpdateStaffResponse(staff=staff_message(
            self._changing(request.name, change, "UpdateStaff", detail)))

    def ResetStaffPassword(self, request, context):
        staff_administrator()
        identity, settings = self.identity, self.identity.settings
        name = request.name.strip().lower()
        check_strength(name, request.password)
        password_hash = identity.checker.hasher.hash(request.password)
        now = utcnow()

        def change(connection, row):
            staff_repository.push_password_history(connection, row.id, row.password_hash, settings.password_history)
            staff_repository.end_sessions_of(connection, row.id, now)
            return staff_repository.update_staff(connection, row.id, invalidate=True, password_hash=password_hash,
                                                 must_change_password=True, failed_attempts=0, locked_until=None)

        return staff_pb2.ResetStaffPasswordResponse(staff=staff_message(self._changing(
            name, change, "ResetStaffPassword", lambda before, after: "to be changed at the next sign-in")))

    def UnlockStaff(self, request, context):
        now = utcnow()
        state = {}

        def change(connection, row):
            state["locked"] = row.locked_until is not None and row.locked_until > now
            state["failures"] = row.failed_attempts
            if state["locked"] or state["failures"]:
                return staff_repository.update_staff(connection, row.id, failed_attempts=0, locked_until=None)
            return row

        def detail(before, after):
            if state["locked"]:
                return ""
            return f"not locked; {state['failures']} failed attempts cleared" if state["failures"] else None

        row = self._changing(request.name, change, "UnlockStaff", detail)
        return staff_pb2.UnlockStaffResponse(staff=staff_message(row), was_locked=state["locked"])

    def DisableStaff(self, request, context):
        reason = " ".join(request.reason.split())[:200]
        now = utcnow()
        principal = current_principal()
        if principal.subject == f"{STAFF_PREFIX}{request.name.strip().lower()}":
            raise DomainError(Status.FAILED_PRECONDITION, "OWN_ACCOUNT", "不能停用自己的账户")

        def change(connection, row):
            staff_repository.end_sessions_of(connection, row.id, now)
            return staff_repository.update_staff(connection, row.id, invalidate=True, disabled_at=now,
                                                 disabled_reason=reason)

        return staff_pb2.DisableStaffResponse(staff=staff_message(self._changing(
            request.name, change, "DisableStaff", lambda before, after: reason)))

    def EnableStaff(self, request, context):
        def change(connection, row):
            return staff_repository.update_staff(connection, row.id, disabled_at=None, disabled_reason="")

        return staff_pb2.EnableStaffResponse(staff=staff_message(self._changing(request.name, change, "EnableStaff")))

    def RemoveStaffTotp(self, request, context):
        def change(connection, row):
            return staff_repository.update_staff(connection, row.id, totp_ciphertext=None,
                                                 totp_pending_ciphertext=None)

        return staff_pb2.RemoveStaffTotpResponse(staff=staff_message(self._changing(
            request.name, change, "RemoveStaffTotp", lambda before, after: "second factor removed")))


def _totp_uri(secret: str, account: str) -> str:
    label = urllib.parse.quote(f"{staff.TOTP_ISSUER}:{account}")
    query = urllib.parse.urlencode({"secret": secret, "issuer": staff.TOTP_ISSUER, "digits": staff.TOTP_DIGITS,
                                    "period": staff.TOTP_STEP, "algorithm": "SHA1"})
    return f"otpauth://totp/{label}?{query}"


_DECOYS: dict[int, str] = {}


def _decoy_hash(hasher) -> str:
    """A hash of the decoy password under this process's hasher (made once)."""
    key = id(hasher)
    if key not in _DECOYS:
        _DECOYS[key] = hasher.hash(_UNKNOWN_NAME_PASSWORD + "-decoy")
    return _DECOYS[key]


# --- the overview --------------------------------------------------------------------------------

def start_of_today() -> datetime:
    now = utcnow().astimezone(BEIJING)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


AUDIT_KINDS = frozenset({audit.AUTHENTICATE, audit.OUTCOME, audit.ADMIN, CONSOLE})


class CentreOverviewServicer(staff_pb2_grpc.CentreOverviewServiceServicer):
    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def GetIdentityOverview(self, request, context):
        current_principal().require_role(ROLE_ADMIN, *STAFF_ROLES)
        since = request.since.ToDatetime(tzinfo=BEIJING) if request.HasField("since") else start_of_today()
        limit = min(request.pending_limit or 50, 500)
        now = utcnow()
        with self.identity.db.read() as connection:
            pending, total = staff_repository.pending_users(connection, limit)
            locked = staff_repository.locked_users(connection, now)
            refused, accepted = staff_repository.decisions_since(connection, since)
            hospitals, disabled = staff_repository.hospital_counts(connection)
        return staff_pb2.GetIdentityOverviewResponse(
            pending_users=[_pending(row) for row in pending], pending_total=total, locked_users=locked,
            refusals=[staff_pb2.CodeCount(code=code, count=count) for code, count in refused], accepted=accepted,
            hospitals=hospitals, disabled_hospitals=disabled)

    def SearchAuditEvents(self, request, context):
        current_principal().require_role(ROLE_ADMIN, STAFF_ADMINISTRATOR, STAFF_AUDITOR)
        if request.kind and request.kind not in AUDIT_KINDS:
            raise invalid_argument("kind", f"one of {', '.join(sorted(AUDIT_KINDS))}")
        limit = min(request.page_size or 50, 1000)
        since = request.since.ToDatetime(tzinfo=BEIJING) if request.HasField("since") else None
        until = request.until.ToDatetime(tzinfo=BEIJING) if request.HasField("until") else None
        if since and until and until <= since:
            raise invalid_argument("until", "must be later than since")
        filters = {"hospital_code": request.hospital_code.strip(), "user": request.user.strip(),
                   "kind": request.kind, "outcome": request.outcome.strip(), "error_code": request.error_code.strip(),
                   "operation": request.operation.strip(), "actor": request.actor.strip()}
        with self.identity.db.read() as connection:
            rows = staff_repository.search_audit(connection, since=since, until=until, filters=filters,
                                                 text=request.text.strip()[:100], before_id=request.before_id,
                                                 limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        return staff_pb2.SearchAuditEventsResponse(
            events=[identity_pb2.AuditEvent(
                id=e.id, time=timestamp(e.time), kind=e.kind, call_id=e.call_id, hospital_code=e.hospital_code,
                user=e.user, client_ip=e.client_ip, operation=e.operation, outcome=e.outcome,
                error_code=e.error_code, detail=e.detail, actor=e.actor) for e in rows],
            next_before_id=rows[-1].id if more and rows else 0)


def _pending(row: Row) -> staff_pb2.PendingUser:
    message = user_message(row, row.hospital_code)
    return staff_pb2.PendingUser(hospital_code=row.hospital_code, name=row.name, permissions=row.permissions,
                                 requested_by=row.requested_by, allowed_ips=list(message.allowed_ips),
                                 create_time=timestamp(row.created_at))
