import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ItemKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ITEM_KIND_UNSPECIFIED: _ClassVar[ItemKind]
    ITEM_KIND_DRUG: _ClassVar[ItemKind]
    ITEM_KIND_SERVICE: _ClassVar[ItemKind]

class ChargeClass(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHARGE_CLASS_UNSPECIFIED: _ClassVar[ChargeClass]
    CHARGE_CLASS_A: _ClassVar[ChargeClass]
    CHARGE_CLASS_B: _ClassVar[ChargeClass]
    CHARGE_CLASS_C: _ClassVar[ChargeClass]

class ChangeOperation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANGE_OPERATION_UNSPECIFIED: _ClassVar[ChangeOperation]
    CHANGE_OPERATION_UPSERT: _ClassVar[ChangeOperation]
    CHANGE_OPERATION_DELETE: _ClassVar[ChangeOperation]

class MappingSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MAPPING_SOURCE_UNSPECIFIED: _ClassVar[MappingSource]
    MAPPING_SOURCE_NONE: _ClassVar[MappingSource]
    MAPPING_SOURCE_PROPOSED: _ClassVar[MappingSource]
    MAPPING_SOURCE_APPROVAL_NUMBER: _ClassVar[MappingSource]
    MAPPING_SOURCE_NAME_AND_SPEC: _ClassVar[MappingSource]
    MAPPING_SOURCE_MANUAL: _ClassVar[MappingSource]
ITEM_KIND_UNSPECIFIED: ItemKind
ITEM_KIND_DRUG: ItemKind
ITEM_KIND_SERVICE: ItemKind
CHARGE_CLASS_UNSPECIFIED: ChargeClass
CHARGE_CLASS_A: ChargeClass
CHARGE_CLASS_B: ChargeClass
CHARGE_CLASS_C: ChargeClass
CHANGE_OPERATION_UNSPECIFIED: ChangeOperation
CHANGE_OPERATION_UPSERT: ChangeOperation
CHANGE_OPERATION_DELETE: ChangeOperation
MAPPING_SOURCE_UNSPECIFIED: MappingSource
MAPPING_SOURCE_NONE: MappingSource
MAPPING_SOURCE_PROPOSED: MappingSource
MAPPING_SOURCE_APPROVAL_NUMBER: MappingSource
MAPPING_SOURCE_NAME_AND_SPEC: MappingSource
MAPPING_SOURCE_MANUAL: MappingSource

class HospitalItemChange(_message.Message):
    __slots__ = ("row_number", "operation", "code", "name", "generic_name", "specification", "dosage_form", "unit", "manufacturer", "approval_number", "description", "price", "proposed_ncms_code")
    ROW_NUMBER_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    GENERIC_NAME_FIELD_NUMBER: _ClassVar[int]
    SPECIFICATION_FIELD_NUMBER: _ClassVar[int]
    DOSAGE_FORM_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    MANUFACTURER_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_NCMS_CODE_FIELD_NUMBER: _ClassVar[int]
    row_number: int
    operation: ChangeOperation
    code: str
    name: str
    generic_name: str
    specification: str
    dosage_form: str
    unit: str
    manufacturer: str
    approval_number: str
    description: str
    price: str
    proposed_ncms_code: str
    def __init__(self, row_number: _Optional[int] = ..., operation: _Optional[_Union[ChangeOperation, str]] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., generic_name: _Optional[str] = ..., specification: _Optional[str] = ..., dosage_form: _Optional[str] = ..., unit: _Optional[str] = ..., manufacturer: _Optional[str] = ..., approval_number: _Optional[str] = ..., description: _Optional[str] = ..., price: _Optional[str] = ..., proposed_ncms_code: _Optional[str] = ...) -> None: ...

class ApplyHospitalCatalogRequest(_message.Message):
    __slots__ = ("hospital_code", "kind", "changes")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    kind: ItemKind
    changes: _containers.RepeatedCompositeFieldContainer[HospitalItemChange]
    def __init__(self, hospital_code: _Optional[str] = ..., kind: _Optional[_Union[ItemKind, str]] = ..., changes: _Optional[_Iterable[_Union[HospitalItemChange, _Mapping]]] = ...) -> None: ...

class ApplyHospitalCatalogResponse(_message.Message):
    __slots__ = ("added", "updated", "deleted", "unchanged", "mapped", "unmapped", "sequence")
    ADDED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    MAPPED_FIELD_NUMBER: _ClassVar[int]
    UNMAPPED_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    added: int
    updated: int
    deleted: int
    unchanged: int
    mapped: int
    unmapped: int
    sequence: int
    def __init__(self, added: _Optional[int] = ..., updated: _Optional[int] = ..., deleted: _Optional[int] = ..., unchanged: _Optional[int] = ..., mapped: _Optional[int] = ..., unmapped: _Optional[int] = ..., sequence: _Optional[int] = ...) -> None: ...

class ItemRef(_message.Message):
    __slots__ = ("kind", "code")
    KIND_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    kind: ItemKind
    code: str
    def __init__(self, kind: _Optional[_Union[ItemKind, str]] = ..., code: _Optional[str] = ...) -> None: ...

class ResolveItemsRequest(_message.Message):
    __slots__ = ("hospital_code", "items")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    items: _containers.RepeatedCompositeFieldContainer[ItemRef]
    def __init__(self, hospital_code: _Optional[str] = ..., items: _Optional[_Iterable[_Union[ItemRef, _Mapping]]] = ...) -> None: ...

class ResolvedItem(_message.Message):
    __slots__ = ("kind", "code", "known", "mapped", "ncms_code", "ncms_name", "charge_class", "self_pay_ratio", "price_limit", "hospital_price", "mapping_source", "ncms_version_id")
    KIND_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    KNOWN_FIELD_NUMBER: _ClassVar[int]
    MAPPED_FIELD_NUMBER: _ClassVar[int]
    NCMS_CODE_FIELD_NUMBER: _ClassVar[int]
    NCMS_NAME_FIELD_NUMBER: _ClassVar[int]
    CHARGE_CLASS_FIELD_NUMBER: _ClassVar[int]
    SELF_PAY_RATIO_FIELD_NUMBER: _ClassVar[int]
    PRICE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_PRICE_FIELD_NUMBER: _ClassVar[int]
    MAPPING_SOURCE_FIELD_NUMBER: _ClassVar[int]
    NCMS_VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    kind: ItemKind
    code: str
    known: bool
    mapped: bool
    ncms_code: str
    ncms_name: str
    charge_class: ChargeClass
    self_pay_ratio: str
    price_limit: str
    hospital_price: str
    mapping_source: MappingSource
    ncms_version_id: int
    def __init__(self, kind: _Optional[_Union[ItemKind, str]] = ..., code: _Optional[str] = ..., known: _Optional[bool] = ..., mapped: _Optional[bool] = ..., ncms_code: _Optional[str] = ..., ncms_name: _Optional[str] = ..., charge_class: _Optional[_Union[ChargeClass, str]] = ..., self_pay_ratio: _Optional[str] = ..., price_limit: _Optional[str] = ..., hospital_price: _Optional[str] = ..., mapping_source: _Optional[_Union[MappingSource, str]] = ..., ncms_version_id: _Optional[int] = ...) -> None: ...

class ResolveItemsResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ResolvedItem]
    def __init__(self, items: _Optional[_Iterable[_Union[ResolvedItem, _Mapping]]] = ...) -> None: ...

