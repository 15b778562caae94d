import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from ncms.identity.v1 import identity_pb2 as _identity_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StaffMember(_message.Message):
    __slots__ = ("name", "display_name", "roles", "disabled", "locked_until", "failed_attempts", "totp_enabled", "must_change_password", "create_time", "last_sign_in_time", "created_by")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    LOCKED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    FAILED_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    TOTP_ENABLED_FIELD_NUMBER: _ClassVar[int]
    MUST_CHANGE_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_SIGN_IN_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATED_BY_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    roles: _containers.RepeatedScalarFieldContainer[str]
    disabled: bool
    locked_until: _timestamp_pb2.Timestamp
    failed_attempts: int
    totp_enabled: bool
    must_change_password: bool
    create_time: _timestamp_pb2.Timestamp
    last_sign_in_time: _timestamp_pb2.Timestamp
    created_by: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., roles: _Optional[_Iterable[str]] = ..., disabled: _Optional[bool] = ..., locked_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., failed_attempts: _Optional[int] = ..., totp_enabled: _Optional[bool] = ..., must_change_password: _Optional[bool] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_sign_in_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_by: _Optional[str] = ...) -> None: ...

class SignInRequest(_message.Message):
    __slots__ = ("name", "password", "totp_code", "client_ip")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    TOTP_CODE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    name: str
    password: str
    totp_code: str
    client_ip: str
    def __init__(self, name: _Optional[str] = ..., password: _Optional[str] = ..., totp_code: _Optional[str] = ..., client_ip: _Optional[str] = ...) -> None: ...

class SignInResponse(_message.Message):
    __slots__ = ("session", "token", "token_expire_time", "staff", "must_change_password", "session_expire_time")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    STAFF_FIELD_NUMBER: _ClassVar[int]
    MUST_CHANGE_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    SESSION_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    session: str
    token: str
    token_expire_time: _timestamp_pb2.Timestamp
    staff: StaffMember
    must_change_password: bool
    session_expire_time: _timestamp_pb2.Timestamp
    def __init__(self, session: _Optional[str] = ..., token: _Optional[str] = ..., token_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., staff: _Optional[_Union[StaffMember, _Mapping]] = ..., must_change_password: _Optional[bool] = ..., session_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RefreshSessionRequest(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: str
    def __init__(self, session: _Optional[str] = ...) -> None: ...

class RefreshSessionResponse(_message.Message):
    __slots__ = ("token", "token_expire_time", "staff", "must_change_password")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    STAFF_FIELD_NUMBER: _ClassVar[int]
    MUST_CHANGE_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    token: str
    token_expire_time: _timestamp_pb2.Timestamp
    staff: StaffMember
    must_change_password: bool
    def __init__(self, token: _Optional[str] = ..., token_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., staff: _Optional[_Union[StaffMember, _Mapping]] = ..., must_change_password: _Optional[bool] = ...) -> None: ...

class SignOutRequest(_message.Message):
    __slots__ = ("session", "client_ip")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    session: str
    client_ip: str
    def __init__(self, session: _Optional[str] = ..., client_ip: _Optional[str] = ...) -> None: ...

class SignOutResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ChangeOwnPasswordRequest(_message.Message):
    __slots__ = ("session", "old_password", "new_password")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    OLD_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    NEW_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    session: str
    old_password: str
    new_password: str
    def __init__(self, session: _Optional[str] = ..., old_password: _Optional[str] = ..., new_password: _Optional[str] = ...) -> None: ...

class ChangeOwnPasswordResponse(_message.Message):
    __slots__ = ("token", "token_expire_time", "staff")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    STAFF_FIELD_NUMBER: _ClassVar[int]
    token: str
    token_expire_time: _timestamp_pb2.Timestamp
    staff: StaffMember
    def __init__(self, token: _Optional[str] = ..., token_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., staff: _Optional[_Union[StaffMember, _Mapping]] = ...) -> None: ...

class BeginTotpRequest(_message.Message):
    __slots__ = ("session",)
    SESSION_FIELD_NUMBER: _ClassVar[int]
    session: str
    def __init__(self, session: _Optional[str] = ...) -> None: ...

class BeginTotpResponse(_message.Message):
    __slots__ = ("secret", "uri")
    SECRET_FIELD_NUMBER: _ClassVar[int]
    URI_FIELD_NUMBER: _ClassVar[int]
    secret: str
    uri: str
    def __init__(self, secret: _Optional[str] = ..., uri: _Optional[str] = ...) -> None: ...

class ConfirmTotpRequest(_message.Message):
    __slots__ = ("session", "code")
    SESSION_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    session: str
    code: str
    def __init__(self, session: _Optional[str] = ..., code: _Optional[str] = ...) -> None: ...

class ConfirmTotpResponse(_message.Message):
    __slots__ = ("staff",)
    STAFF_FIELD_NUMBER: _ClassVar[int]
    staff: StaffMember
    def __init__(self, staff: _Optional[_Union[StaffMember, _Mapping]] = ...) -> None: ...

class CreateStaffRequest(_message.Message):
    __slots__ = ("name", "display_name", "roles", "password", "keep_password")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    KEEP_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    roles: _containers.RepeatedScalarFieldContainer[str]
    password: str
    keep_password: bool
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., roles: _Optional[_Iterable[str]] = ..., password: _Optional[str] = ..., keep_password: _Optional[bool] = ...) -> None: ...

class CreateStaffResponse(_message.Message):
    __slots__ = ("staff",)
    STAFF_FIELD_NUMBER: _ClassVar[int]
    staff: StaffMember
    def __init__(self, staff: _Optional[_Union[StaffMember, _Mapping]] = ...) -> None: ...

class ListStaffRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListStaffResponse(_message.Message):
    __slots__ = ("staff",)
    STAFF_FIELD_NUMBER: _ClassVar[int]
    staff: _containers.RepeatedCompositeFieldContainer[StaffMember]
    def __init__(self, staff: _Optional[_Iterable[_Union[StaffMember, _Mapping]]] = ...) -> None: ...

class UpdateStaffRequest(_message.Message):
    __slots__ = ("name", "display_name", "roles", "set_roles")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    SET_ROLES_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    roles: _containers.RepeatedScalarFieldContainer[str]
    set_roles: bool
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., roles: _Optional[_Iterable[str]] = ..., set_roles: _Optional[bool] = ...) -> None: ...

