"""Administration after creation, through the ncms command against a real identity
service: password resets, changed addresses and letters, rejected requests, deleted
users, disabled hospitals, rotated and revoked client secrets, key rotation with an
overlap; each change audited and in force at once. Both backends."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import grpc
import pytest

from legacy import digest
from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.clients import PackageStubs, with_token
from runtime.rpc_errors import from_rpc_error
from tests.support.command import CHINESE, ncms
from tests.support.legacy import CREDENTIAL_FIELDS, authenticate_request
from tests.support.suite import new_hospital, new_user

HOSPITAL = "450200001"
PASSWORD = "Passw0rd!x"


def call(user="his01", password=PASSWORD, operation="chryxxjk", **extra):
    user_field, password_field = CREDENTIAL_FIELDS.get(operation, ("yh", "kl"))
    params = {"yydm": HOSPITAL, user_field: user, password_field: password, "chzh": "45020000100001", **extra}
    return operation, params


def refusal(suite, key, operation_params=None, **kwargs) -> tuple[str, str]:
    """(code, message) of a refused call; ("", "") when accepted."""
    operation, params = operation_params or call()
    try:
        suite.gateway.Authenticate(authenticate_request(key, operation, params, **kwargs))
    except grpc.RpcError as exc:
        error = from_rpc_error(exc)
        return getattr(error, "code", error.reason), error.message
    return "", ""


def audit_operations(suite) -> list[tuple[str, str, str]]:
    events = json.loads(ncms(suite, "audit", "--hospital", HOSPITAL, "--json").stdout)["events"]
    return [(e["operation"], e.get("user", ""), e.get("detail", "")) for e in events if e["kind"] == "admin"]


@pytest.fixture
def key(identity):
    key = new_hospital(identity.admin, HOSPITAL)
    new_user(identity.admin, HOSPITAL, "his01", PASSWORD, permissions="ABCEF")
    return key


def test_a_reset_password_must_be_changed_before_anything_else(identity, key):
    for _ in range(5):
        refusal(identity, key, call(password="Wrong#pass1"))
    assert refusal(identity, key)[0] == "E1002"  # locked out
    reset = ncms(identity, "user", "reset-password", "--hospital", HOSPITAL, "--user", "his01", "--password", "-",
                 input="Reset#2026a\n")
    assert reset.returncode == 0, reset.stderr
    assert "must change it (yhklxgjk) before any other call" in reset.stdout
    assert refusal(identity, key)[0] == "E1001"  # the old password is gone at once
    code, message = refusal(identity, key, call(password="Reset#2026a"))
    assert (code, message) == ("E1006", "E1006:用户未授权: 口令已由管理员重置, 请先修改口令 (yhklxgjk)")
    listed = ncms(identity, "user", "list", "--hospital", HOSPITAL)
    assert "(must change password)" in listed.stdout
    assert json.loads(ncms(identity, "user", "list", "--hospital", HOSPITAL, "--json").stdout)["users"][0][
        "must_change_password"] is True

    token = identity.gateway.Authenticate(authenticate_request(
        key, *call(password="Reset#2026a", operation="yhklxgjk", xkl="Mine#2026b"))).token
    user = PackageStubs(with_token(identity.channel("identity"), lambda: token), identity_pb2_grpc)
    user.ChangePassword(identity_pb2.ChangePasswordRequest(old_password="Reset#2026a", new_password="Mine#2026b"))
    assert refusal(identity, key, call(password="Mine#2026b")) == ("", "")
    assert ("ResetPassword", "his01", "to be changed at the next yhklxgjk; lock-out lifted") in audit_operations(identity)


def test_addresses_and_letters_change_at_once(identity, key):
    assert refusal(identity, key) == ("", "")  # cached now
    changed = ncms(identity, "user", "change", "--hospital", HOSPITAL, "--user", "his01", "--ips", "10.9.0.0/16",
                   "--permissions", "E", "--json")
    assert changed.returncode == 0, changed.stderr
    assert json.loads(changed.stdout)["allowed_ips"] == ["10.9.0.0/16"]
    assert refusal(identity, key)[0] == "E1003"
    assert refusal(identity, key, client_ip="10.9.3.4") == ("", "")
    assert refusal(identity, key, call(operation="mzjsjk"), client_ip="10.9.3.4")[0] == "E1004"
    bad = ncms(identity, "user", "change", "--hospital", HOSPITAL, "--user", "his01", "--ips", "10.9.0.1/16")
    assert bad.returncode == 1 and "10.9.0.1/16 的主机位不为0, 网段应写作 10.9.0.0/16" in bad.stderr
    assert ("UpdateUser", "his01", "addresses 127.0.0.0/8,::1 -> 10.9.0.0/16; letters ABCEF -> E") in \
        audit_operations(identity)


def test_a_pending_request_is_rejected_and_a_user_deleted(identity, key):
    token = identity.gateway.Authenticate(authenticate_request(key, *call(operation="Yhzjjk"))).token
    requester = PackageStubs(with_token(identity.channel("identity"), lambda: token), identity_pb2_grpc)
    requester.RequestUser(identity_pb2.RequestUserRequest(user="nurse1", password="Nurse#2026a", permissions="E"))
    rejected = ncms(identity, "user", "reject", "--hospital", HOSPITAL, "--user", "nurse1", "--reason", "重复申请")
    assert rejected.returncode == 0 and "rejected" in rejected.stdout
    assert refusal(identity, key, call("nurse1", "Nurse#2026a"))[0] == "E1006"
    again = ncms(identity, "user", "reject", "--hospital", HOSPITAL, "--user", "nurse1")
    assert again.returncode == 1 and "E1104" in again.stderr
    requester.RequestUser(identity_pb2.RequestUserRequest(user="nurse1", password="Nurse#2026b", permissions="E"))
    not_pending = ncms(identity, "user", "reject", "--hospital", HOSPITAL, "--user", "his01")
    assert not_pending.returncode == 1 and "not pending" in not_pending.stderr

    deleted = ncms(identity, "user", "delete", "--hospital", HOSPITAL, "--user", "his01", "--reason", "离职", "--yes")
    assert deleted.returncode == 0, deleted.stderr
    assert refusal(identity, key)[0] == "E1006"
    states = {u["name"]: u["state"] for u in json.loads(
        ncms(identity, "user", "list", "--hospital", HOSPITAL, "--json").stdout)["users"]}
    assert states == {"his01": "deleted", "nurse1": "pending"}
    audited = audit_operations(identity)
    assert ("RejectUser", "nurse1", "requested by his01; 重复申请") in audited
    assert ("RemoveUser", "his01", "was active; 离职") in audited


def test_a_disabled_hospital_is_refused_until_enabled(identity, key):
    disabled = ncms(identity, "hospital", "disable", "--code", HOSPITAL, "--reason", "未续签协议", "--yes")
    assert disabled.returncode == 0, disabled.stderr
    assert refusal(identity, key) == ("E1007", "E1007:医院代码无效: 医院已停用")
    assert refusal(identity, "not-the-key-0123456789abcdef")[0] == "E1005"  # only the key's holder learns why
    listed = ncms(identity, "hospital", "list", env=CHINESE)
    assert "已停用: 未续签协议" in listed.stdout
    enabled = ncms(identity, "hospital", "enable", "--code", HOSPITAL)
    assert enabled.returncode == 0 and refusal(identity, key) == ("", "")
    twice = ncms(identity, "hospital", "enable", "--code", HOSPITAL)
    assert twice.returncode == 1 and "is not disabled" in twice.stderr
    audited = audit_operations(identity)
    assert ("DisableHospital", "", "未续签协议") in audited and ("EnableHospital", "", "was disabled: 未续签协议") in audited


def test_a_hospital_is_made_to_send_the_message_header(identity, key):
    required = ncms(identity, "hospital", "message-header", "--code", HOSPITAL, env=CHINESE)
    assert required.returncode == 0, required.stderr
    assert "不带报文标识的调用将被拒绝 (E1008)" in required.stdout
    assert refusal(identity, key)[0] == "E1008"
    assert "必须发送" in ncms(identity, "hospital", "list", env=CHINESE).stdout
    optional = ncms(identity, "hospital", "message-header", "--code", HOSPITAL, "--optional", "--json")
    assert json.loads(optional.stdout).get("message_header_required", False) is False
    assert refusal(identity, key) == ("", "")
    audited = audit_operations(identity)
    assert ("SetMessageHeaderRequired", "", "required: yes (was no)") in audited
    assert ("SetMessageHeaderRequired", "", "required: no (was yes)") in audited


def test_client_secrets_are_rotated_and_clients_revoked(identity, key):
    created = json.loads(ncms(identity, "client", "add", "--name", "billing-export", "--role", "internal",
                              "--json").stdout)
    old = created["client_secret"]
    assert identity.credentials("billing-export", old).token()
    rotated = ncms(identity, "client", "rotate-secret", "--name", "billing-export", "--yes", "--json")
    assert rotated.returncode == 0, rotated.stderr
    new = json.loads(rotated.stdout)["client_secret"]
    with pytest.raises(grpc.RpcError) as caught:
        identity.credentials("billing-export", old).token()
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert identity.credentials("billing-export", new).token()
    revoked = ncms(identity, "client", "revoke", "--name", "billing-export", "--reason", "系统下线", "--yes")
    assert revoked.returncode == 0, revoked.stderr
    with pytest.raises(grpc.RpcError):
        identity.credentials("billing-export", new).token()
    listed = {c["name"]: c for c in json.loads(ncms(identity, "client", "list", "--json").stdout)["clients"]}
    assert listed["billing-export"]["revoke_reason"] == "系统下线" and listed["ncms-admin"]["builtin"]
    builtin = ncms(identity, "client", "rotate-secret", "--name", "ncms-admin", "--yes")
    assert builtin.returncode == 1 and "its secret comes from the configuration" in builtin.stderr
    events = json.loads(ncms(identity, "audit", "--json").stdout)["events"]
    assert {"RotateClientSecret", "RevokeClient"} <= {e["operation"] for e in events}


def test_a_rotated_key_overlaps_the_old_one_until_the_window_ends(identity, key):
    rotated = ncms(identity, "hospital", "rotate-key", "--code", HOSPITAL, "--overlap", "1", "--yes", "--json")
    assert rotated.returncode == 0, rotated.stderr
    new_key = json.loads(rotated.stdout)["signing_key"]
    assert refusal(identity, key) == ("", "") and refusal(identity, new_key) == ("", "")  # both verify
    listed = ncms(identity, "hospital", "list")
    assert "v2 (v1 too until" in listed.stdout and "Beijing time" in listed.stdout
    # the NCMS's own calls to the hospital are signed with the key the hospital surely has
    signed = identity.admin.SignDigest(identity_pb2.SignDigestRequest(hospital_code=HOSPITAL,
                                                                      digest_message="zysjcxjk\nzybh=1"))
    assert digest.verify(key, digest.HMAC_SHA256, "zysjcxjk\nzybh=1", signed.digest)
    ended = ncms(identity, "hospital", "end-overlap", "--code", HOSPITAL)
    assert ended.returncode == 0 and "only key version 2 verifies" in ended.stdout
    assert refusal(identity, key)[0] == "E1005" and refusal(identity, new_key) == ("", "")

    # an overlap also ends by itself (0.003 hours: 10.8 s, ample for the command to exit and
    # the next call to be made on a loaded machine before it ends)
    short = json.loads(ncms(identity, "hospital", "rotate-key", "--code", HOSPITAL, "--overlap", "0.003", "--yes",
                            "--json").stdout)
    assert refusal(identity, new_key) == ("", "")
    until = datetime.fromisoformat(short["previous_key_expire_time"].replace("Z", "+00:00"))
    time.sleep(max((until - datetime.now(UTC)).total_seconds(), 0) + 0.5)
    assert refusal(identity, new_key)[0] == "E1005" and refusal(identity, short["signing_key"]) == ("", "")
    at_once = json.loads(ncms(identity, "hospital", "rotate-key", "--code", HOSPITAL, "--overlap", "0", "--yes",
                              "--json").stdout)
    assert refusal(identity, short["signing_key"])[0] == "E1005"
    assert refusal(identity, at_once["signing_key"]) == ("", "")
    details = [d for op, _u, d in audit_operations(identity) if op == "RotateHospitalKey"]
    assert any("version 1 verifies too until" in d for d in details)
    assert any("the previous key stopped at once" in d for d in details)


def test_rotating_asks_first_and_says_what_happens_to_the_old_key(identity, key):
    asked = ncms(identity, "hospital", "rotate-key", "--code", HOSPITAL, input="n\n")
    assert asked.returncode != 0 and "Its old key keeps working for 72 hours" in asked.stdout
    assert refusal(identity, key) == ("", "")  # nothing changed
    chinese = ncms(identity, "hospital", "rotate-key", "--code", HOSPITAL, "--overlap", "0", env=CHINESE, input="n\n")
    assert "其旧密钥立即失效" in chinese.stdout


def test_times_are_beijing_time_with_the_zone_named(identity, key):
    ncms(identity, "user", "unlock", "--hospital", HOSPITAL, "--user", "his01")
    refusal(identity, key, call(password="Wrong#pass1"))
    ncms(identity, "user", "reset-password", "--hospital", HOSPITAL, "--user", "his01", "--password", "-",
         input="Reset#2026a\n")
    events = json.loads(ncms(identity, "audit", "--hospital", HOSPITAL, "--json").stdout)["events"]
    stamp = events[0]["time"]
    assert stamp.endswith("Z")  # --json: ISO 8601 with its offset
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    from runtime.clock import BEIJING

    text = ncms(identity, "audit", "--hospital", HOSPITAL).stdout
    assert "time (Beijing time)" in text and moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") in text
    assert "时间 (北京时间)" in ncms(identity, "audit", "--hospital", HOSPITAL, env=CHINESE).stdout