class NcmsItem(_message.Message):
    __slots__ = ("kind", "code", "name", "specification", "dosage_form", "unit", "approval_number", "charge_class", "self_pay_ratio", "price_limit", "valid_from", "valid_to", "version_id")
    KIND_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPECIFICATION_FIELD_NUMBER: _ClassVar[int]
    DOSAGE_FORM_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CHARGE_CLASS_FIELD_NUMBER: _ClassVar[int]
    SELF_PAY_RATIO_FIELD_NUMBER: _ClassVar[int]
    PRICE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    VALID_FROM_FIELD_NUMBER: _ClassVar[int]
    VALID_TO_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    kind: ItemKind
    code: str
    name: str
    specification: str
    dosage_form: str
    unit: str
    approval_number: str
    charge_class: ChargeClass
    self_pay_ratio: str
    price_limit: str
    valid_from: _timestamp_pb2.Timestamp
    valid_to: _timestamp_pb2.Timestamp
    version_id: int
    def __init__(self, kind: _Optional[_Union[ItemKind, str]] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., specification: _Optional[str] = ..., dosage_form: _Optional[str] = ..., unit: _Optional[str] = ..., approval_number: _Optional[str] = ..., charge_class: _Optional[_Union[ChargeClass, str]] = ..., self_pay_ratio: _Optional[str] = ..., price_limit: _Optional[str] = ..., valid_from: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., valid_to: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., version_id: _Optional[int] = ...) -> None: ...

