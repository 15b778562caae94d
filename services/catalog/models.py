"""Catalog tables: the NCMS catalog (versioned), hospital items, their history."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from runtime.change_feed import outbox_tables
from runtime.clock import utcnow
from runtime.db import ScaledDecimal, UTCDateTime, declarative_base

Base = declarative_base()

DRUG = "drug"
SERVICE = "service"

_ID = BigInteger().with_variant(Integer, "sqlite")


class NcmsItem(Base):
    """One version of an NCMS catalog item. The current version has no valid_to;
    an import that changes an item closes its version and adds a new one, so that a
    settlement can be explained with the catalog as it was."""

    __tablename__ = "ncms_items"
    __table_args__ = (
        Index("uq_ncms_items_current", "kind", "code", unique=True,
              sqlite_where=text("valid_to IS NULL"), postgresql_where=text("valid_to IS NULL")),
        Index("ix_ncms_items_approval", "kind", "norm_approval"),
        Index("ix_ncms_items_name", "kind", "norm_name"),
        Index("ix_ncms_items_code_versions", "kind", "code", "valid_from"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200))
    specification: Mapped[str] = mapped_column(String(100), default="")
    dosage_form: Mapped[str] = mapped_column(String(50), default="")
    unit: Mapped[str] = mapped_column(String(20), default="")
    approval_number: Mapped[str] = mapped_column(String(100), default="")
    # "A" 甲, "B" 乙, "C" 丙.
    charge_class: Mapped[str] = mapped_column(String(1))
    # 乙类 self-paid share; None: the policy's default share applies.
    self_pay_ratio: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4), nullable=True)
    price_limit: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4), nullable=True)
    # Normalised forms for the automatic mapping rules (see mapping.py).
    norm_name: Mapped[str] = mapped_column(String(200), default="")
    norm_specification: Mapped[str] = mapped_column(String(100), default="")
    norm_unit: Mapped[str] = mapped_column(String(20), default="")
    norm_approval: Mapped[str] = mapped_column(String(100), default="")
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class HospitalItem(Base):
    """An item of one hospital's catalog, and its current mapping."""

    __tablename__ = "hospital_items"
    __table_args__ = (
        UniqueConstraint("hospital_code", "kind", "code"),
        Index("ix_hospital_items_mapping", "hospital_code", "mapping_source"),
        Index("ix_hospital_items_unmapped", "kind", "mapping_source"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    hospital_code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200), default="")
    generic_name: Mapped[str] = mapped_column(String(200), default="")
    specification: Mapped[str] = mapped_column(String(100), default="")
    dosage_form: Mapped[str] = mapped_column(String(50), default="")
    unit: Mapped[str] = mapped_column(String(20), default="")
    manufacturer: Mapped[str] = mapped_column(String(200), default="")
    approval_number: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(String(500), default="")
    price: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4), nullable=True)
    proposed_ncms_code: Mapped[str] = mapped_column(String(50), default="")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    ncms_code: Mapped[str | None] = mapped_column(String(50), nullable=True)
    # none, proposed, approval_number, name_and_spec, manual (mapping.py).
    mapping_source: Mapped[str] = mapped_column(String(16), default="none")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HospitalItemEvent(Base):
    """Every change of a hospital item or of its mapping, append-only."""

    __tablename__ = "hospital_item_events"
    __table_args__ = (Index("ix_hospital_item_events_item", "hospital_item_id", "id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    hospital_item_id: Mapped[int] = mapped_column(ForeignKey("hospital_items.id"))
    time: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # add, modify, delete, map
    event: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200), default="")
    specification: Mapped[str] = mapped_column(String(100), default="")
    approval_number: Mapped[str] = mapped_column(String(100), default="")
    price: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4), nullable=True)
    proposed_ncms_code: Mapped[str] = mapped_column(String(50), default="")
    ncms_code: Mapped[str | None] = mapped_column(String(50), nullable=True)
    mapping_source: Mapped[str] = mapped_column(String(16), default="none")
    actor: Mapped[str] = mapped_column(String(120), default="")
    # Why an operator mapped the item by hand (MapItem's reason).
    reason: Mapped[str] = mapped_column(String(200), default="", server_default="")


# The change feed (runtime.change_feed): what a bill depends on, for settlement's copy.
FEED_CHANGES, FEED_SEQUENCES = outbox_tables(Base.metadata)
