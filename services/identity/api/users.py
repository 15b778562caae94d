"""UserService: hospital users, administered by the NCMS centre."""

from __future__ import annotations

from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.errors import ContractError, failed_precondition, invalid_argument

from .. import repository
from ..models import ACTIVE, PENDING
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
            found = hospital(connection, request.hospital_code.strip())
            user = repository.user_by_name(connection, found.id, request.name.strip(), for_update=True)
            if repository.is_deleted(user):
                raise ContractError("E1104")
            user = repository.update_user(connection, user.id, failed_attempts=0, locked_until=None)
            message = user_message(user, found.code)
        self.identity.audit_admin(principal, "UnlockUser", hospital_code=message.hospital_code, user=message.name)
        return identity_pb2.UnlockUserResponse(user=message)
