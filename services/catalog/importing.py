"""The NCMS catalog import file (admin.md): one row of the CSV, checked.

Columns: nhbm (key), mc, gg, jx, dw, pzwh, sfdj (甲, 乙 or 丙), zfbl (乙类 self-paid
share 0-1; empty: the year's policy default applies; ignored for 甲 and 丙), xj (optional unit-price limit).
Extra columns are ignored; the order is free.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .mapping import normalize

CLASSES = {"甲": "A", "乙": "B", "丙": "C"}
CLASS_NAMES = {v: k for k, v in CLASSES.items()}
REQUIRED_COLUMNS = ("nhbm", "mc", "sfdj")
LIMITS = {"nhbm": 50, "mc": 200, "gg": 100, "jx": 50, "dw": 20, "pzwh": 100}


class BadRow(ValueError):
    """The row's reason, for the import's error message."""


@dataclass(frozen=True)
class NcmsRow:
    code: str
    name: str
    specification: str
    dosage_form: str
    unit: str
    approval_number: str
    charge_class: str  # A, B, C
    self_pay_ratio: Decimal | None  # None: the policy's default 乙 share
    price_limit: Decimal | None

    def content(self) -> tuple:
        """What makes two versions of an item the same."""
        return (self.name, self.specification, self.dosage_form, self.unit, self.approval_number,
                self.charge_class, self.self_pay_ratio, self.price_limit)

    def normalised(self) -> dict[str, str]:
        return {"norm_name": normalize(self.name), "norm_specification": normalize(self.specification),
                "norm_unit": normalize(self.unit), "norm_approval": normalize(self.approval_number)}


def _decimal(text: str, column: str, places: int) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadRow(f"{column} 不是数字: {text!r}") from None
    if not value.is_finite() or "e" in text.lower():
        raise BadRow(f"{column} 不是数字: {text!r}")
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise BadRow(f"{column} 最多{places}位小数")
    return value.quantize(Decimal(1).scaleb(-places))


def parse_row(values: Mapping[str, str]) -> NcmsRow:
    """A checked row, or BadRow saying what is wrong (in Chinese, for administrators)."""
    text = {key.strip(): (value or "").strip() for key, value in values.items() if key}
    for column, limit in LIMITS.items():
        if len(text.get(column, "")) > limit:
            raise BadRow(f"{column} 超过{limit}个字符")
    code, name = text.get("nhbm", ""), text.get("mc", "")
    if not code:
        raise BadRow("nhbm 必填")
    if not name:
        raise BadRow("mc 必填")
    level = text.get("sfdj", "")
    if level not in CLASSES:
        raise BadRow(f"sfdj 须为 甲、乙 或 丙, 而不是 {level!r}")
    charge_class = CLASSES[level]
    ratio = None
    if charge_class == "B" and text.get("zfbl"):
        ratio = _decimal(text["zfbl"], "zfbl", 4)
        if not Decimal(0) <= ratio <= Decimal(1):
            raise BadRow("zfbl 须在 0 到 1 之间")
    limit = None
    if text.get("xj"):
        limit = _decimal(text["xj"], "xj", 4)
        if limit < 0:
            raise BadRow("xj 不能为负数")
    return NcmsRow(code, name, text.get("gg", ""), text.get("jx", ""), text.get("dw", ""),
                   text.get("pzwh", ""), charge_class, ratio, limit)
