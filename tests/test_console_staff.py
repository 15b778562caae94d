"""The centre's staff accounts in identity (StaffService, CentreOverviewService): signing
in as oneself through the console's client, the password rules, lock-out, the second
factor, sessions, the audit, and the roles each service enforces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from grpc_status import rpc_status

from ncms.identity.v1 import identity_pb2, identity_pb2_grpc, staff_pb2, staff_pb2_grpc
from runtime.auth import ADMIN_CLIENT, CONSOLE_CLIENT, TokenVerifier, signing_key_from_secret
from runtime.clients import PackageStubs, with_token
from services.identity import staff
from tests.support.passwords import slow_hash
from tests.support.suite import ADMIN_SECRET, base_settings, new_hospital

PASSWORD = "Centre#2026pw"


def reason(error: grpc.RpcError) -> str:
    status = rpc_status.from_call(error)
    from google.rpc import error_details_pb2

    for detail in status.details:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info.reason
    return ""


class IdentityStubs:
    """identity.proto's and staff.proto's services on one channel."""

    def __init__(self, channel) -> None:
        self._parts = [PackageStubs(channel, identity_pb2_grpc), PackageStubs(channel, staff_pb2_grpc)]

    def __getattr__(self, method: str):
        for part in self._parts:
            try:
                return getattr(part, method)
            except AttributeError:
                continue
        raise AttributeError(method)


def identity_as(suite, name: str, secret: str) -> IdentityStubs:
    return IdentityStubs(with_token(suite.channel("identity"), suite.credentials(name, secret).token))


@pytest.fixture
def centre(identity):
    """identity with the console's client and an administrator-made account per role."""
    identity.console = identity_as(identity, CONSOLE_CLIENT, identity.settings.secret("console_client_secret"))
    identity.staff_admin = identity_as(identity, ADMIN_CLIENT, ADMIN_SECRET)
    for name, roles in (("wang", ["administrator"]), ("li", ["catalog-clerk"]), ("zhao", ["fund-officer"]),
                        ("sun", ["auditor"])):
        identity.staff_admin.CreateStaff(staff_pb2.CreateStaffRequest(
            name=name, display_name=f"{name} 同志", roles=roles, password=PASSWORD, keep_password=True))
    return identity


def sign_in(centre, name, password=PASSWORD, totp=""):
    return centre.console.SignIn(staff_pb2.SignInRequest(name=name, password=password, totp_code=totp,
                                                         client_ip="192.0.2.7"))


def as_person(centre, token: str) -> IdentityStubs:
    return IdentityStubs(with_token(centre.channel("identity"), lambda: token))


def claims(centre, token: str):
    key = signing_key_from_secret(centre.settings.secret("token_key")).public_key()
    from runtime.auth import key_id

    return TokenVerifier(lambda: {key_id(key): key}).verify(token)


def test_a_person_signs_in_as_themselves_and_the_token_carries_their_roles(centre):
    signed = sign_in(centre, "wang")
    person = claims(centre, signed.token)
    assert person.subject == "staff:wang" and person.roles == {"administrator"} and not person.hospital_code
    assert signed.session and signed.staff.display_name == "wang 同志" and not signed.must_change_password
    refreshed = centre.console.RefreshSession(staff_pb2.RefreshSessionRequest(session=signed.session))
    assert claims(centre, refreshed.token).roles == {"administrator"}
    # A person's token is not the console's: it cannot sign anyone in.
    with pytest.raises(grpc.RpcError) as refused:
        as_person(centre, signed.token).SignIn(staff_pb2.SignInRequest(name="li", password=PASSWORD))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    centre.console.SignOut(staff_pb2.SignOutRequest(session=signed.session, client_ip="192.0.2.7"))
    with pytest.raises(grpc.RpcError) as ended:
        centre.console.RefreshSession(staff_pb2.RefreshSessionRequest(session=signed.session))
    assert ended.value.code() == grpc.StatusCode.UNAUTHENTICATED and reason(ended.value) == "SESSION_ENDED"
    events = centre.staff_admin.SearchAuditEvents(staff_pb2.SearchAuditEventsRequest(kind="console")).events
    assert [(e.operation, e.outcome, e.user, e.client_ip) for e in events][:2] == [
        ("SignOut", "succeeded", "wang", "192.0.2.7"), ("SignIn", "accepted", "wang", "192.0.2.7")]


