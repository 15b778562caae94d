"""The compensation calculation of policy.md, as a pure function.

Input: the bill's lines with their resolved catalog class, self-paid share and price
limit, the member's category, the hospital's level, the referral flag, the discharge
diagnosis, the year's policy and the member's total of the year so far. Output: every
amount, per line and for the bill, and the rules that applied — in words, so that a
settlement explains itself. Exact decimals; each rounding is half-up to the cent at
exactly the place policy.md rounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from .policy import Policy

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# A member's category (人员类别) in the year of the settlement.
ORDINARY, FIVE_GUARANTEES, SUBSISTENCE, ENTITLED = "ordinary", "five_guarantees", "subsistence", "entitled"
CATEGORY_NAMES = {ORDINARY: "普通", FIVE_GUARANTEES: "五保", SUBSISTENCE: "低保", ENTITLED: "优抚"}
SPECIAL_CATEGORIES = (FIVE_GUARANTEES, SUBSISTENCE)  # no deductible, a higher ratio

CLASS_A, CLASS_B, CLASS_C = "A", "B", "C"  # 甲, 乙, 丙 (丙 also for unmapped)
CLASS_NAMES = {CLASS_A: "甲", CLASS_B: "乙", CLASS_C: "丙"}


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal) -> str:
    return format(cents(value), "f")


def percent(ratio: Decimal) -> str:
    return format(ratio.normalize(), "%")


def _binding(raw: Decimal, caps: Sequence[tuple[Decimal, str]]) -> tuple[Decimal, str | None]:
    """The smallest of ``raw`` and the caps, and the note of the cap that bound it."""
    value, note = raw, None
    for cap, cap_note in caps:
        if cap < value:
            value, note = cap, cap_note
    return max(ZERO, value), note


@dataclass(frozen=True)
class Line:
    number: int  # mxxh
    price: Decimal  # dj
    quantity: Decimal  # sl (negative for a return)
    amount: Decimal  # je
    charge_class: str  # A, B, C (C also for unmapped)
    self_pay_ratio: Decimal | None = None  # 乙 share; None: the policy's default
    price_limit: Decimal | None = None  # xj
    mapped: bool = True


@dataclass(frozen=True)
class LineResult:
    number: int
    charge_class: str
    amount: Decimal  # je
    over_limit: Decimal  # cxj, part of zfje
    self_pay: Decimal  # zfje of the line
    class_self_pay: Decimal  # flzf of the line
    eligible: Decimal  # kbfy of the line
    self_pay_ratio: Decimal  # the 乙 share used (0 otherwise)


@dataclass
class Result:
    total: Decimal  # zfy
    self_pay: Decimal  # zfje
    class_self_pay: Decimal  # flzf
    eligible: Decimal  # kbfy
    deductible: Decimal  # qfx applied (inpatient)
    compensation: Decimal  # bcje
    personal: Decimal  # grzf = zfy - bcje
    year_total_after: Decimal  # this year's total of the kind, after this settlement
    lines: list[LineResult]
    rules: list[str] = field(default_factory=list)  # what applied, in words

    @property
    def explanation(self) -> str:
        return "; ".join(self.rules)


def price_lines(lines: Sequence[Line], policy: Policy) -> tuple[list[LineResult], list[str]]:
    """Per line: the part over the price limit, the class split (policy.md, "Per line")."""
    results: list[LineResult] = []
    notes: list[str] = []
    for line in lines:
        over = ZERO
        if line.price_limit is not None and line.price > line.price_limit:
            over = cents((line.price - line.price_limit) * line.quantity)
        remaining = line.amount - over
        if line.charge_class == CLASS_A:
            results.append(LineResult(line.number, CLASS_A, line.amount, over, over, ZERO, remaining, ZERO))
        elif line.charge_class == CLASS_B:
            ratio = policy.default_zfbl if line.self_pay_ratio is None else line.self_pay_ratio
            share = cents(remaining * ratio)
            results.append(LineResult(line.number, CLASS_B, line.amount, over, over, share,
                                      remaining - share, ratio))
        else:
            results.append(LineResult(line.number, CLASS_C, line.amount, over, line.amount, ZERO, ZERO, ZERO))
        if over and line.charge_class != CLASS_C:
            notes.append(f"第{line.number}项超限价自付 {money(over)}")
    unmapped = sum(1 for line in lines if not line.mapped)
    if unmapped:
        notes.append(f"{unmapped}项未对应农合目录, 全额自费")
    return results, notes


def _bill(results: list[LineResult]) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    self_pay = sum((r.self_pay for r in results), ZERO)
    class_self_pay = sum((r.class_self_pay for r in results), ZERO)
    eligible = sum((r.eligible for r in results), ZERO)
    return self_pay + class_self_pay + eligible, self_pay, class_self_pay, eligible


def outpatient(lines: Sequence[Line], *, level: int, policy: Policy, year_total: Decimal) -> Result:
    """门诊统筹 (policy.md, "Outpatient")."""
    results, rules = price_lines(lines, policy)
    total, self_pay, class_self_pay, eligible = _bill(results)
    ratio = policy.mz_ratio[level]
    raw = cents(eligible * ratio)
    room = max(ZERO, policy.mz_year_cap - year_total)
    compensation, note = _binding(raw, [
        (policy.mz_visit_cap[level], f"单次封顶 {money(policy.mz_visit_cap[level])}"),
        (room, f"年度门诊封顶 {money(policy.mz_year_cap)}, 本年已补 {money(year_total)}, 可补 {money(room)}")])
    rules.insert(0, f"门诊统筹 可补偿 {money(eligible)} × {percent(ratio)} = {money(raw)}")
    if note:
        rules.append(note)
    return Result(total, self_pay, class_self_pay, eligible, ZERO, compensation, total - compensation,
                  year_total + compensation, results, rules)


def inpatient(lines: Sequence[Line], *, level: int, category: str, referral: bool, diagnosis: str,
              policy: Policy, year_total: Decimal) -> Result:
    """住院 (policy.md, "Inpatient"), with the fixed subsidies."""
    results, rules = price_lines(lines, policy)
    total, self_pay, class_self_pay, eligible = _bill(results)
    room = max(ZERO, policy.zy_year_cap - year_total)
    prefix = _fixed_prefix(diagnosis, policy)
    if prefix is not None:
        amount = policy.zy_fixed[prefix]
        compensation, note = _binding(amount, [
            (total, f"不超过总费用 {money(total)}"),
            (room, f"年度住院封顶 {money(policy.zy_year_cap)}, 本年已补 {money(year_total)}, 可补 {money(room)}")])
        rules.insert(0, f"定额补助 {prefix} {money(amount)}")
        if note:
            rules.append(note)
        return Result(total, self_pay, class_self_pay, eligible, ZERO, compensation, total - compensation,
                      year_total + compensation, results, rules)

    special = category in SPECIAL_CATEGORIES
    deductible = ZERO if special else policy.zy_deductible[level]
    base = max(ZERO, eligible - deductible)
    adjust = ZERO
    if special:
        adjust += policy.special_bonus
        rules.append(f"{CATEGORY_NAMES[category]} 免起付线, 比例 +{percent(policy.special_bonus)}")
    if level >= 4 and not referral:
        adjust -= policy.no_referral_cut
        rules.append(f"未转诊 比例 -{percent(policy.no_referral_cut)}")
    unrounded = ZERO
    remaining = base
    pieces = []
    for band in policy.zy_bands[level]:
        if remaining <= 0:
            break
        slice_ = remaining if band.width is None else min(remaining, band.width)
        ratio = min(max(band.ratio + adjust, Decimal(0)), Decimal(1))
        unrounded += slice_ * ratio
        pieces.append(f"{money(slice_)}×{percent(ratio)}")
        remaining -= slice_
    raw = cents(unrounded)
    compensation, note = _binding(raw, [
        (room, f"年度住院封顶 {money(policy.zy_year_cap)}, 本年已补 {money(year_total)}, 可补 {money(room)}")])
    rules.insert(0, f"住院 可补偿 {money(eligible)} - 起付线 {money(deductible)} = {money(base)}; "
                    f"{' + '.join(pieces) or '0'} = {money(raw)}")
    if note:
        rules.append(note)
    return Result(total, self_pay, class_self_pay, eligible, deductible, compensation, total - compensation,
                  year_total + compensation, results, rules)


def _fixed_prefix(diagnosis: str, policy: Policy) -> str | None:
    """The longest zy_fixed prefix the diagnosis starts with."""
    code = diagnosis.strip().upper()
    matches = [prefix for prefix in policy.zy_fixed if code.startswith(prefix)]
    return max(matches, key=len) if matches else None
