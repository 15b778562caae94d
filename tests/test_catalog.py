"""The catalog service: NCMS catalog imports, hospital catalogs through the gateway,
automatic and manual mapping, resolving bills. Real servers, both backends."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from google.protobuf import timestamp_pb2

from ncms.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from tests.support.legacy import error_code
from tests.support.soap import Legacy
from tests.support.suite import ADMIN_SECRET, new_hospital, new_user

NCMS = [sys.executable, "-c", "from cli.main import main; main()"]
DRUG, SERVICE = catalog_pb2.ITEM_KIND_DRUG, catalog_pb2.ITEM_KIND_SERVICE
COLUMNS = ["nhbm", "mc", "gg", "jx", "dw", "pzwh", "sfdj", "zfbl", "xj"]

NCMS_DRUGS = [
    ["X001", "阿莫西林胶囊", "0.25g*24粒", "胶囊剂", "盒", "国药准字H44021351", "甲", "", "15"],
    ["X002", "头孢克肟片", "0.1g*6片", "片剂", "盒", "国药准字H20030588", "乙", "0.15", ""],
    ["X003", "复方甘草片", "100片", "片剂", "瓶", "国药准字H12345678", "乙", "", ""],
    ["X004", "复方甘草片", "50片", "片剂", "瓶", "国药准字H12345678", "乙", "", ""],
    ["X005", "人参归脾丸", "9g*10丸", "丸剂", "盒", "国药准字Z11020001", "丙", "", ""],
]
NCMS_SERVICES = [
    ["T001", "静脉注射", "", "", "次", "", "甲", "", "5"],
    ["T002", "普通门诊诊查费", "", "", "次", "", "甲", "", ""],
]


def write_csv(path: Path, rows: list[list[str]], columns: list[str] = COLUMNS) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def ncms(suite, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NCMS_IDENTITY_ADDRESS": suite.address("identity"),
           "NCMS_CATALOG_ADDRESS": suite.address("catalog"), "NCMS_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
           "NCMS_DATA_DIR": str(suite.data_dir)}
    return subprocess.run([*NCMS, *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.fixture
def suite(identity):
    # Settlement confirms each upload (its copy of the catalog prices the next bill).
    for service in ("catalog", "enrollment", "settlement"):
        identity.start(service)
    return identity


@pytest.fixture
def key(suite):
    key = new_hospital(suite.admin)
    new_user(suite.admin, permissions="ABCDEFGHIJ")
    return key


@pytest.fixture
def imported(suite, tmp_path, key):
    for kind, rows in (("drug", NCMS_DRUGS), ("service", NCMS_SERVICES)):
        result = ncms(suite, "catalog", "import", "--kind", kind, str(write_csv(tmp_path / f"{kind}.csv", rows)))
        assert result.returncode == 0, result.stderr
    return suite


@pytest.fixture
def his(imported, key):
    return Legacy(imported.start_gateway(), key)


def item(code, name, price, **more):
    cells = [("yyxmbm", code), ("xmmc", name), ("dj", price)]
    return cells + [(column, value) for column, value in more.items()]


def ypml(*rows) -> dict:
    return {"ypml": {"ypml": [list(row) for row in rows]}}


def get_item(suite, code, kind=DRUG, hospital="450200001"):
    return suite.catalog_admin.GetHospitalItem(catalog_pb2.GetHospitalItemRequest(
        hospital_code=hospital, kind=kind, code=code))


def resolve(suite, *refs, hospital="450200001"):
    return suite.catalog_admin.ResolveItems(catalog_pb2.ResolveItemsRequest(
        hospital_code=hospital, items=[catalog_pb2.ItemRef(kind=kind, code=code) for kind, code in refs])).items


# --- the NCMS catalog import -------------------------------------------------------------

def test_import_versions_and_explains_the_past(suite, tmp_path, key):
    path = write_csv(tmp_path / "drugs.csv", NCMS_DRUGS)
    first = json.loads(ncms(suite, "catalog", "import", "--kind", "drug", str(path), "--json").stdout)
    assert (first["inserted"], first["updated"], first["unchanged"]) == (5, 0, 0)
    again = json.loads(ncms(suite, "catalog", "import", "--kind", "drug", str(path), "--json").stdout)
    assert (again["inserted"], again["updated"], again["unchanged"]) == (0, 0, 5)
    before_change = timestamp_pb2.Timestamp()
    before_change.GetCurrentTime()
    time.sleep(0.01)
    changed = [list(r) for r in NCMS_DRUGS]
    changed[0][6] = "乙"  # X001 becomes 乙类
    result = json.loads(ncms(suite, "catalog", "import", "--kind", "drug",
                             str(write_csv(tmp_path / "v2.csv", changed)), "--json").stdout)
    assert (result["inserted"], result["updated"], result["unchanged"]) == (0, 1, 4)
    now = suite.catalog_admin.GetNcmsItem(catalog_pb2.GetNcmsItemRequest(kind=DRUG, code="X001"))
    assert now.item.charge_class == catalog_pb2.CHARGE_CLASS_B and len(now.versions) == 2
    then = suite.catalog_admin.GetNcmsItem(catalog_pb2.GetNcmsItemRequest(kind=DRUG, code="X001",
                                                                          as_of=before_change))
    assert then.item.charge_class == catalog_pb2.CHARGE_CLASS_A and then.item.price_limit == "15.0000"


def test_a_bad_line_stops_the_import_and_keeps_nothing(suite, tmp_path, key):
    rows = [list(r) for r in NCMS_DRUGS]
    rows[2][6] = "丁"
    result = ncms(suite, "catalog", "import", "--kind", "drug", str(write_csv(tmp_path / "bad.csv", rows)))
    assert result.returncode == 1
    assert "E2001:数据格式错误: 第4行: sfdj 须为 甲、乙 或 丙" in result.stderr  # header is line 1
    assert "Traceback" not in result.stderr
    assert not suite.catalog_admin.SearchNcmsItems(catalog_pb2.SearchNcmsItemsRequest(query="")).items
    skipped = ncms(suite, "catalog", "import", "--kind", "drug", str(tmp_path / "bad.csv"), "--skip-bad", "--json")
    assert skipped.returncode == 0, skipped.stderr
    report = json.loads(skipped.stdout)
    assert report["inserted"] == 4 and [s["line_number"] for s in report["skipped"]] == [4]


def test_import_refuses_files_it_cannot_read(suite, tmp_path, key):
    missing = write_csv(tmp_path / "missing.csv", [["X1", "a"]], columns=["nhbm", "mc"])
    result = ncms(suite, "catalog", "import", "--kind", "drug", str(missing))
    assert result.returncode == 1 and "the header lacks sfdj" in result.stderr
    neither = tmp_path / "neither.csv"  # 0xFF starts no character in UTF-8 or GB18030
    neither.write_bytes(b"nhbm,mc,sfdj\nX1,\xff\xff,\xe7\x94\xb2\n")
    result = ncms(suite, "catalog", "import", "--kind", "drug", str(neither))
    assert result.returncode == 1 and "line 2 is neither UTF-8 nor GBK/GB18030" in result.stderr
    damaged = tmp_path / "damaged.csv"  # UTF-8 with one GBK line: a damaged file, not a GBK one
    damaged.write_bytes("nhbm,mc,sfdj\nX1,阿莫西林,甲\n".encode() + "X2,头孢,乙\n".encode("gbk"))
    result = ncms(suite, "catalog", "import", "--kind", "drug", str(damaged))
    assert result.returncode == 1 and "line 3 is not UTF-8 text, though the lines before it are" in result.stderr
    duplicate = write_csv(tmp_path / "dup.csv", [NCMS_DRUGS[0], NCMS_DRUGS[0]])
    result = ncms(suite, "catalog", "import", "--kind", "drug", str(duplicate))
    assert result.returncode == 1 and "第3行: nhbm X001 与第2行重复" in result.stderr


# --- hospital catalogs through the gateway ------------------------------------------------------

def test_add_modify_delete_and_resend(imported, his):
    call = ypml(item("YP1", "阿莫西林胶囊", "12.5000", gg="0.25g×24粒", pzwh="国药准字 H44021351", czlx="A"),
                item("YP2", "头孢克肟片", "21.00", nhbm="X002"),
                item("YP3", "自制膏药", "3"))
    assert his.call("ypmljk", **call).text() == ""
    assert his.call("ypmljk", **call).text() == ""  # re-sent: harmless
    events = get_item(imported, "YP1").history
    assert [e.event for e in events] == ["add"]
    yp1 = get_item(imported, "YP1").item
    assert (yp1.ncms_code, yp1.mapping_source) == ("X001", catalog_pb2.MAPPING_SOURCE_APPROVAL_NUMBER)
    assert get_item(imported, "YP2").item.mapping_source == catalog_pb2.MAPPING_SOURCE_PROPOSED
    assert get_item(imported, "YP3").item.ncms_code == ""
    # modify (price) and delete
    modify = ypml(item("YP2", "头孢克肟片", "19.80", nhbm="X002", czlx="M"), [("yyxmbm", "YP3"), ("czlx", "D")])
    assert his.call("ypmljk", **modify).text() == ""
    assert get_item(imported, "YP2").item.price == "19.8000"
    assert [e.event for e in get_item(imported, "YP2").history] == ["add", "modify"]
    assert get_item(imported, "YP3").item.deleted
    assert his.call("ypmljk", **ypml([("yyxmbm", "YP3"), ("czlx", "D")])).text() == ""  # deleted already
    assert [e.event for e in get_item(imported, "YP3").history] == ["add", "delete"]


def test_a_bad_row_in_the_middle_keeps_nothing(imported, his):
    rows = ypml(item("YP1", "a", "1"), item("YP2", "b", "1.23456"), item("YP3", "c", "1"))
    assert his.call("ypmljk", **rows).text() == "E2001:数据格式错误: ypml 表ypml 第2行 列dj: 最多4位小数"
    duplicate = ypml(item("YP1", "a", "1"), item("YP2", "b", "1"), item("YP1", "c", "1"))
    assert his.call("ypmljk", **duplicate).text() == "E2001:数据格式错误: 表ypml 第3行 列yyxmbm: 与第1行重复"
    unknown = ypml(item("YP1", "a", "1"), [("yyxmbm", "NEVER"), ("czlx", "D")])
    assert his.call("ypmljk", **unknown).text() == (
        "E2001:数据格式错误: 表ypml 第2行 列yyxmbm: 项目不存在, 无法删除")
    for code in ("YP1", "YP2", "YP3"):
        assert error_code(lambda c=code: get_item(imported, c)) == "NOT_FOUND"


def test_row_states_decide_add_or_update(imported, his):
    """Rows without czlx: inserted, modified or no state are all added or updated."""
    from lxml import etree

    from legacy import datasets
    from tests.support.soap import envelope, sign

    tables = {"ypml": [item("S1", "a", "1"), item("S2", "b", "2"), item("S3", "c", "3")]}
    params = his.params("ypmljk", ypml=tables)
    diffgram = datasets.build_input("NewDataSet", tables.items(),
                                    states={("ypml", 0): "inserted", ("ypml", 1): "modified"})[0]
    body = envelope("ypmljk", {**params, "xxzy": sign(his.key, "ypmljk", params)},
                    dataset_xml={"ypml": etree.tostring(diffgram)})
    assert his.post(body, "ypmljk").text() == ""
    assert [get_item(imported, c).item.name for c in ("S1", "S2", "S3")] == ["a", "b", "c"]


def test_drugs_and_treatments_need_their_letters(imported, his, key):
    new_user(imported.admin, name="nurse", password="Nurs3#2026", permissions="E")
    nurse = Legacy(his.url, key, user="nurse", password="Nurs3#2026")
    assert nurse.call("ypmljk", **ypml(item("Y1", "a", "1"))).text() == "E1004:无此接口权限"
    new_user(imported.admin, name="pharm", password="Ph4rm#2026", permissions="C")
    pharmacist = Legacy(his.url, key, user="pharm", password="Ph4rm#2026")
    assert pharmacist.call("ypmljk", **ypml(item("Y1", "a", "1"))).text() == ""
    treatments = {"zlml": {"zlml": [[("yyxmbm", "Z1"), ("xmmc", "静脉注射"), ("dw", "次"), ("dj", "5")]]}}
    assert pharmacist.call("zlmljk", **treatments).text() == "E1004:无此接口权限"
    assert his.call("zlmljk", **treatments).text() == ""
    z1 = get_item(imported, "Z1", SERVICE).item
    assert (z1.ncms_code, z1.mapping_source) == ("T001", catalog_pb2.MAPPING_SOURCE_NAME_AND_SPEC)


def test_items_of_one_hospital_are_invisible_to_another(imported, his):
    assert his.call("ypmljk", **ypml(item("SECRET1", "a", "1", nhbm="X001"))).text() == ""
    other_key = new_hospital(imported.admin, "450200002")
    new_user(imported.admin, hospital="450200002", name="his02", password="Oth3r#2026", permissions="ABCDEFGHIJ")
    other = Legacy(his.url, other_key, hospital="450200002", user="his02", password="Oth3r#2026")
    assert other.call("ypmljk", **ypml([("yyxmbm", "SECRET1"), ("czlx", "D")])).text().startswith("E2001")
    assert not get_item(imported, "SECRET1").item.deleted
    # a token of hospital 450200002 reaches only its own catalog
    from runtime.clients import open_channel, with_token
    from tests.support.legacy import authenticate_request

    params = {"yydm": "450200002", "yh": "his02", "kl": "Oth3r#2026", "chzh": "1"}
    token = imported.gateway.Authenticate(authenticate_request(other_key, "chryxxjk", params)).token
    stub = catalog_pb2_grpc.CatalogServiceStub(with_token(open_channel(imported.address("catalog")), lambda: token))
    request = catalog_pb2.ResolveItemsRequest(hospital_code="450200001",
                                              items=[catalog_pb2.ItemRef(kind=DRUG, code="SECRET1")])
    assert error_code(lambda: stub.ResolveItems(request)) == "E1007"
    own = stub.ResolveItems(catalog_pb2.ResolveItemsRequest(items=[catalog_pb2.ItemRef(kind=DRUG, code="SECRET1")]))
    assert not own.items[0].known
    assert error_code(lambda: stub.GetHospitalItem(catalog_pb2.GetHospitalItemRequest(
        hospital_code="450200001", kind=DRUG, code="SECRET1"))) == "E1007"


# --- resolving a bill -----------------------------------------------------------------------------

def test_resolving_a_mixture(imported, his):
    assert his.call("ypmljk", **ypml(
        item("A1", "阿莫西林胶囊", "18", nhbm="X001"),     # 甲, price limit 15
        item("B1", "头孢克肟片", "20", nhbm="X002"),        # 乙 0.15
        item("B2", "复方甘草片", "3", gg="100片", pzwh="国药准字H12345678"),  # 乙, default share
        item("C1", "人参归脾丸", "30", nhbm="X005"),        # 丙
        item("U1", "自制膏药", "3"),                         # unmapped
        item("D1", "将删除", "1"))).text() == ""
    assert his.call("ypmljk", **ypml([("yyxmbm", "D1"), ("czlx", "D")])).text() == ""
    assert his.call("zlmljk", zlml={"zlml": [[("yyxmbm", "Z1"), ("xmmc", "静脉注射"), ("dj", "6")]]}).text() == ""
    found = {r.code: r for r in resolve(imported, (DRUG, "A1"), (DRUG, "B1"), (DRUG, "B2"), (DRUG, "C1"),
                                        (DRUG, "U1"), (DRUG, "D1"), (DRUG, "NOPE"), (SERVICE, "Z1"))}
    assert [r.code for r in resolve(imported, (DRUG, "B1"), (DRUG, "A1"))] == ["B1", "A1"]
    a1, b1, b2, c1 = found["A1"], found["B1"], found["B2"], found["C1"]
    assert (a1.mapped, a1.ncms_code, a1.charge_class, a1.price_limit, a1.self_pay_ratio) == (
        True, "X001", catalog_pb2.CHARGE_CLASS_A, "15.0000", "0")
    assert (b1.charge_class, b1.self_pay_ratio, b1.price_limit) == (catalog_pb2.CHARGE_CLASS_B, "0.1500", "")
    assert (b2.ncms_code, b2.self_pay_ratio, b2.mapping_source) == (
        "X003", "", catalog_pb2.MAPPING_SOURCE_APPROVAL_NUMBER)  # the policy's default share
    assert c1.charge_class == catalog_pb2.CHARGE_CLASS_C and c1.mapped
    for code in ("U1", "D1", "NOPE"):
        assert not found[code].mapped and found[code].charge_class == catalog_pb2.CHARGE_CLASS_C
    assert found["U1"].known and not found["D1"].known and not found["NOPE"].known
    assert found["Z1"].ncms_code == "T001" and found["Z1"].hospital_price == "6.0000"
    assert b1.ncms_version_id > 0


# --- unmapped items and mapping by hand --------------------------------------------------------------

def test_unmapped_listing_and_manual_mapping(imported, his, tmp_path):
    assert his.call("ypmljk", **ypml(item("U1", "甘草片(大包装)", "3", gg="100片"),
                                     item("U2", "自制膏药", "3"))).text() == ""
    listed = json.loads(ncms(imported, "catalog", "unmapped", "--hospital", "450200001", "--json").stdout)
    assert listed["total"] == 2 and [i["code"] for i in listed["items"]] == ["U1", "U2"]
    mapped = ncms(imported, "catalog", "map", "--hospital", "450200001", "--kind", "drug", "--item", "U1",
                  "--nhbm", "X003")
    assert mapped.returncode == 0, mapped.stderr
    assert get_item(imported, "U1").item.mapping_source == catalog_pb2.MAPPING_SOURCE_MANUAL
    # a price change keeps the hand-made mapping; a new specification does not
    assert his.call("ypmljk", **ypml(item("U1", "甘草片(大包装)", "3.5", gg="100片"))).text() == ""
    assert get_item(imported, "U1").item.ncms_code == "X003"
    assert his.call("ypmljk", **ypml(item("U1", "甘草片(大包装)", "3.5", gg="200片"))).text() == ""
    assert get_item(imported, "U1").item.ncms_code == ""
    history = [(e.event, e.ncms_code) for e in get_item(imported, "U1").history]
    assert history == [("add", ""), ("map", "X003"), ("modify", "X003"), ("modify", "")]
    bad = ncms(imported, "catalog", "map", "--hospital", "450200001", "--kind", "drug", "--item", "U2",
               "--nhbm", "NOPE")
    assert bad.returncode == 1 and "NCMS drug item NOPE does not exist" in bad.stderr
    text = ncms(imported, "catalog", "item", "--hospital", "450200001", "--kind", "drug", "--item", "U1").stdout
    assert "unmapped" in text and "X003" in text


def test_a_new_ncms_catalog_maps_what_was_unmapped(suite, tmp_path, key):
    his = Legacy(suite.start_gateway(), key)
    assert his.call("ypmljk", **ypml(item("YP9", "头孢克肟片", "20", nhbm="X002"))).text() == ""
    assert get_item(suite, "YP9").item.ncms_code == ""
    result = json.loads(ncms(suite, "catalog", "import", "--kind", "drug",
                             str(write_csv(tmp_path / "d.csv", NCMS_DRUGS)), "--json").stdout)
    assert result["newly_mapped"] == 1
    assert get_item(suite, "YP9").item.mapping_source == catalog_pb2.MAPPING_SOURCE_PROPOSED
    assert get_item(suite, "YP9").history[-1].actor.startswith("import:")


def test_catalog_service_down_gives_e9001(imported, his):
    imported.servers.pop("catalog").stop(grace=0)
    assert his.call("ypmljk", **ypml(item("Y1", "a", "1"))).text().startswith("E9001:")
