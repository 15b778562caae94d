"""The catalog's rows as protobuf messages, and as the changes of its feed."""

from __future__ import annotations

from decimal import Decimal

from google.protobuf import timestamp_pb2
from sqlalchemy import Row

from ncms.catalog.v1 import catalog_pb2
from runtime.errors import invalid_argument
from runtime.timestamps import timestamp

from .. import mapping
from ..models import DRUG, SERVICE

KINDS = {catalog_pb2.ITEM_KIND_DRUG: DRUG, catalog_pb2.ITEM_KIND_SERVICE: SERVICE}
KIND_ENUMS = {kind: number for number, kind in KINDS.items()}
CLASS_ENUMS = {"A": catalog_pb2.CHARGE_CLASS_A, "B": catalog_pb2.CHARGE_CLASS_B, "C": catalog_pb2.CHARGE_CLASS_C}
SOURCE_ENUMS = {mapping.NONE: catalog_pb2.MAPPING_SOURCE_NONE,
                mapping.PROPOSED: catalog_pb2.MAPPING_SOURCE_PROPOSED,
                mapping.APPROVAL_NUMBER: catalog_pb2.MAPPING_SOURCE_APPROVAL_NUMBER,
                mapping.NAME_AND_SPEC: catalog_pb2.MAPPING_SOURCE_NAME_AND_SPEC,
                mapping.MANUAL: catalog_pb2.MAPPING_SOURCE_MANUAL}


def kind_of(value: int) -> str:
    if value not in KINDS:
        raise invalid_argument("kind", "ITEM_KIND_DRUG or ITEM_KIND_SERVICE")
    return KINDS[value]


def text(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def ncms_message(item: Row) -> catalog_pb2.NcmsItem:
    return catalog_pb2.NcmsItem(
        kind=KIND_ENUMS[item.kind], code=item.code, name=item.name, specification=item.specification,
        dosage_form=item.dosage_form, unit=item.unit, approval_number=item.approval_number,
        charge_class=CLASS_ENUMS[item.charge_class], self_pay_ratio=text(item.self_pay_ratio),
        price_limit=text(item.price_limit), valid_from=timestamp(item.valid_from),
        valid_to=timestamp(item.valid_to), version_id=item.id)


def hospital_message(item: Row) -> catalog_pb2.HospitalItem:
    return catalog_pb2.HospitalItem(
        hospital_code=item.hospital_code, kind=KIND_ENUMS[item.kind], code=item.code, name=item.name,
        generic_name=item.generic_name, specification=item.specification,
        dosage_form=item.dosage_form, unit=item.unit, manufacturer=item.manufacturer,
        approval_number=item.approval_number, description=item.description, price=text(item.price),
        proposed_ncms_code=item.proposed_ncms_code, deleted=item.deleted, ncms_code=item.ncms_code or "",
        mapping_source=SOURCE_ENUMS.get(item.mapping_source, catalog_pb2.MAPPING_SOURCE_NONE),
        update_time=timestamp(item.updated_at))


# --- the change feed ---------------------------------------------------------------------

def ncms_state(item) -> catalog_pb2.CatalogChange:
    """The change that makes ``item`` (a current version) what a bill is priced with."""
    return catalog_pb2.CatalogChange(ncms_item=catalog_pb2.NcmsItemState(
        kind=KIND_ENUMS[item.kind], code=item.code, version_id=item.id, name=item.name,
        charge_class=CLASS_ENUMS[item.charge_class], self_pay_ratio=text(item.self_pay_ratio),
        price_limit=text(item.price_limit)))


def hospital_state(hospital_code: str, kind: str, code: str, *, deleted: bool, ncms_code: str | None,
                   mapping_source: str) -> catalog_pb2.CatalogChange:
    return catalog_pb2.CatalogChange(hospital_item=catalog_pb2.HospitalItemState(
        hospital_code=hospital_code, kind=KIND_ENUMS[kind], code=code, deleted=deleted,
        ncms_code=ncms_code or "",
        mapping_source=SOURCE_ENUMS.get(mapping_source, catalog_pb2.MAPPING_SOURCE_NONE)))


def hospital_row_state(item: Row) -> catalog_pb2.CatalogChange:
    return hospital_state(item.hospital_code, item.kind, item.code, deleted=item.deleted,
                          ncms_code=item.ncms_code, mapping_source=item.mapping_source)


def entry(change: catalog_pb2.CatalogChange) -> tuple[str, bytes]:
    """(entity key, payload) of a change, for the outbox."""
    if change.HasField("ncms_item"):
        item = change.ncms_item
        key = f"ncms/{item.kind}/{item.code}"
    else:
        item = change.hospital_item
        key = f"hospital/{item.hospital_code}/{item.kind}/{item.code}"
    return key, change.SerializeToString()


def stamped(payload: bytes, sequence: int, created: timestamp_pb2.Timestamp | None) -> catalog_pb2.CatalogChange:
    change = catalog_pb2.CatalogChange.FromString(payload)
    change.sequence = sequence
    if created is not None:
        change.create_time.CopyFrom(created)
    return change
