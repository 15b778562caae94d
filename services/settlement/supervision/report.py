"""The report's figures per hospital and per hospital level, from the database's sums.

Averages are ratios of sums (a level's average visit cost is its visits' total cost
over their number), so a large hospital weighs as much as its visits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ..models import INPATIENT, OUTPATIENT
from .queries import KindSums
from .rules import HospitalRefunds

ZERO = Decimal("0.00")
CENT, RATE = Decimal("0.01"), Decimal("0.0001")


def _ratio(numerator: Decimal, denominator: Decimal, quantum: Decimal = CENT) -> Decimal:
    if not denominator:
        return Decimal(0).quantize(quantum)
    return (Decimal(numerator) / Decimal(denominator)).quantize(quantum, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Figures:
    hospital_code: str
    hospital_level: int
    visits: int = 0
    stays: int = 0
    visit_cost: Decimal = ZERO
    stay_cost: Decimal = ZERO
    fund_paid: Decimal = ZERO
    personal: Decimal = ZERO
    stay_days: int = 0
    settled: int = 0  # settlements of the period, refunded ones included
    refunded: int = 0

    @property
    def cost(self) -> Decimal:
        return self.visit_cost + self.stay_cost

    @property
    def self_paid_share(self) -> Decimal:
        return _ratio(self.cost - self.fund_paid, self.cost, RATE)

    @property
    def average_visit_cost(self) -> Decimal:
        return _ratio(self.visit_cost, self.visits)

    @property
    def average_stay_cost(self) -> Decimal:
        return _ratio(self.stay_cost, self.stays)

    @property
    def average_stay_days(self) -> Decimal:
        return _ratio(self.stay_days, self.stays)

    @property
    def cost_per_stay_day(self) -> Decimal:
        return _ratio(self.stay_cost, self.stay_days)

    @property
    def refund_rate(self) -> Decimal:
        return _ratio(self.refunded, self.settled, RATE)


def hospital_figures(sums: Iterable[KindSums], refunds: Sequence[HospitalRefunds], hospital: str = "") -> list[Figures]:
    by_hospital: dict[str, dict] = {}
    for row in sums:
        figures = by_hospital.setdefault(row.hospital_code, {"hospital_code": row.hospital_code,
                                                             "hospital_level": row.hospital_level})
        figures["fund_paid"] = figures.get("fund_paid", ZERO) + row.compensation
        figures["personal"] = figures.get("personal", ZERO) + row.personal
        if row.kind == OUTPATIENT:
            figures.update(visits=row.count, visit_cost=row.total)
        elif row.kind == INPATIENT:
            figures.update(stays=row.count, stay_cost=row.total, stay_days=row.days)
    for entry in refunds:
        if hospital and entry.hospital_code != hospital:
            continue
        figures = by_hospital.get(entry.hospital_code)
        if figures is None:  # every settlement of the period was refunded
            continue
        figures.update(settled=entry.settlements, refunded=entry.refunded)
    return [Figures(**by_hospital[code]) for code in sorted(by_hospital)]


@dataclass(frozen=True)
class LevelFigures:
    hospital_level: int
    hospitals: int
    average_visit_cost: Decimal
    average_stay_cost: Decimal
    cost_per_stay_day: Decimal
    self_paid_share: Decimal


def level_figures(figures: Sequence[Figures]) -> list[LevelFigures]:
    levels = []
    for level in sorted({f.hospital_level for f in figures}):
        group = [f for f in figures if f.hospital_level == level]
        combined = Figures("", level, visits=sum(f.visits for f in group), stays=sum(f.stays for f in group),
                           visit_cost=sum((f.visit_cost for f in group), ZERO),
                           stay_cost=sum((f.stay_cost for f in group), ZERO),
                           fund_paid=sum((f.fund_paid for f in group), ZERO),
                           stay_days=sum(f.stay_days for f in group))
        levels.append(LevelFigures(level, len(group), combined.average_visit_cost, combined.average_stay_cost,
                                   combined.cost_per_stay_day, combined.self_paid_share))
    return levels
