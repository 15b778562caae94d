"""yhklxgjk, Yhzjjk, Yhscjk: the user operations, served by identity."""

from __future__ import annotations

from ncms.identity.v1 import identity_pb2

from .calls import Call


def change_password(call: Call) -> str:
    call.service(call.backends.hospital_users.ChangePassword, identity_pb2.ChangePasswordRequest(
        old_password=call.strings["ykl"], new_password=call.strings["xkl"]))
    return ""


def add_user(call: Call) -> str:
    call.service(call.backends.hospital_users.RequestUser, identity_pb2.RequestUserRequest(
        user=call.text("xzyh"), password=call.strings["xzyhkl"],
        allowed_ips=call.text("yxfwip"), permissions=call.text("fwqx")))
    return ""


def delete_user(call: Call) -> str:
    call.service(call.backends.hospital_users.DeleteUser, identity_pb2.DeleteUserRequest(
        user=call.text("scyh")))
    return ""


HANDLERS = {"yhklxgjk": change_password, "Yhzjjk": add_user, "Yhscjk": delete_user}