def test_only_the_console_signs_people_in(centre):
    with pytest.raises(grpc.RpcError) as refused:
        centre.staff_admin.SignIn(staff_pb2.SignInRequest(name="wang", password=PASSWORD))
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_wrong_passwords_lock_the_account_and_a_locked_account_cannot_sign_in(centre):
    for _ in range(5):
        with pytest.raises(grpc.RpcError) as wrong:
            sign_in(centre, "li", "Wrong#2026pw")
        assert reason(wrong.value) == "BAD_CREDENTIALS"
    with pytest.raises(grpc.RpcError) as locked:
        sign_in(centre, "li")  # the right password: still refused
    assert locked.value.code() == grpc.StatusCode.UNAUTHENTICATED and reason(locked.value) == "LOCKED"
    listed = {s.name: s for s in centre.staff_admin.ListStaff(staff_pb2.ListStaffRequest()).staff}
    assert listed["li"].locked_until.seconds and listed["li"].failed_attempts == 5
    unlocked = centre.staff_admin.UnlockStaff(staff_pb2.UnlockStaffRequest(name="li"))
    assert unlocked.was_locked
    assert sign_in(centre, "li").token
    refused = centre.staff_admin.SearchAuditEvents(staff_pb2.SearchAuditEventsRequest(
        kind="console", outcome="refused", user="li")).events
    assert sorted({e.detail for e in refused}) == ["BAD_CREDENTIALS", "LOCKED"] and len(refused) == 6
    # An unknown name is refused like a wrong password, and counts nothing anywhere.
    with pytest.raises(grpc.RpcError) as unknown:
        sign_in(centre, "nobody")
    assert reason(unknown.value) == "BAD_CREDENTIALS"