class UpdateStaffResponse(_message.Message):
    __slots__ = ("staff",)
    STAFF_FIELD_NUMBER: _ClassVar[int]
    staff: StaffMember
    def __init__(self, staff: _Optional[_Union[StaffMember, _Mapping]] = ...) -> None: ...

class ResetStaffPasswordRequest(_message.Message):
    __slots__ = ("name", "password")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    name: str
    password: str
    def __init__(self, name: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class ResetStaffPasswordResponse(_message.Message):
    __slots__ = ("staff",)
    STAFF_FIELD_NUMBER: _ClassVar[int]
    staff: StaffMember
    def __init__(self, staff: _Optional[_Union[StaffMember, _Mapping]] = ...) -> None: ...

class UnlockStaffRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class UnlockStaffResponse(_message.Message):
    __slots__ = ("staff", "was_locked")
    STAFF_FIELD_NUMBER: _ClassVar[int]
    WAS_LOCKED_FIELD_NUMBER: _ClassVar[int]
    staff: StaffMember
    was_locked: bool
    def __init__(self, staff: _Optional[_Union[StaffMember, _Mapping]] = ..., was_locked: _Optional[bool] = ...) -> None: ...

class DisableStaffRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class DisableStaffResponse(_message.Message):
    __slots__ = ("staff",)
    STAFF_FIELD_NUMBER: _ClassVar[int]
    staff: StaffMember
    def __init__(self, staff: _Optional[_Union[StaffMember, _Mapping]] = ...) -> None: ...

class EnableStaffRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class EnableStaffResponse(_message.Message):
    __slots__ = ("staff",)
    STAFF_FIELD_NUMBER: _ClassVar[int]
    staff: StaffMember
    def __init__(self, staff: _Optional[_Union[StaffMember, _Mapping]] = ...) -> None: ...

class RemoveStaffTotpRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class RemoveStaffTotpResponse(_message.Message):
    __slots__ = ("staff",)
    STAFF_FIELD_NUMBER: _ClassVar[int]
    staff: StaffMember
    def __init__(self, staff: _Optional[_Union[StaffMember, _Mapping]] = ...) -> None: ...

class PendingUser(_message.Message):
    __slots__ = ("hospital_code", "name", "permissions", "requested_by", "allowed_ips", "create_time")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_IPS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    name: str
    permissions: str
    requested_by: str
    allowed_ips: _containers.RepeatedScalarFieldContainer[str]
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, hospital_code: _Optional[str] = ..., name: _Optional[str] = ..., permissions: _Optional[str] = ..., requested_by: _Optional[str] = ..., allowed_ips: _Optional[_Iterable[str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CodeCount(_message.Message):
    __slots__ = ("code", "count")
    CODE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    code: str
    count: int
    def __init__(self, code: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class GetIdentityOverviewRequest(_message.Message):
    __slots__ = ("since", "pending_limit")
    SINCE_FIELD_NUMBER: _ClassVar[int]
    PENDING_LIMIT_FIELD_NUMBER: _ClassVar[int]
    since: _timestamp_pb2.Timestamp
    pending_limit: int
    def __init__(self, since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pending_limit: _Optional[int] = ...) -> None: ...

class GetIdentityOverviewResponse(_message.Message):
    __slots__ = ("pending_users", "pending_total", "locked_users", "refusals", "accepted", "hospitals", "disabled_hospitals")
    PENDING_USERS_FIELD_NUMBER: _ClassVar[int]
    PENDING_TOTAL_FIELD_NUMBER: _ClassVar[int]
    LOCKED_USERS_FIELD_NUMBER: _ClassVar[int]
    REFUSALS_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    HOSPITALS_FIELD_NUMBER: _ClassVar[int]
    DISABLED_HOSPITALS_FIELD_NUMBER: _ClassVar[int]
    pending_users: _containers.RepeatedCompositeFieldContainer[PendingUser]
    pending_total: int
    locked_users: int
    refusals: _containers.RepeatedCompositeFieldContainer[CodeCount]
    accepted: int
    hospitals: int
    disabled_hospitals: int
    def __init__(self, pending_users: _Optional[_Iterable[_Union[PendingUser, _Mapping]]] = ..., pending_total: _Optional[int] = ..., locked_users: _Optional[int] = ..., refusals: _Optional[_Iterable[_Union[CodeCount, _Mapping]]] = ..., accepted: _Optional[int] = ..., hospitals: _Optional[int] = ..., disabled_hospitals: _Optional[int] = ...) -> None: ...

class SearchAuditEventsRequest(_message.Message):
    __slots__ = ("since", "until", "hospital_code", "user", "kind", "outcome", "error_code", "operation", "actor", "text", "page_size", "before_id")
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    BEFORE_ID_FIELD_NUMBER: _ClassVar[int]
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    hospital_code: str
    user: str
    kind: str
    outcome: str
    error_code: str
    operation: str
    actor: str
    text: str
    page_size: int
    before_id: int
    def __init__(self, since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., hospital_code: _Optional[str] = ..., user: _Optional[str] = ..., kind: _Optional[str] = ..., outcome: _Optional[str] = ..., error_code: _Optional[str] = ..., operation: _Optional[str] = ..., actor: _Optional[str] = ..., text: _Optional[str] = ..., page_size: _Optional[int] = ..., before_id: _Optional[int] = ...) -> None: ...

class SearchAuditEventsResponse(_message.Message):
    __slots__ = ("events", "next_before_id")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_BEFORE_ID_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[_identity_pb2.AuditEvent]
    next_before_id: int
    def __init__(self, events: _Optional[_Iterable[_Union[_identity_pb2.AuditEvent, _Mapping]]] = ..., next_before_id: _Optional[int] = ...) -> None: ...
