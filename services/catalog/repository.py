"""Queries on the catalog's tables, as SQLAlchemy Core statements on a connection that
the caller's transaction owns (``Database.read()`` / ``write()``); nothing here
commits. Rows come back as ``Row`` objects."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, Row, and_, bindparam, func, insert, or_, select, update

from .mapping import NONE, Candidate
from .models import HospitalItem, HospitalItemEvent, NcmsItem

CHUNK = 500  # parameters per IN list
NCMS_ITEMS = NcmsItem.__table__
HOSPITAL_ITEMS = HospitalItem.__table__
ITEM_EVENTS = HospitalItemEvent.__table__


def chunks(values: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


# --- the NCMS catalog ----------------------------------------------------------------------

def current_ncms_items(connection: Connection, kind: str, codes: Iterable[str]) -> dict[str, Row]:
    found: dict[str, Row] = {}
    for part in chunks(sorted(set(codes))):
        for item in connection.execute(select(NCMS_ITEMS).where(
                NCMS_ITEMS.c.kind == kind, NCMS_ITEMS.c.code.in_(part), NCMS_ITEMS.c.valid_to.is_(None))):
            found[item.code] = item
    return found


def _candidate(item: Row) -> Candidate:
    return Candidate(item.code, item.kind, item.norm_name, item.norm_specification, item.norm_unit,
                     item.norm_approval)


def candidates(connection: Connection, kind: str, codes: set[str], approvals: set[str],
               names: set[str]) -> tuple[dict, dict, dict]:
    """Current NCMS items of ``kind`` by code, by normalised approval number and name."""
    by_code = {code: _candidate(item) for code, item in current_ncms_items(connection, kind, codes).items()}
    by_approval: dict[str, list[Candidate]] = {}
    for part in chunks(sorted(approvals)):
        for item in connection.execute(select(NCMS_ITEMS).where(
                NCMS_ITEMS.c.kind == kind, NCMS_ITEMS.c.norm_approval.in_(part), NCMS_ITEMS.c.valid_to.is_(None))):
            by_approval.setdefault(item.norm_approval, []).append(_candidate(item))
    by_name: dict[str, list[Candidate]] = {}
    for part in chunks(sorted(names)):
        for item in connection.execute(select(NCMS_ITEMS).where(
                NCMS_ITEMS.c.kind == kind, NCMS_ITEMS.c.norm_name.in_(part), NCMS_ITEMS.c.valid_to.is_(None))):
            by_name.setdefault(item.norm_name, []).append(_candidate(item))
    return by_code, by_approval, by_name


def close_versions(connection: Connection, closing: list[dict]) -> None:
    """End versions: [{"version_id": id, "valid_to": time}, ...]."""
    connection.execute(update(NCMS_ITEMS).where(NCMS_ITEMS.c.id == bindparam("version_id"))
                       .values(valid_to=bindparam("valid_to")), closing)


def add_versions(connection: Connection, versions: list[dict]) -> list[Row]:
    """Insert new current versions; returns them as rows."""
    added: list[Row] = []
    for part in chunks(versions, 1000):
        ids = connection.execute(insert(NCMS_ITEMS).returning(NCMS_ITEMS.c.id), list(part)).scalars().all()
        added += connection.execute(select(NCMS_ITEMS).where(NCMS_ITEMS.c.id.in_(ids))).all()
    return added


def ncms_versions(connection: Connection, kind: str, code: str) -> Sequence[Row]:
    return connection.execute(select(NCMS_ITEMS).where(NCMS_ITEMS.c.kind == kind, NCMS_ITEMS.c.code == code)
                              .order_by(NCMS_ITEMS.c.valid_from, NCMS_ITEMS.c.id)).all()


def ncms_as_of(versions: Sequence[Row], moment: datetime) -> Row | None:
    for version in versions:
        if version.valid_from <= moment and (version.valid_to is None or moment < version.valid_to):
            return version
    return None


def search_ncms(connection: Connection, kind: str | None, query: str, limit: int) -> Sequence[Row]:
    condition = [NCMS_ITEMS.c.valid_to.is_(None)]
    if kind:
        condition.append(NCMS_ITEMS.c.kind == kind)
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        condition.append(or_(NCMS_ITEMS.c.code == query, NCMS_ITEMS.c.name.like(pattern, escape="\\"),
                             NCMS_ITEMS.c.specification.like(pattern, escape="\\"),
                             NCMS_ITEMS.c.approval_number.like(pattern, escape="\\")))
    return connection.execute(select(NCMS_ITEMS).where(*condition).order_by(NCMS_ITEMS.c.code).limit(limit)).all()


def current_ncms_page(connection: Connection, after_id: int, limit: int) -> Sequence[Row]:
    """Current NCMS items by id, for listing the catalog's state."""
    return connection.execute(select(NCMS_ITEMS).where(NCMS_ITEMS.c.valid_to.is_(None), NCMS_ITEMS.c.id > after_id)
                              .order_by(NCMS_ITEMS.c.id).limit(limit)).all()


