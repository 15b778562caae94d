"""HospitalUserService: what an authenticated hospital user does to its own
hospital's users (yhklxgjk, Yhzjjk, Yhscjk)."""

from __future__ import annotations

from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.errors import ContractError

from .. import repository
from ..models import ACTIVE, DELETED, PENDING
from ..network import split_list
from ..passwords import check_strength
from .shared import (
    NAME,
    Identity,
    hospital,
    hospital_user,
    name_free,
    parse_ip_list,
    parse_letters,
    put_user,
    user_message,
)


class HospitalUserServicer(identity_pb2_grpc.HospitalUserServiceServicer):
    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def ChangePassword(self, request, context):
        identity, settings = self.identity, self.identity.settings
        principal = hospital_user()
        row = identity.authentication_row(principal.hospital_code, principal.user)
        user = None if row is None else row.user
        if user is None or user.state != ACTIVE:
            raise ContractError("E1006")
        # Every slow hash (the old password, the history, the new hash) runs outside the
        # write transaction: on SQLite a write transaction holds the database's only
        # write lock, which every audit event needs.
        if not identity.checker.check(user.id, user.password_hash, request.old_password):
            raise ContractError("E1001")
        check_strength(user.name, request.new_password, request.old_password)
        with identity.db.read() as connection:
            history = repository.recent_password_hashes(connection, user.id, settings.password_history)
        if identity.checker.hasher.matches_any([user.password_hash, *history], request.new_password):
            raise ContractError("E1101", f"不能与最近{settings.password_history}次口令相同")
        new_hash = identity.checker.hasher.hash(request.new_password)
        with identity.changing() as connection:
            current = repository.user_by_name(connection, row.hospital_id, user.name, for_update=True)
            if current is None or current.credential_version != user.credential_version:
                # Changed meanwhile (another password change, a lock-out, a deletion).
                raise ContractError("E9001", "用户信息已变更, 请重试")
            repository.push_password_history(connection, current.id, current.password_hash,
                                             settings.password_history)
            repository.update_user(connection, current.id, password_hash=new_hash, failed_attempts=0,
                                   locked_until=None, must_change_password=False)
        identity.checker.cache.forget_user(user.id)
        identity.checker.cache.remember(user.id, new_hash, request.new_password)
        return identity_pb2.ChangePasswordResponse()

    def RequestUser(self, request, context):
        identity = self.identity
        principal = hospital_user()
        principal.require_letter("A")
        name = request.user.strip()
        if not NAME.match(name):
            raise ContractError("E2001", "xzyh: 用户名须为1-64个字符, 不含逗号和控制字符")
        wanted = parse_letters(request.permissions, "fwqx")
        beyond = sorted(set(wanted) - principal.permissions)
        if beyond:
            raise ContractError("E1105", f"发起用户不具备权限 {''.join(beyond)}")
        with identity.db.read() as connection:  # every refusal before any slow hash
            found = hospital(connection, principal.hospital_code)
            requester = repository.user_by_name(connection, found.id, principal.user)
            if requester is None or requester.state != ACTIVE:
                raise ContractError("E1006")
            ips = (parse_ip_list(split_list(request.allowed_ips), "yxfwip")
                   if request.allowed_ips.strip() else requester.allowed_ips)
            name_free(connection, found.id, name)  # refuse before the slow hash
        check_strength(name, request.password)
        password_hash = identity.checker.hasher.hash(request.password)
        with identity.changing() as connection:
            existing = name_free(connection, found.id, name, for_update=True)
            user = put_user(connection, identity.settings, found.id, existing, name, password_hash, ips, wanted,
                            state=PENDING, requested_by=principal.user)
            message = user_message(user, found.code)
        return identity_pb2.RequestUserResponse(user=message)

    def DeleteUser(self, request, context):
        principal = hospital_user()
        principal.require_letter("B")
        name = request.user.strip()
        if name == principal.user:
            raise ContractError("E1105", "不能删除发起用户自己")
        with self.identity.changing() as connection:
            found = hospital(connection, principal.hospital_code)
            user = repository.user_by_name(connection, found.id, name, for_update=True)
            if repository.is_deleted(user):
                raise ContractError("E1104")
            repository.update_user(connection, user.id, state=DELETED)
        self.identity.checker.cache.forget_user(user.id)
        return identity_pb2.DeleteUserResponse()
