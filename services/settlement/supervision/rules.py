"""The supervision rules: their configuration, and their judgement on plain rows.

queries.py selects what each rule looks at (in the database, so a province's month
never has to fit in memory); the functions here decide what is a finding and put
the evidence into words. Every amount stays a Decimal; statistics use exact
quartiles (linear interpolation between ranks).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

DEFAULT_RULES = Path(__file__).with_name("rules.yaml")
CODES = ("S01", "S02", "S03", "S04", "S05", "S06", "S07", "S08")


class RulesError(ValueError):
    """The rules file cannot be used; the message says where."""


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    template: str
    enabled: bool
    parameters: dict[str, Decimal]

    @property
    def description(self) -> str:
        return self.template.format(**{k: format(v, "f") for k, v in self.parameters.items()})

    def number(self, name: str) -> Decimal:
        return self.parameters[name]

    def whole(self, name: str) -> int:
        return int(self.parameters[name])


# The parameters each rule needs (a rules file must give all of them).
REQUIRED = {"S01": ("min_excess",), "S03": ("days",), "S04": ("max_per_day",),
            "S06": ("factor", "min_samples"), "S07": ("iqr_factor", "min_samples"),
            "S08": ("floor", "iqr_factor", "min_settlements")}


def load(path: Path | None = None) -> dict[str, Rule]:
    source = path or DEFAULT_RULES
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RulesError(f"{source}: {exc}") from None
    if not isinstance(data, dict) or set(data) != set(CODES):
        raise RulesError(f"{source}: needs exactly the rules {', '.join(CODES)}")
    rules = {}
    for code in CODES:
        entry = data[code]
        where = f"{source}: {code}"
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("description"):
            raise RulesError(f"{where}: needs name, description, enabled and parameters")
        parameters = {}
        for name, value in (entry.get("parameters") or {}).items():
            try:
                parameters[name] = Decimal(str(value))
            except InvalidOperation:
                raise RulesError(f"{where}: parameter {name} is not a number: {value!r}") from None
            if parameters[name] < 0:
                raise RulesError(f"{where}: parameter {name} must not be negative")
        missing = [p for p in REQUIRED.get(code, ()) if p not in parameters]
        if missing:
            raise RulesError(f"{where}: missing parameter {', '.join(missing)}")
        rule = Rule(code, str(entry["name"]), str(entry["description"]), bool(entry.get("enabled", True)),
                    parameters)
        try:
            rule.description  # noqa: B018 (every {placeholder} must be a parameter)
        except KeyError as exc:
            raise RulesError(f"{where}: the description names {exc}, which is not a parameter") from None
        rules[code] = rule
    return rules


@dataclass(frozen=True)
class Finding:
    rule_code: str
    hospital_code: str
    subject: str
    member_id: str
    summary: str
    evidence: dict[str, str] = field(default_factory=dict)
    live_query: tuple[str, str] | None = None  # (hospital, 住院编号) of a stay still in hospital


def _money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01")), "f")


def _quantity(value: Decimal) -> str:
    return format(value.normalize(), "f")


def quartiles(values: Sequence[Decimal]) -> tuple[Decimal, Decimal, Decimal]:
    """(Q1, median, Q3) of sorted-or-not ``values``, interpolating between ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")

    def at(fraction: Decimal) -> Decimal:
        position = fraction * (len(ordered) - 1)
        low = int(position)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    return at(Decimal("0.25")), at(Decimal("0.5")), at(Decimal("0.75"))


# --- line rules (S01, S02, S05, S06): rows come sorted by settlement ----------------------

@dataclass(frozen=True)
class LineRow:
    hospital_code: str
    settlement_number: str
    member_id: str
    number: str  # mzbh / zybh
    line_number: int
    item_code: str
    item_name: str
    price: Decimal
    quantity: Decimal
    amount: Decimal
    price_limit: Decimal | None = None
    over_limit: Decimal | None = None
    fee_day: date | None = None
    stay: tuple[date, date] | None = None  # (admitted, discharged), Beijing days


def _per_settlement(rows: Iterable[LineRow], make: Callable[[list[LineRow]], Finding]) -> Iterator[Finding]:
    for _, lines in itertools.groupby(rows, key=lambda row: row.settlement_number):
        yield make(list(lines))


