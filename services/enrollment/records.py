"""One row of the enrolment file (admin.md), checked.

Columns: chzh, grbm, xm, xb, csrq, sfzh, yhzgx, hzxm, jtdz, xzqh, cbnd, cbzt, rylb.
Extra columns are ignored; the order is free. Reasons are in Chinese, for the
administrators who fix the file; they never quote an ID number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

COLUMNS = ("chzh", "grbm", "xm", "xb", "csrq", "sfzh", "yhzgx", "hzxm", "jtdz", "xzqh",
           "cbnd", "cbzt", "rylb")
REQUIRED = ("chzh", "grbm", "xm", "cbnd", "cbzt", "rylb")
LIMITS = {"chzh": 30, "grbm": 30, "xm": 50, "yhzgx": 20, "hzxm": 50, "jtdz": 200}
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_CODE = re.compile(r"^[0-9A-Za-z-]+$")


class BadRow(ValueError):
    pass


@dataclass(frozen=True)
class Record:
    card: str
    member_id: str
    name: str
    sex: str
    birth_date: str
    id_number: str
    relation: str
    head_name: str
    address: str
    region_code: str
    year: int
    status: str
    category: str

    def as_row(self, line: int) -> tuple:
        return (line, self.card, self.member_id, self.name, self.sex, self.birth_date, self.id_number,
                self.relation, self.head_name, self.address, self.region_code, self.year,
                self.status, self.category)


def check_digit(first17: str) -> str:
    """The GB 11643 check character of an ID number's first 17 digits."""
    return _CHECK[sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True)) % 11]


def compose_id_number(region: str, birth: str, sequence: int) -> str:
    """An 18-character ID number from its parts: region (6 digits), birth date
    (yyyy-MM-dd), sequence (3 digits), and the check character."""
    body = f"{region}{birth.replace('-', '')}{sequence % 1000:03d}"
    return body + check_digit(body)


def valid_id_number(value: str) -> bool:
    """GB 11643: 18 characters with the check digit, or the old 15 digits."""
    if re.fullmatch(r"\d{15}", value):
        return True
    if not re.fullmatch(r"\d{17}[0-9X]", value):
        return False
    return check_digit(value[:17]) == value[17]


def parse(values: Mapping[str, str]) -> Record:
    text = {key: (values.get(key) or "").strip() for key in COLUMNS}
    for column in REQUIRED:
        if not text[column]:
            raise BadRow(f"{column} 必填")
    for column, limit in LIMITS.items():
        if len(text[column]) > limit:
            raise BadRow(f"{column} 超过{limit}个字符")
    for column in ("chzh", "grbm"):
        if not _CODE.match(text[column]):
            raise BadRow(f"{column} 只能包含字母、数字和连字符")
    if text["xb"] not in ("", "1", "2"):
        raise BadRow("xb 须为 1(男) 或 2(女)")
    if text["csrq"]:
        try:
            date.fromisoformat(text["csrq"])
        except ValueError:
            raise BadRow("csrq 须为日期 yyyy-MM-dd") from None
        if len(text["csrq"]) != 10:
            raise BadRow("csrq 须为日期 yyyy-MM-dd")
    id_number = text["sfzh"].upper()
    if id_number and not valid_id_number(id_number):
        raise BadRow("sfzh 不是有效的身份证号 (位数或校验位不符)")
    if text["xzqh"] and not re.fullmatch(r"\d{6,12}", text["xzqh"]):
        raise BadRow("xzqh 须为6-12位数字")
    if not re.fullmatch(r"\d{4}", text["cbnd"]) or not 2003 <= int(text["cbnd"]) <= 2100:
        raise BadRow("cbnd 须为年份, 如 2026")
    if text["cbzt"] not in ("0", "1"):
        raise BadRow("cbzt 须为 1(正常) 或 0(停止)")
    if text["rylb"] not in ("1", "2", "3", "4"):
        raise BadRow("rylb 须为 1(普通)、2(五保)、3(低保) 或 4(优抚)")
    return Record(text["chzh"], text["grbm"], text["xm"], text["xb"], text["csrq"], id_number,
                  text["yhzgx"], text["hzxm"], text["jtdz"], text["xzqh"], int(text["cbnd"]),
                  text["cbzt"], text["rylb"])


def column_count_problem(values: Mapping, columns: int) -> str:
    """A row with more or fewer cells than the header (csv.DictReader's row: extra cells
    under the key None, missing ones as None): its own error, never shifted values."""
    extra = values.get(None) or []
    missing = sum(1 for key, value in values.items() if key is not None and value is None)
    if not extra and not missing:
        return ""
    return f"列数不符: 本行{columns + len(extra) - missing}列, 表头{columns}列"


def mask_id_number(value: str) -> str:
    """The first 4 and last 4 characters; the rest hidden."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
