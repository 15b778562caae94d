"""CatalogService: the hospitals' catalogs (ypmljk, zlmljk), the NCMS catalog, their
mapping, and resolving a bill's items. Protobuf in and out, one transaction per call.

The mapping rules are in mapping.py, the import file's rules in importing.py. Every
change a bill depends on (an item's mapping, an NCMS item's current version) goes to
the change feed in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, Row

from ncms.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from runtime.auth import (
    ROLE_ADMIN,
    ROLE_INTERNAL,
    STAFF_CATALOG_CLERK,
    STAFF_ROLES,
    current_principal,
)
from runtime.change_feed import ChangeFeed, PageToken
from runtime.clock import utcnow
from runtime.db import Database
from runtime.errors import ContractError, FieldViolation, invalid_argument, not_found
from runtime.timestamps import timestamp

from .. import importing, mapping, repository
from ..models import DRUG, SERVICE
from .messages import (
    CLASS_ENUMS,
    KINDS,
    SOURCE_ENUMS,
    entry,
    hospital_message,
    hospital_state,
    kind_of,
    ncms_message,
    ncms_state,
    text,
)

KIND_LETTERS = {DRUG: "C", SERVICE: "D"}
_PRICE = re.compile(r"^[0-9]{1,14}(\.[0-9]{1,4})?$")
# Bad lines listed in an import's answer (every one is counted).
MAX_BAD_LINES = 1000


def column_count_reason(cells: int, columns: int) -> str:
    """A row with more or fewer cells than the header: its own error, never shifted values."""
    return f"列数不符: 本行{cells}列, 表头{columns}列"


ITEM_FIELDS = ("name", "generic_name", "specification", "dosage_form", "unit", "manufacturer",
               "approval_number", "description", "price", "proposed_ncms_code")


def facts(kind: str, values: dict) -> mapping.ItemFacts:
    return mapping.ItemFacts(kind, values.get("proposed_ncms_code") or "", values.get("name") or "",
                             values.get("generic_name") or "", values.get("specification") or "",
                             values.get("unit") or "", values.get("approval_number") or "")


@dataclass
class _Row:
    """A change of the call, checked."""

    index: int  # in the request, from 0
    code: str
    delete: bool
    values: dict  # the item's fields (for an upsert)


def _bad(index: int, field: str, reason: str) -> ContractError:
    path = f"changes[{index}].{field}"
    return ContractError("E2001", f"{path}: {reason}", [FieldViolation(path, reason)])


class CatalogServicer(catalog_pb2_grpc.CatalogServiceServicer):
    def __init__(self, db: Database, feed: ChangeFeed) -> None:
        self.db = db
        self.feed = feed

    # --- the hospital's catalog (ypmljk, zlmljk) -------------------------------------------

    def ApplyHospitalCatalog(self, request, context):
        principal = current_principal()
        kind = kind_of(request.kind)
        hospital = principal.hospital_for(request.hospital_code)
        principal.require_letter(KIND_LETTERS[kind])
        rows = self._checked_rows(request.changes)
        actor = f"hospital:{principal.user}" if principal.user else principal.subject
        with self.db.write() as connection:
            existing = repository.hospital_items(connection, hospital, kind, [r.code for r in rows])
            for row in rows:
                if row.delete and row.code not in existing:
                    raise _bad(row.index, "code", "项目不存在, 无法删除")
            response = self._apply(connection, hospital, kind, rows, existing, actor)
        self.feed.committed()
        return response

    @staticmethod
    def _checked_rows(changes: Iterable[catalog_pb2.HospitalItemChange]) -> list[_Row]:
        rows: list[_Row] = []
        first_row: dict[str, int] = {}
        for index, change in enumerate(changes):
            code = change.code.strip()
            if not code or len(code) > 50:
                raise _bad(index, "code", "必填, 最长50个字符")
            if code in first_row:
                raise _bad(index, "code", f"与第{first_row[code] + 1}行重复")
            first_row[code] = index
            if change.operation == catalog_pb2.CHANGE_OPERATION_DELETE:
                rows.append(_Row(index, code, True, {}))
                continue
            if change.operation != catalog_pb2.CHANGE_OPERATION_UPSERT:
                raise _bad(index, "operation", "须为 新增、修改 或 删除")
            if not change.name.strip():
                raise _bad(index, "name", "必填")
            if not _PRICE.match(change.price.strip()):
                raise _bad(index, "price", "须为不小于0、最多4位小数的金额")
            values = {field: getattr(change, field).strip() for field in ITEM_FIELDS if field != "price"}
            values["price"] = Decimal(change.price.strip()).quantize(Decimal("0.0001"))
            rows.append(_Row(index, code, False, values))
        if not rows:
            raise ContractError("E2001", "changes: 至少需要1行", [FieldViolation("changes", "至少需要1行")])
        return rows

    def _apply(self, connection: Connection, hospital: str, kind: str, rows: list[_Row],
               existing: dict[str, Row], actor: str) -> catalog_pb2.ApplyHospitalCatalogResponse:
        now = utcnow()
        response = catalog_pb2.ApplyHospitalCatalogResponse()
        to_map: list[tuple[_Row, Row | None]] = []
        deletes: list[Row] = []
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

        decisions = self._mappings(connection, kind, to_map)
        new_items, updates, events, changes = [], [], [], []
        for (row, item), decision in zip(to_map, decisions, strict=True):
            values = {**row.values, "ncms_code": decision.ncms_code,
                      "mapping_source": decision.source, "deleted": False, "updated_at": now}
            if item is None:
                new_items.append({"hospital_code": hospital, "kind": kind, "code": row.code,
                                  "created_at": now, **values})
                response.added += 1
            else:
                updates.append({"item_id": item.id, **values})
                events.append(_event(item.id, "add" if item.deleted else "modify", values, now, actor))
                response.updated += 1
            changes.append(hospital_state(hospital, kind, row.code, deleted=False, ncms_code=decision.ncms_code,
                                          mapping_source=decision.source))
            if decision.ncms_code:
                response.mapped += 1
            else:
                response.unmapped += 1
        for item in deletes:
            updates.append({"item_id": item.id, **_values(item), "ncms_code": item.ncms_code,
                            "mapping_source": item.mapping_source, "deleted": True, "updated_at": now})
            events.append(_event(item.id, "delete", _values(item) | {
                "ncms_code": item.ncms_code, "mapping_source": item.mapping_source}, now, actor))
            changes.append(hospital_state(hospital, kind, item.code, deleted=True, ncms_code=item.ncms_code,
                                          mapping_source=item.mapping_source))
            response.deleted += 1
        if new_items:
            ids = repository.add_hospital_items(connection, new_items)
            events += [_event(ids[values["code"]], "add", values, now, actor) for values in new_items]
        if updates:
            repository.update_hospital_items(connection, updates)
        repository.add_item_events(connection, events)
        response.sequence = self.feed.append(connection, [entry(change) for change in changes])
        return response

    def _mappings(self, connection: Connection, kind: str,
                  to_map: list[tuple[_Row, Row | None]]) -> list[mapping.Decision]:
        wanted = [facts(kind, row.values) for row, _ in to_map]
        by_code, by_approval, by_name = repository.candidates(connection, kind, *mapping.lookup_keys(wanted))
        decisions = []
        for (_row, item), item_facts in zip(to_map, wanted, strict=True):
            if (item is not None and item.mapping_source == mapping.MANUAL and not item.deleted
                    and not mapping.identity_changed(facts(kind, _values(item)), item_facts)):
                decisions.append(mapping.Decision(item.ncms_code, mapping.MANUAL))
            else:
                decisions.append(mapping.decide(item_facts, by_code, by_approval, by_name))
        return decisions

    # --- resolving a bill ------------------------------------------------------------------

    def ResolveItems(self, request, context):
        hospital = current_principal().hospital_for(request.hospital_code)
        wanted: dict[str, list[str]] = {}
        for ref in request.items:
            wanted.setdefault(kind_of(ref.kind), []).append(ref.code)
        with self.db.read() as connection:
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
        kind, skip_bad, check_only, columns = None, False, False, 0
        rows: dict[str, tuple[int, importing.NcmsRow]] = {}
        skipped: list[catalog_pb2.SkippedLine] = []
        bad_total = 0
        errors: list[FieldViolation] = []
        for message in request_iterator:
            if kind is None:
                kind, skip_bad = kind_of(message.kind), message.skip_bad
                check_only, columns = message.check_only, message.header_columns
            for row in message.rows:
                try:
                    if columns and row.cells and row.cells != columns:
                        raise importing.BadRow(column_count_reason(row.cells, columns))
                    parsed = importing.parse_row(row.values)
                    if parsed.code in rows:
                        raise importing.BadRow(f"nhbm {parsed.code} 与第{rows[parsed.code][0]}行重复")
                except importing.BadRow as exc:
                    bad_total += 1
                    if skip_bad or check_only:
                        if len(skipped) < MAX_BAD_LINES:
                            skipped.append(catalog_pb2.SkippedLine(line_number=row.line_number, reason=str(exc)))
                        continue
                    if len(errors) < MAX_BAD_LINES:
                        errors.append(FieldViolation(f"line {row.line_number}", str(exc)))
                    continue
                rows[parsed.code] = (row.line_number, parsed)
        if kind is None:
            raise invalid_argument("kind", "the first message must name the kind")
        if errors:
            first = errors[0]
            more = f" (另有{bad_total - 1}行错误)" if bad_total > 1 else ""
            raise ContractError("E2001", f"第{first.field.split()[1]}行: {first.description}{more}; "
                                         "未导入任何数据", errors)
        if check_only:
            return self._check_import(kind, rows, skipped, bad_total)
        response = catalog_pb2.ImportNcmsCatalogResponse(skipped=skipped, skipped_total=bad_total)
        now = utcnow()
        with self.db.write() as connection:
            current = repository.current_ncms_items(connection, kind, rows)
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
                repository.close_versions(connection, closing)
            changes = [ncms_state(version) for version in repository.add_versions(connection, new_versions)]
            response.newly_mapped, mapped = self._map_unmapped(connection, kind, f"import:{principal.subject}")
            response.sequence = self.feed.append(connection, [entry(change) for change in changes + mapped])
        self.feed.committed()
        return response

    def _check_import(self, kind: str, rows: dict, skipped: list, bad_total: int):
        """What an import would do (nothing is stored)."""
        response = catalog_pb2.ImportNcmsCatalogResponse(skipped=skipped, skipped_total=bad_total, checked_only=True)
        with self.db.read() as connection:
            current = repository.current_ncms_items(connection, kind, rows)
        for code, (_line, row) in rows.items():
            existing = current.get(code)
            if existing is None:
                response.inserted += 1
            elif _ncms_content(existing) == row.content():
                response.unchanged += 1
            else:
                response.updated += 1
        return response

    def _map_unmapped(self, connection: Connection, kind: str,
                      actor: str) -> tuple[int, list[catalog_pb2.CatalogChange]]:
        """Try the automatic rules again on every unmapped item of ``kind``."""
        changes, after_id, now = [], 0, utcnow()
        while True:
            batch = repository.unmapped(connection, None, kind, after_id=after_id, limit=2000)
            if not batch:
                return len(changes), changes
            after_id = batch[-1].id
            wanted = [facts(kind, _values(item)) for item in batch]
            by_code, by_approval, by_name = repository.candidates(connection, kind, *mapping.lookup_keys(wanted))
            updates, events = [], []
            for item, item_facts in zip(batch, wanted, strict=True):
                decision = mapping.decide(item_facts, by_code, by_approval, by_name)
                if decision.ncms_code:
                    updates.append({"item_id": item.id, "ncms_code": decision.ncms_code,
                                    "mapping_source": decision.source, "updated_at": now})
                    events.append(_event(item.id, "map", _values(item) | {
                        "ncms_code": decision.ncms_code, "mapping_source": decision.source}, now, actor))
                    changes.append(hospital_state(item.hospital_code, kind, item.code, deleted=False,
                                                  ncms_code=decision.ncms_code, mapping_source=decision.source))
            if updates:
                repository.update_hospital_items(connection, updates)
            repository.add_item_events(connection, events)

    def SearchNcmsItems(self, request, context):
        current_principal().require_role(ROLE_ADMIN, ROLE_INTERNAL, *STAFF_ROLES)
        kind = KINDS.get(request.kind)
        limit = min(request.page_size or 50, 500)
        with self.db.read() as connection:
            found = repository.search_ncms(connection, kind, request.query.strip(), limit)
        return catalog_pb2.SearchNcmsItemsResponse(items=[ncms_message(i) for i in found])

    def GetNcmsItem(self, request, context):
        current_principal()
        kind = kind_of(request.kind)
        moment = request.as_of.ToDatetime().replace(tzinfo=utcnow().tzinfo) if request.HasField("as_of") else utcnow()
        with self.db.read() as connection:
            versions = repository.ncms_versions(connection, kind, request.code.strip())
        if not versions:
            raise not_found(f"NCMS item {request.code}")
        version = repository.ncms_as_of(versions, moment)
        return catalog_pb2.GetNcmsItemResponse(item=ncms_message(version) if version else None,
                                               versions=[ncms_message(v) for v in versions])

    # --- operators -----------------------------------------------------------------------------

    def ListUnmappedItems(self, request, context):
        principal = current_principal()
        principal.require_role(ROLE_ADMIN, ROLE_INTERNAL, *STAFF_ROLES)
        hospital = principal.hospital_for(request.hospital_code.strip())
        kind = KINDS.get(request.kind)
        limit = min(request.page_size or 100, 1000)
        after = PageToken.parse(request.page_token)
        with self.db.read() as connection:
            items = repository.unmapped(connection, hospital, kind, after_id=int(after.after or 0) if after else 0,
                                        limit=limit + 1)
            total = repository.count_unmapped(connection, hospital, kind)
        more = len(items) > limit
        items = items[:limit]
        return catalog_pb2.ListUnmappedItemsResponse(
            items=[hospital_message(i) for i in items], total=total,
            next_page_token=PageToken(0, items[-1].id).text() if more and items else "")

    def MapItem(self, request, context):
        principal = current_principal()
        principal.require_role(ROLE_ADMIN, STAFF_CATALOG_CLERK)
        kind = kind_of(request.kind)
        hospital = principal.hospital_for(request.hospital_code.strip())
        ncms_code = request.ncms_code.strip()
        reason = " ".join(request.reason.split())
        if len(reason) > 200:
            raise invalid_argument("reason", "at most 200 characters")
        with self.db.write() as connection:
            item = repository.hospital_item(connection, hospital, kind, request.code.strip())
            if item is None or item.deleted:
                raise not_found(f"item {request.code} of hospital {hospital} ({kind})")
            if ncms_code not in repository.current_ncms_items(connection, kind, [ncms_code]):
                raise not_found(f"NCMS {kind} item {ncms_code}")
            now = utcnow()
            repository.update_hospital_items(connection, [{
                "item_id": item.id, "ncms_code": ncms_code, "mapping_source": mapping.MANUAL, "updated_at": now}])
            repository.add_item_events(connection, [_event(item.id, "map", _values(item) | {
                "ncms_code": ncms_code, "mapping_source": mapping.MANUAL}, now, principal.subject) | {"reason": reason}])
            sequence = self.feed.append(connection, [entry(hospital_state(
                hospital, kind, item.code, deleted=False, ncms_code=ncms_code, mapping_source=mapping.MANUAL))])
            item = repository.hospital_item(connection, hospital, kind, item.code)
        self.feed.committed()
        return catalog_pb2.MapItemResponse(item=hospital_message(item), sequence=sequence)

    def GetHospitalItem(self, request, context):
        principal = current_principal()
        if principal.is_staff:
            principal.require_role(*STAFF_ROLES)
        kind = kind_of(request.kind)
        hospital = principal.hospital_for(request.hospital_code.strip())
        with self.db.read() as connection:
            item = repository.hospital_item(connection, hospital, kind, request.code.strip())
            if item is None:
                raise not_found(f"item {request.code} of hospital {hospital} ({kind})")
            events = repository.item_events(connection, item.id)
        history = [catalog_pb2.HospitalItemEvent(
            time=timestamp(e.time), event=e.event, name=e.name, specification=e.specification,
            approval_number=e.approval_number, price=text(e.price), proposed_ncms_code=e.proposed_ncms_code,
            ncms_code=e.ncms_code or "",
            mapping_source=SOURCE_ENUMS.get(e.mapping_source, catalog_pb2.MAPPING_SOURCE_NONE),
            actor=e.actor, reason=e.reason) for e in events]
        return catalog_pb2.GetHospitalItemResponse(item=hospital_message(item), history=history)

    def ListMappingQueue(self, request, context):
        principal = current_principal()
        principal.require_role(ROLE_ADMIN, ROLE_INTERNAL, *STAFF_ROLES)
        hospital = principal.hospital_for(request.hospital_code.strip()) if (
            request.hospital_code.strip() or principal.hospital_code) else ""
        order_by = request.order_by.strip() or "updated"
        descending = order_by.startswith("-")
        if order_by.lstrip("-") not in repository.QUEUE_ORDERS:
            raise invalid_argument("order_by", f"one of {', '.join(sorted(repository.QUEUE_ORDERS))}, "
                                               "with '-' before it for descending")
        limit = min(request.page_size or 50, 500)
        page = max(request.page, 1)
        with self.db.read() as connection:
            found, total = repository.mapping_queue(
                connection, hospital_code=hospital, kind=KINDS.get(request.kind), query=request.query.strip()[:100],
                changed_only=request.changed_only, order_by=order_by.lstrip("-"), descending=descending,
                offset=(page - 1) * limit, limit=limit)
        return catalog_pb2.ListMappingQueueResponse(
            items=[catalog_pb2.QueuedItem(item=hospital_message(row), changed=changed) for row, changed in found],
            total_count=total)


def _values(item: Row) -> dict:
    return {field: getattr(item, field) for field in ITEM_FIELDS}


def _ncms_content(item: Row) -> tuple:
    return (item.name, item.specification, item.dosage_form, item.unit, item.approval_number,
            item.charge_class, item.self_pay_ratio, item.price_limit)


def _event(item_id: int, event: str, values: dict, now: datetime, actor: str) -> dict:
    return {"hospital_item_id": item_id, "time": now, "event": event,
            "name": values.get("name") or "", "specification": values.get("specification") or "",
            "approval_number": values.get("approval_number") or "", "price": values.get("price"),
            "proposed_ncms_code": values.get("proposed_ncms_code") or "",
            "ncms_code": values.get("ncms_code"), "mapping_source": values.get("mapping_source") or "none",
            "actor": actor}
