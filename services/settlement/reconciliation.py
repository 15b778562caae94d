"""dzjk 对账: a hospital's record of a day against the NCMS's (datasets.md).

Plain functions over plain entries. A settlement belongs to the day of its
settlement time, a refund to the day of the refund (Beijing time). Entries are
matched by kind, number and business: first by 结算编号 where the hospital sent one,
then, for the rest, in order with equal amounts preferred. What stays unmatched, or
matches with other amounts, is a difference:

1  the NCMS has a settlement the hospital does not (the HIS never got the answer)
2  the hospital has a settlement the NCMS does not
3  both have it, the amounts differ
4  one side recorded a refund the other did not

Totals count every entry; the compensation total takes refunds off, whatever sign
the hospital gave a refund's amounts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

OUTPATIENT, INPATIENT = "outpatient", "inpatient"  # the kind of settlement (jslx)
SETTLEMENT, REFUND = "settlement", "refund"  # the business (ywlx)

ONLY_NCMS, ONLY_HOSPITAL, AMOUNTS_DIFFER, REFUND_MISMATCH = 1, 2, 3, 4
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Entry:
    """One settlement or refund of the day, as one side recorded it."""

    kind: str  # OUTPATIENT, INPATIENT
    number: str  # bh
    business: str  # SETTLEMENT, REFUND
    total: Decimal  # zfy
    compensation: Decimal  # bcje
    settlement_number: str = ""  # jsbh

    @property
    def key(self) -> tuple[str, str, str]:
        return self.kind, self.number, self.business

    def same_amounts(self, other: Entry) -> bool:
        return abs(self.total) == abs(other.total) and abs(self.compensation) == abs(other.compensation)


@dataclass(frozen=True)
class Difference:
    kind: str
    number: str
    business: str
    type: int  # cylx
    hospital_amount: Decimal | None  # yyje
    ncms_amount: Decimal | None  # nhje
    note: str  # sm
    settlement_number: str = ""


@dataclass(frozen=True)
class Outcome:
    day: date
    hospital_count: int  # yybs
    ncms_count: int  # nhbs
    hospital_total: Decimal  # yybcje
    ncms_total: Decimal  # nhbcje
    differences: tuple[Difference, ...]

    @property
    def agreed(self) -> bool:  # jg
        return not self.differences


def net_compensation(entries: Sequence[Entry]) -> Decimal:
    """Compensation of the day with refunds taken off."""
    return sum(((-1 if e.business == REFUND else 1) * abs(e.compensation) for e in entries), ZERO)


def _pair(hospital: Sequence[Entry], ncms: Sequence[Entry]) -> tuple[list[tuple[Entry, Entry]], list[Entry], list[Entry]]:
    """Matched (hospital, ncms) pairs, and what is left on each side."""
    left_ncms = list(ncms)
    pairs: list[tuple[Entry, Entry]] = []
    rest: list[Entry] = []
    # 1. by 结算编号, where the hospital has one
    for entry in hospital:
        match = next((n for n in left_ncms if entry.settlement_number and n.key == entry.key
                      and n.settlement_number == entry.settlement_number), None)
        if match is None:
            rest.append(entry)
        else:
            left_ncms.remove(match)
            pairs.append((entry, match))
    # 2. the rest by kind, number and business: equal amounts first, then in order
    unmatched: list[Entry] = []
    for prefer_equal in (True, False):
        remaining, rest = rest, []
        for entry in remaining:
            match = next((n for n in left_ncms if n.key == entry.key
                          and (not prefer_equal or entry.same_amounts(n))), None)
            if match is None:
                rest.append(entry)
            else:
                left_ncms.remove(match)
                pairs.append((entry, match))
        unmatched = rest
    return pairs, unmatched, left_ncms


def _money(value: Decimal) -> str:
    return format(abs(value), "f")


def reconcile(day: date, hospital: Sequence[Entry], ncms: Sequence[Entry],
              elsewhere: Mapping[tuple[str, str], date] | None = None) -> Outcome:
    """Compare; ``elsewhere`` maps (结算编号, ywlx) of entries the NCMS recorded on
    another day to that day, so the note can say where it is."""
    elsewhere = elsewhere or {}
    pairs, only_hospital, only_ncms = _pair(hospital, ncms)
    differences: list[Difference] = []
    for ours, theirs in pairs:
        if ours.same_amounts(theirs):
            continue
        if abs(ours.compensation) != abs(theirs.compensation):
            note = f"补偿金额不符: 医院 {_money(ours.compensation)}, 农合 {_money(theirs.compensation)}"
            amounts = abs(ours.compensation), abs(theirs.compensation)
        else:
            note = f"总费用不符: 医院 {_money(ours.total)}, 农合 {_money(theirs.total)}"
            amounts = abs(ours.total), abs(theirs.total)
        differences.append(Difference(ours.kind, ours.number, ours.business, AMOUNTS_DIFFER, *amounts, note,
                                      theirs.settlement_number))
    for entry in only_ncms:
        if entry.business == REFUND:
            kind, note = REFUND_MISMATCH, f"农合已退费 (结算编号 {entry.settlement_number}), 医院无退费记录"
        else:
            kind, note = ONLY_NCMS, f"农合有结算 (结算编号 {entry.settlement_number}), 医院无此记录"
        differences.append(Difference(entry.kind, entry.number, entry.business, kind, None,
                                      abs(entry.compensation), note, entry.settlement_number))
    for entry in only_hospital:
        if entry.business == REFUND:
            kind, note = REFUND_MISMATCH, "医院记有退费, 农合当日无此退费"
        else:
            kind, note = ONLY_HOSPITAL, "医院记有结算, 农合当日无此结算"
        other_day = elsewhere.get((entry.settlement_number, entry.business))
        if other_day is not None:
            note += f" (农合记于 {other_day.isoformat()}, 结算编号 {entry.settlement_number})"
        differences.append(Difference(entry.kind, entry.number, entry.business, kind,
                                      abs(entry.compensation), None, note, entry.settlement_number))
    differences.sort(key=lambda d: (d.kind != OUTPATIENT, d.number, d.business != SETTLEMENT, d.type))
    return Outcome(day, len(hospital), len(ncms), net_compensation(hospital), net_compensation(ncms),
                   tuple(differences))
