import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EnrollmentStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENROLLMENT_STATUS_UNSPECIFIED: _ClassVar[EnrollmentStatus]
    ENROLLMENT_STATUS_ACTIVE: _ClassVar[EnrollmentStatus]
    ENROLLMENT_STATUS_STOPPED: _ClassVar[EnrollmentStatus]
    ENROLLMENT_STATUS_NONE: _ClassVar[EnrollmentStatus]

class Category(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CATEGORY_UNSPECIFIED: _ClassVar[Category]
    CATEGORY_ORDINARY: _ClassVar[Category]
    CATEGORY_FIVE_GUARANTEES: _ClassVar[Category]
    CATEGORY_SUBSISTENCE: _ClassVar[Category]
    CATEGORY_ENTITLED: _ClassVar[Category]
ENROLLMENT_STATUS_UNSPECIFIED: EnrollmentStatus
ENROLLMENT_STATUS_ACTIVE: EnrollmentStatus
ENROLLMENT_STATUS_STOPPED: EnrollmentStatus
ENROLLMENT_STATUS_NONE: EnrollmentStatus
CATEGORY_UNSPECIFIED: Category
CATEGORY_ORDINARY: Category
CATEGORY_FIVE_GUARANTEES: Category
CATEGORY_SUBSISTENCE: Category
CATEGORY_ENTITLED: Category

class Household(_message.Message):
    __slots__ = ("card", "head_name", "address", "region_code")
    CARD_FIELD_NUMBER: _ClassVar[int]
    HEAD_NAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    card: str
    head_name: str
    address: str
    region_code: str
    def __init__(self, card: _Optional[str] = ..., head_name: _Optional[str] = ..., address: _Optional[str] = ..., region_code: _Optional[str] = ...) -> None: ...

class Enrollment(_message.Message):
    __slots__ = ("year", "status", "category")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    year: int
    status: EnrollmentStatus
    category: Category
    def __init__(self, year: _Optional[int] = ..., status: _Optional[_Union[EnrollmentStatus, str]] = ..., category: _Optional[_Union[Category, str]] = ...) -> None: ...

class Member(_message.Message):
    __slots__ = ("member_id", "card", "name", "sex", "birth_date", "id_number", "relation")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SEX_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    RELATION_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    card: str
    name: str
    sex: str
    birth_date: str
    id_number: str
    relation: str
    def __init__(self, member_id: _Optional[str] = ..., card: _Optional[str] = ..., name: _Optional[str] = ..., sex: _Optional[str] = ..., birth_date: _Optional[str] = ..., id_number: _Optional[str] = ..., relation: _Optional[str] = ...) -> None: ...

class HouseholdMember(_message.Message):
    __slots__ = ("member", "enrollment")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENT_FIELD_NUMBER: _ClassVar[int]
    member: Member
    enrollment: Enrollment
    def __init__(self, member: _Optional[_Union[Member, _Mapping]] = ..., enrollment: _Optional[_Union[Enrollment, _Mapping]] = ...) -> None: ...

class GetHouseholdRequest(_message.Message):
    __slots__ = ("card", "year")
    CARD_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    card: str
    year: int
    def __init__(self, card: _Optional[str] = ..., year: _Optional[int] = ...) -> None: ...

class GetHouseholdResponse(_message.Message):
    __slots__ = ("household", "members")
    HOUSEHOLD_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    household: Household
    members: _containers.RepeatedCompositeFieldContainer[HouseholdMember]
    def __init__(self, household: _Optional[_Union[Household, _Mapping]] = ..., members: _Optional[_Iterable[_Union[HouseholdMember, _Mapping]]] = ...) -> None: ...

class GetMemberRequest(_message.Message):
    __slots__ = ("member_id",)
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    def __init__(self, member_id: _Optional[str] = ...) -> None: ...

class GetMemberResponse(_message.Message):
    __slots__ = ("member", "household", "enrollments")
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENTS_FIELD_NUMBER: _ClassVar[int]
    member: Member
    household: Household
    enrollments: _containers.RepeatedCompositeFieldContainer[Enrollment]
    def __init__(self, member: _Optional[_Union[Member, _Mapping]] = ..., household: _Optional[_Union[Household, _Mapping]] = ..., enrollments: _Optional[_Iterable[_Union[Enrollment, _Mapping]]] = ...) -> None: ...

class CheckEnrollmentRequest(_message.Message):
    __slots__ = ("member_id", "year")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    year: int
    def __init__(self, member_id: _Optional[str] = ..., year: _Optional[int] = ...) -> None: ...

class SearchMembersRequest(_message.Message):
    __slots__ = ("id_number", "card", "member_id", "name", "page_size")
    ID_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    id_number: str
    card: str
    member_id: str
    name: str
    page_size: int
    def __init__(self, id_number: _Optional[str] = ..., card: _Optional[str] = ..., member_id: _Optional[str] = ..., name: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class SearchMembersResponse(_message.Message):
    __slots__ = ("members",)
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    members: _containers.RepeatedCompositeFieldContainer[Member]
    def __init__(self, members: _Optional[_Iterable[_Union[Member, _Mapping]]] = ...) -> None: ...

class CheckEnrollmentResponse(_message.Message):
    __slots__ = ("enrolled", "enrollment", "card", "name")
    ENROLLED_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENT_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    enrolled: bool
    enrollment: Enrollment
    card: str
    name: str
    def __init__(self, enrolled: _Optional[bool] = ..., enrollment: _Optional[_Union[Enrollment, _Mapping]] = ..., card: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class ImportEnrollmentRequest(_message.Message):
    __slots__ = ("skip_bad", "csv_chunk", "check_only")
    SKIP_BAD_FIELD_NUMBER: _ClassVar[int]
    CSV_CHUNK_FIELD_NUMBER: _ClassVar[int]
    CHECK_ONLY_FIELD_NUMBER: _ClassVar[int]
    skip_bad: bool
    csv_chunk: bytes
    check_only: bool
    def __init__(self, skip_bad: _Optional[bool] = ..., csv_chunk: _Optional[bytes] = ..., check_only: _Optional[bool] = ...) -> None: ...

class SkippedLine(_message.Message):
    __slots__ = ("line_number", "reason")
    LINE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    line_number: int
    reason: str
    def __init__(self, line_number: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class ImportEnrollmentResponse(_message.Message):
    __slots__ = ("rows", "members_inserted", "members_updated", "enrollments_inserted", "enrollments_updated", "unchanged", "skipped", "skipped_total", "sequence", "checked_only")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_INSERTED_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_UPDATED_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENTS_INSERTED_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENTS_UPDATED_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_TOTAL_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    CHECKED_ONLY_FIELD_NUMBER: _ClassVar[int]
    rows: int
    members_inserted: int
    members_updated: int
    enrollments_inserted: int
    enrollments_updated: int
    unchanged: int
    skipped: _containers.RepeatedCompositeFieldContainer[SkippedLine]
    skipped_total: int
    sequence: int
    checked_only: bool
    def __init__(self, rows: _Optional[int] = ..., members_inserted: _Optional[int] = ..., members_updated: _Optional[int] = ..., enrollments_inserted: _Optional[int] = ..., enrollments_updated: _Optional[int] = ..., unchanged: _Optional[int] = ..., skipped: _Optional[_Iterable[_Union[SkippedLine, _Mapping]]] = ..., skipped_total: _Optional[int] = ..., sequence: _Optional[int] = ..., checked_only: _Optional[bool] = ...) -> None: ...

class MemberState(_message.Message):
    __slots__ = ("member_id", "card", "name")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    CARD_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    card: str
    name: str
    def __init__(self, member_id: _Optional[str] = ..., card: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class EnrollmentState(_message.Message):
    __slots__ = ("member_id", "year", "status", "category")
    MEMBER_ID_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    member_id: str
    year: int
    status: EnrollmentStatus
    category: Category
    def __init__(self, member_id: _Optional[str] = ..., year: _Optional[int] = ..., status: _Optional[_Union[EnrollmentStatus, str]] = ..., category: _Optional[_Union[Category, str]] = ...) -> None: ...

class EnrollmentChange(_message.Message):
    __slots__ = ("sequence", "create_time", "member", "enrollment")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    MEMBER_FIELD_NUMBER: _ClassVar[int]
    ENROLLMENT_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    create_time: _timestamp_pb2.Timestamp
    member: MemberState
    enrollment: EnrollmentState
    def __init__(self, sequence: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., member: _Optional[_Union[MemberState, _Mapping]] = ..., enrollment: _Optional[_Union[EnrollmentState, _Mapping]] = ...) -> None: ...

class ListEnrollmentStateRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListEnrollmentStateResponse(_message.Message):
    __slots__ = ("items", "sequence", "next_page_token")
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[EnrollmentChange]
    sequence: int
    next_page_token: str
    def __init__(self, items: _Optional[_Iterable[_Union[EnrollmentChange, _Mapping]]] = ..., sequence: _Optional[int] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class WatchEnrollmentChangesRequest(_message.Message):
    __slots__ = ("after_sequence",)
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    after_sequence: int
    def __init__(self, after_sequence: _Optional[int] = ...) -> None: ...

class WatchEnrollmentChangesResponse(_message.Message):
    __slots__ = ("changes", "head_sequence")
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    HEAD_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[EnrollmentChange]
    head_sequence: int
    def __init__(self, changes: _Optional[_Iterable[_Union[EnrollmentChange, _Mapping]]] = ..., head_sequence: _Optional[int] = ...) -> None: ...
