import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.type import date_pb2 as _date_pb2
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

class MemberCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MEMBER_CATEGORY_UNSPECIFIED: _ClassVar[MemberCategory]
    MEMBER_CATEGORY_ORDINARY: _ClassVar[MemberCategory]
    MEMBER_CATEGORY_FIVE_GUARANTEES: _ClassVar[MemberCategory]
    MEMBER_CATEGORY_SUBSISTENCE: _ClassVar[MemberCategory]
    MEMBER_CATEGORY_ENTITLED: _ClassVar[MemberCategory]

class ChargeClass(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHARGE_CLASS_UNSPECIFIED: _ClassVar[ChargeClass]
    CHARGE_CLASS_A: _ClassVar[ChargeClass]
    CHARGE_CLASS_B: _ClassVar[ChargeClass]
    CHARGE_CLASS_C: _ClassVar[ChargeClass]

class SettlementKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SETTLEMENT_KIND_UNSPECIFIED: _ClassVar[SettlementKind]
    SETTLEMENT_KIND_OUTPATIENT: _ClassVar[SettlementKind]
    SETTLEMENT_KIND_INPATIENT: _ClassVar[SettlementKind]

class SettlementState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SETTLEMENT_STATE_UNSPECIFIED: _ClassVar[SettlementState]
    SETTLEMENT_STATE_IN_FORCE: _ClassVar[SettlementState]
    SETTLEMENT_STATE_REFUNDED: _ClassVar[SettlementState]

class InpatientStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INPATIENT_STATUS_UNSPECIFIED: _ClassVar[InpatientStatus]
    INPATIENT_STATUS_IN_HOSPITAL: _ClassVar[InpatientStatus]
    INPATIENT_STATUS_DISCHARGED: _ClassVar[InpatientStatus]

class BusinessType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BUSINESS_TYPE_UNSPECIFIED: _ClassVar[BusinessType]
    BUSINESS_TYPE_SETTLEMENT: _ClassVar[BusinessType]
    BUSINESS_TYPE_REFUND: _ClassVar[BusinessType]

class DifferenceType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIFFERENCE_TYPE_UNSPECIFIED: _ClassVar[DifferenceType]
    DIFFERENCE_TYPE_ONLY_NCMS: _ClassVar[DifferenceType]
    DIFFERENCE_TYPE_ONLY_HOSPITAL: _ClassVar[DifferenceType]
    DIFFERENCE_TYPE_AMOUNTS_DIFFER: _ClassVar[DifferenceType]
    DIFFERENCE_TYPE_REFUND_MISMATCH: _ClassVar[DifferenceType]

class ProjectionSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROJECTION_SOURCE_UNSPECIFIED: _ClassVar[ProjectionSource]
    PROJECTION_SOURCE_CATALOG: _ClassVar[ProjectionSource]
    PROJECTION_SOURCE_ENROLLMENT: _ClassVar[ProjectionSource]
ITEM_KIND_UNSPECIFIED: ItemKind
ITEM_KIND_DRUG: ItemKind
ITEM_KIND_SERVICE: ItemKind
MEMBER_CATEGORY_UNSPECIFIED: MemberCategory
MEMBER_CATEGORY_ORDINARY: MemberCategory
MEMBER_CATEGORY_FIVE_GUARANTEES: MemberCategory
MEMBER_CATEGORY_SUBSISTENCE: MemberCategory
MEMBER_CATEGORY_ENTITLED: MemberCategory
CHARGE_CLASS_UNSPECIFIED: ChargeClass
CHARGE_CLASS_A: ChargeClass
CHARGE_CLASS_B: ChargeClass
CHARGE_CLASS_C: ChargeClass
SETTLEMENT_KIND_UNSPECIFIED: SettlementKind
SETTLEMENT_KIND_OUTPATIENT: SettlementKind
SETTLEMENT_KIND_INPATIENT: SettlementKind
SETTLEMENT_STATE_UNSPECIFIED: SettlementState
SETTLEMENT_STATE_IN_FORCE: SettlementState
SETTLEMENT_STATE_REFUNDED: SettlementState
INPATIENT_STATUS_UNSPECIFIED: InpatientStatus
INPATIENT_STATUS_IN_HOSPITAL: InpatientStatus
INPATIENT_STATUS_DISCHARGED: InpatientStatus
BUSINESS_TYPE_UNSPECIFIED: BusinessType
BUSINESS_TYPE_SETTLEMENT: BusinessType
BUSINESS_TYPE_REFUND: BusinessType
DIFFERENCE_TYPE_UNSPECIFIED: DifferenceType
DIFFERENCE_TYPE_ONLY_NCMS: DifferenceType
DIFFERENCE_TYPE_ONLY_HOSPITAL: DifferenceType
DIFFERENCE_TYPE_AMOUNTS_DIFFER: DifferenceType
DIFFERENCE_TYPE_REFUND_MISMATCH: DifferenceType
PROJECTION_SOURCE_UNSPECIFIED: ProjectionSource
PROJECTION_SOURCE_CATALOG: ProjectionSource
PROJECTION_SOURCE_ENROLLMENT: ProjectionSource

class BillLine(_message.Message):
    __slots__ = ("line_number", "item_kind", "item_code", "item_name", "specification", "unit", "price", "quantity", "amount", "fee_time")
    LINE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ITEM_KIND_FIELD_NUMBER: _ClassVar[int]
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    ITEM_NAME_FIELD_NUMBER: _ClassVar[int]
    SPECIFICATION_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    FEE_TIME_FIELD_NUMBER: _ClassVar[int]
    line_number: int
    item_kind: ItemKind
    item_code: str
    item_name: str
    specification: str
    unit: str
    price: str
    quantity: str
    amount: str
    fee_time: _timestamp_pb2.Timestamp
    def __init__(self, line_number: _Optional[int] = ..., item_kind: _Optional[_Union[ItemKind, str]] = ..., item_code: _Optional[str] = ..., item_name: _Optional[str] = ..., specification: _Optional[str] = ..., unit: _Optional[str] = ..., price: _Optional[str] = ..., quantity: _Optional[str] = ..., amount: _Optional[str] = ..., fee_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OutpatientVisit(_message.Message):
    __slots__ = ("number", "card", "member_id", "name", "visit_time", "department", "doctor", "diagnosis", "diagnosis_name", "total")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    VISIT_TIME_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    DOCTOR_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSIS_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSIS_NAME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    number: str
    card: str
    member_id: str
    name: str
    visit_time: _timestamp_pb2.Timestamp
    department: str
    doctor: str
    diagnosis: str
    diagnosis_name: str
    total: str
    def __init__(self, number: _Optional[str] = ..., card: _Optional[str] = ..., member_id: _Optional[str] = ..., name: _Optional[str] = ..., visit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., department: _Optional[str] = ..., doctor: _Optional[str] = ..., diagnosis: _Optional[str] = ..., diagnosis_name: _Optional[str] = ..., total: _Optional[str] = ...) -> None: ...

class SettleOutpatientRequest(_message.Message):
    __slots__ = ("hospital_code", "visit", "lines", "preview")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    VISIT_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    visit: OutpatientVisit
    lines: _containers.RepeatedCompositeFieldContainer[BillLine]
    preview: bool
    def __init__(self, hospital_code: _Optional[str] = ..., visit: _Optional[_Union[OutpatientVisit, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[BillLine, _Mapping]]] = ..., preview: _Optional[bool] = ...) -> None: ...

class SettlementResult(_message.Message):
    __slots__ = ("settlement_number", "kind", "number", "total", "self_pay", "class_self_pay", "eligible", "deductible", "compensation", "personal", "year_total", "settle_time", "explanation", "lines", "replayed", "policy_year", "policy_digest")
    SETTLEMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    SELF_PAY_FIELD_NUMBER: _ClassVar[int]
    CLASS_SELF_PAY_FIELD_NUMBER: _ClassVar[int]
    ELIGIBLE_FIELD_NUMBER: _ClassVar[int]
    DEDUCTIBLE_FIELD_NUMBER: _ClassVar[int]
    COMPENSATION_FIELD_NUMBER: _ClassVar[int]
    PERSONAL_FIELD_NUMBER: _ClassVar[int]
    YEAR_TOTAL_FIELD_NUMBER: _ClassVar[int]
    SETTLE_TIME_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    POLICY_YEAR_FIELD_NUMBER: _ClassVar[int]
    POLICY_DIGEST_FIELD_NUMBER: _ClassVar[int]
    settlement_number: str
    kind: SettlementKind
    number: str
    total: str
    self_pay: str
    class_self_pay: str
    eligible: str
    deductible: str
    compensation: str
    personal: str
    year_total: str
    settle_time: _timestamp_pb2.Timestamp
    explanation: str
    lines: _containers.RepeatedCompositeFieldContainer[LineResult]
    replayed: bool
    policy_year: int
    policy_digest: str
    def __init__(self, settlement_number: _Optional[str] = ..., kind: _Optional[_Union[SettlementKind, str]] = ..., number: _Optional[str] = ..., total: _Optional[str] = ..., self_pay: _Optional[str] = ..., class_self_pay: _Optional[str] = ..., eligible: _Optional[str] = ..., deductible: _Optional[str] = ..., compensation: _Optional[str] = ..., personal: _Optional[str] = ..., year_total: _Optional[str] = ..., settle_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., explanation: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[LineResult, _Mapping]]] = ..., replayed: _Optional[bool] = ..., policy_year: _Optional[int] = ..., policy_digest: _Optional[str] = ...) -> None: ...

