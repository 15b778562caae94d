"""Import files as offices make them, through the ncms command against real catalog and
enrollment services: GBK/GB18030 and UTF-8 with a BOM, Chinese headers, Excel
workbooks, a wrong number of cells as its own error, every bad line listed, --check
importing nothing. Both backends."""

from __future__ import annotations

import csv
import io
import json
import re

import grpc
import openpyxl
import pytest

from ncms.catalog.v1 import catalog_pb2
from ncms.enrollment.v1 import enrollment_pb2, enrollment_pb2_grpc
from services.enrollment.records import compose_id_number
from tests.support.command import CHINESE, ncms

CATALOG_HEADER = ["农合目录编码", "名称", "规格", "剂型", "单位", "批准文号", "收费等级", "自付比例", "限价"]
DRUGS = [
    ["X001", "阿莫西林胶囊", "0.25g*24粒", "胶囊剂", "盒", "国药准字H44021351", "甲", "", "15"],
    ["X002", "头孢克肟片", "0.1g*6片", "片剂", "盒", "国药准字H20030588", "乙", "0.15", ""],
    ["X003", "复方甘草片", "100片", "片剂", "瓶", "国药准字H12345678", "乙", "", ""],
]
ENROLLMENT_HEADER = ["参合证号", "个人编码", "姓名", "性别", "出生日期", "身份证号", "与户主关系", "户主姓名", "家庭地址",
                     "行政区划", "参合年度", "参合状态", "人员类别"]


def person(member: str, name: str, *, year: str = "2026", card: str = "45020000100001", relation: str = "户主") -> list:
    return [card, member, name, "1", "1970-01-01", compose_id_number("450203", "1970-01-01", int(member[-3:])),
            relation, "张三", "柳州市鱼峰区", "450203", year, "1", "1"]


PEOPLE = [person("4502000010000101", "张三"), person("4502000010000102", "李𠈌", relation="配偶"),
          person("4502000010000103", "张小明", relation="子")]


