"""UserService: hospital users, administered by the NCMS centre: created, approved or
rejected, changed, reset, unlocked, deleted; every change in the audit log."""

from __future__ import annotations

from sqlalchemy import Connection, Row

from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.clock import utcnow
from runtime.errors import ContractError, failed_precondition, invalid_argument

from .. import repository
from ..models import ACTIVE, DELETED, PENDING
from ..passwords import check_strength
from .shared import (
    NAME,
    Identity,
    admin,
    hospital,
    name_free,
    parse_ip_list,
    parse_letters,
    put_user,
    user_message,
)


class UserServicer(identity_pb2_grpc.UserServiceServicer):
    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def CreateUser(self, request, context):
        principal = admin()
        identity = self.identity
        name = request.name.strip()
        if not NAME.match(name):
            raise invalid_argument("name", "1-64 characters, no commas or control characters")
        letters = parse_letters(request.permissions, "permissions")
        ips = parse_ip_list(list(request.allowed_ips), "allowed_ips")
        if not ips:
            raise invalid_argument("allowed_ips", "at least one IP address or CIDR range")
        with identity.db.read() as connection:
            found = hospital(connection, request.hospital_code.strip())
            name_free(connection, found.id, name)  # refuse before the slow hash
        check_strength(name, request.password)
        password_hash = identity.checker.hasher.hash(request.password)
        with identity.changing() as connection:
            found = hospital(connection, request.hospital_code.strip())
            existing = name_free(connection, found.id, name, for_update=True)
            user = put_user(connection, identity.settings, found.id, existing, name, password_hash, ips, letters,
                            state=ACTIVE, requested_by="")
            message = user_message(user, found.code)
        identity.audit_admin(principal, "CreateUser", hospital_code=message.hospital_code, user=name,
                             detail=f"letters {letters or '-'}")
        return identity_pb2.CreateUserResponse(user=message)

    def ApproveUser(self, request, context):
        principal = admin()
        with self.identity.changing() as connection:
            found = hospital(connection, request.hospital_code.strip())
            user = repository.user_by_name(connection, found.id, request.name.strip(), for_update=True)
            if repository.is_deleted(user):
                raise ContractError("E1104")
            if user.state != PENDING:
                raise failed_precondition("NOT_PENDING", f"user {user.name} is {user.state}, not pending")
            letters = user.permissions
            if request.HasField("permissions"):
                letters = parse_letters(request.permissions, "permissions")
                beyond = sorted(set(letters) - set(user.permissions))
                if beyond:
                    raise invalid_argument(
                        "permissions", f"{''.join(beyond)} was not requested (requested: {user.permissions or '-'})")
            user = repository.update_user(connection, user.id, state=ACTIVE, permissions=letters)
            message = user_message(user, found.code)
        self.identity.audit_admin(principal, "ApproveUser", hospital_code=message.hospital_code,
                                  user=message.name, detail=f"letters {message.permissions or '-'}")
        return identity_pb2.ApproveUserResponse(user=message)

    def ListUsers(self, request, context):
        admin()
        with self.identity.db.read() as connection:
            found = hospital(connection, request.hospital_code.strip())
            users = [user_message(u, found.code)
                     for u in repository.users(connection, found.id, pending_only=request.pending_only)]
        return identity_pb2.ListUsersResponse(users=users)

    def UnlockUser(self, request, context):
        principal = admin()
        with self.identity.changing() as connection:
            found, user = _live_user(connection, request)
            locked = user.locked_until is not None and user.locked_until > utcnow()
            failures = user.failed_attempts
            if locked or failures:
                user = repository.update_user(connection, user.id, failed_attempts=0, locked_until=None)
            message = user_message(user, found.code)
        if locked or failures:
            self.identity.audit_admin(principal, "UnlockUser", hospital_code=message.hospital_code,
                                      user=message.name,
                                      detail="" if locked else f"not locked; {failures} failed attempts cleared")
        return identity_pb2.UnlockUserResponse(user=message, was_locked=locked)

    def ResetPassword(self, request, context):
        principal = admin()
        identity = self.identity
        with identity.db.read() as connection:
            found, user = _live_user(connection, request)
        check_strength(user.name, request.password)  # before the slow hash
        password_hash = identity.checker.hasher.hash(request.password)
        with identity.changing() as connection:
            found, user = _live_user(connection, request, for_update=True)
            locked = user.locked_until is not None and user.locked_until > utcnow()
            repository.push_password_history(connection, user.id, user.password_hash,
                                             identity.settings.password_history)
            user = repository.update_user(connection, user.id, password_hash=password_hash,
                                          must_change_password=True, failed_attempts=0, locked_until=None)
            message = user_message(user, found.code)
        identity.checker.cache.forget_user(user.id)
        identity.audit_admin(principal, "ResetPassword", hospital_code=message.hospital_code, user=message.name,
                             detail="to be changed at the next yhklxgjk" + ("; lock-out lifted" if locked else ""))
        return identity_pb2.ResetPasswordResponse(user=message)

    def UpdateUser(self, request, context):
        principal = admin()
        changes: dict[str, str] = {}
        if request.HasField("allowed_ips"):
            changes["allowed_ips"] = parse_ip_list(list(request.allowed_ips.entries), "allowed_ips")
            if not changes["allowed_ips"]:
                raise invalid_argument("allowed_ips", "at least one IP address or CIDR range")
        if request.HasField("permissions"):
            changes["permissions"] = parse_letters(request.permissions, "permissions")
        if not changes:
            raise invalid_argument("allowed_ips", "nothing to change: give the addresses or the letters")
        with self.identity.changing() as connection:
            found, user = _live_user(connection, request, for_update=True)
            before = {field: getattr(user, field) for field in changes}
            user = repository.update_user(connection, user.id, **changes)
            message = user_message(user, found.code)
        detail = "; ".join(f"{_FIELD_NAMES[field]} {before[field] or '-'} -> {value or '-'}"
                           for field, value in changes.items() if before[field] != value)
        self.identity.audit_admin(principal, "UpdateUser", hospital_code=message.hospital_code, user=message.name,
                                  detail=(detail or "unchanged")[:500])
        return identity_pb2.UpdateUserResponse(user=message)

    def RejectUser(self, request, context):
        principal = admin()
        with self.identity.changing() as connection:
            found, user = _live_user(connection, request, for_update=True)
            if user.state != PENDING:
                raise failed_precondition("NOT_PENDING", f"user {user.name} is {user.state}, not pending")
            user = repository.update_user(connection, user.id, state=DELETED)
            message = user_message(user, found.code)
        self.identity.checker.cache.forget_user(user.id)
        self.identity.audit_admin(principal, "RejectUser", hospital_code=message.hospital_code, user=message.name,
                                  detail=_reason("requested by " + user.requested_by, request.reason))
        return identity_pb2.RejectUserResponse(user=message)

    def RemoveUser(self, request, context):
        principal = admin()
        with self.identity.changing() as connection:
            found, user = _live_user(connection, request, for_update=True)
            was = user.state
            user = repository.update_user(connection, user.id, state=DELETED)
            message = user_message(user, found.code)
        self.identity.checker.cache.forget_user(user.id)
        self.identity.audit_admin(principal, "RemoveUser", hospital_code=message.hospital_code, user=message.name,
                                  detail=_reason(f"was {was}", request.reason))
        return identity_pb2.RemoveUserResponse(user=message)


_FIELD_NAMES = {"allowed_ips": "addresses", "permissions": "letters"}


def _live_user(connection: Connection, request, *, for_update: bool = False) -> tuple[Row, Row]:
    """The hospital and the named user; E1104 for a user that does not exist or is deleted."""
    found = hospital(connection, request.hospital_code.strip())
    user = repository.user_by_name(connection, found.id, request.name.strip(), for_update=for_update)
    if repository.is_deleted(user):
        raise ContractError("E1104")
    return found, user


def _reason(fact: str, reason: str) -> str:
    reason = " ".join(reason.split())
    return (f"{fact}; {reason}" if reason else fact)[:500]