def over_limit(rule: Rule, rows: Iterable[LineRow]) -> Iterator[Finding]:
    def make(lines: list[LineRow]) -> Finding:
        first = lines[0]
        excess = sum((line.over_limit for line in lines), Decimal("0"))
        items = "; ".join(f"{line.item_code} {line.item_name} 单价 {_money(line.price)} > 限价 "
                          f"{_money(line.price_limit)} × {_quantity(line.quantity)}" for line in lines)
        return Finding(rule.code, first.hospital_code, first.settlement_number, first.member_id,
                       f"{first.number}: {len(lines)} 项超限价, 超出 {_money(excess)} 元",
                       {"number": first.number, "lines": items, "excess": _money(excess)})
    return _per_settlement(rows, make)


def unmapped(rule: Rule, rows: Iterable[LineRow]) -> Iterator[Finding]:
    def make(lines: list[LineRow]) -> Finding:
        first = lines[0]
        amount = sum((line.amount for line in lines), Decimal("0"))
        items = "; ".join(f"{line.item_code} {line.item_name} {_money(line.amount)}" for line in lines)
        return Finding(rule.code, first.hospital_code, first.settlement_number, first.member_id,
                       f"{first.number}: {len(lines)} 项未对应农合目录, 计 {_money(amount)} 元",
                       {"number": first.number, "lines": items, "amount": _money(amount)})
    return _per_settlement(rows, make)


def fee_outside_stay(rule: Rule, rows: Iterable[LineRow]) -> Iterator[Finding]:
    def make(lines: list[LineRow]) -> Finding:
        first = lines[0]
        admitted, discharged = first.stay
        items = "; ".join(f"第{line.line_number}行 {line.item_code} {line.item_name} 费用日期 {line.fee_day}"
                          for line in lines)
        return Finding(rule.code, first.hospital_code, first.settlement_number, first.member_id,
                       f"{first.number}: {len(lines)} 项费用日期在住院期间 {admitted}~{discharged} 之外",
                       {"number": first.number, "admitted": str(admitted), "discharged": str(discharged),
                        "lines": items})
    return _per_settlement(rows, make)


@dataclass(frozen=True)
class QuantityRow:
    line: LineRow
    median: Decimal
    samples: int


def quantity_outliers(rule: Rule, rows: Iterable[QuantityRow]) -> Iterator[Finding]:
    factor = rule.number("factor")
    for row in rows:
        line = row.line
        yield Finding(rule.code, line.hospital_code, line.settlement_number, line.member_id,
                      f"{line.number} 第{line.line_number}行 {line.item_code} {line.item_name} 数量 "
                      f"{_quantity(line.quantity)}, 本院中位数 {_quantity(row.median)}",
                      {"number": line.number, "item_code": line.item_code, "quantity": _quantity(line.quantity),
                       "median": _quantity(row.median), "threshold": _quantity(factor * row.median),
                       "samples": str(row.samples)})


# --- visits and stays (S03, S04, S07) ---------------------------------------------------

@dataclass(frozen=True)
class Stay:
    hospital_code: str
    hospital_level: int
    member_id: str
    number: str  # zybh
    admitted: date
    discharged: date | None  # None: still in hospital (admitted, not settled)
    settlement_number: str = ""
    total: Decimal = Decimal("0")

    @property
    def days(self) -> int:
        """住院天数: discharge day minus admission day, at least 1."""
        return max(1, ((self.discharged or self.admitted) - self.admitted).days)


