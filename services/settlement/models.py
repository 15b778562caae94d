"""Settlement tables: admissions, settlements with their lines, the policies they
used, and each member's totals per year (the row that serialises a member's
settlements)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from runtime.clock import utcnow
from runtime.db import ScaledDecimal, UTCDateTime, declarative_base
from runtime.projection import cursor_table

Base = declarative_base()
_ID = BigInteger().with_variant(Integer, "sqlite")

OUTPATIENT = "outpatient"
INPATIENT = "inpatient"


class PolicyVersion(Base):
    """A policy as it was used, content and all, so settlements stay explainable."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("year", "digest"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)  # JSON (decimals as strings)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportedPolicy(Base):
    """A year's policy as the centre imported it (`ncms policy import`): checked, with
    who imported it, when, and from which day (Beijing time) it is in force. The newest
    version whose day has come is the year's policy; earlier versions are kept."""

    __tablename__ = "policies"
    __table_args__ = (Index("ix_policies_year", "year", "effective_from"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[date] = mapped_column(Date)
    digest: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(200))  # the file's name as given
    text: Mapped[str] = mapped_column(Text)  # the file as imported, comments and all
    content: Mapped[str] = mapped_column(Text)  # the checked policy, JSON (decimals as strings)
    note: Mapped[str] = mapped_column(String(500), default="")
    imported_by: Mapped[str] = mapped_column(String(120))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Admission(Base):
    """An inpatient admission (zydjjk); zybh is unique within the hospital."""

    __tablename__ = "admissions"
    __table_args__ = (UniqueConstraint("hospital_code", "number"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    hospital_code: Mapped[str] = mapped_column(String(32))
    number: Mapped[str] = mapped_column(String(50))  # zybh
    card: Mapped[str] = mapped_column(String(30))
    member_id: Mapped[str] = mapped_column(String(30), index=True)
    name: Mapped[str] = mapped_column(String(50))
    admitted_at: Mapped[datetime] = mapped_column(UTCDateTime)  # ryrq
    department: Mapped[str] = mapped_column(String(100), default="")
    diagnosis: Mapped[str] = mapped_column(String(20))
    diagnosis_name: Mapped[str] = mapped_column(String(200), default="")
    doctor: Mapped[str] = mapped_column(String(50), default="")
    referral: Mapped[bool] = mapped_column(Boolean, default=False)  # zzbz
    referral_number: Mapped[str] = mapped_column(String(50), default="")
    request_digest: Mapped[str] = mapped_column(String(64))
    registered_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Settlement(Base):
    """One settlement of an outpatient visit or an inpatient stay."""

    __tablename__ = "settlements"
    __table_args__ = (
        # One settlement in force per hospital and number; after a refund it may be settled again.
        Index("uq_settlements_in_force", "hospital_code", "kind", "number", unique=True,
              sqlite_where=text("refunded_at IS NULL"), postgresql_where=text("refunded_at IS NULL")),
        Index("ix_settlements_number", "hospital_code", "kind", "number"),
        Index("ix_settlements_member_year", "member_id", "year"),
        Index("ix_settlements_hospital_time", "hospital_code", "settled_at"),
        # A day's refunds (reconciliation) and a period's settlements (supervision).
        Index("ix_settlements_hospital_refund", "hospital_code", "refunded_at"),
        Index("ix_settlements_time", "settled_at"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    settlement_number: Mapped[str] = mapped_column(String(32), unique=True)  # jsbh
    hospital_code: Mapped[str] = mapped_column(String(32))
    hospital_level: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(12))  # outpatient, inpatient
    number: Mapped[str] = mapped_column(String(50))  # mzbh / zybh
    admission_id: Mapped[int | None] = mapped_column(ForeignKey("admissions.id"), nullable=True)
    card: Mapped[str] = mapped_column(String(30))
    member_id: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(50))
    year: Mapped[int] = mapped_column(Integer)
    # The member's category that year (calculation.ORDINARY, FIVE_GUARANTEES, ...).
    category: Mapped[str] = mapped_column(String(16))
    visit_at: Mapped[datetime] = mapped_column(UTCDateTime)  # jzrq, or ryrq
    discharged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # cyrq
    department: Mapped[str] = mapped_column(String(100), default="")
    doctor: Mapped[str] = mapped_column(String(50), default="")
    diagnosis: Mapped[str] = mapped_column(String(20))
    diagnosis_name: Mapped[str] = mapped_column(String(200), default="")
    referral: Mapped[bool] = mapped_column(Boolean, default=False)
    total: Mapped[Decimal] = mapped_column(ScaledDecimal(2))  # zfy
    self_pay: Mapped[Decimal] = mapped_column(ScaledDecimal(2))  # zfje
    class_self_pay: Mapped[Decimal] = mapped_column(ScaledDecimal(2))  # flzf
    eligible: Mapped[Decimal] = mapped_column(ScaledDecimal(2))  # kbfy
    deductible: Mapped[Decimal] = mapped_column(ScaledDecimal(2))  # qfx
    compensation: Mapped[Decimal] = mapped_column(ScaledDecimal(2))  # bcje
    personal: Mapped[Decimal] = mapped_column(ScaledDecimal(2))  # grzf
    year_total_before: Mapped[Decimal] = mapped_column(ScaledDecimal(2))
    year_total_after: Mapped[Decimal] = mapped_column(ScaledDecimal(2))  # mzbclj / zybclj
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("policy_versions.id"))
    explanation: Mapped[str] = mapped_column(Text, default="")  # bz
    request_digest: Mapped[str] = mapped_column(String(64))
    settled_by: Mapped[str] = mapped_column(String(120), default="")
    settled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # jssj
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refunded_by: Mapped[str] = mapped_column(String(120), default="")


class SettlementLine(Base):
    """A bill line with the catalog facts it was settled with and its split."""

    __tablename__ = "settlement_lines"
    __table_args__ = (Index("ix_settlement_lines_settlement", "settlement_id", "position"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id"))
    position: Mapped[int] = mapped_column(Integer)
    line_number: Mapped[int] = mapped_column(Integer)  # mxxh
    item_kind: Mapped[str] = mapped_column(String(8))  # drug, service (xmlb 1, 2)
    item_code: Mapped[str] = mapped_column(String(50))  # yyxmbm
    item_name: Mapped[str] = mapped_column(String(200))
    specification: Mapped[str] = mapped_column(String(100), default="")
    unit: Mapped[str] = mapped_column(String(20), default="")
    price: Mapped[Decimal] = mapped_column(ScaledDecimal(4))  # dj
    quantity: Mapped[Decimal] = mapped_column(ScaledDecimal(4))  # sl
    amount: Mapped[Decimal] = mapped_column(ScaledDecimal(2))  # je
    fee_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # fyrq
    ncms_code: Mapped[str] = mapped_column(String(50), default="")
    ncms_version_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    charge_class: Mapped[str] = mapped_column(String(1))  # A, B, C
    self_pay_ratio: Mapped[Decimal] = mapped_column(ScaledDecimal(4))
    price_limit: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4), nullable=True)
    over_limit: Mapped[Decimal] = mapped_column(ScaledDecimal(2))  # cxj
    self_pay: Mapped[Decimal] = mapped_column(ScaledDecimal(2))  # zfje
    class_self_pay: Mapped[Decimal] = mapped_column(ScaledDecimal(2))  # flzf
    eligible: Mapped[Decimal] = mapped_column(ScaledDecimal(2))  # kbfy


class MemberYear(Base):
    """A member's totals of a year, per kind. Settling or refunding locks this row, so a
    member's settlements are serialised and never exceed a yearly cap together."""

    __tablename__ = "member_years"
    __table_args__ = (UniqueConstraint("member_id", "year"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    member_id: Mapped[str] = mapped_column(String(30))
    year: Mapped[int] = mapped_column(Integer)
    outpatient_total: Mapped[Decimal] = mapped_column(ScaledDecimal(2), default=Decimal("0.00"))
    inpatient_total: Mapped[Decimal] = mapped_column(ScaledDecimal(2), default=Decimal("0.00"))
    outpatient_count: Mapped[int] = mapped_column(Integer, default=0)
    inpatient_count: Mapped[int] = mapped_column(Integer, default=0)


class Reconciliation(Base):
    """One dzjk: what a hospital sent for a day, compared with the NCMS's records.

    Kept so that the centre sees each hospital's latest reconciliations (ncms
    reconcile); a reconciliation never changes a settlement.
    """

    __tablename__ = "reconciliations"
    __table_args__ = (Index("ix_reconciliations_hospital_day", "hospital_code", "day"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    hospital_code: Mapped[str] = mapped_column(String(32))
    day: Mapped[date] = mapped_column(Date)  # dzrq, Beijing
    reconciled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    requested_by: Mapped[str] = mapped_column(String(120), default="")
    hospital_count: Mapped[int] = mapped_column(Integer)  # yybs
    ncms_count: Mapped[int] = mapped_column(Integer)  # nhbs
    hospital_total: Mapped[Decimal] = mapped_column(ScaledDecimal(2))  # yybcje
    ncms_total: Mapped[Decimal] = mapped_column(ScaledDecimal(2))  # nhbcje
    agreed: Mapped[bool] = mapped_column(Boolean)  # jg
    differences: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of reconciliation.Difference


# --- projections: settlement's own copies of the owners' facts (runtime.projection) --------

class ProjectedNcmsItem(Base):
    """The current version of an NCMS catalog item, as the catalog's feed said."""

    __tablename__ = "projected_ncms_items"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # drug, service
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    version_id: Mapped[int] = mapped_column(BigInteger)
    charge_class: Mapped[str] = mapped_column(String(1))  # A, B, C
    self_pay_ratio: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4), nullable=True)
    price_limit: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4), nullable=True)
    generation: Mapped[int] = mapped_column(Integer)


class ProjectedHospitalItem(Base):
    """A hospital item and its mapping, as the catalog's feed said."""

    __tablename__ = "projected_hospital_items"

    hospital_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    deleted: Mapped[bool] = mapped_column(Boolean)
    ncms_code: Mapped[str] = mapped_column(String(50))  # "": unmapped
    generation: Mapped[int] = mapped_column(Integer)


class ProjectedMember(Base):
    """Who a member is (card, name), as enrolment's feed said."""

    __tablename__ = "projected_members"

    member_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    card: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(50))
    generation: Mapped[int] = mapped_column(Integer)


class ProjectedEnrollment(Base):
    """A member's enrolment in a year, as enrolment's feed said."""

    __tablename__ = "projected_enrollments"

    member_id: Mapped[str] = mapped_column(String(30), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean)  # enrolled and not stopped
    category: Mapped[str] = mapped_column(String(16))  # calculation.ORDINARY, ...
    generation: Mapped[int] = mapped_column(Integer)


PROJECTION_CURSORS = cursor_table(Base.metadata)
