from google.type import date_pb2 as _date_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Rule(_message.Message):
    __slots__ = ("code", "name", "description", "parameters", "enabled")
    class ParametersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    description: str
    parameters: _containers.ScalarMap[str, str]
    enabled: bool
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., parameters: _Optional[_Mapping[str, str]] = ..., enabled: _Optional[bool] = ...) -> None: ...

class ListRulesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListRulesResponse(_message.Message):
    __slots__ = ("rules",)
    RULES_FIELD_NUMBER: _ClassVar[int]
    rules: _containers.RepeatedCompositeFieldContainer[Rule]
    def __init__(self, rules: _Optional[_Iterable[_Union[Rule, _Mapping]]] = ...) -> None: ...

class ListFindingsRequest(_message.Message):
    __slots__ = ("period", "hospital_code", "rule_codes")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    RULE_CODES_FIELD_NUMBER: _ClassVar[int]
    period: str
    hospital_code: str
    rule_codes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, period: _Optional[str] = ..., hospital_code: _Optional[str] = ..., rule_codes: _Optional[_Iterable[str]] = ...) -> None: ...

class LiveQuery(_message.Message):
    __slots__ = ("hospital_code", "number")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    number: str
    def __init__(self, hospital_code: _Optional[str] = ..., number: _Optional[str] = ...) -> None: ...

class Finding(_message.Message):
    __slots__ = ("rule_code", "hospital_code", "subject", "member_id", "summary", "evidence", "live_query")
    class EvidenceEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    RULE_CODE_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_FIELD_NUMBER: _ClassVar[int]
    LIVE_QUERY_FIELD_NUMBER: _ClassVar[int]
    rule_code: str
    hospital_code: str
    subject: str
    member_id: str
    summary: str
    evidence: _containers.ScalarMap[str, str]
    live_query: LiveQuery
    def __init__(self, rule_code: _Optional[str] = ..., hospital_code: _Optional[str] = ..., subject: _Optional[str] = ..., member_id: _Optional[str] = ..., summary: _Optional[str] = ..., evidence: _Optional[_Mapping[str, str]] = ..., live_query: _Optional[_Union[LiveQuery, _Mapping]] = ...) -> None: ...

class GetReportRequest(_message.Message):
    __slots__ = ("period", "hospital_code")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    period: str
    hospital_code: str
    def __init__(self, period: _Optional[str] = ..., hospital_code: _Optional[str] = ...) -> None: ...

class HospitalFigures(_message.Message):
    __slots__ = ("hospital_code", "hospital_level", "visits", "stays", "visit_cost", "stay_cost", "fund_paid", "self_paid_share", "average_visit_cost", "average_stay_cost", "average_stay_days", "cost_per_stay_day", "refunded", "refund_rate")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_LEVEL_FIELD_NUMBER: _ClassVar[int]
    VISITS_FIELD_NUMBER: _ClassVar[int]
    STAYS_FIELD_NUMBER: _ClassVar[int]
    VISIT_COST_FIELD_NUMBER: _ClassVar[int]
    STAY_COST_FIELD_NUMBER: _ClassVar[int]
    FUND_PAID_FIELD_NUMBER: _ClassVar[int]
    SELF_PAID_SHARE_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_VISIT_COST_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_STAY_COST_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_STAY_DAYS_FIELD_NUMBER: _ClassVar[int]
    COST_PER_STAY_DAY_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_FIELD_NUMBER: _ClassVar[int]
    REFUND_RATE_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    hospital_level: int
    visits: int
    stays: int
    visit_cost: str
    stay_cost: str
    fund_paid: str
    self_paid_share: str
    average_visit_cost: str
    average_stay_cost: str
    average_stay_days: str
    cost_per_stay_day: str
    refunded: int
    refund_rate: str
    def __init__(self, hospital_code: _Optional[str] = ..., hospital_level: _Optional[int] = ..., visits: _Optional[int] = ..., stays: _Optional[int] = ..., visit_cost: _Optional[str] = ..., stay_cost: _Optional[str] = ..., fund_paid: _Optional[str] = ..., self_paid_share: _Optional[str] = ..., average_visit_cost: _Optional[str] = ..., average_stay_cost: _Optional[str] = ..., average_stay_days: _Optional[str] = ..., cost_per_stay_day: _Optional[str] = ..., refunded: _Optional[int] = ..., refund_rate: _Optional[str] = ...) -> None: ...

class LevelFigures(_message.Message):
    __slots__ = ("hospital_level", "hospitals", "average_visit_cost", "average_stay_cost", "cost_per_stay_day", "self_paid_share")
    HOSPITAL_LEVEL_FIELD_NUMBER: _ClassVar[int]
    HOSPITALS_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_VISIT_COST_FIELD_NUMBER: _ClassVar[int]
    AVERAGE_STAY_COST_FIELD_NUMBER: _ClassVar[int]
    COST_PER_STAY_DAY_FIELD_NUMBER: _ClassVar[int]
    SELF_PAID_SHARE_FIELD_NUMBER: _ClassVar[int]
    hospital_level: int
    hospitals: int
    average_visit_cost: str
    average_stay_cost: str
    cost_per_stay_day: str
    self_paid_share: str
    def __init__(self, hospital_level: _Optional[int] = ..., hospitals: _Optional[int] = ..., average_visit_cost: _Optional[str] = ..., average_stay_cost: _Optional[str] = ..., cost_per_stay_day: _Optional[str] = ..., self_paid_share: _Optional[str] = ...) -> None: ...

class TrendPoint(_message.Message):
    __slots__ = ("start", "hospital_code", "visits", "stays", "cost", "fund_paid")
    START_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    VISITS_FIELD_NUMBER: _ClassVar[int]
    STAYS_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    FUND_PAID_FIELD_NUMBER: _ClassVar[int]
    start: _date_pb2.Date
    hospital_code: str
    visits: int
    stays: int
    cost: str
    fund_paid: str
    def __init__(self, start: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., hospital_code: _Optional[str] = ..., visits: _Optional[int] = ..., stays: _Optional[int] = ..., cost: _Optional[str] = ..., fund_paid: _Optional[str] = ...) -> None: ...

class GetReportResponse(_message.Message):
    __slots__ = ("period", "start", "end", "hospitals", "levels", "trend")
    PERIOD_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    HOSPITALS_FIELD_NUMBER: _ClassVar[int]
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    TREND_FIELD_NUMBER: _ClassVar[int]
    period: str
    start: _date_pb2.Date
    end: _date_pb2.Date
    hospitals: _containers.RepeatedCompositeFieldContainer[HospitalFigures]
    levels: _containers.RepeatedCompositeFieldContainer[LevelFigures]
    trend: _containers.RepeatedCompositeFieldContainer[TrendPoint]
    def __init__(self, period: _Optional[str] = ..., start: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., end: _Optional[_Union[_date_pb2.Date, _Mapping]] = ..., hospitals: _Optional[_Iterable[_Union[HospitalFigures, _Mapping]]] = ..., levels: _Optional[_Iterable[_Union[LevelFigures, _Mapping]]] = ..., trend: _Optional[_Iterable[_Union[TrendPoint, _Mapping]]] = ...) -> None: ...