def readmissions(rule: Rule, stays: Iterable[Stay], period_start: date, period_end: date,
                 endpoints: frozenset[str] = frozenset()) -> Iterator[Finding]:
    """Stays admitted in the period within ``days`` of the member's previous discharge
    from the same hospital. ``endpoints``: hospitals with their own service registered."""
    days = rule.whole("days")
    ordered = sorted(stays, key=lambda s: (s.hospital_code, s.member_id, s.admitted, s.number))
    for _, group in itertools.groupby(ordered, key=lambda s: (s.hospital_code, s.member_id)):
        previous = None
        for stay in group:
            if (previous is not None and previous.discharged is not None
                    and period_start <= stay.admitted < period_end
                    and 0 <= (stay.admitted - previous.discharged).days <= days):
                gap = (stay.admitted - previous.discharged).days
                live = stay.discharged is None and stay.hospital_code in endpoints
                yield Finding(
                    rule.code, stay.hospital_code, stay.number, stay.member_id,
                    f"{stay.number} 入院于 {stay.admitted}, 距上次出院 ({previous.number}, {previous.discharged}) "
                    f"{gap} 天" + (" (仍在院)" if stay.discharged is None else ""),
                    {"number": stay.number, "admitted": str(stay.admitted), "previous": previous.number,
                     "previous_discharged": str(previous.discharged), "gap_days": str(gap),
                     "in_hospital": "1" if stay.discharged is None else "0"},
                    (stay.hospital_code, stay.number) if live else None)
            previous = stay


@dataclass(frozen=True)
class SameDayVisits:
    hospital_code: str
    member_id: str
    day: date
    numbers: tuple[str, ...]


def repeat_outpatient(rule: Rule, groups: Iterable[SameDayVisits]) -> Iterator[Finding]:
    limit = rule.whole("max_per_day")
    for group in groups:
        if len(group.numbers) > limit:
            yield Finding(rule.code, group.hospital_code, group.member_id, group.member_id,
                          f"{group.day} 门诊结算 {len(group.numbers)} 次: {', '.join(group.numbers)}",
                          {"day": str(group.day), "count": str(len(group.numbers)), "numbers": ",".join(group.numbers)})


def cost_per_day_outliers(rule: Rule, stays: Sequence[Stay]) -> Iterator[Finding]:
    factor, minimum = rule.number("iqr_factor"), rule.whole("min_samples")
    by_level: dict[int, list[Stay]] = {}
    for stay in stays:
        if stay.discharged is not None:
            by_level.setdefault(stay.hospital_level, []).append(stay)
    for level, group in sorted(by_level.items()):
        if len(group) < minimum:
            continue
        per_day = [stay.total / stay.days for stay in group]
        q1, median, q3 = quartiles(per_day)
        threshold = q3 + factor * (q3 - q1)
        for stay, cost in zip(group, per_day, strict=True):
            if cost > threshold:
                yield Finding(rule.code, stay.hospital_code, stay.settlement_number, stay.member_id,
                              f"{stay.number}: 日均费用 {_money(cost)} 元 ({stay.days} 天, {_money(stay.total)} 元), "
                              f"{level}级医院中位数 {_money(median)}",
                              {"number": stay.number, "cost_per_day": _money(cost), "days": str(stay.days),
                               "total": _money(stay.total), "level": str(level), "level_median": _money(median),
                               "threshold": _money(threshold)})


@dataclass(frozen=True)
class HospitalRefunds:
    hospital_code: str
    settlements: int
    refunded: int

    @property
    def rate(self) -> Decimal:
        return Decimal(self.refunded) / Decimal(self.settlements) if self.settlements else Decimal(0)


def refund_rate_outliers(rule: Rule, hospitals: Sequence[HospitalRefunds]) -> Iterator[Finding]:
    floor, factor = rule.number("floor"), rule.number("iqr_factor")
    counted = [h for h in hospitals if h.settlements >= rule.whole("min_settlements")]
    if not counted:
        return
    q1, median, q3 = quartiles([h.rate for h in counted])
    threshold = max(floor, q3 + factor * (q3 - q1))
    for hospital in counted:
        if hospital.rate > threshold:
            yield Finding(rule.code, hospital.hospital_code, hospital.hospital_code, "",
                          f"退费率 {hospital.rate:.2%} ({hospital.refunded}/{hospital.settlements}), "
                          f"各医院中位数 {median:.2%}",
                          {"rate": format(hospital.rate.quantize(Decimal("0.0001")), "f"),
                           "refunded": str(hospital.refunded), "settlements": str(hospital.settlements),
                           "median": format(median.quantize(Decimal("0.0001")), "f"),
                           "threshold": format(threshold.quantize(Decimal("0.0001")), "f")})
