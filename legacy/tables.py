"""The DataSet tables of the contract (datasets.md): their columns and types.

Input tables are validated column by column (``Column.parse``) into plain rows;
result tables are written with typed columns (``xs:decimal``, ``xs:int``,
``xs:string``) so that .NET reads them natively.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from runtime import clock

# --- value parsers: text (already trimmed) -> value, or ValueError with the reason ------

# ASCII digits only (str.isdigit and \d accept "１" and "١"); at most 14 before the point.
# Matched whole (fullmatch: "$" would also match before a final line feed).
_DECIMAL = re.compile(r"[+-]?([0-9]{1,14})(?:\.([0-9]+))?")
_INT = re.compile(r"[+-]?[0-9]{1,9}")
BEIJING = clock.BEIJING
# Times outside these years are typing errors, and near the ends of the calendar a
# time cannot even be moved to another zone.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199


def _decimal(places: int, *, negative: bool) -> Callable[[str], str]:
    """The text of a decimal, checked (digits, places, sign) but passed on as written:
    the service that owns the value parses it once."""
    def parse(text: str) -> str:
        match = _DECIMAL.fullmatch(text)
        if not match:
            if re.match(r"[+-]?[0-9]{15,}", text):
                raise ValueError("数值过大")
            raise ValueError("须为十进制数(不含指数和千分位)")
        fraction = match.group(2) or ""
        if fraction[places:].strip("0"):
            raise ValueError(f"最多{places}位小数")
        if text.startswith("-") and not negative and (match.group(1).strip("0") or fraction.strip("0")):
            raise ValueError("不能为负数")
        return text

    return parse


def _int(text: str) -> int:
    if not _INT.fullmatch(text):
        raise ValueError("数值过大" if re.fullmatch(r"[+-]?[0-9]{10,}", text) else "须为整数")
    return int(text)


def parse_timestamp(text: str) -> datetime:
    """yyyy-MM-dd, yyyy-MM-dd HH:mm:ss, or an xs:dateTime; naive values are Beijing time.

    The result is timezone-aware (an xs:dateTime keeps its own offset).
    """
    value = _timestamp(text) if text.isascii() else None
    if value is None:
        raise ValueError("须为日期 yyyy-MM-dd 或 yyyy-MM-dd HH:mm:ss")
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"年份须在{EARLIEST_YEAR}至{LATEST_YEAR}之间")
    return value


def _timestamp(text: str) -> datetime | None:
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=BEIJING)
        except ValueError:
            pass
    if "T" in text:
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return value if value.tzinfo else value.replace(tzinfo=BEIJING)
    return None


def _date(text: str) -> date:
    return parse_timestamp(text).astimezone(BEIJING).date()


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in allowed:
            raise ValueError(f"须为 {'/'.join(allowed)} 之一")
        return text

    return parse


def _text(max_length: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if len(text) > max_length:
            raise ValueError(f"最长{max_length}个字符")
        return text

    return parse


MONEY = _decimal(2, negative=False)
SIGNED_MONEY = _decimal(2, negative=True)
PRICE = _decimal(4, negative=False)
SIGNED_QUANTITY = _decimal(4, negative=True)
INT = _int
TIMESTAMP = parse_timestamp
DATE = _date


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str], object] = field(default=_text(200))
    required: bool = False
    # Required unless the row's operation (czlx) is D, for catalog rows.
    required_unless_delete: bool = False


def text(name: str, *, required: bool = False, max_length: int = 200, unless_delete: bool = False) -> Column:
    return Column(name, _text(max_length), required, unless_delete)


@dataclass(frozen=True)
class TableSpec:
    """An input table: its columns and how many rows it must have."""

    name: str
    columns: tuple[Column, ...]
    min_rows: int = 0
    max_rows: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})


# --- input tables -------------------------------------------------------------------------

YPML = TableSpec("ypml", (
    text("yyxmbm", required=True, max_length=50),
    text("xmmc", unless_delete=True, max_length=200),
    text("tym"), text("gg", max_length=100), text("jx", max_length=50), text("dw", max_length=20),
    text("cd"), text("pzwh", max_length=100),
    Column("dj", PRICE, required_unless_delete=True),
    text("nhbm", max_length=50),
    Column("czlx", _choice("A", "M", "D")),
), min_rows=1)

ZLML = TableSpec("zlml", (
    text("yyxmbm", required=True, max_length=50),
    text("xmmc", unless_delete=True, max_length=200),
    text("xmnh", max_length=500), text("dw", max_length=20),
    Column("dj", PRICE, required_unless_delete=True),
    text("nhbm", max_length=50),
    Column("czlx", _choice("A", "M", "D")),
), min_rows=1)

_DETAIL = (
    Column("mxxh", INT, required=True),
    Column("xmlb", _choice("1", "2"), required=True),
    text("yyxmbm", required=True, max_length=50),
    text("xmmc", required=True),
    text("gg", max_length=100), text("dw", max_length=20),
    Column("dj", PRICE, required=True),
    Column("sl", SIGNED_QUANTITY, required=True),
    Column("je", SIGNED_MONEY, required=True),
    Column("fyrq", TIMESTAMP),
)

MZZB = TableSpec("mzzb", (
    text("mzbh", required=True, max_length=50), text("chzh", required=True, max_length=50),
    text("grbm", required=True, max_length=50), text("xm", required=True, max_length=50),
    Column("jzrq", TIMESTAMP, required=True), text("ksmc"), text("ysxm", max_length=50),
    text("zdbm", required=True, max_length=20), text("zdmc"),
    Column("zfy", MONEY, required=True),
), min_rows=1, max_rows=1)

MZMX = TableSpec("mzmx", _DETAIL, min_rows=1)

RYDJ = TableSpec("rydj", (
    text("zybh", required=True, max_length=50), text("chzh", required=True, max_length=50),
    text("grbm", required=True, max_length=50), text("xm", required=True, max_length=50),
    Column("ryrq", TIMESTAMP, required=True), text("ryks"),
    text("ryzd", required=True, max_length=20), text("ryzdmc"), text("zzys", max_length=50),
    Column("zzbz", _choice("0", "1")), text("zzdh", max_length=50),
), min_rows=1, max_rows=1)

ZYZB = TableSpec("zyzb", (
    text("zybh", required=True, max_length=50), text("chzh", required=True, max_length=50),
    text("grbm", required=True, max_length=50), text("xm", required=True, max_length=50),
    Column("ryrq", TIMESTAMP, required=True), Column("cyrq", TIMESTAMP, required=True),
    text("cyzd", required=True, max_length=20), text("cyzdmc"),
    Column("zfy", MONEY, required=True),
), min_rows=1, max_rows=1)

ZYMX = TableSpec("zymx", _DETAIL, min_rows=1)

DZMX = TableSpec("dzmx", (
    Column("jslx", _choice("1", "2"), required=True),
    text("bh", required=True, max_length=50),
    text("jsbh", max_length=50),
    Column("ywlx", _choice("1", "2"), required=True),
    Column("zfy", SIGNED_MONEY, required=True),
    Column("bcje", SIGNED_MONEY, required=True),
))


# --- result tables --------------------------------------------------------------------------

STRING, DECIMAL, INTEGER = "string", "decimal", "int"


@dataclass(frozen=True)
class ResultTable:
    """A result table: column names with their XML Schema types, in order."""

    name: str
    columns: tuple[tuple[str, str], ...]


def _result(name: str, decimals: str = "", ints: str = "", *, columns: str) -> ResultTable:
    decimal_set, int_set = set(decimals.split()), set(ints.split())
    return ResultTable(name, tuple(
        (c, DECIMAL if c in decimal_set else INTEGER if c in int_set else STRING) for c in columns.split()))


CHRYXX = _result("chryxx", "mzbclj zybclj", columns=(
    "chzh grbm xm xb csrq sfzh yhzgx hzxm jtdz xzqh cbnd cbzt rylb mzbclj zybclj"))
MZJSJG = _result("mzjsjg", "zfy zfje flzf kbfy bcje grzf mzbclj", columns=(
    "mzbh jsbh zfy zfje flzf kbfy bcje grzf mzbclj jssj bz"))
MZJSMX = _result("mzjsmx", "je zfje flzf kbfy", "mxxh", columns=(
    "mxxh yyxmbm nhbm sfdj je zfje flzf kbfy"))
ZYJSJG = _result("zyjsjg", "zfy zfje flzf kbfy qfx bcje grzf zybclj", columns=(
    "zybh jsbh zfy zfje flzf kbfy qfx bcje grzf zybclj jssj bz"))
ZYJSMX = _result("zyjsmx", "je zfje flzf kbfy", "mxxh", columns=(
    "mxxh yyxmbm nhbm sfdj je zfje flzf kbfy"))
ZYXX = _result("zyxx", "ljfy", columns="zybh chzh grbm xm ryrq ryks ryzd ryzdmc zyzt ljfy")
ZYMX_RESULT = _result("zymx", "dj sl je", "mxxh", columns="mxxh xmlb yyxmbm xmmc gg dw dj sl je fyrq")
DZJG = _result("dzjg", "yybcje nhbcje", "yybs nhbs", columns="dzrq yybs nhbs yybcje nhbcje jg")
DZCY = _result("dzcy", "yyje nhje", columns="jslx bh ywlx cylx yyje nhje sm")