class LineResult(_message.Message):
    __slots__ = ("line_number", "item_code", "ncms_code", "charge_class", "amount", "self_pay", "class_self_pay", "eligible", "self_pay_ratio", "price_limit", "over_limit", "item_name", "price", "quantity")
    LINE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    NCMS_CODE_FIELD_NUMBER: _ClassVar[int]
    CHARGE_CLASS_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    SELF_PAY_FIELD_NUMBER: _ClassVar[int]
    CLASS_SELF_PAY_FIELD_NUMBER: _ClassVar[int]
    ELIGIBLE_FIELD_NUMBER: _ClassVar[int]
    SELF_PAY_RATIO_FIELD_NUMBER: _ClassVar[int]
    PRICE_LIMIT_FIELD_NUMBER: _ClassVar[int]
    OVER_LIMIT_FIELD_NUMBER: _ClassVar[int]
    ITEM_NAME_FIELD_NUMBER: _ClassVar[int]
    PRICE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    line_number: int
    item_code: str
    ncms_code: str
    charge_class: ChargeClass
    amount: str
    self_pay: str
    class_self_pay: str
    eligible: str
    self_pay_ratio: str
    price_limit: str
    over_limit: str
    item_name: str
    price: str
    quantity: str
    def __init__(self, line_number: _Optional[int] = ..., item_code: _Optional[str] = ..., ncms_code: _Optional[str] = ..., charge_class: _Optional[_Union[ChargeClass, str]] = ..., amount: _Optional[str] = ..., self_pay: _Optional[str] = ..., class_self_pay: _Optional[str] = ..., eligible: _Optional[str] = ..., self_pay_ratio: _Optional[str] = ..., price_limit: _Optional[str] = ..., over_limit: _Optional[str] = ..., item_name: _Optional[str] = ..., price: _Optional[str] = ..., quantity: _Optional[str] = ...) -> None: ...

class SettleOutpatientResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: SettlementResult
    def __init__(self, result: _Optional[_Union[SettlementResult, _Mapping]] = ...) -> None: ...

class RefundOutpatientRequest(_message.Message):
    __slots__ = ("hospital_code", "number")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    number: str
    def __init__(self, hospital_code: _Optional[str] = ..., number: _Optional[str] = ...) -> None: ...

class RefundOutpatientResponse(_message.Message):
    __slots__ = ("settlement_number", "refunded_amount")
    SETTLEMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    settlement_number: str
    refunded_amount: str
    def __init__(self, settlement_number: _Optional[str] = ..., refunded_amount: _Optional[str] = ...) -> None: ...

class Admission(_message.Message):
    __slots__ = ("number", "card", "member_id", "name", "admit_time", "department", "diagnosis", "diagnosis_name", "doctor", "referral", "referral_number")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADMIT_TIME_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSIS_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSIS_NAME_FIELD_NUMBER: _ClassVar[int]
    DOCTOR_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_NUMBER_FIELD_NUMBER: _ClassVar[int]
    number: str
    card: str
    member_id: str
    name: str
    admit_time: _timestamp_pb2.Timestamp
    department: str
    diagnosis: str
    diagnosis_name: str
    doctor: str
    referral: bool
    referral_number: str
    def __init__(self, number: _Optional[str] = ..., card: _Optional[str] = ..., member_id: _Optional[str] = ..., name: _Optional[str] = ..., admit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., department: _Optional[str] = ..., diagnosis: _Optional[str] = ..., diagnosis_name: _Optional[str] = ..., doctor: _Optional[str] = ..., referral: _Optional[bool] = ..., referral_number: _Optional[str] = ...) -> None: ...

class RegisterAdmissionRequest(_message.Message):
    __slots__ = ("hospital_code", "admission")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    ADMISSION_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    admission: Admission
    def __init__(self, hospital_code: _Optional[str] = ..., admission: _Optional[_Union[Admission, _Mapping]] = ...) -> None: ...

class RegisterAdmissionResponse(_message.Message):
    __slots__ = ("replayed",)
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    replayed: bool
    def __init__(self, replayed: _Optional[bool] = ...) -> None: ...

class InpatientStay(_message.Message):
    __slots__ = ("number", "card", "member_id", "name", "admit_time", "discharge_time", "diagnosis", "diagnosis_name", "total")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADMIT_TIME_FIELD_NUMBER: _ClassVar[int]
    DISCHARGE_TIME_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSIS_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSIS_NAME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    number: str
    card: str
    member_id: str
    name: str
    admit_time: _timestamp_pb2.Timestamp
    discharge_time: _timestamp_pb2.Timestamp
    diagnosis: str
    diagnosis_name: str
    total: str
    def __init__(self, number: _Optional[str] = ..., card: _Optional[str] = ..., member_id: _Optional[str] = ..., name: _Optional[str] = ..., admit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., discharge_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., diagnosis: _Optional[str] = ..., diagnosis_name: _Optional[str] = ..., total: _Optional[str] = ...) -> None: ...

