"""A bill as it arrives: parsed, checked, and fingerprinted — plain functions.

Checked before anything is recorded (datasets.md): each line's amount is its price
times its quantity rounded half-up to the cent (±0.01), the total is the sum of the
lines exactly (E2002); a line may be negative (a return), but neither the net amount
of an item nor the bill may be (E2001); line numbers are unique (E2001). A refusal
names the field by its path in the request (``lines[3].amount``, rows from 0); the
gateway turns that into the table, row and column of the legacy message.

The fingerprint (``digest``) decides whether a re-sent bill is "the same data": it
covers every value of the bill, normalised (trimmed text, decimals by value, times
in UTC), so that 26.0000 and 26.00 are the same amount.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from runtime.errors import ContractError, FieldViolation

CENT = Decimal("0.01")
DRUG, SERVICE = "drug", "service"
# Digits, at most 14 before the point: anything else is refused before Decimal sees it.
_DECIMAL = re.compile(r"^[+-]?([0-9]{1,14})(?:\.([0-9]+))?$")


@dataclass(frozen=True)
class LineInput:
    """A bill line as received: text where the legacy message had text."""

    line_number: int
    item_kind: str  # DRUG, SERVICE, or "" when not given
    item_code: str
    item_name: str
    specification: str
    unit: str
    price: str
    quantity: str
    amount: str
    fee_at: datetime | None


@dataclass(frozen=True)
class BillLine:
    line_number: int
    item_kind: str  # drug, service
    item_code: str
    item_name: str
    specification: str
    unit: str
    price: Decimal
    quantity: Decimal
    amount: Decimal
    fee_at: datetime | None


def bad(field: str, reason: str, code: str = "E2001") -> ContractError:
    """A refusal naming the field by its path in the request."""
    return ContractError(code, f"{field}: {reason}", [FieldViolation(field, reason)])


def required(text: str, field: str) -> str:
    value = text.strip()
    if not value:
        raise bad(field, "必填")
    return value


def decimal(text: str, places: int, field: str, *, negative: bool = False) -> Decimal:
    """A decimal written with ASCII digits, at most ``places`` places (E2001)."""
    match = _DECIMAL.match(text.strip())
    if not match:
        raise bad(field, "须为十进制数")
    if len(match.group(2) or "") > places and match.group(2)[places:].strip("0"):
        raise bad(field, f"最多{places}位小数")
    value = Decimal(text.strip())
    if value < 0 and not negative:
        raise bad(field, "不能为负数")
    return value


def parse_lines(lines: Sequence[LineInput]) -> list[BillLine]:
    """Checked lines, or E2001 naming ``lines[i].<field>``."""
    parsed: list[BillLine] = []
    seen: dict[int, int] = {}
    if not lines:
        raise bad("lines", "至少需要1行")
    for index, line in enumerate(lines):
        at = f"lines[{index}]"
        if line.line_number in seen:
            raise bad(f"{at}.line_number", f"与第{seen[line.line_number] + 1}行重复")
        seen[line.line_number] = index
        if line.item_kind not in (DRUG, SERVICE):
            raise bad(f"{at}.item_kind", "须为 药品 或 诊疗")
        parsed.append(BillLine(
            line_number=line.line_number, item_kind=line.item_kind,
            item_code=required(line.item_code, f"{at}.item_code"), item_name=line.item_name.strip(),
            specification=line.specification.strip(), unit=line.unit.strip(),
            price=decimal(line.price, 4, f"{at}.price"),
            quantity=decimal(line.quantity, 4, f"{at}.quantity", negative=True),
            amount=decimal(line.amount, 2, f"{at}.amount", negative=True),
            fee_at=line.fee_at))
    return parsed


def check_amounts(lines: Sequence[BillLine], total: Decimal, total_field: str) -> None:
    for index, line in enumerate(lines):
        expected = (line.price * line.quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        if abs(line.amount - expected) > CENT:
            raise bad(f"lines[{index}].amount", f"{line.amount} 不等于 单价×数量 = {expected}", "E2002")
    net: dict[tuple[str, str], Decimal] = {}
    for line in lines:
        key = (line.item_kind, line.item_code)
        net[key] = net.get(key, Decimal(0)) + line.amount
    for (_, code), amount in net.items():
        if amount < 0:
            raise bad("lines", f"项目 {code}: 净金额 {amount} 不能为负数 (退药多于收费)")
    lines_total = sum((line.amount for line in lines), Decimal(0))
    if lines_total != total:
        raise bad(total_field, f"{total} 不等于明细金额合计 {lines_total}", "E2002")


def digest(values: dict, lines: Sequence[BillLine]) -> str:
    """The bill's fingerprint: same data, same digest."""
    def normal(value: object) -> object:
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat()
        if isinstance(value, str):
            return value.strip()
        return value

    document = {
        "main": {key: normal(value) for key, value in sorted(values.items())},
        "lines": [{key: normal(getattr(line, key)) for key in BillLine.__dataclass_fields__} for line in lines],
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
