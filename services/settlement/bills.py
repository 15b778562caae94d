"""A bill as it arrives: parsed, checked, and fingerprinted — plain functions.

Checked before anything is recorded (datasets.md): each line's amount is its price
times its quantity rounded half-up to the cent (±0.01), the total is the sum of the
lines exactly (E2002); a line may be negative (a return), but neither the net amount
of an item nor the bill may be (E2001); line numbers are unique (E2001).

The fingerprint (``digest``) decides whether a re-sent bill is "the same data": it
covers every value of the bill, normalised (trimmed text, decimals by value, times
in UTC), so that 26.0000 and 26.00 are the same amount.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from runtime.errors import ContractError, FieldViolation

CENT = Decimal("0.01")
ITEM_KINDS = {"1": "drug", "2": "service"}


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


def bad(table: str, position: int, column: str, reason: str, code: str = "E2001") -> ContractError:
    """A refusal naming the table, the row (from 1) and the column."""
    return ContractError(code, f"表{table} 第{position}行 列{column}: {reason}",
                         [FieldViolation(f"{table}[{position - 1}].{column}", reason)])


def decimal(text: str, places: int, table: str, position: int, column: str, *,
            negative: bool = False) -> Decimal:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        raise bad(table, position, column, "须为十进制数") from None
    if not value.is_finite() or "e" in text.lower():
        raise bad(table, position, column, "须为十进制数")
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise bad(table, position, column, f"最多{places}位小数")
    if value < 0 and not negative:
        raise bad(table, position, column, "不能为负数")
    return value


def parse_lines(lines: Sequence, table: str) -> list[BillLine]:
    """Proto BillLine messages to checked lines (E2001 for a bad value)."""
    parsed: list[BillLine] = []
    seen: dict[int, int] = {}
    if not lines:
        raise ContractError("E2001", f"表{table}: 至少需要1行")
    for position, line in enumerate(lines, 1):
        if line.line_number in seen:
            raise bad(table, position, "mxxh", f"与第{seen[line.line_number]}行重复")
        seen[line.line_number] = position
        if line.item_type not in ITEM_KINDS:
            raise bad(table, position, "xmlb", "须为 1(药品) 或 2(诊疗)")
        if not line.item_code.strip():
            raise bad(table, position, "yyxmbm", "必填")
        parsed.append(BillLine(
            line_number=line.line_number, item_kind=ITEM_KINDS[line.item_type],
            item_code=line.item_code.strip(), item_name=line.item_name.strip(),
            specification=line.specification.strip(), unit=line.unit.strip(),
            price=decimal(line.price, 4, table, position, "dj"),
            quantity=decimal(line.quantity, 4, table, position, "sl", negative=True),
            amount=decimal(line.amount, 2, table, position, "je", negative=True),
            fee_at=line.fee_time.ToDatetime(tzinfo=UTC) if line.HasField("fee_time") else None))
    return parsed


def check_amounts(lines: Sequence[BillLine], total: Decimal, table: str, main_table: str) -> None:
    for position, line in enumerate(lines, 1):
        expected = (line.price * line.quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        if abs(line.amount - expected) > CENT:
            raise bad(table, position, "je", f"{line.amount} 不等于 dj×sl = {expected}", "E2002")
    net: dict[tuple[str, str], Decimal] = {}
    for line in lines:
        key = (line.item_kind, line.item_code)
        net[key] = net.get(key, Decimal(0)) + line.amount
    for (_, code), amount in net.items():
        if amount < 0:
            raise ContractError("E2001", f"表{table} 项目 {code}: 净金额 {amount} 不能为负数 (退药多于收费)")
    lines_total = sum((line.amount for line in lines), Decimal(0))
    if lines_total != total:
        raise ContractError("E2002", f"表{main_table} 列zfy: {total} 不等于明细金额合计 {lines_total}",
                            [FieldViolation(f"{main_table}[0].zfy", "总费用与明细合计不符")])


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