class SettleInpatientRequest(_message.Message):
    __slots__ = ("hospital_code", "stay", "lines", "preview")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    STAY_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    PREVIEW_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    stay: InpatientStay
    lines: _containers.RepeatedCompositeFieldContainer[BillLine]
    preview: bool
    def __init__(self, hospital_code: _Optional[str] = ..., stay: _Optional[_Union[InpatientStay, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[BillLine, _Mapping]]] = ..., preview: _Optional[bool] = ...) -> None: ...

class SettleInpatientResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: SettlementResult
    def __init__(self, result: _Optional[_Union[SettlementResult, _Mapping]] = ...) -> None: ...

class RefundInpatientRequest(_message.Message):
    __slots__ = ("hospital_code", "number")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    number: str
    def __init__(self, hospital_code: _Optional[str] = ..., number: _Optional[str] = ...) -> None: ...

class RefundInpatientResponse(_message.Message):
    __slots__ = ("settlement_number", "refunded_amount")
    SETTLEMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    settlement_number: str
    refunded_amount: str
    def __init__(self, settlement_number: _Optional[str] = ..., refunded_amount: _Optional[str] = ...) -> None: ...

class GetSettlementRequest(_message.Message):
    __slots__ = ("hospital_code", "kind", "number", "settlement_number")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    kind: SettlementKind
    number: str
    settlement_number: str
    def __init__(self, hospital_code: _Optional[str] = ..., kind: _Optional[_Union[SettlementKind, str]] = ..., number: _Optional[str] = ..., settlement_number: _Optional[str] = ...) -> None: ...

class SettlementRecord(_message.Message):
    __slots__ = ("result", "hospital_code", "hospital_level", "card", "member_id", "name", "year", "category", "visit_time", "discharge_time", "diagnosis", "referral", "year_total_before", "refund_time", "settled_by", "refunded_by", "policy_content")
    RESULT_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_LEVEL_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    VISIT_TIME_FIELD_NUMBER: _ClassVar[int]
    DISCHARGE_TIME_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSIS_FIELD_NUMBER: _ClassVar[int]
    REFERRAL_FIELD_NUMBER: _ClassVar[int]
    YEAR_TOTAL_BEFORE_FIELD_NUMBER: _ClassVar[int]
    REFUND_TIME_FIELD_NUMBER: _ClassVar[int]
    SETTLED_BY_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_BY_FIELD_NUMBER: _ClassVar[int]
    POLICY_CONTENT_FIELD_NUMBER: _ClassVar[int]
    result: SettlementResult
    hospital_code: str
    hospital_level: int
    card: str
    member_id: str
    name: str
    year: int
    category: MemberCategory
    visit_time: _timestamp_pb2.Timestamp
    discharge_time: _timestamp_pb2.Timestamp
    diagnosis: str
    referral: bool
    year_total_before: str
    refund_time: _timestamp_pb2.Timestamp
    settled_by: str
    refunded_by: str
    policy_content: str
    def __init__(self, result: _Optional[_Union[SettlementResult, _Mapping]] = ..., hospital_code: _Optional[str] = ..., hospital_level: _Optional[int] = ..., card: _Optional[str] = ..., member_id: _Optional[str] = ..., name: _Optional[str] = ..., year: _Optional[int] = ..., category: _Optional[_Union[MemberCategory, str]] = ..., visit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., discharge_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., diagnosis: _Optional[str] = ..., referral: _Optional[bool] = ..., year_total_before: _Optional[str] = ..., refund_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., settled_by: _Optional[str] = ..., refunded_by: _Optional[str] = ..., policy_content: _Optional[str] = ...) -> None: ...

class GetSettlementResponse(_message.Message):
    __slots__ = ("settlement", "refunded")
    SETTLEMENT_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_FIELD_NUMBER: _ClassVar[int]
    settlement: SettlementRecord
    refunded: _containers.RepeatedCompositeFieldContainer[SettlementRecord]
    def __init__(self, settlement: _Optional[_Union[SettlementRecord, _Mapping]] = ..., refunded: _Optional[_Iterable[_Union[SettlementRecord, _Mapping]]] = ...) -> None: ...

class ListMemberSettlementsRequest(_message.Message):
    __slots__ = ("member_id", "year")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    year: int
    def __init__(self, member_id: _Optional[str] = ..., year: _Optional[int] = ...) -> None: ...

class ListMemberSettlementsResponse(_message.Message):
    __slots__ = ("settlements",)
    SETTLEMENTS_FIELD_NUMBER: _ClassVar[int]
    settlements: _containers.RepeatedCompositeFieldContainer[SettlementRecord]
    def __init__(self, settlements: _Optional[_Iterable[_Union[SettlementRecord, _Mapping]]] = ...) -> None: ...

class GetYearTotalsRequest(_message.Message):
    __slots__ = ("member_ids", "year")
    MEMBER_IDS_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    member_ids: _containers.RepeatedScalarFieldContainer[str]
    year: int
    def __init__(self, member_ids: _Optional[_Iterable[str]] = ..., year: _Optional[int] = ...) -> None: ...

