"""A generated month of settlements for supervision tests and the benchmark.

Written straight into the settlement database (settlements of a past month cannot be
made through the API, which settles "now"), in the same shape the service writes.
The clean month breaks no supervision rule: one visit per member and day, one stay
per member, fees inside their stay, quantities of 1 to 3, a similar cost per stay-day
at every hospital of a level, about 2 % refunds everywhere, every item mapped and
within its price limit. Tests then plant one case per rule.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from sqlalchemy import insert, select

from runtime.db import Database
from services.settlement.models import Admission, PolicyVersion, Settlement, SettlementLine

BEIJING = timezone(timedelta(hours=8))
CENT = Decimal("0.01")
ITEMS = [  # code, name, kind, price, ncms code, class, limit
    ("YP0001", "阿莫西林胶囊", "drug", Decimal("12.50"), "X001", "A", Decimal("15.00")),
    ("YP0002", "头孢克肟片", "drug", Decimal("20.00"), "X002", "B", None),
    ("YP0003", "复方甘草片", "drug", Decimal("3.00"), "X003", "A", None),
    ("ZL0001", "静脉注射", "service", Decimal("10.00"), "T001", "A", None),
    ("ZL0002", "普通门诊诊查费", "service", Decimal("5.00"), "T002", "A", None),
    ("ZL0005", "普通病房床位费", "service", Decimal("20.00"), "T005", "A", None),
]


@dataclass
class Line:
    line_number: int
    item_code: str
    item_name: str
    item_kind: str
    price: Decimal
    quantity: Decimal
    ncms_code: str
    charge_class: str
    price_limit: Decimal | None
    fee_at: datetime | None
    over_limit: Decimal = Decimal("0.00")

    @property
    def amount(self) -> Decimal:
        return (self.price * self.quantity).quantize(CENT)


@dataclass
class Bill:
    hospital_code: str
    hospital_level: int
    kind: str  # outpatient, inpatient
    number: str
    member_id: str
    visit_at: datetime
    settled_at: datetime
    lines: list[Line]
    discharged_at: datetime | None = None
    refunded_at: datetime | None = None
    compensation_ratio: Decimal = Decimal("0.5")
    settlement_number: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def compensation(self) -> Decimal:
        return (self.total * self.compensation_ratio).quantize(CENT)

    @property
    def personal(self) -> Decimal:
        return self.total - self.compensation


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BEIJING)


def _line(number: int, item: tuple, quantity: int, when: datetime | None) -> Line:
    code, name, kind, price, ncms, klass, limit = item
    return Line(number, code, name, kind, price, Decimal(quantity), ncms, klass, limit, when)


def hospital_month(code: str, level: int, year: int, month: int, *, visits: int, stays: int,
                   seed: int = 1) -> Iterator[Bill]:
    """One hospital's clean month."""
    rng = random.Random(f"{seed}-{code}")
    first = date(year, month, 1)
    days = ((date(year + month // 12, month % 12 + 1, 1)) - first).days
    refund_every = 50  # 2 %
    for n in range(visits):
        day = first + timedelta(days=n % days)
        when = at(day, 8 + n % 9, n % 60)
        lines = [_line(i + 1, ITEMS[(n + i) % 5], rng.randint(1, 3), when) for i in range(rng.randint(2, 4))]
        yield Bill(code, level, "outpatient", f"MZ{n:07d}", f"{code}M{n:07d}", when, when + timedelta(minutes=10),
                   lines, refunded_at=when + timedelta(hours=2) if n % refund_every == 7 else None)
    cost_per_day = {1: 150, 2: 200, 3: 400, 4: 700, 5: 1000}[level]
    for n in range(stays):
        length = rng.randint(2, 8)
        admitted_day = first + timedelta(days=n % max(1, days - 9))
        admitted, discharged = at(admitted_day, 10), at(admitted_day + timedelta(days=length), 9)
        beds = length
        daily = Decimal(cost_per_day + rng.randint(-20, 20))
        lines = [Line(1, "ZL0005", "普通病房床位费", "service", (daily / 2).quantize(CENT), Decimal(beds), "T005",
                      "A", None, admitted)]
        lines += [_line(i + 2, ITEMS[i % 4], rng.randint(1, 3), admitted + timedelta(days=i % length))
                  for i in range(5)]
        # a fixed share of the stay's cost in nursing, so cost per day stays even
        nursing = (daily * length - sum((line.amount for line in lines), Decimal(0))).quantize(CENT)
        if nursing > 0:
            lines.append(Line(7, "ZL0009", "二级护理", "service", nursing, Decimal(1), "T009", "A", None, admitted))
        yield Bill(code, level, "inpatient", f"ZY{n:06d}", f"{code}P{n:06d}", admitted, discharged, lines,
                   discharged_at=discharged, compensation_ratio=Decimal("0.8"))


def variant(bill: Bill, **changes) -> Bill:
    return replace(bill, **changes)


# --- writing --------------------------------------------------------------------------------

class Writer:
    """Inserts bills in batches, with their lines; numbers them as the service does."""

    def __init__(self, db: Database) -> None:
        self.db = db
        with db.write() as connection:
            policy_id = connection.scalar(select(PolicyVersion.id).where(PolicyVersion.year == 0))
            if policy_id is None:
                policy_id = connection.execute(insert(PolicyVersion).values(
                    year=0, digest="generated", source="tests", content="{}").returning(PolicyVersion.id)).scalar_one()
            self.policy_id = policy_id
            self.next_id = (connection.scalar(select(Settlement.id).order_by(Settlement.id.desc()).limit(1)) or 0) + 1

    def write(self, bills: list[Bill]) -> None:
        settlements, lines = [], []
        for bill in bills:
            sid = self.next_id
            self.next_id += 1
            bill.settlement_number = bill.settlement_number or f"{'MZ' if bill.kind == 'outpatient' else 'ZY'}" \
                f"{bill.settled_at.astimezone(BEIJING):%Y%m%d}{sid:010d}"
            settlements.append({
                "id": sid, "settlement_number": bill.settlement_number, "hospital_code": bill.hospital_code,
                "hospital_level": bill.hospital_level, "kind": bill.kind, "number": bill.number,
                "admission_id": None, "card": bill.member_id[:14], "member_id": bill.member_id, "name": "参合人",
                "year": bill.visit_at.year, "category": "ordinary", "visit_at": bill.visit_at,
                "discharged_at": bill.discharged_at, "department": "", "doctor": "", "diagnosis": "J06.900",
                "diagnosis_name": "", "referral": False, "total": bill.total, "self_pay": Decimal("0.00"),
                "class_self_pay": Decimal("0.00"), "eligible": bill.total, "deductible": Decimal("0.00"),
                "compensation": bill.compensation, "personal": bill.personal, "year_total_before": Decimal("0.00"),
                "year_total_after": bill.compensation, "policy_version_id": self.policy_id, "explanation": "",
                "request_digest": "generated", "settled_by": "generated", "settled_at": bill.settled_at,
                "refunded_at": bill.refunded_at, "refunded_by": "generated" if bill.refunded_at else ""})
            for position, line in enumerate(bill.lines, 1):
                lines.append({
                    "settlement_id": sid, "position": position, "line_number": line.line_number,
                    "item_kind": line.item_kind, "item_code": line.item_code, "item_name": line.item_name,
                    "specification": "", "unit": "", "price": line.price, "quantity": line.quantity,
                    "amount": line.amount, "fee_at": line.fee_at, "ncms_code": line.ncms_code,
                    "ncms_version_id": None, "charge_class": line.charge_class, "self_pay_ratio": Decimal("0"),
                    "price_limit": line.price_limit, "over_limit": line.over_limit,
                    "self_pay": line.amount if not line.ncms_code else Decimal("0.00"),
                    "class_self_pay": Decimal("0.00"),
                    "eligible": Decimal("0.00") if not line.ncms_code else line.amount})
        if self.db.dialect == "postgresql":
            self._copy(settlements, lines)
            return
        with self.db.write() as connection:
            connection.execute(insert(Settlement), settlements)
            connection.execute(insert(SettlementLine), lines)

    def _copy(self, settlements: list[dict], lines: list[dict]) -> None:
        """PostgreSQL's bulk path, for a province's month."""
        connection = self.db.engine.raw_connection()
        try:
            with connection.cursor() as cursor:
                for table, rows in (("settlements", settlements), ("settlement_lines", lines)):
                    columns = list(rows[0])
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row([row[c] for c in columns])
                # explicit ids: move the sequence past them
                cursor.execute("SELECT setval('settlements_id_seq', %s)", (self.next_id - 1,))
            connection.commit()
        finally:
            connection.close()

    def admit(self, hospital: str, number: str, member_id: str, admitted_at: datetime) -> None:
        """An admission still in hospital (registered, never settled)."""
        with self.db.write() as connection:
            connection.execute(insert(Admission).values(
                hospital_code=hospital, number=number, card=member_id[:14], member_id=member_id, name="参合人",
                admitted_at=admitted_at, diagnosis="J18.900", request_digest="generated",
                registered_by="generated"))