def test_parallel_guesses_at_a_staff_account_never_exceed_the_lock_out(centre, monkeypatch):
    """Sign-ins run on worker threads: 20 wrong passwords at once get exactly the
    threshold (5) verified; the others are refused as locked unverified."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    checks = slow_hash(monkeypatch)

    barrier = threading.Barrier(20)

    def guess(_):
        barrier.wait()
        try:
            sign_in(centre, "li", "Wrong#2026pw")
        except grpc.RpcError as exc:
            return reason(exc)
        return "accepted"

    with ThreadPoolExecutor(20) as pool:
        outcomes = sorted(pool.map(guess, range(20)))
    assert outcomes == ["BAD_CREDENTIALS"] * 5 + ["LOCKED"] * 15
    assert checks.count("Wrong#2026pw") == 5
    listed = {s.name: s for s in centre.staff_admin.ListStaff(staff_pb2.ListStaffRequest()).staff}
    assert listed["li"].failed_attempts == 5 and listed["li"].locked_until.seconds


def test_the_contracts_password_rules_apply_and_a_reset_password_must_be_changed(centre):
    with pytest.raises(grpc.RpcError) as weak:
        centre.staff_admin.CreateStaff(staff_pb2.CreateStaffRequest(name="qian", roles=["auditor"], password="short1!"))
    assert weak.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "E1101" in weak.value.details()
    with pytest.raises(grpc.RpcError) as named:
        centre.staff_admin.CreateStaff(staff_pb2.CreateStaffRequest(name="qian", roles=["auditor"],
                                                              password="Qian#2026abc"))
    assert "用户名" in named.value.details()
    with pytest.raises(grpc.RpcError) as role:
        centre.staff_admin.CreateStaff(staff_pb2.CreateStaffRequest(name="qian", roles=["root"], password=PASSWORD))
    assert role.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [s.name for s in centre.staff_admin.ListStaff(staff_pb2.ListStaffRequest()).staff] == [
        "li", "sun", "wang", "zhao"]  # nothing was created by the refusals

    centre.staff_admin.ResetStaffPassword(staff_pb2.ResetStaffPasswordRequest(name="zhao", password="Reset#2026pw"))
    signed = sign_in(centre, "zhao", "Reset#2026pw")
    assert signed.must_change_password and claims(centre, signed.token).roles == frozenset()
    with pytest.raises(grpc.RpcError) as reused:
        centre.console.ChangeOwnPassword(staff_pb2.ChangeOwnPasswordRequest(
            session=signed.session, old_password="Reset#2026pw", new_password=PASSWORD))
    assert "E1101" in reused.value.details()  # one of the last five
    changed = centre.console.ChangeOwnPassword(staff_pb2.ChangeOwnPasswordRequest(
        session=signed.session, old_password="Reset#2026pw", new_password="Fresh#2026pw"))
    assert claims(centre, changed.token).roles == {"fund-officer"} and not changed.staff.must_change_password
    assert centre.console.RefreshSession(staff_pb2.RefreshSessionRequest(session=signed.session)).token


def test_a_second_factor_is_asked_for_once_enrolled_and_a_code_is_used_once(centre):
    signed = sign_in(centre, "sun")
    begun = centre.console.BeginTotp(staff_pb2.BeginTotpRequest(session=signed.session))
    assert begun.uri.startswith("otpauth://totp/NCMS%3Asun?") and begun.secret
    now = datetime.now(UTC)
    with pytest.raises(grpc.RpcError):
        centre.console.ConfirmTotp(staff_pb2.ConfirmTotpRequest(session=signed.session, code="000000"
                                                                if staff.totp_code(begun.secret, staff.totp_step(now))
                                                                != "000000" else "111111"))
    confirmed = centre.console.ConfirmTotp(staff_pb2.ConfirmTotpRequest(
        session=signed.session, code=staff.totp_code(begun.secret, staff.totp_step(now))))
    assert confirmed.staff.totp_enabled
    with pytest.raises(grpc.RpcError) as asked:
        sign_in(centre, "sun")
    assert reason(asked.value) == "TOTP_REQUIRED"
    later = staff.totp_code(begun.secret, staff.totp_step(now) + 1)
    assert sign_in(centre, "sun", totp=later).token
    with pytest.raises(grpc.RpcError) as replayed:
        sign_in(centre, "sun", totp=later)
    assert reason(replayed.value) == "BAD_TOTP"
    centre.staff_admin.RemoveStaffTotp(staff_pb2.RemoveStaffTotpRequest(name="sun"))
    assert sign_in(centre, "sun").token


def test_totp_follows_rfc_6238():
    # RFC 6238's SHA-1 test vector: the secret "12345678901234567890", T = 59 s -> 94287082 (8 digits);
    # its last six digits are the six-digit code.
    import base64

    secret = base64.b32encode(b"12345678901234567890").decode()
    assert staff.totp_code(secret, 59 // 30) == "287082"
    assert staff.totp_code(secret, 1111111109 // 30) == "081804"


def test_disabling_ends_the_sessions_and_refuses_sign_in(centre):
    signed = sign_in(centre, "li")
    centre.staff_admin.DisableStaff(staff_pb2.DisableStaffRequest(name="li", reason="调岗"))
    with pytest.raises(grpc.RpcError):
        centre.console.RefreshSession(staff_pb2.RefreshSessionRequest(session=signed.session))
    with pytest.raises(grpc.RpcError) as disabled:
        sign_in(centre, "li")
    assert reason(disabled.value) == "DISABLED"
    centre.staff_admin.EnableStaff(staff_pb2.EnableStaffRequest(name="li"))
    assert sign_in(centre, "li").token


def test_an_idle_session_ends(centre, monkeypatch):
    signed = sign_in(centre, "wang")
    from services.identity.api import staff as staff_api

    later = datetime.now(UTC) + timedelta(minutes=31)
    monkeypatch.setattr(staff_api, "utcnow", lambda: later)
    with pytest.raises(grpc.RpcError) as ended:
        centre.console.RefreshSession(staff_pb2.RefreshSessionRequest(session=signed.session))
    assert reason(ended.value) == "SESSION_ENDED"


def test_each_role_reaches_only_what_it_may(centre):
    new_hospital(centre.admin, "450200009", name="<b>卫生院</b>")
    tokens = {name: sign_in(centre, name).token for name in ("wang", "li", "zhao", "sun")}
    administrator, clerk, officer, auditor = (as_person(centre, tokens[n]) for n in ("wang", "li", "zhao", "sun"))
    # Everyone reads the hospitals' names; only the administrator changes them or their users.
    for person in (administrator, clerk, officer, auditor):
        assert [h.code for h in person.ListHospitals(identity_pb2.ListHospitalsRequest()).hospitals] == ["450200009"]
    administrator.DisableHospital(identity_pb2.DisableHospitalRequest(code="450200009", reason="核查"))
    for person in (clerk, officer, auditor):
        with pytest.raises(grpc.RpcError) as refused:
            person.EnableHospital(identity_pb2.EnableHospitalRequest(code="450200009"))
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.RpcError):
            person.CreateStaff(staff_pb2.CreateStaffRequest(name="x1", roles=["auditor"], password=PASSWORD))
    # The audit log: the administrator and the auditor.
    assert auditor.SearchAuditEvents(staff_pb2.SearchAuditEventsRequest(operation="DisableHospital")).events[0] \
        .actor == "staff:wang"
    assert auditor.ListStaff(staff_pb2.ListStaffRequest()).staff
    for person in (clerk, officer):
        with pytest.raises(grpc.RpcError) as refused:
            person.SearchAuditEvents(staff_pb2.SearchAuditEventsRequest())
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    overview = officer.GetIdentityOverview(staff_pb2.GetIdentityOverviewRequest())
    assert overview.hospitals == 1 and overview.disabled_hospitals == 1
    # A staff member may not disable their own account (they would lock themselves out).
    with pytest.raises(grpc.RpcError) as own:
        administrator.DisableStaff(staff_pb2.DisableStaffRequest(name="wang"))
    assert own.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_the_audit_search_filters_and_pages(centre):
    new_hospital(centre.admin, "450200001")
    new_hospital(centre.admin, "450200002")
    first = centre.staff_admin.SearchAuditEvents(staff_pb2.SearchAuditEventsRequest(operation="CreateHospital", page_size=1))
    assert [e.hospital_code for e in first.events] == ["450200002"] and first.next_before_id
    second = centre.staff_admin.SearchAuditEvents(staff_pb2.SearchAuditEventsRequest(
        operation="CreateHospital", page_size=1, before_id=first.next_before_id))
    assert [e.hospital_code for e in second.events] == ["450200001"] and not second.next_before_id
    assert [e.operation for e in centre.staff_admin.SearchAuditEvents(staff_pb2.SearchAuditEventsRequest(
        text="roles auditor")).events] == ["CreateStaff"]
    with pytest.raises(grpc.RpcError) as bad:
        centre.staff_admin.SearchAuditEvents(staff_pb2.SearchAuditEventsRequest(kind="nonsense"))
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_settings_without_a_console_secret_in_production_refuse(tmp_path):
    from runtime.settings import ConfigurationError

    with pytest.raises(ConfigurationError):
        base_settings(tmp_path, env="production").secret("console_client_secret")


def test_ncms_staff_add_makes_the_first_account_and_the_command_manages_it(identity):
    import json

    from tests.support.command import CHINESE, ncms

    added = ncms(identity, "staff", "add", "--name", "wang", "--display-name", "王芳", "--role", "administrator",
                 "--role", "auditor", "--password", "-", "--keep-password", input=f"{PASSWORD}\n")
    assert added.returncode == 0, added.stderr
    assert "wang (王芳) added: administrator、auditor; signs in at http://" in added.stdout
    refused = ncms(identity, "staff", "add", "--name", "li", "--role", "root", "--password", "-", input="x\n")
    assert refused.returncode == 2 and "root" in refused.stderr
    weak = ncms(identity, "staff", "add", "--name", "li", "--role", "auditor", "--password", "-", input="weak\n")
    assert weak.returncode == 1 and "E1101" in weak.stderr
    on_the_line = ncms(identity, "staff", "add", "--name", "li", "--role", "auditor", "--password", PASSWORD)
    assert on_the_line.returncode == 2 and PASSWORD not in on_the_line.stderr
    console = identity_as(identity, CONSOLE_CLIENT, identity.settings.secret("console_client_secret"))
    signed = console.SignIn(staff_pb2.SignInRequest(name="wang", password=PASSWORD))
    assert not signed.must_change_password and set(signed.staff.roles) == {"administrator", "auditor"}
    listed = json.loads(ncms(identity, "staff", "list", "--json").stdout)["staff"]
    assert [(s["name"], s["roles"]) for s in listed] == [("wang", ["administrator", "auditor"])]
    chinese = ncms(identity, "staff", "list", env=CHINESE)
    assert "管理员、审计员" in chinese.stdout and "王芳" in chinese.stdout
    assert ncms(identity, "staff", "disable", "--name", "wang", "--yes").returncode == 0
    with pytest.raises(grpc.RpcError) as disabled:
        console.SignIn(staff_pb2.SignInRequest(name="wang", password=PASSWORD))
    assert reason(disabled.value) == "DISABLED"