class YearTotals(_message.Message):
    __slots__ = ("member_id", "outpatient", "inpatient")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    OUTPATIENT_FIELD_NUMBER: _ClassVar[int]
    INPATIENT_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    outpatient: str
    inpatient: str
    def __init__(self, member_id: _Optional[str] = ..., outpatient: _Optional[str] = ..., inpatient: _Optional[str] = ...) -> None: ...

class GetYearTotalsResponse(_message.Message):
    __slots__ = ("totals",)
    TOTALS_FIELD_NUMBER: _ClassVar[int]
    totals: _containers.RepeatedCompositeFieldContainer[YearTotals]
    def __init__(self, totals: _Optional[_Iterable[_Union[YearTotals, _Mapping]]] = ...) -> None: ...

class SearchSettlementsRequest(_message.Message):
    __slots__ = ("hospital_code", "since", "until", "member_ids", "card", "number", "state", "kind", "order_by", "page_size", "page")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    MEMBER_IDS_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    member_ids: _containers.RepeatedScalarFieldContainer[str]
    card: str
    number: str
    state: SettlementState
    kind: SettlementKind
    order_by: str
    page_size: int
    page: int
    def __init__(self, hospital_code: _Optional[str] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., member_ids: _Optional[_Iterable[str]] = ..., card: _Optional[str] = ..., number: _Optional[str] = ..., state: _Optional[_Union[SettlementState, str]] = ..., kind: _Optional[_Union[SettlementKind, str]] = ..., order_by: _Optional[str] = ..., page_size: _Optional[int] = ..., page: _Optional[int] = ...) -> None: ...

class SettlementSummary(_message.Message):
    __slots__ = ("settlement_number", "kind", "hospital_code", "number", "card", "member_id", "name", "total", "compensation", "settle_time", "refund_time", "year", "category")
    SETTLEMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    COMPENSATION_FIELD_NUMBER: _ClassVar[int]
    SETTLE_TIME_FIELD_NUMBER: _ClassVar[int]
    REFUND_TIME_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    settlement_number: str
    kind: SettlementKind
    hospital_code: str
    number: str
    card: str
    member_id: str
    name: str
    total: str
    compensation: str
    settle_time: _timestamp_pb2.Timestamp
    refund_time: _timestamp_pb2.Timestamp
    year: int
    category: MemberCategory
    def __init__(self, settlement_number: _Optional[str] = ..., kind: _Optional[_Union[SettlementKind, str]] = ..., hospital_code: _Optional[str] = ..., number: _Optional[str] = ..., card: _Optional[str] = ..., member_id: _Optional[str] = ..., name: _Optional[str] = ..., total: _Optional[str] = ..., compensation: _Optional[str] = ..., settle_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., refund_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., year: _Optional[int] = ..., category: _Optional[_Union[MemberCategory, str]] = ...) -> None: ...

class SearchSettlementsResponse(_message.Message):
    __slots__ = ("settlements", "total_count", "total", "compensation")
    SETTLEMENTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    COMPENSATION_FIELD_NUMBER: _ClassVar[int]
    settlements: _containers.RepeatedCompositeFieldContainer[SettlementSummary]
    total_count: int
    total: str
    compensation: str
    def __init__(self, settlements: _Optional[_Iterable[_Union[SettlementSummary, _Mapping]]] = ..., total_count: _Optional[int] = ..., total: _Optional[str] = ..., compensation: _Optional[str] = ...) -> None: ...

class QueryInpatientRequest(_message.Message):
    __slots__ = ("hospital_code", "number")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    number: str
    def __init__(self, hospital_code: _Optional[str] = ..., number: _Optional[str] = ...) -> None: ...

class QueryInpatientResponse(_message.Message):
    __slots__ = ("number", "card", "member_id", "name", "admit_time", "department", "diagnosis", "diagnosis_name", "status", "total", "fees")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ADMIT_TIME_FIELD_NUMBER: _ClassVar[int]
    DEPARTMENT_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSIS_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSIS_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    FEES_FIELD_NUMBER: _ClassVar[int]
    number: str
    card: str
    member_id: str
    name: str
    admit_time: _timestamp_pb2.Timestamp
    department: str
    diagnosis: str
    diagnosis_name: str
    status: InpatientStatus
    total: str
    fees: _containers.RepeatedCompositeFieldContainer[BillLine]
    def __init__(self, number: _Optional[str] = ..., card: _Optional[str] = ..., member_id: _Optional[str] = ..., name: _Optional[str] = ..., admit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., department: _Optional[str] = ..., diagnosis: _Optional[str] = ..., diagnosis_name: _Optional[str] = ..., status: _Optional[_Union[InpatientStatus, str]] = ..., total: _Optional[str] = ..., fees: _Optional[_Iterable[_Union[BillLine, _Mapping]]] = ...) -> None: ...

