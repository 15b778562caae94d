"""The shipped in-patient adapter: tables of its own (SQLite or PostgreSQL).

A hospital whose HIS cannot be read directly can copy its in-patients into these two
tables (``his_inpatients``, ``his_inpatient_fees``) from a nightly or hourly job, or
load them from a JSON file (``python -m hospital load``), whose fields are the
contract's column names::

    [{"zybh": "ZY2026000001", "chzh": "...", "grbm": "...", "xm": "...",
      "ryrq": "2026-06-01 09:30:00", "ryks": "内科", "ryzd": "J18.900", "ryzdmc": "肺炎",
      "zyzt": "1",
      "fees": [{"mxxh": 1, "xmlb": "1", "yyxmbm": "YP0001", "xmmc": "...", "gg": "...",
                "dw": "盒", "dj": "12.50", "sl": "2", "je": "25.00",
                "fyrq": "2026-06-01 10:00:00"}]}]

Times without a zone are Beijing time, as the HIS writes them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import ForeignKey, Integer, String, delete, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from legacy.tables import BEIJING
from runtime.db import Database, ScaledDecimal, UTCDateTime, declarative_base

from .adapter import DISCHARGED, IN_HOSPITAL, FeeLine, Inpatient

Base = declarative_base()
MIGRATIONS = "hospital.migrations"


class InpatientRow(Base):
    __tablename__ = "his_inpatients"

    number: Mapped[str] = mapped_column(String(30), primary_key=True)  # zybh
    card: Mapped[str] = mapped_column(String(30))  # chzh
    member_id: Mapped[str] = mapped_column(String(30))  # grbm
    name: Mapped[str] = mapped_column(String(50))  # xm
    admitted_at: Mapped[datetime] = mapped_column(UTCDateTime)  # ryrq
    department: Mapped[str] = mapped_column(String(100), default="")  # ryks
    diagnosis: Mapped[str] = mapped_column(String(20))  # ryzd
    diagnosis_name: Mapped[str] = mapped_column(String(200), default="")  # ryzdmc
    status: Mapped[str] = mapped_column(String(1), default=IN_HOSPITAL)  # zyzt



class FeeRow(Base):
    __tablename__ = "his_inpatient_fees"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(ForeignKey("his_inpatients.number"), index=True)
    line_number: Mapped[int] = mapped_column(Integer)  # mxxh
    item_type: Mapped[str] = mapped_column(String(1))  # xmlb
    item_code: Mapped[str] = mapped_column(String(50))  # yyxmbm
    item_name: Mapped[str] = mapped_column(String(200))  # xmmc
    specification: Mapped[str] = mapped_column(String(100), default="")  # gg
    unit: Mapped[str] = mapped_column(String(20), default="")  # dw
    price: Mapped[Decimal] = mapped_column(ScaledDecimal(4))  # dj
    quantity: Mapped[Decimal] = mapped_column(ScaledDecimal(4))  # sl
    amount: Mapped[Decimal] = mapped_column(ScaledDecimal(2))  # je
    fee_time: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # fyrq


INPATIENTS = InpatientRow.__table__
FEES = FeeRow.__table__


class SqlInpatientSource:
    """InpatientSource over the tables above."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def inpatient(self, number: str) -> Inpatient | None:
        with self.db.read() as connection:
            row = connection.execute(select(INPATIENTS).where(INPATIENTS.c.number == number)).first()
            if row is None:
                return None
            fees = connection.execute(select(FEES).where(FEES.c.number == number).order_by(FEES.c.line_number)).all()
        return Inpatient(
            number=row.number, card=row.card, member_id=row.member_id, name=row.name,
            admitted_at=row.admitted_at, department=row.department, diagnosis=row.diagnosis,
            diagnosis_name=row.diagnosis_name, status=row.status,
            fees=tuple(FeeLine(f.line_number, f.item_type, f.item_code, f.item_name, f.price, f.quantity,
                               f.amount, f.specification, f.unit, f.fee_time) for f in fees))


def store(db: Database, inpatients: Iterable[Inpatient]) -> int:
    """Add or replace in-patients (with all their fee lines), in one transaction."""
    count = 0
    with db.write() as connection:
        for patient in inpatients:
            connection.execute(delete(FEES).where(FEES.c.number == patient.number))
            connection.execute(delete(INPATIENTS).where(INPATIENTS.c.number == patient.number))
            connection.execute(insert(INPATIENTS).values(
                number=patient.number, card=patient.card, member_id=patient.member_id, name=patient.name,
                admitted_at=patient.admitted_at, department=patient.department, diagnosis=patient.diagnosis,
                diagnosis_name=patient.diagnosis_name, status=patient.status))
            if patient.fees:
                connection.execute(insert(FEES), [
                    {"number": patient.number, "line_number": f.line_number, "item_type": f.item_type,
                     "item_code": f.item_code, "item_name": f.item_name, "specification": f.specification,
                     "unit": f.unit, "price": f.price, "quantity": f.quantity, "amount": f.amount,
                     "fee_time": f.fee_time} for f in patient.fees])
            count += 1
    return count


class BadRecord(ValueError):
    pass


def _time(text: str | None, where: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadRecord(f"{where}: not a time (yyyy-MM-dd HH:mm:ss): {text!r}") from None
    return value if value.tzinfo else value.replace(tzinfo=BEIJING)


def _decimal(value: object, where: str) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise BadRecord(f"{where}: not a number: {value!r}") from None


def parse(records: list[dict]) -> list[Inpatient]:
    """In-patients from JSON records (contract column names); BadRecord says where."""
    patients = []
    for index, record in enumerate(records):
        where = f"record {index + 1}"
        missing = [k for k in ("zybh", "chzh", "grbm", "xm", "ryrq", "ryzd") if not record.get(k)]
        if missing:
            raise BadRecord(f"{where}: missing {', '.join(missing)}")
        if record.get("zyzt", IN_HOSPITAL) not in (IN_HOSPITAL, DISCHARGED):
            raise BadRecord(f"{where}: zyzt must be 1 (在院) or 2 (已出院)")
        fees = []
        for n, fee in enumerate(record.get("fees", [])):
            at = f"{where} fee {n + 1}"
            fees.append(FeeLine(
                int(fee.get("mxxh", n + 1)), str(fee.get("xmlb", "1")), str(fee["yyxmbm"]), str(fee["xmmc"]),
                _decimal(fee["dj"], f"{at} dj"), _decimal(fee["sl"], f"{at} sl"), _decimal(fee["je"], f"{at} je"),
                str(fee.get("gg", "")), str(fee.get("dw", "")), _time(fee.get("fyrq"), f"{at} fyrq")))
        patients.append(Inpatient(
            number=str(record["zybh"]), card=str(record["chzh"]), member_id=str(record["grbm"]),
            name=str(record["xm"]), admitted_at=_time(record["ryrq"], f"{where} ryrq"),
            department=str(record.get("ryks", "")), diagnosis=str(record["ryzd"]),
            diagnosis_name=str(record.get("ryzdmc", "")), status=str(record.get("zyzt", IN_HOSPITAL)),
            fees=tuple(fees)))
    return patients


def load_file(db: Database, path: Path) -> int:
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRecord(f"{path}: {exc}") from None
    if not isinstance(records, list):
        raise BadRecord(f"{path}: expected a JSON list of in-patients")
    return store(db, parse(records))