# --- hospital items ----------------------------------------------------------------------------

def hospital_items(connection: Connection, hospital_code: str, kind: str, codes: Iterable[str]) -> dict[str, Row]:
    found: dict[str, Row] = {}
    for part in chunks(sorted(set(codes))):
        for item in connection.execute(select(HOSPITAL_ITEMS).where(
                HOSPITAL_ITEMS.c.hospital_code == hospital_code, HOSPITAL_ITEMS.c.kind == kind,
                HOSPITAL_ITEMS.c.code.in_(part))):
            found[item.code] = item
    return found


def hospital_item(connection: Connection, hospital_code: str, kind: str, code: str) -> Row | None:
    return connection.execute(select(HOSPITAL_ITEMS).where(
        HOSPITAL_ITEMS.c.hospital_code == hospital_code, HOSPITAL_ITEMS.c.kind == kind,
        HOSPITAL_ITEMS.c.code == code)).first()


def hospital_items_by_id(connection: Connection, ids: Iterable[int]) -> list[Row]:
    found: list[Row] = []
    for part in chunks(sorted(set(ids))):
        found += connection.execute(select(HOSPITAL_ITEMS).where(HOSPITAL_ITEMS.c.id.in_(part))).all()
    return found


def add_hospital_items(connection: Connection, items: list[dict]) -> dict[str, int]:
    """Insert items (of one hospital and kind); their ids by code."""
    rows = connection.execute(insert(HOSPITAL_ITEMS).returning(HOSPITAL_ITEMS.c.id, HOSPITAL_ITEMS.c.code),
                              items).all()
    return {row.code: row.id for row in rows}


def update_hospital_items(connection: Connection, updates: list[dict]) -> None:
    """Change items: [{"item_id": id, column: value, ...}, ...] (the same columns in each)."""
    connection.execute(update(HOSPITAL_ITEMS).where(HOSPITAL_ITEMS.c.id == bindparam("item_id")), updates)


def add_item_events(connection: Connection, events: list[dict]) -> None:
    if events:
        connection.execute(insert(ITEM_EVENTS), events)


def item_events(connection: Connection, item_id: int) -> Sequence[Row]:
    return connection.execute(select(ITEM_EVENTS).where(ITEM_EVENTS.c.hospital_item_id == item_id)
                              .order_by(ITEM_EVENTS.c.id)).all()


def unmapped(connection: Connection, hospital_code: str | None, kind: str | None, *,
             after_id: int = 0, limit: int | None = None) -> Sequence[Row]:
    condition = [HOSPITAL_ITEMS.c.mapping_source == NONE, HOSPITAL_ITEMS.c.deleted.is_(False),
                 HOSPITAL_ITEMS.c.id > after_id]
    if hospital_code:
        condition.append(HOSPITAL_ITEMS.c.hospital_code == hospital_code)
    if kind:
        condition.append(HOSPITAL_ITEMS.c.kind == kind)
    query = select(HOSPITAL_ITEMS).where(*condition).order_by(HOSPITAL_ITEMS.c.id)
    return connection.execute(query.limit(limit) if limit else query).all()


def count_unmapped(connection: Connection, hospital_code: str, kind: str | None) -> int:
    condition = [HOSPITAL_ITEMS.c.mapping_source == NONE, HOSPITAL_ITEMS.c.deleted.is_(False),
                 HOSPITAL_ITEMS.c.hospital_code == hospital_code]
    if kind:
        condition.append(HOSPITAL_ITEMS.c.kind == kind)
    return connection.execute(select(func.count()).select_from(HOSPITAL_ITEMS).where(and_(*condition))).scalar_one()


def hospital_items_page(connection: Connection, after_id: int, limit: int) -> Sequence[Row]:
    """Hospital items by id, for listing the catalog's state."""
    return connection.execute(select(HOSPITAL_ITEMS).where(HOSPITAL_ITEMS.c.id > after_id)
                              .order_by(HOSPITAL_ITEMS.c.id).limit(limit)).all()


