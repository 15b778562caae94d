"""The hospital side: a hospital's own service (hospital/), and the NCMS asking it for
an in-patient (QueryInpatient, `ncms inpatient query`) over real SOAP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import grpc
import pytest
from grpc_status import rpc_status

from hospital.adapter import DISCHARGED, FeeLine, Inpatient
from hospital.sql_adapter import store
from legacy.tables import BEIJING
from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc
from runtime.clients import ClientCredentials, PackageStubs, identity_channel, with_token
from runtime.db import Database
from runtime.rpc_errors import from_rpc_error
from tests.support.soap import Legacy, ZeepHIS
from tests.support.suite import ADMIN_SECRET, new_hospital

CODE = "450200001"
NCMS_USER, NCMS_PASSWORD = "ncms01", "Ncms#2026query"
ADMITTED = datetime(2026, 6, 1, 9, 30, tzinfo=BEIJING)
PATIENT = Inpatient(
    number="ZY2026000123", card="45020300100001", member_id="4502030010000103", name="李𠈌",
    admitted_at=ADMITTED, department="内科", diagnosis="J18.900", diagnosis_name="肺炎",
    fees=(FeeLine(1, "1", "YP0001", "阿莫西林胶囊", Decimal("12.5"), Decimal("2"), Decimal("25.00"),
                  "0.25g*24粒", "盒", datetime(2026, 6, 1, 10, 0, tzinfo=BEIJING)),
          FeeLine(2, "2", "ZL0001", "床位费", Decimal("30"), Decimal("3"), Decimal("90.00"), "", "日", None)))
DISCHARGED_PATIENT = Inpatient(
    number="ZY2026000100", card="45020300100002", member_id="4502030010000201", name="张三",
    admitted_at=ADMITTED, department="外科", diagnosis="K35.900", status=DISCHARGED)


@dataclass
class Sides:
    ncms: object  # the NCMS suite (identity, settlement)
    hospital: object  # hospital.server.HospitalService
    hospital_admin: PackageStubs
    key: str

    @property
    def settlement(self) -> PackageStubs:
        return self.ncms.services("settlement", settlement_pb2_grpc)

    def query(self, number: str = PATIENT.number, hospital: str = CODE):
        return self.settlement.QueryInpatient(settlement_pb2.QueryInpatientRequest(
            hospital_code=hospital, number=number), timeout=30)


@pytest.fixture
def sides(suite) -> Sides:
    suite.start("identity")
    suite.start("settlement")
    key = new_hospital(suite.admin, CODE)
    hospital, hospital_identity = suite.start_hospital(CODE)
    channel = identity_channel(hospital_identity)
    suite._channels.append(channel)
    token = ClientCredentials(identity_pb2_grpc.TokenServiceStub(channel), "ncms-admin", ADMIN_SECRET).token
    hospital_admin = PackageStubs(with_token(channel, token), identity_pb2_grpc)
    # The hospital installs the key its NCMS issued, and an account for the NCMS.
    hospital_admin.CreateHospital(identity_pb2.CreateHospitalRequest(
        code=CODE, name="测试乡镇卫生院", level=2, signing_key=key))
    hospital_admin.CreateUser(identity_pb2.CreateUserRequest(
        hospital_code=CODE, name=NCMS_USER, password=NCMS_PASSWORD, allowed_ips=["127.0.0.0/8"],
        permissions="AB"))
    db = Database(hospital.app.settings.hospital_database_url)
    store(db, [PATIENT, DISCHARGED_PATIENT])
    db.dispose()
    suite.admin.SetHospitalEndpoint(identity_pb2.SetHospitalEndpointRequest(
        code=CODE, endpoint=hospital.url, user=NCMS_USER, password=NCMS_PASSWORD))
    return Sides(suite, hospital, hospital_admin, key)


def refusal(error: grpc.RpcError) -> tuple[grpc.StatusCode, str, dict]:
    domain = from_rpc_error(error)
    return error.code(), domain.reason, dict(domain.metadata)


def test_the_ncms_queries_an_inpatient_over_soap(sides):
    answer = sides.query()
    assert (answer.number, answer.card, answer.member_id, answer.name) == (
        PATIENT.number, PATIENT.card, PATIENT.member_id, "李𠈌")
    assert answer.admit_time.ToDatetime(tzinfo=BEIJING) == ADMITTED
    assert answer.status == settlement_pb2.INPATIENT_STATUS_IN_HOSPITAL
    assert (answer.department, answer.diagnosis, answer.diagnosis_name) == ("内科", "J18.900", "肺炎")
    assert answer.total == "115.00"  # ljfy: the fee lines so far
    assert [(f.line_number, f.item_kind, f.item_code, f.price, f.quantity, f.amount) for f in answer.fees] == [
        (1, settlement_pb2.ITEM_KIND_DRUG, "YP0001", "12.5000", "2.0000", "25.00"),
        (2, settlement_pb2.ITEM_KIND_SERVICE, "ZL0001", "30.0000", "3.0000", "90.00")]
    assert answer.fees[0].fee_time.ToDatetime(tzinfo=BEIJING) == datetime(2026, 6, 1, 10, 0, tzinfo=BEIJING)
    assert not answer.fees[1].HasField("fee_time")

    discharged = sides.query(DISCHARGED_PATIENT.number)
    assert discharged.status == settlement_pb2.INPATIENT_STATUS_DISCHARGED and discharged.total == "0.00"
    assert list(discharged.fees) == []

    # Both sides audit it: the NCMS who took the credentials, the hospital the call.
    ncms_events = sides.ncms.admin.ListAuditEvents(identity_pb2.ListAuditEventsRequest(hospital_code=CODE)).events
    assert sum(e.operation == "GetHospitalEndpoint" for e in ncms_events) == 2
    hospital_events = sides.hospital_admin.ListAuditEvents(identity_pb2.ListAuditEventsRequest(
        hospital_code=CODE)).events
    accepted = [e for e in hospital_events if e.operation == "zysjcxjk" and e.outcome == "accepted"]
    assert len(accepted) == 2 and all(e.user == NCMS_USER for e in accepted)


def test_the_ncms_sends_the_message_header_to_a_hospital_that_requires_it(sides):
    sides.hospital_admin.SetMessageHeaderRequired(identity_pb2.SetMessageHeaderRequiredRequest(
        code=CODE, required=True))
    first, second = sides.query(), sides.query()  # a fresh msgid each time
    assert first.number == second.number == PATIENT.number


def test_an_unknown_inpatient_is_refused_with_the_hospitals_code(sides):
    with pytest.raises(grpc.RpcError) as caught:
        sides.query("ZY-NOT-THERE")
    assert refusal(caught.value) == (grpc.StatusCode.FAILED_PRECONDITION, "HOSPITAL_REFUSED",
                                     {"hospital": CODE, "hospital_error": "E4004"})


def test_a_wrong_password_or_key_is_refused_by_the_hospital(sides):
    sides.ncms.admin.SetHospitalEndpoint(identity_pb2.SetHospitalEndpointRequest(
        code=CODE, endpoint=sides.hospital.url, user=NCMS_USER, password="Wrong#2026pass"))
    with pytest.raises(grpc.RpcError) as caught:
        sides.query()
    assert refusal(caught.value)[2]["hospital_error"] == "E1001"
    sides.ncms.admin.SetHospitalEndpoint(identity_pb2.SetHospitalEndpointRequest(
        code=CODE, endpoint=sides.hospital.url, user=NCMS_USER, password=NCMS_PASSWORD))

    # The hospital still holds an old key: the NCMS's digest does not verify there.
    sides.hospital_admin.RotateHospitalKey(identity_pb2.RotateHospitalKeyRequest(
        code=CODE, signing_key="an-older-key-0123456789-abcdefghijkl"))
    with pytest.raises(grpc.RpcError) as caught:
        sides.query()
    assert refusal(caught.value)[2]["hospital_error"] == "E1005"
    sides.hospital_admin.RotateHospitalKey(identity_pb2.RotateHospitalKeyRequest(code=CODE, signing_key=sides.key))
    assert sides.query().number == PATIENT.number


def test_an_unreachable_hospital_or_none_registered_says_so(sides):
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    sides.ncms.admin.SetHospitalEndpoint(identity_pb2.SetHospitalEndpointRequest(
        code=CODE, endpoint=f"http://127.0.0.1:{port}/NcmsService.asmx", user=NCMS_USER, password=NCMS_PASSWORD))
    with pytest.raises(grpc.RpcError) as caught:
        sides.query()
    code, reason, _ = refusal(caught.value)
    assert (code, reason) == (grpc.StatusCode.UNAVAILABLE, "HOSPITAL_UNREACHABLE")
    assert f"127.0.0.1:{port}" in caught.value.details()

    sides.ncms.admin.SetHospitalEndpoint(identity_pb2.SetHospitalEndpointRequest(code=CODE, endpoint=""))
    with pytest.raises(grpc.RpcError) as caught:
        sides.query()
    assert refusal(caught.value)[:2] == (grpc.StatusCode.FAILED_PRECONDITION, "NO_ENDPOINT")
    assert "ncms hospital endpoint" in caught.value.details()


def test_only_administrators_and_internal_systems_may_query(sides):
    from tests.support.suite import new_user

    new_user(sides.ncms.admin, CODE, "his01", permissions="EFGHIJ")
    his = Legacy(sides.ncms.start_gateway(), sides.key)
    # a hospital user reaching the NCMS's zysjcxjk is refused: each hospital provides it
    assert his.call("zysjcxjk", zybh=PATIENT.number).error_info()[0] == "E1007"
    internal = sides.ncms.admin.CreateClient(identity_pb2.CreateClientRequest(
        name="ward-monitor", roles=["internal"])).client_secret
    token = sides.ncms.credentials("ward-monitor", internal).token
    stub = sides.ncms.services("settlement", settlement_pb2_grpc, token)
    assert stub.QueryInpatient(settlement_pb2.QueryInpatientRequest(
        hospital_code=CODE, number=PATIENT.number)).name == "李𠈌"
    bound = sides.ncms.admin.CreateClient(identity_pb2.CreateClientRequest(
        name="his-bridge", roles=["internal"], hospital_code=CODE, permissions="I")).client_secret
    stub = sides.ncms.services("settlement", settlement_pb2_grpc,
                           sides.ncms.credentials("his-bridge", bound).token)
    with pytest.raises(grpc.RpcError) as caught:
        stub.QueryInpatient(settlement_pb2.QueryInpatientRequest(hospital_code=CODE, number=PATIENT.number))
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_the_hospital_side_serves_the_user_operations_with_the_same_rules(sides):
    url = sides.hospital.url
    ncms = Legacy(url, sides.key, CODE, NCMS_USER, NCMS_PASSWORD)
    # the WSDL publishes exactly the four hospital-side operations, at the service's URL
    zeep = ZeepHIS(url, sides.key, CODE, NCMS_USER, NCMS_PASSWORD)
    assert sorted(zeep.client.service._binding._operations) == ["Yhscjk", "Yhzjjk", "yhklxgjk", "zysjcxjk"]
    from tests.test_zeep import _rows

    read = _rows(zeep.call("zysjcxjk", zybh=PATIENT.number), "zyxx")
    assert read[0]["xm"] == "李𠈌" and read[0]["ljfy"] == Decimal("115.00")
    rows = ncms.call("zysjcxjk", zybh=PATIENT.number)
    assert rows.rows("zyxx")[0]["xm"] == "李𠈌" and rows.rows("zyxx")[0]["ljfy"] == "115.00"
    assert [r["je"] for r in rows.rows("zymx")] == ["25.00", "90.00"]

    # Yhzjjk: A held, the new user is pending until the hospital's administrator approves
    assert ncms.call("Yhzjjk", xzyh="ncms02", xzyhkl="Second#2026ncms", yxfwip="127.0.0.1",
                     fwqx="B").text() == ""
    second = Legacy(url, sides.key, CODE, "ncms02", "Second#2026ncms")
    assert second.call("zysjcxjk", zybh=PATIENT.number).error_info()[0] == "E1006"
    sides.hospital_admin.ApproveUser(identity_pb2.ApproveUserRequest(hospital_code=CODE, name="ncms02"))
    assert second.call("zysjcxjk", zybh=PATIENT.number).rows("zyxx")[0]["zybh"] == PATIENT.number
    # ncms02 holds only B: it may not add users (E1004), and may not grant what it lacks
    assert second.call("Yhzjjk", xzyh="ncms03", xzyhkl="Third#2026ncms", yxfwip="127.0.0.1",
                       fwqx="B").text().startswith("E1004")
    # yhklxgjk: the same password rules
    assert second.call("yhklxgjk", ykl="Second#2026ncms", xkl="short").text().startswith("E1101")
    assert second.call("yhklxgjk", ykl="Second#2026ncms", xkl="Changed#2026ncms").text() == ""
    # a bad digest, a wrong password: the contract's codes, in the contract's order
    assert ncms.call("zysjcxjk", zybh=PATIENT.number, key="not-the-key").error_info()[0] == "E1005"
    wrong = Legacy(url, sides.key, CODE, NCMS_USER, "Wrong#2026pass")
    assert wrong.call("zysjcxjk", zybh=PATIENT.number).error_info()[0] == "E1001"
    # yydm names the hospital called: another code is unknown here
    assert ncms.call("Yhscjk", yydm="450200009", scyh="ncms02").text().startswith("E1007")
    assert ncms.call("Yhscjk", scyh="ncms02").text() == ""
    deleted = Legacy(url, sides.key, CODE, "ncms02", "Changed#2026ncms")
    assert deleted.call("zysjcxjk", zybh=PATIENT.number).error_info()[0] == "E1006"


def test_ncms_hospital_relay_command(sides):
    env = {**os.environ, "NCMS_SETTLEMENT_ADDRESS": sides.ncms.address("settlement"),
           "NCMS_IDENTITY_ADDRESS": sides.ncms.address("identity"), "NCMS_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
           "NCMS_DATA_DIR": str(sides.ncms.data_dir)}
    command = [sys.executable, "-c", "from cli.main import main; main()", "inpatient", "query",
               "--hospital", CODE, "--zybh"]
    shown = subprocess.run([*command, PATIENT.number], capture_output=True, text=True, env=env, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "李𠈌" in shown.stdout and "115.00" in shown.stdout and "阿莫西林胶囊" in shown.stdout
    as_json = subprocess.run([*command, PATIENT.number, "--json"], capture_output=True, text=True, env=env,
                             timeout=60)
    assert json.loads(as_json.stdout)["total"] == "115.00"
    missing = subprocess.run([*command, "ZY-NOT-THERE"], capture_output=True, text=True, env=env, timeout=60)
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
    assert "E4004" in missing.stderr and CODE in missing.stderr


def test_a_hospital_key_must_look_like_one(sides):
    with pytest.raises(grpc.RpcError) as caught:
        sides.hospital_admin.CreateHospital(identity_pb2.CreateHospitalRequest(
            code="450200002", name="x", level=1, signing_key="short"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(caught.value)
    assert status is not None and "signing_key" in status.message