class ImportRow(_message.Message):
    __slots__ = ("line_number", "values", "cells")
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    LINE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    CELLS_FIELD_NUMBER: _ClassVar[int]
    line_number: int
    values: _containers.ScalarMap[str, str]
    cells: int
    def __init__(self, line_number: _Optional[int] = ..., values: _Optional[_Mapping[str, str]] = ..., cells: _Optional[int] = ...) -> None: ...

class ImportNcmsCatalogRequest(_message.Message):
    __slots__ = ("kind", "skip_bad", "rows", "header_columns", "check_only")
    KIND_FIELD_NUMBER: _ClassVar[int]
    SKIP_BAD_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    HEADER_COLUMNS_FIELD_NUMBER: _ClassVar[int]
    CHECK_ONLY_FIELD_NUMBER: _ClassVar[int]
    kind: ItemKind
    skip_bad: bool
    rows: _containers.RepeatedCompositeFieldContainer[ImportRow]
    header_columns: int
    check_only: bool
    def __init__(self, kind: _Optional[_Union[ItemKind, str]] = ..., skip_bad: _Optional[bool] = ..., rows: _Optional[_Iterable[_Union[ImportRow, _Mapping]]] = ..., header_columns: _Optional[int] = ..., check_only: _Optional[bool] = ...) -> None: ...

