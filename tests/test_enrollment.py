"""The enrollment service: imports, lookups, personal data. Real servers, both backends."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ncms.enrollment.v1 import enrollment_pb2, enrollment_pb2_grpc
from services.enrollment.records import mask_id_number
from tests.support import people
from tests.support.legacy import error_code
from tests.support.suite import ADMIN_SECRET

NCMS = [sys.executable, "-c", "from cli.main import main; main()"]
CARD = "45020000100001"
HOUSEHOLD = [
    people.row(CARD, "4502000010000101", "张三", 2026),
    people.row(CARD, "4502000010000102", "李𠈌", 2026, status="0", sex="2", birth="1972-07-01",
               relation="配偶"),
    people.row(CARD, "4502000010000102", "李𠈌", 2025, category="3", sex="2", birth="1972-07-01",
               relation="配偶"),
    people.row(CARD, "4502000010000103", "张小明", 2025, birth="2001-09-09", relation="子"),
]


def ncms(suite, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NCMS_IDENTITY_ADDRESS": suite.address("identity"),
           "NCMS_ENROLLMENT_ADDRESS": suite.address("enrollment"), "NCMS_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
           "NCMS_DATA_DIR": str(suite.data_dir)}
    return subprocess.run([*NCMS, *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture
def suite(identity):
    identity.start("enrollment")
    return identity


@pytest.fixture
def enrolled(suite, tmp_path):
    result = ncms(suite, "enrollment", "import", str(people.write(tmp_path / "e.csv", HOUSEHOLD)), "--json")
    assert result.returncode == 0, result.stderr
    return suite


def stub(suite, token=None) -> enrollment_pb2_grpc.EnrollmentServiceStub:
    return suite.stub("enrollment", enrollment_pb2_grpc.EnrollmentServiceStub, token)


def test_import_counts_and_is_idempotent(suite, tmp_path):
    path = people.write(tmp_path / "e.csv", HOUSEHOLD)
    first = json.loads(ncms(suite, "enrollment", "import", str(path), "--json").stdout)
    assert (first["rows"], first["members_inserted"], first["enrollments_inserted"]) == ("4", "3", "4")
    again = json.loads(ncms(suite, "enrollment", "import", str(path), "--json").stdout)
    assert again["members_inserted"] == again["members_updated"] == "0"
    assert again["enrollments_inserted"] == again["enrollments_updated"] == "0" and again["unchanged"] == "4"
    changed = [dict(r, jtdz="柳州市城中区") for r in HOUSEHOLD]  # the household moved
    changed[3]["cbzt"] = "0"  # one enrolment stopped
    third = json.loads(ncms(suite, "enrollment", "import", str(people.write(tmp_path / "f.csv", changed)), "--json").stdout)
    assert (third["members_updated"], third["enrollments_updated"], third["unchanged"]) == ("0", "1", "3")
    household = stub(suite).GetHousehold(enrollment_pb2.GetHouseholdRequest(card=CARD, year=2025))
    assert household.household.address == "柳州市城中区"


def test_household_lookup_with_status_of_the_year(enrolled):
    household = stub(enrolled).GetHousehold(enrollment_pb2.GetHouseholdRequest(card=CARD, year=2026))
    assert household.household.head_name == "张三" and household.household.region_code == "450203001"
    by_id = {m.member.member_id: m for m in household.members}
    assert list(by_id) == ["4502000010000101", "4502000010000102", "4502000010000103"]
    assert by_id["4502000010000101"].enrollment.status == enrollment_pb2.ENROLLMENT_STATUS_ACTIVE
    assert by_id["4502000010000102"].enrollment.status == enrollment_pb2.ENROLLMENT_STATUS_STOPPED
    assert by_id["4502000010000102"].member.name == "李𠈌"  # outside the Basic Multilingual Plane
    son = by_id["4502000010000103"]
    assert son.enrollment.status == enrollment_pb2.ENROLLMENT_STATUS_NONE
    assert son.enrollment.category == enrollment_pb2.CATEGORY_ORDINARY  # the latest known
    assert error_code(lambda: stub(enrolled).GetHousehold(enrollment_pb2.GetHouseholdRequest(
        card="45029999999999", year=2026))) == "E3001"


def test_enrollment_checks_for_settlements(enrolled):
    check = stub(enrolled).CheckEnrollment
    yes = check(enrollment_pb2.CheckEnrollmentRequest(member_id="4502000010000102", year=2025))
    assert yes.enrolled and yes.enrollment.category == enrollment_pb2.CATEGORY_SUBSISTENCE and yes.card == CARD
    stopped = check(enrollment_pb2.CheckEnrollmentRequest(member_id="4502000010000102", year=2026))
    assert not stopped.enrolled and stopped.enrollment.status == enrollment_pb2.ENROLLMENT_STATUS_STOPPED
    none = check(enrollment_pb2.CheckEnrollmentRequest(member_id="4502000010000103", year=2026))
    assert not none.enrolled and none.enrollment.status == enrollment_pb2.ENROLLMENT_STATUS_NONE
    assert error_code(lambda: check(enrollment_pb2.CheckEnrollmentRequest(
        member_id="4502999999999999", year=2026))) == "E3001"


def test_id_numbers_only_for_callers_entitled(enrolled):
    full = people.id_number("450203", "1970-03-15", 101)
    admin_view = stub(enrolled).GetMember(enrollment_pb2.GetMemberRequest(member_id="4502000010000101"))
    assert admin_view.member.id_number == full
    created = enrolled.admin.CreateClient(__import__("ncms.identity.v1.identity_pb2", fromlist=["x"])
                                          .CreateClientRequest(name="warehouse", roles=["internal"]))
    internal = stub(enrolled, enrolled.credentials("warehouse", created.client_secret).token)
    masked = internal.GetHousehold(enrollment_pb2.GetHouseholdRequest(card=CARD, year=2026))
    assert masked.members[0].member.id_number == mask_id_number(full) == full[:4] + "*" * 10 + full[-4:]


def test_bad_lines(suite, tmp_path):
    rows = [dict(r) for r in HOUSEHOLD]
    rows[2]["sfzh"] = rows[2]["sfzh"][:-1] + ("0" if rows[2]["sfzh"][-1] != "0" else "1")
    path = people.write(tmp_path / "bad.csv", rows)
    result = ncms(suite, "enrollment", "import", str(path))
    assert result.returncode == 1 and "E2001:数据格式错误: 第4行: sfzh 不是有效的身份证号" in result.stderr
    assert rows[2]["sfzh"] not in result.stderr  # an ID number is never quoted
    assert error_code(lambda: stub(suite).GetHousehold(enrollment_pb2.GetHouseholdRequest(card=CARD))) == "E3001"
    skipped = ncms(suite, "enrollment", "import", str(path), "--skip-bad")
    assert skipped.returncode == 0 and skipped.stdout.startswith("3 rows from")
    assert "skipped line 4: sfzh 不是有效的身份证号" in skipped.stderr
    report = json.loads(ncms(suite, "enrollment", "import", str(path), "--skip-bad", "--json").stdout)
    assert report["rows"] == "3" and [s["line_number"] for s in report["skipped"]] == [4]


def test_duplicate_member_years_and_unreadable_files(suite, tmp_path):
    duplicated = people.write(tmp_path / "dup.csv", [HOUSEHOLD[0], HOUSEHOLD[1], HOUSEHOLD[0]])
    result = ncms(suite, "enrollment", "import", str(duplicated))
    assert result.returncode == 1 and "第4行: 个人编码 4502000010000101 的 2026 年度与第2行重复" in result.stderr
    neither = tmp_path / "neither.csv"
    neither.write_bytes(b"chzh,grbm,xm,cbnd,cbzt,rylb\n1,1,\xff\xff,2026,1,1\n")
    assert "line 2 is neither UTF-8 nor GBK/GB18030" in ncms(suite, "enrollment", "import", str(neither)).stderr
    header = people.write(tmp_path / "h.csv", HOUSEHOLD, columns=("chzh", "grbm", "xm"))
    assert "the header lacks cbnd, cbzt, rylb" in ncms(suite, "enrollment", "import", str(header)).stderr


def test_lookups_need_letter_e(enrolled):
    from runtime.auth import Principal, TokenSigner, signing_key_from_secret

    signer = TokenSigner(signing_key_from_secret(enrolled.settings.secret("token_key")), 60)
    clerk = Principal(subject="user:450200001/clerk", hospital_code="450200001", hospital_level=2,
                      user="clerk", permissions=frozenset("F"))
    token = signer.issue(clerk)[0]
    as_clerk = stub(enrolled, lambda: token)
    assert error_code(lambda: as_clerk.GetHousehold(enrollment_pb2.GetHouseholdRequest(card=CARD))) == "E1004"
    assert as_clerk.CheckEnrollment(enrollment_pb2.CheckEnrollmentRequest(
        member_id="4502000010000101", year=2026)).enrolled
