"""Queries on the catalog's tables. Functions take a session (or a raw connection for
the per-bill hot path) and never commit."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from runtime.db import RawConnection

from .mapping import NONE, Candidate
from .models import HospitalItem, HospitalItemEvent, NcmsItem

CHUNK = 500  # parameters per IN list


def chunks(values: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


# --- the NCMS catalog ----------------------------------------------------------------------

def current_ncms_items(session: Session, kind: str, codes: Iterable[str]) -> dict[str, NcmsItem]:
    found: dict[str, NcmsItem] = {}
    for part in chunks(sorted(set(codes))):
        for item in session.scalars(select(NcmsItem).where(
                NcmsItem.kind == kind, NcmsItem.code.in_(part), NcmsItem.valid_to.is_(None))):
            found[item.code] = item
    return found


def _candidate(item: NcmsItem) -> Candidate:
    return Candidate(item.code, item.kind, item.norm_name, item.norm_specification, item.norm_unit,
                     item.norm_approval)


def candidates(session: Session, kind: str, codes: set[str], approvals: set[str],
               names: set[str]) -> tuple[dict, dict, dict]:
    """Current NCMS items of ``kind`` by code, by normalised approval number and name."""
    by_code = {code: _candidate(item) for code, item in current_ncms_items(session, kind, codes).items()}
    by_approval: dict[str, list[Candidate]] = {}
    for part in chunks(sorted(approvals)):
        for item in session.scalars(select(NcmsItem).where(
                NcmsItem.kind == kind, NcmsItem.norm_approval.in_(part), NcmsItem.valid_to.is_(None))):
            by_approval.setdefault(item.norm_approval, []).append(_candidate(item))
    by_name: dict[str, list[Candidate]] = {}
    for part in chunks(sorted(names)):
        for item in session.scalars(select(NcmsItem).where(
                NcmsItem.kind == kind, NcmsItem.norm_name.in_(part), NcmsItem.valid_to.is_(None))):
            by_name.setdefault(item.norm_name, []).append(_candidate(item))
    return by_code, by_approval, by_name


def ncms_versions(session: Session, kind: str, code: str) -> Sequence[NcmsItem]:
    return session.scalars(select(NcmsItem).where(NcmsItem.kind == kind, NcmsItem.code == code)
                           .order_by(NcmsItem.valid_from, NcmsItem.id)).all()


def ncms_as_of(versions: Sequence[NcmsItem], moment: datetime) -> NcmsItem | None:
    for version in versions:
        if version.valid_from <= moment and (version.valid_to is None or moment < version.valid_to):
            return version
    return None


def search_ncms(session: Session, kind: str | None, query: str, limit: int) -> Sequence[NcmsItem]:
    condition = [NcmsItem.valid_to.is_(None)]
    if kind:
        condition.append(NcmsItem.kind == kind)
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        condition.append(or_(NcmsItem.code == query, NcmsItem.name.like(pattern, escape="\\")))
    return session.scalars(select(NcmsItem).where(*condition).order_by(NcmsItem.code).limit(limit)).all()


# --- hospital items ----------------------------------------------------------------------------

def hospital_items(session: Session, hospital_code: str, kind: str,
                   codes: Iterable[str]) -> dict[str, HospitalItem]:
    found: dict[str, HospitalItem] = {}
    for part in chunks(sorted(set(codes))):
        for item in session.scalars(select(HospitalItem).where(
                HospitalItem.hospital_code == hospital_code, HospitalItem.kind == kind,
                HospitalItem.code.in_(part))):
            found[item.code] = item
    return found


def hospital_item(session: Session, hospital_code: str, kind: str, code: str) -> HospitalItem | None:
    return session.scalars(select(HospitalItem).where(
        HospitalItem.hospital_code == hospital_code, HospitalItem.kind == kind,
        HospitalItem.code == code)).first()


def item_events(session: Session, item_id: int) -> Sequence[HospitalItemEvent]:
    return session.scalars(select(HospitalItemEvent).where(HospitalItemEvent.hospital_item_id == item_id)
                           .order_by(HospitalItemEvent.id)).all()


def unmapped(session: Session, hospital_code: str | None, kind: str | None, *,
             after_id: int = 0, limit: int | None = None) -> Sequence[HospitalItem]:
    condition = [HospitalItem.mapping_source == NONE, HospitalItem.deleted.is_(False),
                 HospitalItem.id > after_id]
    if hospital_code:
        condition.append(HospitalItem.hospital_code == hospital_code)
    if kind:
        condition.append(HospitalItem.kind == kind)
    query = select(HospitalItem).where(*condition).order_by(HospitalItem.id)
    return session.scalars(query.limit(limit) if limit else query).all()


def count_unmapped(session: Session, hospital_code: str, kind: str | None) -> int:
    condition = [HospitalItem.mapping_source == NONE, HospitalItem.deleted.is_(False),
                 HospitalItem.hospital_code == hospital_code]
    if kind:
        condition.append(HospitalItem.kind == kind)
    return session.execute(select(func.count()).select_from(HospitalItem).where(and_(*condition))).scalar_one()


# --- resolving a bill (the hot path: raw connection) ---------------------------------------------

@dataclass(frozen=True)
class ResolvedRow:
    kind: str
    code: str
    deleted: bool
    hospital_price: Decimal | None
    ncms_code: str | None
    mapping_source: str
    ncms_version_id: int | None
    ncms_name: str | None
    charge_class: str | None
    self_pay_ratio: Decimal | None
    price_limit: Decimal | None


_RESOLVE_SQL = """
SELECT hi.kind, hi.code, hi.deleted, hi.price, hi.ncms_code, hi.mapping_source,
       n.id, n.name, n.charge_class, n.self_pay_ratio, n.price_limit
FROM hospital_items hi
LEFT OUTER JOIN ncms_items n
  ON n.kind = hi.kind AND n.code = hi.ncms_code AND n.valid_to IS NULL
WHERE hi.hospital_code = :hospital AND hi.kind = :kind AND hi.code IN ({codes})
"""


def resolve(connection: RawConnection, hospital_code: str, kind: str,
            codes: Sequence[str]) -> dict[str, ResolvedRow]:
    found: dict[str, ResolvedRow] = {}
    for part in chunks(sorted(set(codes))):
        names = [f"c{i}" for i in range(len(part))]
        sql = _RESOLVE_SQL.format(codes=", ".join(f":{n}" for n in names))
        parameters = {"hospital": hospital_code, "kind": kind, **dict(zip(names, part, strict=True))}
        for row in connection.execute(sql, parameters).fetchall():
            found[row[1]] = ResolvedRow(
                kind=row[0], code=row[1], deleted=bool(row[2]),
                hospital_price=connection.decimal_value(row[3], 4), ncms_code=row[4],
                mapping_source=row[5], ncms_version_id=row[6], ncms_name=row[7],
                charge_class=row[8], self_pay_ratio=connection.decimal_value(row[9], 4),
                price_limit=connection.decimal_value(row[10], 4))
    return found