def mapped_to(connection: Connection, kind: str, ncms_codes: Iterable[str]) -> list[Row]:
    """Hospital items mapped to these NCMS codes."""
    found: list[Row] = []
    for part in chunks(sorted(set(ncms_codes))):
        found += connection.execute(select(HOSPITAL_ITEMS).where(
            HOSPITAL_ITEMS.c.kind == kind, HOSPITAL_ITEMS.c.ncms_code.in_(part))).all()
    return found


# --- resolving a bill ---------------------------------------------------------------------------

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


_RESOLVE = (
    select(HOSPITAL_ITEMS.c.kind, HOSPITAL_ITEMS.c.code, HOSPITAL_ITEMS.c.deleted, HOSPITAL_ITEMS.c.price,
           HOSPITAL_ITEMS.c.ncms_code, HOSPITAL_ITEMS.c.mapping_source, NCMS_ITEMS.c.id.label("version_id"),
           NCMS_ITEMS.c.name, NCMS_ITEMS.c.charge_class, NCMS_ITEMS.c.self_pay_ratio, NCMS_ITEMS.c.price_limit)
    .select_from(HOSPITAL_ITEMS.outerjoin(NCMS_ITEMS, and_(
        NCMS_ITEMS.c.kind == HOSPITAL_ITEMS.c.kind, NCMS_ITEMS.c.code == HOSPITAL_ITEMS.c.ncms_code,
        NCMS_ITEMS.c.valid_to.is_(None))))
    .where(HOSPITAL_ITEMS.c.hospital_code == bindparam("hospital"), HOSPITAL_ITEMS.c.kind == bindparam("kind"),
           HOSPITAL_ITEMS.c.code.in_(bindparam("codes", expanding=True))))


def resolve(connection: Connection, hospital_code: str, kind: str, codes: Sequence[str]) -> dict[str, ResolvedRow]:
    found: dict[str, ResolvedRow] = {}
    for part in chunks(sorted(set(codes))):
        for row in connection.execute(_RESOLVE, {"hospital": hospital_code, "kind": kind, "codes": list(part)}):
            found[row.code] = ResolvedRow(
                kind=row.kind, code=row.code, deleted=bool(row.deleted), hospital_price=row.price,
                ncms_code=row.ncms_code, mapping_source=row.mapping_source, ncms_version_id=row.version_id,
                ncms_name=row.name, charge_class=row.charge_class, self_pay_ratio=row.self_pay_ratio,
                price_limit=row.price_limit)
    return found


# --- the mapping work queue (the centre's web console) ---------------------------------------

_QUEUE_ORDER = {"updated": (HOSPITAL_ITEMS.c.updated_at,), "hospital": (HOSPITAL_ITEMS.c.hospital_code,),
                "code": (HOSPITAL_ITEMS.c.code,), "name": (HOSPITAL_ITEMS.c.name,)}
QUEUE_ORDERS = frozenset(_QUEUE_ORDER)


def mapping_queue(connection: Connection, *, hospital_code: str, kind: str | None, query: str,
                  changed_only: bool, order_by: str, descending: bool, offset: int,
                  limit: int) -> tuple[list[tuple[Row, bool]], int]:
    """Unmapped items (not deleted) across hospitals, each with whether it was changed
    since first uploaded; and how many there are in all."""
    changed = (select(ITEM_EVENTS.c.id).where(ITEM_EVENTS.c.hospital_item_id == HOSPITAL_ITEMS.c.id,
                                              ITEM_EVENTS.c.event == "modify").exists())
    condition = [HOSPITAL_ITEMS.c.mapping_source == NONE, HOSPITAL_ITEMS.c.deleted.is_(False)]
    if hospital_code:
        condition.append(HOSPITAL_ITEMS.c.hospital_code == hospital_code)
    if kind:
        condition.append(HOSPITAL_ITEMS.c.kind == kind)
    if query:
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        condition.append(or_(*(column.like(pattern, escape="\\") for column in (
            HOSPITAL_ITEMS.c.code, HOSPITAL_ITEMS.c.name, HOSPITAL_ITEMS.c.generic_name))))
    if changed_only:
        condition.append(changed)
    columns = [column.desc() if descending else column for column in _QUEUE_ORDER[order_by]]
    rows = connection.execute(select(HOSPITAL_ITEMS, changed.label("changed")).where(*condition)
                              .order_by(*columns, HOSPITAL_ITEMS.c.id).offset(offset).limit(limit)).all()
    total = connection.execute(select(func.count()).select_from(HOSPITAL_ITEMS).where(*condition)).scalar_one()
    return [(row, bool(row.changed)) for row in rows], total