class ReconcileEntry(_message.Message):
    __slots__ = ("kind", "number", "settlement_number", "business", "total", "compensation")
    KIND_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    COMPENSATION_FIELD_NUMBER: _ClassVar[int]
    kind: SettlementKind
    number: str
    settlement_number: str
    business: BusinessType
    total: str
    compensation: str
    def __init__(self, kind: _Optional[_Union[SettlementKind, str]] = ..., number: _Optional[str] = ..., settlement_number: _Optional[str] = ..., business: _Optional[_Union[BusinessType, str]] = ..., total: _Optional[str] = ..., compensation: _Optional[str] = ...) -> None: ...

class ReconcileRequest(_message.Message):
    __slots__ = ("hospital_code", "date", "entries")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    date: _date_pb2.Date
    entries: _containers.RepeatedCompositeFieldContainer[ReconcileEntry]
    def __init__(self, hospital_code: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., entries: _Optional[_Iterable[_Union[ReconcileEntry, _Mapping]]] = ...) -> None: ...

class ReconcileDifference(_message.Message):
    __slots__ = ("kind", "number", "business", "type", "hospital_amount", "ncms_amount", "note", "settlement_number")
    KIND_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    NCMS_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    SETTLEMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    kind: SettlementKind
    number: str
    business: BusinessType
    type: DifferenceType
    hospital_amount: str
    ncms_amount: str
    note: str
    settlement_number: str
    def __init__(self, kind: _Optional[_Union[SettlementKind, str]] = ..., number: _Optional[str] = ..., business: _Optional[_Union[BusinessType, str]] = ..., type: _Optional[_Union[DifferenceType, str]] = ..., hospital_amount: _Optional[str] = ..., ncms_amount: _Optional[str] = ..., note: _Optional[str] = ..., settlement_number: _Optional[str] = ...) -> None: ...

class ReconciliationRecord(_message.Message):
    __slots__ = ("hospital_code", "date", "reconcile_time", "requested_by", "hospital_count", "ncms_count", "hospital_total", "ncms_total", "agreed", "differences")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    RECONCILE_TIME_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    NCMS_COUNT_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_TOTAL_FIELD_NUMBER: _ClassVar[int]
    NCMS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    AGREED_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCES_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    date: _date_pb2.Date
    reconcile_time: _timestamp_pb2.Timestamp
    requested_by: str
    hospital_count: int
    ncms_count: int
    hospital_total: str
    ncms_total: str
    agreed: bool
    differences: _containers.RepeatedCompositeFieldContainer[ReconcileDifference]
    def __init__(self, hospital_code: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., reconcile_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., requested_by: _Optional[str] = ..., hospital_count: _Optional[int] = ..., ncms_count: _Optional[int] = ..., hospital_total: _Optional[str] = ..., ncms_total: _Optional[str] = ..., agreed: _Optional[bool] = ..., differences: _Optional[_Iterable[_Union[ReconcileDifference, _Mapping]]] = ...) -> None: ...

class ReconcileResponse(_message.Message):
    __slots__ = ("reconciliation",)
    RECONCILIATION_FIELD_NUMBER: _ClassVar[int]
    reconciliation: ReconciliationRecord
    def __init__(self, reconciliation: _Optional[_Union[ReconciliationRecord, _Mapping]] = ...) -> None: ...

class GetDaySummaryRequest(_message.Message):
    __slots__ = ("hospital_code", "date", "reconciliation_limit")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    RECONCILIATION_LIMIT_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    date: _date_pb2.Date
    reconciliation_limit: int
    def __init__(self, hospital_code: _Optional[str] = ..., date: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., reconciliation_limit: _Optional[int] = ...) -> None: ...

class DaySummaryLine(_message.Message):
    __slots__ = ("kind", "business", "count", "total", "compensation")
    KIND_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    COMPENSATION_FIELD_NUMBER: _ClassVar[int]
    kind: SettlementKind
    business: BusinessType
    count: int
    total: str
    compensation: str
    def __init__(self, kind: _Optional[_Union[SettlementKind, str]] = ..., business: _Optional[_Union[BusinessType, str]] = ..., count: _Optional[int] = ..., total: _Optional[str] = ..., compensation: _Optional[str] = ...) -> None: ...

class GetDaySummaryResponse(_message.Message):
    __slots__ = ("lines", "net_compensation", "entries", "reconciliations")
    LINES_FIELD_NUMBER: _ClassVar[int]
    NET_COMPENSATION_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    RECONCILIATIONS_FIELD_NUMBER: _ClassVar[int]
    lines: _containers.RepeatedCompositeFieldContainer[DaySummaryLine]
    net_compensation: str
    entries: _containers.RepeatedCompositeFieldContainer[ReconcileEntry]
    reconciliations: _containers.RepeatedCompositeFieldContainer[ReconciliationRecord]
    def __init__(self, lines: _Optional[_Iterable[_Union[DaySummaryLine, _Mapping]]] = ..., net_compensation: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[ReconcileEntry, _Mapping]]] = ..., reconciliations: _Optional[_Iterable[_Union[ReconciliationRecord, _Mapping]]] = ...) -> None: ...

