"""The catalog gRPC servicer: protobuf in and out, one transaction per call.

The mapping rules are in mapping.py, the import file's rules in importing.py.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import Session

from ncms.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from runtime.auth import ROLE_ADMIN, ROLE_INTERNAL, current_principal
from runtime.clock import utcnow
from runtime.db import Database
from runtime.errors import ContractError, FieldViolation, invalid_argument, not_found
from runtime.timestamps import timestamp

from . import importing, mapping, repository
from .models import DRUG, SERVICE, HospitalItem, HospitalItemEvent, NcmsItem

KINDS = {catalog_pb2.ITEM_KIND_DRUG: DRUG, catalog_pb2.ITEM_KIND_SERVICE: SERVICE}
KIND_ENUMS = {v: k for k, v in KINDS.items()}
KIND_LETTERS = {DRUG: "C", SERVICE: "D"}
KIND_TABLES = {DRUG: "ypml", SERVICE: "zlml"}
CLASS_ENUMS = {"A": catalog_pb2.CHARGE_CLASS_A, "B": catalog_pb2.CHARGE_CLASS_B,
               "C": catalog_pb2.CHARGE_CLASS_C}
SOURCE_ENUMS = {mapping.NONE: catalog_pb2.MAPPING_SOURCE_NONE,
                mapping.PROPOSED: catalog_pb2.MAPPING_SOURCE_PROPOSED,
                mapping.APPROVAL_NUMBER: catalog_pb2.MAPPING_SOURCE_APPROVAL_NUMBER,
                mapping.NAME_AND_SPEC: catalog_pb2.MAPPING_SOURCE_NAME_AND_SPEC,
                mapping.MANUAL: catalog_pb2.MAPPING_SOURCE_MANUAL}
_PRICE = re.compile(r"^\d{1,14}(\.\d{1,4})?$")
ITEM_FIELDS = ("name", "generic_name", "specification", "dosage_form", "unit", "manufacturer",
               "approval_number", "description", "price", "proposed_ncms_code")


def kind_of(value: int) -> str:
    if value not in KINDS:
        raise invalid_argument("kind", "ITEM_KIND_DRUG or ITEM_KIND_SERVICE")
    return KINDS[value]


def text(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def facts(kind: str, values: dict) -> mapping.ItemFacts:
    return mapping.ItemFacts(kind, values.get("proposed_ncms_code") or "", values.get("name") or "",
                             values.get("generic_name") or "", values.get("specification") or "",
                             values.get("unit") or "", values.get("approval_number") or "")


@dataclass
class _Row:
    """A change of the call, checked."""

    number: int
    code: str
    delete: bool
    values: dict  # the item's fields (for an upsert)


class CatalogService(catalog_pb2_grpc.CatalogServiceServicer):
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- the hospital's catalog (ypmljk, zlmljk) -------------------------------------------

    def ApplyHospitalCatalog(self, request, context):
        principal = current_principal()
        kind = kind_of(request.kind)
        hospital = principal.hospital_for(request.hospital_code)
        principal.require_letter(KIND_LETTERS[kind])
        rows = self._checked_rows(kind, request.changes)
        actor = f"hospital:{principal.user}" if principal.user else principal.subject
        with self.db.write() as session:
            existing = repository.hospital_items(session, hospital, kind, [r.code for r in rows])
            for row in rows:
                if row.delete and row.code not in existing:
                    table = KIND_TABLES[kind]
                    raise ContractError("E2001", f"表{table} 第{row.number}行 列yyxmbm: 项目不存在, 无法删除",
                                        [FieldViolation(f"{table}[{row.number - 1}].yyxmbm", "项目不存在")])
            return self._apply(session, hospital, kind, rows, existing, actor)

    def _checked_rows(self, kind: str, changes: Iterable[catalog_pb2.HospitalItemChange]) -> list[_Row]:
        table = KIND_TABLES[kind]
        rows: list[_Row] = []
        first_row: dict[str, int] = {}

        def bad(change, column: str, reason: str) -> ContractError:
            return ContractError("E2001", f"表{table} 第{change.row_number}行 列{column}: {reason}",
                                 [FieldViolation(f"{table}[{change.row_number - 1}].{column}", reason)])

        for index, change in enumerate(changes, 1):
            if not change.row_number:
                change.row_number = index
            code = change.code.strip()
            if not code or len(code) > 50:
                raise bad(change, "yyxmbm", "必填, 最长50个字符")
            if code in first_row:
                raise bad(change, "yyxmbm", f"与第{first_row[code]}行重复")
            first_row[code] = change.row_number
            if change.operation == catalog_pb2.CHANGE_OPERATION_DELETE:
                rows.append(_Row(change.row_number, code, True, {}))
                continue
            if change.operation != catalog_pb2.CHANGE_OPERATION_UPSERT:
                raise bad(change, "czlx", "须为 A、M 或 D")
            if not change.name.strip():
                raise bad(change, "xmmc", "必填")
            if not _PRICE.match(change.price.strip()):
                raise bad(change, "dj", "须为不小于0、最多4位小数的金额")
            values = {field: getattr(change, field).strip() for field in ITEM_FIELDS if field != "price"}
            values["price"] = Decimal(change.price.strip()).quantize(Decimal("0.0001"))
            rows.append(_Row(change.row_number, code, False, values))
        if not rows:
            raise ContractError("E2001", f"表{table}: 至少需要1行")
        return rows

    def _apply(self, session: Session, hospital: str, kind: str, rows: list[_Row],
               existing: dict[str, HospitalItem], actor: str) -> catalog_pb2.ApplyHospitalCatalogResponse:
        now = utcnow()
        response = catalog_pb2.ApplyHospitalCatalogResponse()
        to_map: list[tuple[_Row, HospitalItem | None]] = []
        deletes: list[HospitalItem] = []
        for row in rows:
            item = existing.get(row.code)
            if row.delete:
                if item.deleted:
                    response.unchanged += 1  # deleted already: a re-sent call
                else:
                    deletes.append(item)
                continue
            if item is not None and not item.deleted and all(
                    getattr(item, field) == row.values[field] for field in ITEM_FIELDS):
                response.unchanged += 1
                continue
            to_map.append((row, item))

        decisions = self._mappings(session, kind, to_map)
        new_items, updates, events = [], [], []
        for (row, item), decision in zip(to_map, decisions, strict=True):
            values = {**row.values, "ncms_code": decision.ncms_code,
                      "mapping_source": decision.source, "deleted": False, "updated_at": now}
            if item is None:
                new_items.append({"hospital_code": hospital, "kind": kind, "code": row.code,
                                  "created_at": now, **values})
                response.added += 1
            else:
                updates.append({"item_id": item.id, **values})
                events.append(self._event(item.id, "add" if item.deleted else "modify", values, now, actor))
                response.updated += 1
            if decision.ncms_code:
                response.mapped += 1
            else:
                response.unmapped += 1
        for item in deletes:
            updates.append({"item_id": item.id, **{f: getattr(item, f) for f in ITEM_FIELDS},
                            "ncms_code": item.ncms_code, "mapping_source": item.mapping_source,
                            "deleted": True, "updated_at": now})
            events.append(self._event(item.id, "delete", {f: getattr(item, f) for f in ITEM_FIELDS}
                                      | {"ncms_code": item.ncms_code, "mapping_source": item.mapping_source},
                                      now, actor))
            response.deleted += 1
        if new_items:
            ids = session.execute(insert(HospitalItem).returning(HospitalItem.id, HospitalItem.code),
                                  new_items).all()
            by_code = {code: item_id for item_id, code in ids}
            events += [self._event(by_code[values["code"]], "add", values, now, actor) for values in new_items]
        if updates:
            session.execute(update(HospitalItem.__table__).where(
                HospitalItem.__table__.c.id == bindparam("item_id")), updates)
        if events:
            session.execute(insert(HospitalItemEvent), events)
        return response

    def _mappings(self, session: Session, kind: str,
                  to_map: list[tuple[_Row, HospitalItem | None]]) -> list[mapping.Decision]:
        wanted = [facts(kind, row.values) for row, _ in to_map]
        by_code, by_approval, by_name = repository.candidates(session, kind, *mapping.lookup_keys(wanted))
        decisions = []
        for (_row, item), item_facts in zip(to_map, wanted, strict=True):
            if (item is not None and item.mapping_source == mapping.MANUAL and not item.deleted
                    and not mapping.identity_changed(facts(kind, _values(item)), item_facts)):
                decisions.append(mapping.Decision(item.ncms_code, mapping.MANUAL))
            else:
                decisions.append(mapping.decide(item_facts, by_code, by_approval, by_name))
        return decisions

    @staticmethod
    def _event(item_id: int, event: str, values: dict, now: datetime, actor: str) -> dict:
        return {"hospital_item_id": item_id, "time": now, "event": event,
                "name": values.get("name") or "", "specification": values.get("specification") or "",
                "approval_number": values.get("approval_number") or "", "price": values.get("price"),
                "proposed_ncms_code": values.get("proposed_ncms_code") or "",
                "ncms_code": values.get("ncms_code"), "mapping_source": values.get("mapping_source") or "none",
                "actor": actor}

    # --- resolving a bill ------------------------------------------------------------------

    def ResolveItems(self, request, context):
        hospital = current_principal().hospital_for(request.hospital_code)
        wanted: dict[str, list[str]] = {}
        for ref in request.items:
            wanted.setdefault(kind_of(ref.kind), []).append(ref.code)
        with self.db.raw() as connection:
            found = {(kind, code): row for kind, codes in wanted.items()
                     for code, row in repository.resolve(connection, hospital, kind, codes).items()}
        response = catalog_pb2.ResolveItemsResponse()
        for ref in request.items:
            row = found.get((KINDS[ref.kind], ref.code))
            resolved = response.items.add(kind=ref.kind, code=ref.code)
            if row is None or row.deleted:
                resolved.charge_class = catalog_pb2.CHARGE_CLASS_C
                resolved.mapping_source = catalog_pb2.MAPPING_SOURCE_NONE
                resolved.self_pay_ratio = "0"
                continue
            resolved.known = True
            resolved.hospital_price = text(row.hospital_price)
            if row.ncms_version_id is None:  # unmapped, or mapped to a code no longer current
                resolved.charge_class = catalog_pb2.CHARGE_CLASS_C
                resolved.mapping_source = catalog_pb2.MAPPING_SOURCE_NONE
                resolved.self_pay_ratio = "0"
                continue
            resolved.mapped = True
            resolved.ncms_code = row.ncms_code
            resolved.ncms_name = row.ncms_name or ""
            resolved.charge_class = CLASS_ENUMS[row.charge_class]
            resolved.self_pay_ratio = "0" if row.charge_class != "B" else text(row.self_pay_ratio)
            resolved.price_limit = text(row.price_limit)
            resolved.mapping_source = SOURCE_ENUMS.get(row.mapping_source, catalog_pb2.MAPPING_SOURCE_NONE)
            resolved.ncms_version_id = row.ncms_version_id
        return response

    # --- the NCMS catalog --------------------------------------------------------------------

    def ImportNcmsCatalog(self, request_iterator, context):
        principal = current_principal()
        principal.require_role(ROLE_ADMIN)
        kind, skip_bad = None, False
        rows: dict[str, tuple[int, importing.NcmsRow]] = {}
        skipped: list[catalog_pb2.SkippedLine] = []
        errors: list[FieldViolation] = []
        for message in request_iterator:
            if kind is None:
                kind, skip_bad = kind_of(message.kind), message.skip_bad
            for row in message.rows:
                try:
                    parsed = importing.parse_row(row.values)
                    if parsed.code in rows:
                        raise importing.BadRow(f"nhbm {parsed.code} 与第{rows[parsed.code][0]}行重复")
                except importing.BadRow as exc:
                    if skip_bad:
                        skipped.append(catalog_pb2.SkippedLine(line_number=row.line_number, reason=str(exc)))
                        continue
                    errors.append(FieldViolation(f"line {row.line_number}", str(exc)))
                    continue
                rows[parsed.code] = (row.line_number, parsed)
        if kind is None:
            raise invalid_argument("kind", "the first message must name the kind")
        if errors:
            first = errors[0]
            more = f" (另有{len(errors) - 1}行错误)" if len(errors) > 1 else ""
            raise ContractError("E2001", f"第{first.field.split()[1]}行: {first.description}{more}; "
                                         "未导入任何数据", errors[:100])
        response = catalog_pb2.ImportNcmsCatalogResponse(skipped=skipped)
        now = utcnow()
        with self.db.write() as session:
            current = repository.current_ncms_items(session, kind, rows)
            new_versions, closing = [], []
            for code, (_line, row) in rows.items():
                existing = current.get(code)
                if existing is not None and _ncms_content(existing) == row.content():
                    response.unchanged += 1
                    continue
                if existing is None:
                    response.inserted += 1
                else:
                    closing.append({"version_id": existing.id, "valid_to": now})
                    response.updated += 1
                new_versions.append({
                    "kind": kind, "code": code, "name": row.name, "specification": row.specification,
                    "dosage_form": row.dosage_form, "unit": row.unit,
                    "approval_number": row.approval_number, "charge_class": row.charge_class,
                    "self_pay_ratio": row.self_pay_ratio, "price_limit": row.price_limit,
                    "valid_from": now, "valid_to": None, **row.normalised()})
            if closing:
                session.execute(update(NcmsItem.__table__).where(
                    NcmsItem.__table__.c.id == bindparam("version_id")), closing)
            for part in repository.chunks(new_versions, 1000):
                session.execute(insert(NcmsItem), list(part))
            response.newly_mapped = self._map_unmapped(session, kind, f"import:{principal.subject}")
        return response

    def _map_unmapped(self, session: Session, kind: str, actor: str) -> int:
        """Try the automatic rules again on every unmapped item of ``kind``."""
        mapped, after_id, now = 0, 0, utcnow()
        while True:
            batch = repository.unmapped(session, None, kind, after_id=after_id, limit=2000)
            if not batch:
                return mapped
            after_id = batch[-1].id
            wanted = [facts(kind, _values(item)) for item in batch]
            by_code, by_approval, by_name = repository.candidates(session, kind, *mapping.lookup_keys(wanted))
            for item, item_facts in zip(batch, wanted, strict=True):
                decision = mapping.decide(item_facts, by_code, by_approval, by_name)
                if decision.ncms_code:
                    item.ncms_code, item.mapping_source, item.updated_at = decision.ncms_code, decision.source, now
                    session.add(HospitalItemEvent(**self._event(item.id, "map", _values(item) | {
                        "ncms_code": decision.ncms_code, "mapping_source": decision.source}, now, actor)))
                    mapped += 1
            session.flush()

    def SearchNcmsItems(self, request, context):
        current_principal().require_role(ROLE_ADMIN, ROLE_INTERNAL)
        kind = KINDS.get(request.kind)
        limit = min(request.page_size or 50, 500)
        with self.db.read() as session:
            found = repository.search_ncms(session, kind, request.query.strip(), limit)
            return catalog_pb2.SearchNcmsItemsResponse(items=[ncms_message(i) for i in found])

    def GetNcmsItem(self, request, context):
        current_principal()
        kind = kind_of(request.kind)
        moment = request.as_of.ToDatetime().replace(tzinfo=utcnow().tzinfo) if request.HasField("as_of") else utcnow()
        with self.db.read() as session:
            versions = repository.ncms_versions(session, kind, request.code.strip())
            if not versions:
                raise not_found(f"NCMS item {request.code}")
            version = repository.ncms_as_of(versions, moment)
            return catalog_pb2.GetNcmsItemResponse(
                item=ncms_message(version) if version else None,
                versions=[ncms_message(v) for v in versions])

    # --- operators -----------------------------------------------------------------------------

    def ListUnmappedItems(self, request, context):
        principal = current_principal()
        principal.require_role(ROLE_ADMIN, ROLE_INTERNAL)
        hospital = principal.hospital_for(request.hospital_code.strip())
        kind = KINDS.get(request.kind)
        limit = min(request.page_size or 100, 1000)
        after_id = _page(request.page_token)
        with self.db.read() as session:
            items = repository.unmapped(session, hospital, kind, after_id=after_id, limit=limit + 1)
            total = repository.count_unmapped(session, hospital, kind)
        more = len(items) > limit
        items = items[:limit]
        return catalog_pb2.ListUnmappedItemsResponse(
            items=[hospital_message(i) for i in items], total=total,
            next_page_token=_token(items[-1].id) if more and items else "")

    def MapItem(self, request, context):
        principal = current_principal()
        principal.require_role(ROLE_ADMIN)
        kind = kind_of(request.kind)
        hospital = principal.hospital_for(request.hospital_code.strip())
        ncms_code = request.ncms_code.strip()
        with self.db.write() as session:
            item = repository.hospital_item(session, hospital, kind, request.code.strip())
            if item is None or item.deleted:
                raise not_found(f"item {request.code} of hospital {hospital} ({kind})")
            if ncms_code not in repository.current_ncms_items(session, kind, [ncms_code]):
                raise not_found(f"NCMS {kind} item {ncms_code}")
            now = utcnow()
            item.ncms_code, item.mapping_source, item.updated_at = ncms_code, mapping.MANUAL, now
            session.add(HospitalItemEvent(**self._event(item.id, "map", _values(item) | {
                "ncms_code": ncms_code, "mapping_source": mapping.MANUAL}, now, principal.subject)))
            session.flush()
            return catalog_pb2.MapItemResponse(item=hospital_message(item))

    def GetHospitalItem(self, request, context):
        principal = current_principal()
        kind = kind_of(request.kind)
        hospital = principal.hospital_for(request.hospital_code.strip())
        with self.db.read() as session:
            item = repository.hospital_item(session, hospital, kind, request.code.strip())
            if item is None:
                raise not_found(f"item {request.code} of hospital {hospital} ({kind})")
            history = [catalog_pb2.HospitalItemEvent(
                time=timestamp(e.time), event=e.event, name=e.name, specification=e.specification,
                approval_number=e.approval_number, price=text(e.price),
                proposed_ncms_code=e.proposed_ncms_code, ncms_code=e.ncms_code or "",
                mapping_source=SOURCE_ENUMS.get(e.mapping_source, catalog_pb2.MAPPING_SOURCE_NONE),
                actor=e.actor) for e in repository.item_events(session, item.id)]
            return catalog_pb2.GetHospitalItemResponse(item=hospital_message(item), history=history)


def _values(item: HospitalItem) -> dict:
    return {field: getattr(item, field) for field in ITEM_FIELDS}


def _ncms_content(item: NcmsItem) -> tuple:
    return (item.name, item.specification, item.dosage_form, item.unit, item.approval_number,
            item.charge_class, item.self_pay_ratio, item.price_limit)


def _page(token: str) -> int:
    if not token:
        return 0
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise invalid_argument("page_token", "not a token this service issued") from None


def _token(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode()


def ncms_message(item: NcmsItem) -> catalog_pb2.NcmsItem:
    return catalog_pb2.NcmsItem(
        kind=KIND_ENUMS[item.kind], code=item.code, name=item.name, specification=item.specification,
        dosage_form=item.dosage_form, unit=item.unit, approval_number=item.approval_number,
        charge_class=CLASS_ENUMS[item.charge_class], self_pay_ratio=text(item.self_pay_ratio),
        price_limit=text(item.price_limit), valid_from=timestamp(item.valid_from),
        valid_to=timestamp(item.valid_to), version_id=item.id)


def hospital_message(item: HospitalItem) -> catalog_pb2.HospitalItem:
    return catalog_pb2.HospitalItem(
        hospital_code=item.hospital_code, kind=KIND_ENUMS[item.kind], code=item.code, name=item.name,
        generic_name=item.generic_name, specification=item.specification,
        dosage_form=item.dosage_form, unit=item.unit, manufacturer=item.manufacturer,
        approval_number=item.approval_number, description=item.description, price=text(item.price),
        proposed_ncms_code=item.proposed_ncms_code, deleted=item.deleted, ncms_code=item.ncms_code or "",
        mapping_source=SOURCE_ENUMS.get(item.mapping_source, catalog_pb2.MAPPING_SOURCE_NONE),
        update_time=timestamp(item.updated_at))