class SkippedLine(_message.Message):
    __slots__ = ("line_number", "reason")
    LINE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    line_number: int
    reason: str
    def __init__(self, line_number: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class ImportNcmsCatalogResponse(_message.Message):
    __slots__ = ("inserted", "updated", "unchanged", "skipped", "newly_mapped", "sequence", "checked_only", "skipped_total")
    INSERTED_FIELD_NUMBER: _ClassVar[int]
    UPDATED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    NEWLY_MAPPED_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    CHECKED_ONLY_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_TOTAL_FIELD_NUMBER: _ClassVar[int]
    inserted: int
    updated: int
    unchanged: int
    skipped: _containers.RepeatedCompositeFieldContainer[SkippedLine]
    newly_mapped: int
    sequence: int
    checked_only: bool
    skipped_total: int
    def __init__(self, inserted: _Optional[int] = ..., updated: _Optional[int] = ..., unchanged: _Optional[int] = ..., skipped: _Optional[_Iterable[_Union[SkippedLine, _Mapping]]] = ..., newly_mapped: _Optional[int] = ..., sequence: _Optional[int] = ..., checked_only: _Optional[bool] = ..., skipped_total: _Optional[int] = ...) -> None: ...

class SearchNcmsItemsRequest(_message.Message):
    __slots__ = ("kind", "query", "page_size")
    KIND_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    kind: ItemKind
    query: str
    page_size: int
    def __init__(self, kind: _Optional[_Union[ItemKind, str]] = ..., query: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class SearchNcmsItemsResponse(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[NcmsItem]
    def __init__(self, items: _Optional[_Iterable[_Union[NcmsItem, _Mapping]]] = ...) -> None: ...

class GetNcmsItemRequest(_message.Message):
    __slots__ = ("kind", "code", "as_of")
    KIND_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    AS_OF_FIELD_NUMBER: _ClassVar[int]
    kind: ItemKind
    code: str
    as_of: _timestamp_pb2.Timestamp
    def __init__(self, kind: _Optional[_Union[ItemKind, str]] = ..., code: _Optional[str] = ..., as_of: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetNcmsItemResponse(_message.Message):
    __slots__ = ("item", "versions")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    item: NcmsItem
    versions: _containers.RepeatedCompositeFieldContainer[NcmsItem]
    def __init__(self, item: _Optional[_Union[NcmsItem, _Mapping]] = ..., versions: _Optional[_Iterable[_Union[NcmsItem, _Mapping]]] = ...) -> None: ...

class HospitalItem(_message.Message):
    __slots__ = ("hospital_code", "kind", "code", "name", "generic_name", "specification", "dosage_form", "unit", "manufacturer", "approval_number", "description", "price", "proposed_ncms_code", "deleted", "ncms_code", "mapping_source", "update_time")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    GENERIC_NAME_FIELD_NUMBER: _ClassVar[int]
    SPECIFICATION_FIELD_NUMBER: _ClassVar[int]
    DOSAGE_FORM_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    MANUFACTURER_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_NCMS_CODE_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    NCMS_CODE_FIELD_NUMBER: _ClassVar[int]
    MAPPING_SOURCE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    kind: ItemKind
    code: str
    name: str
    generic_name: str
    specification: str
    dosage_form: str
    unit: str
    manufacturer: str
    approval_number: str
    description: str
    price: str
    proposed_ncms_code: str
    deleted: bool
    ncms_code: str
    mapping_source: MappingSource
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, hospital_code: _Optional[str] = ..., kind: _Optional[_Union[ItemKind, str]] = ..., code: _Optional[str] = ..., name: _Optional[str] = ..., generic_name: _Optional[str] = ..., specification: _Optional[str] = ..., dosage_form: _Optional[str] = ..., unit: _Optional[str] = ..., manufacturer: _Optional[str] = ..., approval_number: _Optional[str] = ..., description: _Optional[str] = ..., price: _Optional[str] = ..., proposed_ncms_code: _Optional[str] = ..., deleted: _Optional[bool] = ..., ncms_code: _Optional[str] = ..., mapping_source: _Optional[_Union[MappingSource, str]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListUnmappedItemsRequest(_message.Message):
    __slots__ = ("hospital_code", "kind", "page_size", "page_token")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    kind: ItemKind
    page_size: int
    page_token: str
    def __init__(self, hospital_code: _Optional[str] = ..., kind: _Optional[_Union[ItemKind, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListUnmappedItemsResponse(_message.Message):
    __slots__ = ("items", "next_page_token", "total")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[HospitalItem]
    next_page_token: str
    total: int
    def __init__(self, items: _Optional[_Iterable[_Union[HospitalItem, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total: _Optional[int] = ...) -> None: ...

class MapItemRequest(_message.Message):
    __slots__ = ("hospital_code", "kind", "code", "ncms_code", "reason")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    NCMS_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    kind: ItemKind
    code: str
    ncms_code: str
    reason: str
    def __init__(self, hospital_code: _Optional[str] = ..., kind: _Optional[_Union[ItemKind, str]] = ..., code: _Optional[str] = ..., ncms_code: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class MapItemResponse(_message.Message):
    __slots__ = ("item", "sequence")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    item: HospitalItem
    sequence: int
    def __init__(self, item: _Optional[_Union[HospitalItem, _Mapping]] = ..., sequence: _Optional[int] = ...) -> None: ...

class GetHospitalItemRequest(_message.Message):
    __slots__ = ("hospital_code", "kind", "code")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    kind: ItemKind
    code: str
    def __init__(self, hospital_code: _Optional[str] = ..., kind: _Optional[_Union[ItemKind, str]] = ..., code: _Optional[str] = ...) -> None: ...

class HospitalItemEvent(_message.Message):
    __slots__ = ("time", "event", "name", "specification", "approval_number", "price", "proposed_ncms_code", "ncms_code", "mapping_source", "actor", "reason")
    TIME_FIELD_NUMBER: _ClassVar[int]
    EVENT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPECIFICATION_FIELD_NUMBER: _ClassVar[int]
    APPROVAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    PROPOSED_NCMS_CODE_FIELD_NUMBER: _ClassVar[int]
    NCMS_CODE_FIELD_NUMBER: _ClassVar[int]
    MAPPING_SOURCE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    time: _timestamp_pb2.Timestamp
    event: str
    name: str
    specification: str
    approval_number: str
    price: str
    proposed_ncms_code: str
    ncms_code: str
    mapping_source: MappingSource
    actor: str
    reason: str
    def __init__(self, time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., event: _Optional[str] = ..., name: _Optional[str] = ..., specification: _Optional[str] = ..., approval_number: _Optional[str] = ..., price: _Optional[str] = ..., proposed_ncms_code: _Optional[str] = ..., ncms_code: _Optional[str] = ..., mapping_source: _Optional[_Union[MappingSource, str]] = ..., actor: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class GetHospitalItemResponse(_message.Message):
    __slots__ = ("item", "history")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    item: HospitalItem
    history: _containers.RepeatedCompositeFieldContainer[HospitalItemEvent]
    def __init__(self, item: _Optional[_Union[HospitalItem, _Mapping]] = ..., history: _Optional[_Iterable[_Union[HospitalItemEvent, _Mapping]]] = ...) -> None: ...

class ListMappingQueueRequest(_message.Message):
    __slots__ = ("hospital_code", "kind", "query", "changed_only", "order_by", "page_size", "page")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    CHANGED_ONLY_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    kind: ItemKind
    query: str
    changed_only: bool
    order_by: str
    page_size: int
    page: int
    def __init__(self, hospital_code: _Optional[str] = ..., kind: _Optional[_Union[ItemKind, str]] = ..., query: _Optional[str] = ..., changed_only: _Optional[bool] = ..., order_by: _Optional[str] = ..., page_size: _Optional[int] = ..., page: _Optional[int] = ...) -> None: ...

class QueuedItem(_message.Message):
    __slots__ = ("item", "changed")
    ITEM_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    item: HospitalItem
    changed: bool
    def __init__(self, item: _Optional[_Union[HospitalItem, _Mapping]] = ..., changed: _Optional[bool] = ...) -> None: ...

class ListMappingQueueResponse(_message.Message):
    __slots__ = ("items", "total_count")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[QueuedItem]
    total_count: int
    def __init__(self, items: _Optional[_Iterable[_Union[QueuedItem, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class NcmsItemState(_message.Message):
    __slots__ = ("kind", "code", "version_id", "name", "charge_class", "self_pay_ratio", "price_limit")
    KIND_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    VERSION_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CHARGE_CLASS_FIELD_NUMBER: _ClassVar[int]
    SELF_PAY_RATIO_FIELD_NUMBER: _ClassVar[int]
    PRICE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    kind: ItemKind
    code: str
    version_id: int
    name: str
    charge_class: ChargeClass
    self_pay_ratio: str
    price_limit: str
    def __init__(self, kind: _Optional[_Union[ItemKind, str]] = ..., code: _Optional[str] = ..., version_id: _Optional[int] = ..., name: _Optional[str] = ..., charge_class: _Optional[_Union[ChargeClass, str]] = ..., self_pay_ratio: _Optional[str] = ..., price_limit: _Optional[str] = ...) -> None: ...

class HospitalItemState(_message.Message):
    __slots__ = ("hospital_code", "kind", "code", "deleted", "ncms_code", "mapping_source")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    DELETED_FIELD_NUMBER: _ClassVar[int]
    NCMS_CODE_FIELD_NUMBER: _ClassVar[int]
    MAPPING_SOURCE_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    kind: ItemKind
    code: str
    deleted: bool
    ncms_code: str
    mapping_source: MappingSource
    def __init__(self, hospital_code: _Optional[str] = ..., kind: _Optional[_Union[ItemKind, str]] = ..., code: _Optional[str] = ..., deleted: _Optional[bool] = ..., ncms_code: _Optional[str] = ..., mapping_source: _Optional[_Union[MappingSource, str]] = ...) -> None: ...

class CatalogChange(_message.Message):
    __slots__ = ("sequence", "create_time", "ncms_item", "hospital_item")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    NCMS_ITEM_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_ITEM_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    create_time: _timestamp_pb2.Timestamp
    ncms_item: NcmsItemState
    hospital_item: HospitalItemState
    def __init__(self, sequence: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ncms_item: _Optional[_Union[NcmsItemState, _Mapping]] = ..., hospital_item: _Optional[_Union[HospitalItemState, _Mapping]] = ...) -> None: ...

class ListCatalogStateRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCatalogStateResponse(_message.Message):
    __slots__ = ("items", "sequence", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[CatalogChange]
    sequence: int
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[CatalogChange, _Mapping]]] = ..., sequence: _Optional[int] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchCatalogChangesRequest(_message.Message):
    __slots__ = ("after_sequence",)
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    after_sequence: int
    def __init__(self, after_sequence: _Optional[int] = ...) -> None: ...

class WatchCatalogChangesResponse(_message.Message):
    __slots__ = ("changes", "head_sequence")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    HEAD_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[CatalogChange]
    head_sequence: int
    def __init__(self, changes: _Optional[_Iterable[_Union[CatalogChange, _Mapping]]] = ..., head_sequence: _Optional[int] = ...) -> None: ...