class ListReconciliationsRequest(_message.Message):
    __slots__ = ("hospital_code", "first_day", "last_day", "differences_only", "page_size", "page")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    FIRST_DAY_FIELD_NUMBER: _ClassVar[int]
    LAST_DAY_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCES_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    first_day: _date_pb2.Date
    last_day: _date_pb2.Date
    differences_only: bool
    page_size: int
    page: int
    def __init__(self, hospital_code: _Optional[str] = ..., first_day: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., last_day: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., differences_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page: _Optional[int] = ...) -> None: ...

class ListReconciliationsResponse(_message.Message):
    __slots__ = ("reconciliations", "total_count")
    RECONCILIATIONS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    reconciliations: _containers.RepeatedCompositeFieldContainer[ReconciliationRecord]
    total_count: int
    def __init__(self, reconciliations: _Optional[_Iterable[_Union[ReconciliationRecord, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class Projection(_message.Message):
    __slots__ = ("source", "sequence", "head_sequence", "lag_sequences", "lag_seconds", "synced", "apply_time", "rows", "applying_here")
    class RowsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    HEAD_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    LAG_SEQUENCES_FIELD_NUMBER: _ClassVar[int]
    LAG_SECONDS_FIELD_NUMBER: _ClassVar[int]
    SYNCED_FIELD_NUMBER: _ClassVar[int]
    APPLY_TIME_FIELD_NUMBER: _ClassVar[int]
    ROWS_FIELD_NUMBER: _ClassVar[int]
    APPLYING_HERE_FIELD_NUMBER: _ClassVar[int]
    source: ProjectionSource
    sequence: int
    head_sequence: int
    lag_sequences: int
    lag_seconds: float
    synced: bool
    apply_time: _timestamp_pb2.Timestamp
    rows: _containers.ScalarMap[str, int]
    applying_here: bool
    def __init__(self, source: _Optional[_Union[ProjectionSource, str]] = ..., sequence: _Optional[int] = ..., head_sequence: _Optional[int] = ..., lag_sequences: _Optional[int] = ..., lag_seconds: _Optional[float] = ..., synced: _Optional[bool] = ..., apply_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., rows: _Optional[_Mapping[str, int]] = ..., applying_here: _Optional[bool] = ...) -> None: ...

class ListProjectionsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListProjectionsResponse(_message.Message):
    __slots__ = ("projections",)
    PROJECTIONS_FIELD_NUMBER: _ClassVar[int]
    projections: _containers.RepeatedCompositeFieldContainer[Projection]
    def __init__(self, projections: _Optional[_Iterable[_Union[Projection, _Mapping]]] = ...) -> None: ...

class AwaitProjectionRequest(_message.Message):
    __slots__ = ("source", "sequence", "timeout_seconds")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    source: ProjectionSource
    sequence: int
    timeout_seconds: float
    def __init__(self, source: _Optional[_Union[ProjectionSource, str]] = ..., sequence: _Optional[int] = ..., timeout_seconds: _Optional[float] = ...) -> None: ...

class AwaitProjectionResponse(_message.Message):
    __slots__ = ("applied", "sequence")
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    applied: bool
    sequence: int
    def __init__(self, applied: _Optional[bool] = ..., sequence: _Optional[int] = ...) -> None: ...

class PolicyProblem(_message.Message):
    __slots__ = ("line", "key", "reason", "message", "value")
    LINE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    line: int
    key: str
    reason: str
    message: str
    value: str
    def __init__(self, line: _Optional[int] = ..., key: _Optional[str] = ..., reason: _Optional[str] = ..., message: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class PolicyVersion(_message.Message):
    __slots__ = ("id", "year", "effective_from", "digest", "source", "imported_by", "import_time", "note", "in_force", "content", "text", "default_policy")
    ID_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    IMPORTED_BY_FIELD_NUMBER: _ClassVar[int]
    IMPORT_TIME_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    IN_FORCE_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_POLICY_FIELD_NUMBER: _ClassVar[int]
    id: int
    year: int
    effective_from: _date_pb2.Date
    digest: str
    source: str
    imported_by: str
    import_time: _timestamp_pb2.Timestamp
    note: str
    in_force: bool
    content: str
    text: str
    default_policy: bool
    def __init__(self, id: _Optional[int] = ..., year: _Optional[int] = ..., effective_from: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., digest: _Optional[str] = ..., source: _Optional[str] = ..., imported_by: _Optional[str] = ..., import_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., note: _Optional[str] = ..., in_force: _Optional[bool] = ..., content: _Optional[str] = ..., text: _Optional[str] = ..., default_policy: _Optional[bool] = ...) -> None: ...

class CheckPolicyRequest(_message.Message):
    __slots__ = ("text", "source")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    text: str
    source: str
    def __init__(self, text: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class CheckPolicyResponse(_message.Message):
    __slots__ = ("problems", "content", "digest")
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    problems: _containers.RepeatedCompositeFieldContainer[PolicyProblem]
    content: str
    digest: str
    def __init__(self, problems: _Optional[_Iterable[_Union[PolicyProblem, _Mapping]]] = ..., content: _Optional[str] = ..., digest: _Optional[str] = ...) -> None: ...

class ImportPolicyRequest(_message.Message):
    __slots__ = ("year", "text", "source", "effective_from", "note", "operator")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    year: int
    text: str
    source: str
    effective_from: _date_pb2.Date
    note: str
    operator: str
    def __init__(self, year: _Optional[int] = ..., text: _Optional[str] = ..., source: _Optional[str] = ..., effective_from: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., note: _Optional[str] = ..., operator: _Optional[str] = ...) -> None: ...

class ImportPolicyResponse(_message.Message):
    __slots__ = ("policy", "unchanged")
    POLICY_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    policy: PolicyVersion
    unchanged: bool
    def __init__(self, policy: _Optional[_Union[PolicyVersion, _Mapping]] = ..., unchanged: _Optional[bool] = ...) -> None: ...

class ListPoliciesRequest(_message.Message):
    __slots__ = ("year",)
    YEAR_FIELD_NUMBER: _ClassVar[int]
    year: int
    def __init__(self, year: _Optional[int] = ...) -> None: ...

class ListPoliciesResponse(_message.Message):
    __slots__ = ("policies",)
    POLICIES_FIELD_NUMBER: _ClassVar[int]
    policies: _containers.RepeatedCompositeFieldContainer[PolicyVersion]
    def __init__(self, policies: _Optional[_Iterable[_Union[PolicyVersion, _Mapping]]] = ...) -> None: ...

class GetPolicyRequest(_message.Message):
    __slots__ = ("id", "year")
    ID_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    id: int
    year: int
    def __init__(self, id: _Optional[int] = ..., year: _Optional[int] = ...) -> None: ...

class GetPolicyResponse(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: PolicyVersion
    def __init__(self, policy: _Optional[_Union[PolicyVersion, _Mapping]] = ...) -> None: ...

class TryPolicyRequest(_message.Message):
    __slots__ = ("year", "text", "source", "sample_size")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_SIZE_FIELD_NUMBER: _ClassVar[int]
    year: int
    text: str
    source: str
    sample_size: int
    def __init__(self, year: _Optional[int] = ..., text: _Optional[str] = ..., source: _Optional[str] = ..., sample_size: _Optional[int] = ...) -> None: ...

class PolicyTrial(_message.Message):
    __slots__ = ("settlement_number", "kind", "hospital_code", "hospital_level", "category", "total", "recorded", "current", "candidate")
    SETTLEMENT_NUMBER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_LEVEL_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    RECORDED_FIELD_NUMBER: _ClassVar[int]
    CURRENT_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_FIELD_NUMBER: _ClassVar[int]
    settlement_number: str
    kind: SettlementKind
    hospital_code: str
    hospital_level: int
    category: MemberCategory
    total: str
    recorded: str
    current: str
    candidate: str
    def __init__(self, settlement_number: _Optional[str] = ..., kind: _Optional[_Union[SettlementKind, str]] = ..., hospital_code: _Optional[str] = ..., hospital_level: _Optional[int] = ..., category: _Optional[_Union[MemberCategory, str]] = ..., total: _Optional[str] = ..., recorded: _Optional[str] = ..., current: _Optional[str] = ..., candidate: _Optional[str] = ...) -> None: ...

class TryPolicyResponse(_message.Message):
    __slots__ = ("problems", "trials", "recorded_total", "current_total", "candidate_total", "current_digest", "candidate_digest")
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    TRIALS_FIELD_NUMBER: _ClassVar[int]
    RECORDED_TOTAL_FIELD_NUMBER: _ClassVar[int]
    CURRENT_TOTAL_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_TOTAL_FIELD_NUMBER: _ClassVar[int]
    CURRENT_DIGEST_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_DIGEST_FIELD_NUMBER: _ClassVar[int]
    problems: _containers.RepeatedCompositeFieldContainer[PolicyProblem]
    trials: _containers.RepeatedCompositeFieldContainer[PolicyTrial]
    recorded_total: str
    current_total: str
    candidate_total: str
    current_digest: str
    candidate_digest: str
    def __init__(self, problems: _Optional[_Iterable[_Union[PolicyProblem, _Mapping]]] = ..., trials: _Optional[_Iterable[_Union[PolicyTrial, _Mapping]]] = ..., recorded_total: _Optional[str] = ..., current_total: _Optional[str] = ..., candidate_total: _Optional[str] = ..., current_digest: _Optional[str] = ..., candidate_digest: _Optional[str] = ...) -> None: ...