def write_csv(path, header, rows, encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path, header, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def suite(identity):
    identity.start("catalog")
    identity.start("enrollment")
    return identity


def ncms_items(suite) -> dict[str, str]:
    items = suite.catalog_admin.SearchNcmsItems(catalog_pb2.SearchNcmsItemsRequest(query="", page_size=100)).items
    return {item.code: item.name for item in items}


def household(suite, card="45020000100001") -> dict[str, str]:
    """The household's members by id; {} when the card is unknown (E3001)."""
    stub = suite.stub("enrollment", enrollment_pb2_grpc.EnrollmentServiceStub)
    try:
        found = stub.GetHousehold(enrollment_pb2.GetHouseholdRequest(card=card, year=2026))
    except grpc.RpcError as exc:
        assert "E3001" in exc.details()
        return {}
    return {m.member.member_id: m.member.name for m in found.members}


def test_a_gbk_csv_with_chinese_headers_as_excel_saves_it(suite, tmp_path):
    path = write_csv(tmp_path / "目录.csv", CATALOG_HEADER, DRUGS, encoding="gbk")
    result = ncms(suite, "catalog", "import", "--kind", "drug", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["encoding"] == "gb18030" and json.loads(result.stdout)["inserted"] == 3
    assert ncms_items(suite) == {"X001": "阿莫西林胶囊", "X002": "头孢克肟片", "X003": "复方甘草片"}
    people = write_csv(tmp_path / "参合.csv", ENROLLMENT_HEADER, PEOPLE, encoding="gb18030")
    imported = ncms(suite, "enrollment", "import", str(people))
    assert imported.returncode == 0, imported.stderr
    assert household(suite) == {"4502000010000101": "张三", "4502000010000102": "李𠈌", "4502000010000103": "张小明"}
    # said outright, and UTF-8 with Excel's byte-order mark
    again = ncms(suite, "catalog", "import", "--kind", "drug", str(path), "--encoding", "gbk", "--json")
    assert json.loads(again.stdout)["unchanged"] == 3
    bom = write_csv(tmp_path / "bom.csv", CATALOG_HEADER, DRUGS, encoding="utf-8-sig")
    assert json.loads(ncms(suite, "catalog", "import", "--kind", "drug", str(bom), "--json").stdout)["unchanged"] == 3
    wrong = ncms(suite, "catalog", "import", "--kind", "drug", str(bom), "--encoding", "gbk")
    assert wrong.returncode == 1 and "is not GBK/GB18030 text" in wrong.stderr


def test_excel_workbooks(suite, tmp_path):
    rows = [list(r) for r in DRUGS]
    rows[0][8] = 15  # numbers typed as numbers
    rows[1][7] = 0.15
    path = write_xlsx(tmp_path / "目录.xlsx", CATALOG_HEADER, rows)
    result = ncms(suite, "catalog", "import", "--kind", "drug", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["inserted"] == 3
    item = suite.catalog_admin.GetNcmsItem(catalog_pb2.GetNcmsItemRequest(kind=catalog_pb2.ITEM_KIND_DRUG, code="X002"))
    assert item.item.self_pay_ratio == "0.1500"
    people = [list(p) for p in PEOPLE]
    people[0][10] = 2026  # the year typed as a number
    workbook = write_xlsx(tmp_path / "参合.xlsx", ENROLLMENT_HEADER, people)
    imported = ncms(suite, "enrollment", "import", str(workbook), "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["members_inserted"] == "3"
    assert household(suite)["4502000010000102"] == "李𠈌"


def test_a_row_with_more_or_fewer_cells_than_the_header_is_its_own_error(suite, tmp_path):
    people = [list(p) for p in PEOPLE]
    people[1] = people[1] + ["多余", "多余"]  # 15 of 13
    people[2] = people[2][:11]  # 11 of 13
    path = write_csv(tmp_path / "shifted.csv", ENROLLMENT_HEADER, people)
    result = ncms(suite, "enrollment", "import", str(path))
    assert result.returncode == 1
    assert "E2001:数据格式错误: 第3行: 列数不符: 本行15列, 表头13列 (另有1行错误); 未导入任何数据" in result.stderr
    assert "line 4, column -: 列数不符: 本行11列, 表头13列" in result.stderr  # every bad line, not the first only
    assert household(suite) == {}
    rows = [list(r) for r in DRUGS]
    rows[2] = rows[2] + ["x", "y", "z", "w", "v", "u"]
    drugs = write_csv(tmp_path / "d.csv", CATALOG_HEADER, rows)
    refused = ncms(suite, "catalog", "import", "--kind", "drug", str(drugs))
    assert refused.returncode == 1 and "第4行: 列数不符: 本行15列, 表头9列" in refused.stderr
    assert ncms_items(suite) == {}
    skipped = ncms(suite, "catalog", "import", "--kind", "drug", str(drugs), "--skip-bad", "--json")
    assert [s["line_number"] for s in json.loads(skipped.stdout)["skipped"]] == [4]


def test_check_lists_every_bad_line_and_imports_nothing(suite, tmp_path):
    people = [list(p) for p in PEOPLE] + [person("4502000010000104", "王五")]
    people[0][5] = people[0][5][:-1] + ("0" if people[0][5][-1] != "0" else "1")  # a wrong check digit
    people[1][11] = "9"
    people[2] = people[2] + ["多余", "多余"]
    people.append(list(people[3]))  # the same member and year again
    path = write_csv(tmp_path / "check.csv", ENROLLMENT_HEADER, people, encoding="gb18030")  # 𠈌 is beyond GBK
    checked = ncms(suite, "enrollment", "import", str(path), "--check")
    assert checked.returncode == 1, checked.stderr
    lines = {int(row.split()[0]): row for row in checked.stdout.splitlines() if re.match(r"\d+ {2,}", row)}
    assert sorted(lines) == [2, 3, 4, 6]
    assert "sfzh" in lines[2] and "不是有效的身份证号" in lines[2] and people[0][5] not in checked.stdout
    assert "cbzt" in lines[3] and "列数不符: 本行15列" in lines[4] and "与第5行重复" in lines[6]
    assert "1 good rows" in checked.stdout and "nothing was imported" in checked.stdout
    assert household(suite) == {}
    as_json = json.loads(ncms(suite, "enrollment", "import", str(path), "--check", "--json").stdout)
    assert as_json["checked_only"] and as_json["skipped_total"] == "4"
    good = write_csv(tmp_path / "good.csv", ENROLLMENT_HEADER, PEOPLE)
    would = json.loads(ncms(suite, "enrollment", "import", str(good), "--check", "--json").stdout)
    assert (would["members_inserted"], would["checked_only"]) == ("3", True) and household(suite) == {}

    rows = [list(r) for r in DRUGS] + [["X004", "", "", "", "", "", "丁", "", ""], list(DRUGS[0])]
    drugs = write_csv(tmp_path / "d.csv", CATALOG_HEADER, rows)
    catalog = ncms(suite, "catalog", "import", "--kind", "drug", str(drugs), "--check")
    assert catalog.returncode == 1
    assert re.search(r"^5 +mc +必填$", catalog.stdout, re.M)
    assert re.search(r"^6 +nhbm +X001 与第2行重复$", catalog.stdout, re.M)
    assert "3 new, 0 changed, 0 unchanged, 2 bad lines; nothing was imported" in catalog.stdout
    assert ncms_items(suite) == {}
    chinese = ncms(suite, "catalog", "import", "--kind", "drug", str(drugs), "--check", env=CHINESE)
    assert "新增 3, 变更 0, 未变 0, 错误行 2; 未导入任何数据" in chinese.stdout


def test_headers_that_cannot_be_used_say_why(suite, tmp_path):
    twice = write_csv(tmp_path / "twice.csv", ["nhbm", "农合目录编码", "mc", "sfdj"], [["X1", "X1", "a", "甲"]])
    result = ncms(suite, "catalog", "import", "--kind", "drug", str(twice))
    assert result.returncode == 1 and "names column nhbm twice (nhbm and 农合目录编码)" in result.stderr
    missing = write_csv(tmp_path / "missing.csv", ["参合证号", "个人编码", "姓名"], [["1", "2", "张三"]])
    result = ncms(suite, "enrollment", "import", str(missing))
    assert result.returncode == 1 and "the header lacks cbnd, cbzt, rylb" in result.stderr
