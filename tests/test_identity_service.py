"""The identity service over real gRPC, on the configured database backend."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import grpc
import pytest
import sqlalchemy as sa

from legacy import digest
from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.auth import Principal, TokenSigner, signing_key_from_secret
from runtime.clients import PackageStubs, with_token
from runtime.clock import utcnow
from runtime.rpc_errors import from_rpc_error
from services.identity.models import AuditEvent, Hospital, User
from tests.support.legacy import CREDENTIAL_FIELDS, authenticate_request, error_code
from tests.support.passwords import slow_hash
from tests.support.suite import new_hospital, new_user

HOSPITAL = "450200001"
PASSWORD = "Passw0rd!x"


@pytest.fixture
def hospital(identity):
    key = new_hospital(identity.admin, HOSPITAL)
    new_user(identity.admin, HOSPITAL, "his01", PASSWORD, permissions="ABCEF")
    return key


def call(user="his01", password=PASSWORD, operation="chryxxjk", **extra):
    user_field, password_field = CREDENTIAL_FIELDS.get(operation, ("yh", "kl"))
    params = {"yydm": HOSPITAL, user_field: user, password_field: password, "chzh": "45020000100001"}
    params.update(extra)
    return operation, params


def auth(identity, key, operation_params=None, **kwargs):
    operation, params = operation_params or call()
    return identity.gateway.Authenticate(authenticate_request(key, operation, params, **kwargs))


def auth_code(identity, key, operation_params=None, **kwargs) -> str:
    return error_code(lambda: auth(identity, key, operation_params, **kwargs))


def user_row(identity, name="his01") -> User:
    engine = sa.create_engine(identity.urls["identity"])
    with engine.connect() as connection:
        row = connection.execute(sa.select(User.failed_attempts, User.locked_until, User.state)
                                 .where(User.name == name)).one()
    engine.dispose()
    return row


def as_user(identity, key, user="his01", password=PASSWORD, operation="chryxxjk", **params):
    """A stub acting as a hospital user, with the token Authenticate issued."""
    token = auth(identity, key, call(user, password, operation, **params)).token
    return PackageStubs(with_token(identity.channel("identity"), lambda: token), identity_pb2_grpc)


# --- Authenticate: each refusal ---------------------------------------------------------

def test_accepted_call_returns_principal_and_token(identity, hospital):
    response = auth(identity, hospital)
    assert response.principal.hospital_code == HOSPITAL
    assert response.principal.hospital_level == 2
    assert response.principal.permissions == "ABCEF"
    assert response.token and response.call_id


def test_refusal_codes(identity, hospital):
    admin = identity.admin
    operation, params = call()
    assert auth_code(identity, hospital, ("chryxxjk", {**params, "yydm": "999999"})) == "E1007"
    assert auth_code(identity, "not-the-key", (operation, params)) == "E1005"
    tampered = {**params, "chzh": "45020000199999"}
    assert auth_code(identity, hospital, (operation, tampered), signed_params=params) == "E1005"
    assert auth_code(identity, hospital, call(user="nobody")) == "E1001"
    assert auth_code(identity, hospital, client_ip="192.0.2.7") == "E1003"
    assert auth_code(identity, hospital, call(password="Wrong-pass1")) == "E1001"
    assert auth_code(identity, hospital, call(operation="zlmljk")) == "E1004"  # D not held
    # pending (requested through Yhzjjk) and deleted users: E1006 with the right password
    requester = as_user(identity, hospital, operation="Yhzjjk")
    requester.RequestUser(identity_pb2.RequestUserRequest(
        user="nurse1", password="Nurse#2026a", allowed_ips="127.0.0.1", permissions="E"))
    assert auth_code(identity, hospital, call("nurse1", "Nurse#2026a")) == "E1006"
    new_user(admin, HOSPITAL, "gone", "Bye#2026abc", permissions="E")
    as_user(identity, hospital, operation="Yhscjk").DeleteUser(identity_pb2.DeleteUserRequest(user="gone"))
    assert auth_code(identity, hospital, call("gone", "Bye#2026abc")) == "E1006"


def test_ipv6_and_cidr_rules(identity, hospital):
    new_user(identity.admin, HOSPITAL, "v6user", "Six#2026abc", ips=["2001:db8::/32", "10.8.0.0/16"],
             permissions="E")
    ok = call("v6user", "Six#2026abc")
    assert auth(identity, hospital, ok, client_ip="2001:db8:5::1").principal.user == "v6user"
    assert auth(identity, hospital, ok, client_ip="10.8.200.1").principal.user == "v6user"
    assert auth(identity, hospital, ok, client_ip="::ffff:10.8.0.9").principal.user == "v6user"
    assert auth_code(identity, hospital, ok, client_ip="2001:db9::1") == "E1003"
    assert auth_code(identity, hospital, ok, client_ip="10.9.0.1") == "E1003"
    assert auth_code(identity, hospital, ok, client_ip="127.0.0.1") == "E1003"


def test_sm3_hospital(identity):
    key = new_hospital(identity.admin, "450200009", algorithm=identity_pb2.DIGEST_ALGORITHM_HMAC_SM3)
    new_user(identity.admin, "450200009", "his01", PASSWORD, permissions="E")
    params = {"yydm": "450200009", "yh": "his01", "kl": PASSWORD, "chzh": "1"}
    request = authenticate_request(key, "chryxxjk", params, algorithm=digest.HMAC_SM3)
    assert identity.gateway.Authenticate(request).principal.hospital_code == "450200009"
    sha = authenticate_request(key, "chryxxjk", params)
    assert error_code(lambda: identity.gateway.Authenticate(sha)) == "E1005"


# --- lock-out ---------------------------------------------------------------------------

def test_lock_out_after_five_failures_and_unlock(identity, hospital):
    for _ in range(4):
        assert auth_code(identity, hospital, call(password="Wrong-pass1")) == "E1001"
    assert auth(identity, hospital).principal.user == "his01"  # success clears the count
    assert user_row(identity).failed_attempts == 0
    for _ in range(5):
        assert auth_code(identity, hospital, call(password="Wrong-pass1")) == "E1001"
    assert auth_code(identity, hospital) == "E1002"  # even with the right password
    row = user_row(identity)
    assert row.failed_attempts == 5 and row.locked_until > utcnow() + timedelta(minutes=14)
    identity.admin.UnlockUser(identity_pb2.UnlockUserRequest(hospital_code=HOSPITAL, name="his01"))
    assert auth(identity, hospital).principal.user == "his01"


def test_outsiders_cannot_lock_a_user_out(identity, hospital):
    for _ in range(10):
        assert auth_code(identity, "forged-key", call(password="Wrong-pass1")) == "E1005"
        assert auth_code(identity, hospital, call(password="Wrong-pass1"), client_ip="198.51.100.1") == "E1003"
    assert user_row(identity).failed_attempts == 0
    assert auth(identity, hospital).principal.user == "his01"


def test_an_expired_lock_starts_the_count_afresh(identity, hospital):
    engine = sa.create_engine(identity.urls["identity"])
    with engine.begin() as connection:
        connection.execute(sa.update(User).where(User.name == "his01").values(
            failed_attempts=5, locked_until=utcnow() - timedelta(seconds=1)))
    engine.dispose()
    assert auth_code(identity, hospital, call(password="Wrong-pass1")) == "E1001"
    row = user_row(identity)
    assert row.failed_attempts == 1 and row.locked_until is None


def test_concurrent_failures_are_all_counted(identity, databases):
    identity.overrides["lockout_threshold"] = 1000
    identity.servers.pop("identity").stop(grace=0)
    identity.start("identity")
    key = new_hospital(identity.admin, HOSPITAL)
    new_user(identity.admin, HOSPITAL, "his01", PASSWORD, permissions="E")
    gateway = identity.gateway
    request = authenticate_request(key, *call(password="Wrong-pass1"))
    barrier = threading.Barrier(24)

    def attempt(_):
        barrier.wait()
        return error_code(lambda: gateway.Authenticate(request))

    with ThreadPoolExecutor(24) as pool:
        codes = list(pool.map(attempt, range(24)))
    assert codes == ["E1001"] * 24
    assert user_row(identity).failed_attempts == 24


def test_parallel_guesses_never_exceed_the_lock_out(identity, hospital, monkeypatch):
    """20 wrong passwords at once: exactly the threshold (5) is verified (E1001), the
    others are refused as locked (E1002) without their password being looked at."""
    checks = slow_hash(monkeypatch)
    gateway = identity.gateway
    wrong = authenticate_request(hospital, *call(password="Wrong-pass1"))
    barrier = threading.Barrier(20)

    def guess(_):
        barrier.wait()
        return error_code(lambda: gateway.Authenticate(wrong))

    with ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(guess, range(20)))
    assert sorted(codes) == ["E1001"] * 5 + ["E1002"] * 15
    assert checks.count("Wrong-pass1") == 5  # only five passwords were looked at
    row = user_row(identity)
    assert row.failed_attempts == 5 and row.locked_until is not None
    assert auth_code(identity, hospital) == "E1002"  # the right password during the lock


def test_an_unknown_user_costs_the_same_password_check_as_a_wrong_password(identity, databases, monkeypatch):
    """With the production hash: without a stand-in check, an unknown user was answered
    in a few milliseconds and a wrong password in about 150 (user names could be found
    by timing). Shown by what is done, not by a stopwatch: each is one argon2id check
    with the same parameters."""
    from services.identity.passwords import PasswordHasher

    identity.overrides["password_hash_profile"] = "strong"
    identity.servers.pop("identity").stop(grace=0)
    identity.start("identity")
    key = new_hospital(identity.admin, HOSPITAL)
    new_user(identity.admin, HOSPITAL, "his01", PASSWORD, permissions="E")
    checks = []
    original = PasswordHasher.verify

    def verify(self, stored_hash, password):
        checks.append(stored_hash.rsplit("$", 2)[0])  # the algorithm and its parameters, not the salt
        return original(self, stored_hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", verify)

    def checks_made(user: str) -> list[str]:
        checks.clear()
        request = authenticate_request(key, *call(user=user, password="Wrong-pass1"))
        assert error_code(lambda: identity.gateway.Authenticate(request)) == "E1001"
        return list(checks)

    wrong, unknown = checks_made("his01"), checks_made("nobody")
    assert len(wrong) == 1 and unknown == wrong, (wrong, unknown)
    assert wrong[0].startswith("$argon2id$") and "m=65536,t=3" in wrong[0]


# --- the message header (报文标识) ----------------------------------------------------------

def sent_now(offset_seconds: float = 0) -> str:
    from runtime.clock import BEIJING

    return (utcnow() + timedelta(seconds=offset_seconds)).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def test_a_replayed_message_is_refused(identity, hospital):
    request = authenticate_request(hospital, *call(), message_header=("HIS-0001", sent_now()))
    assert identity.gateway.Authenticate(request).principal.user == "his01"
    assert error_code(lambda: identity.gateway.Authenticate(request)) == "E1008"
    # the same msgid in another hospital is another message
    other = new_hospital(identity.admin, "450200002")
    new_user(identity.admin, "450200002", "his01", PASSWORD, permissions="E")
    elsewhere = authenticate_request(other, *call(yydm="450200002"), message_header=("HIS-0001", sent_now()))
    assert identity.gateway.Authenticate(elsewhere).principal.hospital_code == "450200002"


def test_a_message_sent_many_times_at_once_is_accepted_once(identity, hospital):
    request = authenticate_request(hospital, *call(), message_header=("HIS-0100", sent_now()))
    barrier = threading.Barrier(8)

    def send(_):
        barrier.wait()
        try:
            identity.gateway.Authenticate(request)
            return ""
        except grpc.RpcError as exc:
            error = from_rpc_error(exc)
            return getattr(error, "code", error.reason)

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(send, range(8)))
    assert sorted(outcomes) == [""] + ["E1008"] * 7


def test_a_stale_or_malformed_header_is_refused(identity, hospital):
    def code(header):
        return error_code(lambda: identity.gateway.Authenticate(
            authenticate_request(hospital, *call(), message_header=header)))

    # Far past the 300 s allowed: sendtime drops the fraction of a second and the call
    # itself takes time, so a margin of one second is not one (the boundary is checked
    # against a fixed clock in test_identity_rules).
    assert code(("HIS-0002", sent_now(-600))) == "E1009"
    assert code(("HIS-0003", sent_now(+600))) == "E1009"
    assert code(("HIS-0004", "2026/12/02 10:00:00")) == "E1009"
    assert code(("HIS 0005", sent_now())) == "E1008"
    # a refused header uses up nothing: its msgid is still free
    assert identity.gateway.Authenticate(authenticate_request(
        hospital, *call(), message_header=("HIS-0002", sent_now()))).principal.user == "his01"


def test_a_header_taken_off_a_signed_message_fails_the_digest(identity, hospital):
    operation, params = call()
    signed = authenticate_request(hospital, operation, params, message_header=("HIS-0006", sent_now()))
    stripped = identity_pb2.AuthenticateRequest()
    stripped.CopyFrom(signed)
    stripped.ClearField("message_header")
    stripped.digest_message = authenticate_request(hospital, operation, params).digest_message
    assert error_code(lambda: identity.gateway.Authenticate(stripped)) == "E1005"


def test_a_hospital_may_require_the_header(identity, hospital):
    assert auth(identity, hospital).principal.user == "his01"  # optional by default
    changed = identity.admin.SetMessageHeaderRequired(
        identity_pb2.SetMessageHeaderRequiredRequest(code=HOSPITAL, required=True)).hospital
    assert changed.message_header_required
    assert auth_code(identity, hospital) == "E1008"
    assert identity.gateway.Authenticate(authenticate_request(
        hospital, *call(), message_header=("HIS-0007", sent_now()))).principal.user == "his01"
    identity.admin.SetMessageHeaderRequired(identity_pb2.SetMessageHeaderRequiredRequest(code=HOSPITAL))
    assert auth(identity, hospital).principal.user == "his01"


# --- cached credentials are invalidated at once ---------------------------------------------

def test_password_change_takes_effect_at_once(identity, hospital):
    auth(identity, hospital)  # warm the credential cache
    me = as_user(identity, hospital, operation="yhklxgjk")
    me.ChangePassword(identity_pb2.ChangePasswordRequest(old_password=PASSWORD, new_password="N3w-pass!x"))
    assert auth_code(identity, hospital) == "E1001"
    assert auth(identity, hospital, call(password="N3w-pass!x")).principal.user == "his01"


def test_approval_and_letter_changes_take_effect_at_once(identity, hospital):
    requester = as_user(identity, hospital, operation="Yhzjjk")
    requester.RequestUser(identity_pb2.RequestUserRequest(
        user="nurse2", password="Nurse#2026b", allowed_ips="", permissions="EF"))
    nurse = call("nurse2", "Nurse#2026b")
    assert auth_code(identity, hospital, nurse) == "E1006"
    approve = identity_pb2.ApproveUserRequest(hospital_code=HOSPITAL, name="nurse2", permissions="E")
    approved = identity.admin.ApproveUser(approve).user
    assert approved.permissions == "E" and approved.state == identity_pb2.USER_STATE_ACTIVE
    assert list(approved.allowed_ips) == ["127.0.0.0/8", "::1"]  # the requester's, when none given
    assert auth(identity, hospital, nurse).principal.permissions == "E"
    assert auth_code(identity, hospital, ("mzjsjk", nurse[1])) == "E1004"  # F was not granted


# --- the legacy user operations: E1101-E1105 -------------------------------------------------

def test_change_password_rules(identity, hospital):
    me = as_user(identity, hospital, operation="yhklxgjk")

    def change(new, old=PASSWORD):
        return error_code(lambda: me.ChangePassword(identity_pb2.ChangePasswordRequest(
            old_password=old, new_password=new)))

    assert change(PASSWORD) == "E1102"
    assert change("short1!") == "E1101"
    assert change("his01Abc!23") == "E1101"
    history = [PASSWORD]
    for number in range(1, 7):
        new = f"Rotate#{number}abc"
        me.ChangePassword(identity_pb2.ChangePasswordRequest(old_password=history[-1], new_password=new))
        history.append(new)
    current = history[-1]
    for old in history[-6:-1]:  # the last five before the current one
        assert change(old, current) == "E1101"
    me.ChangePassword(identity_pb2.ChangePasswordRequest(old_password=current, new_password=history[0]))


def test_request_user_rules(identity, hospital):
    requester = as_user(identity, hospital, operation="Yhzjjk")

    def request(**fields):
        values = dict(user="nurse3", password="Nurse#2026c", allowed_ips="127.0.0.1", permissions="E")
        values.update(fields)
        return error_code(lambda: requester.RequestUser(identity_pb2.RequestUserRequest(**values)))

    assert request(permissions="EG") == "E1105"  # G is not held by the requester
    assert request(user="his01") == "E1103"
    assert request(password="weak") == "E1101"
    assert request(password="nurse3Abc!1") == "E1101"
    assert request(allowed_ips="10.0.0.1/8") == "E2001"
    assert request(permissions="EZ") == "E2001"
    requester.RequestUser(identity_pb2.RequestUserRequest(
        user="nurse3", password="Nurse#2026c", allowed_ips="10.1.0.0/16", permissions="E"))
    assert request() == "E1103"
    pending = identity.admin.ListUsers(identity_pb2.ListUsersRequest(
        hospital_code=HOSPITAL, pending_only=True)).users
    assert [(u.name, u.requested_by, list(u.allowed_ips)) for u in pending] == [("nurse3", "his01", ["10.1.0.0/16"])]


def test_request_user_needs_letter_A(identity, hospital):
    new_user(identity.admin, HOSPITAL, "clerk", "Clrk#2026ab", permissions="E")
    assert auth_code(identity, hospital, ("Yhzjjk", {"yydm": HOSPITAL, "fqyh": "clerk",
                                                     "fqyhkl": "Clrk#2026ab"})) == "E1004"
    clerk = as_user(identity, hospital, "clerk", "Clrk#2026ab")
    assert error_code(lambda: clerk.RequestUser(identity_pb2.RequestUserRequest(
        user="x1", password="Xx#2026abc", permissions=""))) == "E1004"


def test_delete_user_rules(identity, hospital):
    deleter = as_user(identity, hospital, operation="Yhscjk")
    delete = lambda name: error_code(lambda: deleter.DeleteUser(identity_pb2.DeleteUserRequest(user=name)))  # noqa: E731
    assert delete("his01") == "E1105"
    assert delete("nobody") == "E1104"
    new_user(identity.admin, HOSPITAL, "temp", "Tmp!2026xyz", permissions="E")
    deleter.DeleteUser(identity_pb2.DeleteUserRequest(user="temp"))
    assert delete("temp") == "E1104"


def test_nothing_crosses_hospitals(identity, hospital):
    other_key = new_hospital(identity.admin, "450200002")
    new_user(identity.admin, "450200002", "victim", "Vict1m#2026", permissions="ABE")
    new_user(identity.admin, "450200002", "his01", "Other#2026ab", permissions="E")
    # his01 of 450200001 cannot use its password at 450200002 (another user of that name)
    assert auth_code(identity, other_key, ("chryxxjk", {"yydm": "450200002", "yh": "his01",
                                                        "kl": PASSWORD, "chzh": "1"})) == "E1001"
    deleter = as_user(identity, hospital, operation="Yhscjk")
    assert error_code(lambda: deleter.DeleteUser(identity_pb2.DeleteUserRequest(user="victim"))) == "E1104"
    assert user_row(identity, "victim").state == "active"
    me = as_user(identity, hospital)
    assert error_code(lambda: me.GetHospital(identity_pb2.GetHospitalRequest(code="450200002"))) == "E1007"
    assert me.GetHospital(identity_pb2.GetHospitalRequest(code="")).hospital.code == HOSPITAL


# --- roles: nobody escalates ---------------------------------------------------------------

def test_roles_guard_every_administrative_call(identity, hospital):
    user_stub = as_user(identity, hospital)
    gateway = identity.gateway
    create = identity_pb2.CreateHospitalRequest(code="450299999", name="x", level=1)
    assert error_code(lambda: user_stub.CreateHospital(create)) == "PERMISSION_DENIED"
    assert error_code(lambda: gateway.CreateHospital(create)) == "PERMISSION_DENIED"
    assert error_code(lambda: user_stub.ApproveUser(identity_pb2.ApproveUserRequest(
        hospital_code=HOSPITAL, name="his01"))) == "PERMISSION_DENIED"
    assert error_code(lambda: user_stub.Authenticate(authenticate_request(hospital, *call()))) == "PERMISSION_DENIED"
    assert error_code(lambda: identity.admin.Authenticate(authenticate_request(hospital, *call()))) == "PERMISSION_DENIED"
    assert error_code(lambda: user_stub.SignDigest(identity_pb2.SignDigestRequest(
        hospital_code=HOSPITAL, digest_message="x"))) == "PERMISSION_DENIED"


def test_approval_cannot_grant_more_than_requested(identity, hospital):
    as_user(identity, hospital, operation="Yhzjjk").RequestUser(identity_pb2.RequestUserRequest(
        user="nurse4", password="Nurse#2026d", allowed_ips="127.0.0.1", permissions="E"))
    assert error_code(lambda: identity.admin.ApproveUser(identity_pb2.ApproveUserRequest(
        hospital_code=HOSPITAL, name="nurse4", permissions="EF"))) == "INVALID_ARGUMENT"


# --- keys and tokens ----------------------------------------------------------------------------

def test_key_rotation(identity, hospital):
    rotated = identity.admin.RotateHospitalKey(identity_pb2.RotateHospitalKeyRequest(code=HOSPITAL))
    assert rotated.hospital.key_version == 2 and rotated.signing_key != hospital
    assert auth_code(identity, hospital) == "E1005"
    assert auth(identity, rotated.signing_key).principal.user == "his01"


def test_signing_keys_are_encrypted_at_rest(identity, hospital):
    engine = sa.create_engine(identity.urls["identity"])
    with engine.connect() as connection:
        blob = connection.execute(sa.select(Hospital.key_ciphertext)).scalar_one()
    engine.dispose()
    assert hospital.encode() not in bytes(blob)


def test_tokens_expired_tampered_foreign_or_missing_are_refused(identity, hospital):
    channel = identity.channel("identity")
    good = auth(identity, hospital).token
    request = identity_pb2.GetHospitalRequest()

    def with_(token):
        stub = PackageStubs(with_token(channel, lambda: token), identity_pb2_grpc)
        return error_code(lambda: stub.GetHospital(request))

    assert PackageStubs(with_token(channel, lambda: good), identity_pb2_grpc).GetHospital(request)
    header, payload, signature = good.split(".")
    assert with_(f"{header}.{payload[:-2]}AA.{signature}") == "UNAUTHENTICATED"
    assert with_(f"{header}.{payload}.{signature[:-4]}AAAA") == "UNAUTHENTICATED"
    principal = Principal(subject="user:x/y", hospital_code=HOSPITAL, user="his01",
                          permissions=frozenset("ABCDEFGHIJ"), roles=frozenset({"admin"}))
    foreign = TokenSigner(signing_key_from_secret("some other key"), 300)
    assert with_(foreign.issue(principal)[0]) == "UNAUTHENTICATED"
    real_key = TokenSigner(signing_key_from_secret(identity.settings.secret("token_key")), 60,
                           clock=lambda: utcnow().timestamp() - 3600)
    assert with_(real_key.issue(principal)[0]) == "UNAUTHENTICATED"  # expired an hour ago
    assert with_("not-a-token") == "UNAUTHENTICATED"
    no_token = PackageStubs(channel, identity_pb2_grpc)
    assert error_code(lambda: no_token.GetHospital(request)) == "UNAUTHENTICATED"
    assert no_token.GetTokenKeys(identity_pb2.GetTokenKeysRequest()).keys


def test_service_client_credentials(identity, hospital):
    created = identity.admin.CreateClient(identity_pb2.CreateClientRequest(
        name="billing-export", roles=["internal"], hospital_code=HOSPITAL, permissions="E"))
    stub = PackageStubs(identity.channel("identity"), identity_pb2_grpc)
    issued = stub.IssueToken(identity_pb2.IssueTokenRequest(
        client_name="billing-export", client_secret=created.client_secret))
    assert issued.principal.hospital_code == HOSPITAL and list(issued.principal.roles) == ["internal"]
    assert error_code(lambda: stub.IssueToken(identity_pb2.IssueTokenRequest(
        client_name="billing-export", client_secret="guess"))) == "UNAUTHENTICATED"
    assert error_code(lambda: stub.IssueToken(identity_pb2.IssueTokenRequest(
        client_name="nobody", client_secret=created.client_secret))) == "UNAUTHENTICATED"
    internal = identity.identity_as("billing-export", created.client_secret)
    signed = internal.SignDigest(identity_pb2.SignDigestRequest(hospital_code="", digest_message="m\nx=1"))
    assert signed.digest == digest.compute(hospital, digest.HMAC_SHA256, "m\nx=1")
    assert error_code(lambda: internal.SignDigest(identity_pb2.SignDigestRequest(
        hospital_code="450299999", digest_message="m"))) == "E1007"


# --- administration ----------------------------------------------------------------------------

def test_hospital_registration_checks(identity):
    admin = identity.admin
    new_hospital(admin, "450200005")
    bad = [dict(code="450200005", name="x", level=2),
           dict(code="45/02", name="x", level=2), dict(code="450200006", name=" ", level=2),
           dict(code="450200006", name="x", level=6),
           dict(code="450200006", name="x", level=2, endpoint="ftp://h/x")]
    codes = [error_code(lambda b=b: admin.CreateHospital(identity_pb2.CreateHospitalRequest(**b))) for b in bad]
    assert codes == ["ALREADY_EXISTS"] + ["INVALID_ARGUMENT"] * 4
    assert [h.code for h in admin.ListHospitals(identity_pb2.ListHospitalsRequest()).hospitals] == ["450200005"]


def test_admin_user_rules(identity, hospital):
    admin = identity.admin
    assert error_code(lambda: new_user(admin, HOSPITAL, "his01")) == "E1103"
    assert error_code(lambda: new_user(admin, "999", "x1")) == "E1007"
    assert error_code(lambda: new_user(admin, HOSPITAL, "x1", password="weakpass")) == "E1101"
    assert error_code(lambda: new_user(admin, HOSPITAL, "x1", ips=())) == "INVALID_ARGUMENT"
    assert error_code(lambda: admin.UnlockUser(identity_pb2.UnlockUserRequest(
        hospital_code=HOSPITAL, name="nobody"))) == "E1104"


# --- audit -----------------------------------------------------------------------------------------

def test_every_decision_is_audited_without_secrets(identity, hospital, caplog):
    auth(identity, hospital)
    auth_code(identity, hospital, call(password="Secret-Wrong1"))
    auth_code(identity, "forged", call())
    auth_code(identity, hospital, client_ip="192.0.2.1")
    identity.gateway.RecordCallOutcomes(identity_pb2.RecordCallOutcomesRequest(outcomes=[
        identity_pb2.CallOutcome(call_id="c1", error_code="E3001", detail="unknown card")]))
    engine = sa.create_engine(identity.urls["identity"])
    with engine.connect() as connection:
        rows = connection.execute(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    engine.dispose()
    decisions = [(r.kind, r.outcome, r.error_code, r.client_ip) for r in rows if r.kind == "authenticate"]
    assert decisions == [("authenticate", "accepted", "", "127.0.0.1"),
                         ("authenticate", "refused", "E1001", "127.0.0.1"),
                         ("authenticate", "refused", "E1005", "127.0.0.1"),
                         ("authenticate", "refused", "E1003", "192.0.2.1")]
    assert all(r.hospital_code == HOSPITAL and r.user == "his01" and r.operation == "chryxxjk"
               for r in rows if r.kind == "authenticate")
    assert [(r.call_id, r.outcome, r.error_code) for r in rows if r.kind == "outcome"] == [("c1", "failed", "E3001")]
    everything = " ".join(str(tuple(r)) for r in rows) + caplog.text
    for secret in (PASSWORD, "Secret-Wrong1", hospital):
        assert secret not in everything
    listed = identity.admin.ListAuditEvents(identity_pb2.ListAuditEventsRequest(hospital_code=HOSPITAL))
    assert len(listed.events) >= 5


def test_health_and_reflection(identity):
    from grpc_health.v1 import health_pb2, health_pb2_grpc
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    channel = identity.channel("identity")
    health = health_pb2_grpc.HealthStub(channel)
    services = [f"ncms.identity.v1.{name}" for name in (
        "AuthenticationService", "HospitalUserService", "HospitalService", "UserService", "ClientService",
        "AuditService", "TokenService")]
    for service in ("", *services):
        status = health.Check(health_pb2.HealthCheckRequest(service=service)).status
        assert status == health_pb2.HealthCheckResponse.SERVING
    reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
    answers = reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    names = {s.name for a in answers for s in a.list_services_response.service}
    assert set(services) <= names


def test_unexpected_failures_do_not_leak_details(identity, hospital, monkeypatch):
    from services.identity import repository

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internal state")

    monkeypatch.setattr(repository, "hospitals", broken)
    with pytest.raises(grpc.RpcError) as info:
        identity.admin.ListHospitals(identity_pb2.ListHospitalsRequest())
    assert info.value.code() == grpc.StatusCode.INTERNAL
    assert "secret internal state" not in info.value.details()
    assert "reference" in info.value.details()


# --- the authentication cache never outlives a change ----------------------------------------

def test_cached_rows_are_dropped_by_every_change(identity, hospital):
    admin = identity.admin
    new_user(admin, HOSPITAL, "nurse5", "Nurse#2026e", permissions="E")
    nurse = call("nurse5", "Nurse#2026e")
    assert auth(identity, hospital, nurse).principal.user == "nurse5"  # cached now
    as_user(identity, hospital, operation="Yhscjk").DeleteUser(identity_pb2.DeleteUserRequest(user="nurse5"))
    assert auth_code(identity, hospital, nurse) == "E1006"
    auth(identity, hospital)
    rotated = admin.RotateHospitalKey(identity_pb2.RotateHospitalKeyRequest(code=HOSPITAL)).signing_key
    assert auth_code(identity, hospital) == "E1005"
    for _ in range(5):
        auth_code(identity, rotated, call(password="Wrong-pass1"))
    assert auth_code(identity, rotated) == "E1002"
    admin.UnlockUser(identity_pb2.UnlockUserRequest(hospital_code=HOSPITAL, name="his01"))
    assert auth(identity, rotated).principal.user == "his01"


def test_cache_generation_and_expiry():
    from services.identity.cache import AuthenticationCache

    now = [0.0]
    cache = AuthenticationCache(ttl_seconds=10, clock=lambda: now[0])
    generation = cache.generation
    cache.clear()  # a change committed while the row was being read
    cache.put("k", "stale", generation)
    assert cache.get("k") is None
    cache.put("k", "fresh", cache.generation)
    assert cache.get("k") == "fresh"
    now[0] = 10.0
    assert cache.get("k") is None
    cache.put("k", "fresh", cache.generation)
    cache.set_enabled(False)
    assert cache.get("k") is None
    cache.put("k", "fresh", cache.generation)
    assert cache.get("k") is None


@pytest.mark.postgresql_only
def test_replicas_drop_their_cache_when_another_replica_changes_data(identity, hospital):
    import time

    replica = identity.start_replica("identity")
    replica_gateway = PackageStubs(with_token(
        identity.channel("identity", f"127.0.0.1:{replica.port}"), identity.credentials(
            "ncms-gateway", identity.settings.gateway_client_secret.get_secret_value()).token), identity_pb2_grpc)
    request = authenticate_request(hospital, *call())
    assert replica_gateway.Authenticate(request).principal.user == "his01"  # cached there
    # the password changes through the first replica
    me = as_user(identity, hospital, operation="yhklxgjk")
    me.ChangePassword(identity_pb2.ChangePasswordRequest(old_password=PASSWORD, new_password="N3w-pass!y"))
    def outcome() -> str:
        try:
            replica_gateway.Authenticate(request)
            return "accepted"
        except grpc.RpcError as exc:
            return from_rpc_error(exc).code

    deadline = time.monotonic() + 20  # the NOTIFY arrives asynchronously, usually within milliseconds
    while outcome() != "E1001" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert outcome() == "E1001"


def test_no_decision_is_answered_without_its_audit(identity, hospital, monkeypatch):
    from services.identity.audit import AuditLog

    def broken(self, events):
        raise RuntimeError("audit table unwritable")

    monkeypatch.setattr(AuditLog, "_write", broken)
    assert auth_code(identity, hospital) == "E9001"
    assert auth_code(identity, hospital, call(password="Wrong-pass1")) == "E9001"
