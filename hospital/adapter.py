"""What a hospital implements to answer ``zysjcxjk`` from its own HIS.

One method: the in-patient with that 住院编号, with the fee lines so far, or None.
Implement it against the HIS's tables (a view or a few SELECTs) and pass it to
``hospital.server.build``; sql_adapter.py is the shipped example.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

IN_HOSPITAL = "1"  # zyzt 在院
DISCHARGED = "2"  # zyzt 已出院


@dataclass(frozen=True)
class FeeLine:
    """One fee line (as mzmx in datasets.md)."""

    line_number: int  # mxxh
    item_type: str  # xmlb: 1 药品, 2 诊疗
    item_code: str  # yyxmbm
    item_name: str  # xmmc
    price: Decimal  # dj
    quantity: Decimal  # sl
    amount: Decimal  # je
    specification: str = ""  # gg
    unit: str = ""  # dw
    fee_time: datetime | None = None  # fyrq


@dataclass(frozen=True)
class Inpatient:
    """An in-patient as zysjcxjk reports it (table zyxx)."""

    number: str  # zybh
    card: str  # chzh
    member_id: str  # grbm
    name: str  # xm
    admitted_at: datetime  # ryrq
    department: str  # ryks
    diagnosis: str  # ryzd
    diagnosis_name: str = ""  # ryzdmc
    status: str = IN_HOSPITAL  # zyzt
    fees: tuple[FeeLine, ...] = field(default=())

    @property
    def total(self) -> Decimal:
        """ljfy 累计费用: the sum of the fee lines so far."""
        return sum((line.amount for line in self.fees), Decimal("0.00"))


class InpatientSource(Protocol):
    def inpatient(self, number: str) -> Inpatient | None:
        """The in-patient with 住院编号 ``number`` (current or discharged), or None."""
        ...
