import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DigestAlgorithm(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIGEST_ALGORITHM_UNSPECIFIED: _ClassVar[DigestAlgorithm]
    DIGEST_ALGORITHM_HMAC_SHA256: _ClassVar[DigestAlgorithm]
    DIGEST_ALGORITHM_HMAC_SM3: _ClassVar[DigestAlgorithm]

class UserState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    USER_STATE_UNSPECIFIED: _ClassVar[UserState]
    USER_STATE_PENDING: _ClassVar[UserState]
    USER_STATE_ACTIVE: _ClassVar[UserState]
    USER_STATE_DELETED: _ClassVar[UserState]
DIGEST_ALGORITHM_UNSPECIFIED: DigestAlgorithm
DIGEST_ALGORITHM_HMAC_SHA256: DigestAlgorithm
DIGEST_ALGORITHM_HMAC_SM3: DigestAlgorithm
USER_STATE_UNSPECIFIED: UserState
USER_STATE_PENDING: UserState
USER_STATE_ACTIVE: UserState
USER_STATE_DELETED: UserState

class Principal(_message.Message):
    __slots__ = ("subject", "hospital_code", "hospital_level", "user", "permissions", "roles")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_LEVEL_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    subject: str
    hospital_code: str
    hospital_level: int
    user: str
    permissions: str
    roles: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, subject: _Optional[str] = ..., hospital_code: _Optional[str] = ..., hospital_level: _Optional[int] = ..., user: _Optional[str] = ..., permissions: _Optional[str] = ..., roles: _Optional[_Iterable[str]] = ...) -> None: ...

class AuthenticateRequest(_message.Message):
    __slots__ = ("hospital_code", "user", "password", "client_ip", "operation", "digest_message", "digest", "message_header")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    DIGEST_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_HEADER_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    user: str
    password: str
    client_ip: str
    operation: str
    digest_message: str
    digest: str
    message_header: MessageHeader
    def __init__(self, hospital_code: _Optional[str] = ..., user: _Optional[str] = ..., password: _Optional[str] = ..., client_ip: _Optional[str] = ..., operation: _Optional[str] = ..., digest_message: _Optional[str] = ..., digest: _Optional[str] = ..., message_header: _Optional[_Union[MessageHeader, _Mapping]] = ...) -> None: ...

class MessageHeader(_message.Message):
    __slots__ = ("message_id", "send_time")
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    SEND_TIME_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    send_time: str
    def __init__(self, message_id: _Optional[str] = ..., send_time: _Optional[str] = ...) -> None: ...

class AuthenticateResponse(_message.Message):
    __slots__ = ("principal", "token", "token_expire_time", "call_id")
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    principal: Principal
    token: str
    token_expire_time: _timestamp_pb2.Timestamp
    call_id: str
    def __init__(self, principal: _Optional[_Union[Principal, _Mapping]] = ..., token: _Optional[str] = ..., token_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., call_id: _Optional[str] = ...) -> None: ...

class CallOutcome(_message.Message):
    __slots__ = ("call_id", "error_code", "detail")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    error_code: str
    detail: str
    def __init__(self, call_id: _Optional[str] = ..., error_code: _Optional[str] = ..., detail: _Optional[str] = ...) -> None: ...

class RecordCallOutcomesRequest(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[CallOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[CallOutcome, _Mapping]]] = ...) -> None: ...

class RecordCallOutcomesResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ChangePasswordRequest(_message.Message):
    __slots__ = ("old_password", "new_password")
    OLD_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    NEW_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    old_password: str
    new_password: str
    def __init__(self, old_password: _Optional[str] = ..., new_password: _Optional[str] = ...) -> None: ...

class ChangePasswordResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RequestUserRequest(_message.Message):
    __slots__ = ("user", "password", "allowed_ips", "permissions")
    USER_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_IPS_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    user: str
    password: str
    allowed_ips: str
    permissions: str
    def __init__(self, user: _Optional[str] = ..., password: _Optional[str] = ..., allowed_ips: _Optional[str] = ..., permissions: _Optional[str] = ...) -> None: ...

class RequestUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class DeleteUserRequest(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: str
    def __init__(self, user: _Optional[str] = ...) -> None: ...

class DeleteUserResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Hospital(_message.Message):
    __slots__ = ("code", "name", "level", "digest_algorithm", "endpoint", "key_version", "create_time", "key_rotate_time", "endpoint_user", "previous_key_version", "previous_key_expire_time", "disable_time", "disable_reason", "message_header_required")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    DIGEST_ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    KEY_VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    KEY_ROTATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_USER_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_KEY_VERSION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_KEY_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    DISABLE_TIME_FIELD_NUMBER: _ClassVar[int]
    DISABLE_REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_HEADER_REQUIRED_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    level: int
    digest_algorithm: DigestAlgorithm
    endpoint: str
    key_version: int
    create_time: _timestamp_pb2.Timestamp
    key_rotate_time: _timestamp_pb2.Timestamp
    endpoint_user: str
    previous_key_version: int
    previous_key_expire_time: _timestamp_pb2.Timestamp
    disable_time: _timestamp_pb2.Timestamp
    disable_reason: str
    message_header_required: bool
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., level: _Optional[int] = ..., digest_algorithm: _Optional[_Union[DigestAlgorithm, str]] = ..., endpoint: _Optional[str] = ..., key_version: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., key_rotate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., endpoint_user: _Optional[str] = ..., previous_key_version: _Optional[int] = ..., previous_key_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., disable_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., disable_reason: _Optional[str] = ..., message_header_required: _Optional[bool] = ...) -> None: ...

class SetMessageHeaderRequiredRequest(_message.Message):
    __slots__ = ("code", "required")
    CODE_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_FIELD_NUMBER: _ClassVar[int]
    code: str
    required: bool
    def __init__(self, code: _Optional[str] = ..., required: _Optional[bool] = ...) -> None: ...

class SetMessageHeaderRequiredResponse(_message.Message):
    __slots__ = ("hospital",)
    HOSPITAL_FIELD_NUMBER: _ClassVar[int]
    hospital: Hospital
    def __init__(self, hospital: _Optional[_Union[Hospital, _Mapping]] = ...) -> None: ...

class CreateHospitalRequest(_message.Message):
    __slots__ = ("code", "name", "level", "digest_algorithm", "endpoint", "signing_key", "endpoint_user", "endpoint_password")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    DIGEST_ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    SIGNING_KEY_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_USER_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    level: int
    digest_algorithm: DigestAlgorithm
    endpoint: str
    signing_key: str
    endpoint_user: str
    endpoint_password: str
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., level: _Optional[int] = ..., digest_algorithm: _Optional[_Union[DigestAlgorithm, str]] = ..., endpoint: _Optional[str] = ..., signing_key: _Optional[str] = ..., endpoint_user: _Optional[str] = ..., endpoint_password: _Optional[str] = ...) -> None: ...

class CreateHospitalResponse(_message.Message):
    __slots__ = ("hospital", "signing_key")
    HOSPITAL_FIELD_NUMBER: _ClassVar[int]
    SIGNING_KEY_FIELD_NUMBER: _ClassVar[int]
    hospital: Hospital
    signing_key: str
    def __init__(self, hospital: _Optional[_Union[Hospital, _Mapping]] = ..., signing_key: _Optional[str] = ...) -> None: ...

class RotateHospitalKeyRequest(_message.Message):
    __slots__ = ("code", "signing_key", "overlap_seconds")
    CODE_FIELD_NUMBER: _ClassVar[int]
    SIGNING_KEY_FIELD_NUMBER: _ClassVar[int]
    OVERLAP_SECONDS_FIELD_NUMBER: _ClassVar[int]
    code: str
    signing_key: str
    overlap_seconds: int
    def __init__(self, code: _Optional[str] = ..., signing_key: _Optional[str] = ..., overlap_seconds: _Optional[int] = ...) -> None: ...

class RotateHospitalKeyResponse(_message.Message):
    __slots__ = ("hospital", "signing_key")
    HOSPITAL_FIELD_NUMBER: _ClassVar[int]
    SIGNING_KEY_FIELD_NUMBER: _ClassVar[int]
    hospital: Hospital
    signing_key: str
    def __init__(self, hospital: _Optional[_Union[Hospital, _Mapping]] = ..., signing_key: _Optional[str] = ...) -> None: ...

class ListHospitalsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListHospitalsResponse(_message.Message):
    __slots__ = ("hospitals",)
    HOSPITALS_FIELD_NUMBER: _ClassVar[int]
    hospitals: _containers.RepeatedCompositeFieldContainer[Hospital]
    def __init__(self, hospitals: _Optional[_Iterable[_Union[Hospital, _Mapping]]] = ...) -> None: ...

class GetHospitalRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class GetHospitalResponse(_message.Message):
    __slots__ = ("hospital",)
    HOSPITAL_FIELD_NUMBER: _ClassVar[int]
    hospital: Hospital
    def __init__(self, hospital: _Optional[_Union[Hospital, _Mapping]] = ...) -> None: ...

class SetHospitalEndpointRequest(_message.Message):
    __slots__ = ("code", "endpoint", "user", "password")
    CODE_FIELD_NUMBER: _ClassVar[int]
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    code: str
    endpoint: str
    user: str
    password: str
    def __init__(self, code: _Optional[str] = ..., endpoint: _Optional[str] = ..., user: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class SetHospitalEndpointResponse(_message.Message):
    __slots__ = ("hospital",)
    HOSPITAL_FIELD_NUMBER: _ClassVar[int]
    hospital: Hospital
    def __init__(self, hospital: _Optional[_Union[Hospital, _Mapping]] = ...) -> None: ...

class GetHospitalEndpointRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class GetHospitalEndpointResponse(_message.Message):
    __slots__ = ("endpoint", "user", "password", "digest_algorithm")
    ENDPOINT_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    DIGEST_ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    endpoint: str
    user: str
    password: str
    digest_algorithm: DigestAlgorithm
    def __init__(self, endpoint: _Optional[str] = ..., user: _Optional[str] = ..., password: _Optional[str] = ..., digest_algorithm: _Optional[_Union[DigestAlgorithm, str]] = ...) -> None: ...

class User(_message.Message):
    __slots__ = ("hospital_code", "name", "state", "allowed_ips", "permissions", "locked_until", "failed_attempts", "requested_by", "create_time", "update_time", "must_change_password")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_IPS_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    LOCKED_UNTIL_FIELD_NUMBER: _ClassVar[int]
    FAILED_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    REQUESTED_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    MUST_CHANGE_PASSWORD_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    name: str
    state: UserState
    allowed_ips: _containers.RepeatedScalarFieldContainer[str]
    permissions: str
    locked_until: _timestamp_pb2.Timestamp
    failed_attempts: int
    requested_by: str
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    must_change_password: bool
    def __init__(self, hospital_code: _Optional[str] = ..., name: _Optional[str] = ..., state: _Optional[_Union[UserState, str]] = ..., allowed_ips: _Optional[_Iterable[str]] = ..., permissions: _Optional[str] = ..., locked_until: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., failed_attempts: _Optional[int] = ..., requested_by: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., must_change_password: _Optional[bool] = ...) -> None: ...

class CreateUserRequest(_message.Message):
    __slots__ = ("hospital_code", "name", "password", "allowed_ips", "permissions")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_IPS_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    name: str
    password: str
    allowed_ips: _containers.RepeatedScalarFieldContainer[str]
    permissions: str
    def __init__(self, hospital_code: _Optional[str] = ..., name: _Optional[str] = ..., password: _Optional[str] = ..., allowed_ips: _Optional[_Iterable[str]] = ..., permissions: _Optional[str] = ...) -> None: ...

class CreateUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class ApproveUserRequest(_message.Message):
    __slots__ = ("hospital_code", "name", "permissions")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    name: str
    permissions: str
    def __init__(self, hospital_code: _Optional[str] = ..., name: _Optional[str] = ..., permissions: _Optional[str] = ...) -> None: ...

class ApproveUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class ListUsersRequest(_message.Message):
    __slots__ = ("hospital_code", "pending_only")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    PENDING_ONLY_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    pending_only: bool
    def __init__(self, hospital_code: _Optional[str] = ..., pending_only: _Optional[bool] = ...) -> None: ...

class ListUsersResponse(_message.Message):
    __slots__ = ("users",)
    USERS_FIELD_NUMBER: _ClassVar[int]
    users: _containers.RepeatedCompositeFieldContainer[User]
    def __init__(self, users: _Optional[_Iterable[_Union[User, _Mapping]]] = ...) -> None: ...

class UnlockUserRequest(_message.Message):
    __slots__ = ("hospital_code", "name")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    name: str
    def __init__(self, hospital_code: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class UnlockUserResponse(_message.Message):
    __slots__ = ("user", "was_locked")
    USER_FIELD_NUMBER: _ClassVar[int]
    WAS_LOCKED_FIELD_NUMBER: _ClassVar[int]
    user: User
    was_locked: bool
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ..., was_locked: _Optional[bool] = ...) -> None: ...

class ResetPasswordRequest(_message.Message):
    __slots__ = ("hospital_code", "name", "password")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    name: str
    password: str
    def __init__(self, hospital_code: _Optional[str] = ..., name: _Optional[str] = ..., password: _Optional[str] = ...) -> None: ...

class ResetPasswordResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class AddressList(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, entries: _Optional[_Iterable[str]] = ...) -> None: ...

class UpdateUserRequest(_message.Message):
    __slots__ = ("hospital_code", "name", "allowed_ips", "permissions")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_IPS_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    name: str
    allowed_ips: AddressList
    permissions: str
    def __init__(self, hospital_code: _Optional[str] = ..., name: _Optional[str] = ..., allowed_ips: _Optional[_Union[AddressList, _Mapping]] = ..., permissions: _Optional[str] = ...) -> None: ...

class UpdateUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class RejectUserRequest(_message.Message):
    __slots__ = ("hospital_code", "name", "reason")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    name: str
    reason: str
    def __init__(self, hospital_code: _Optional[str] = ..., name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RejectUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class RemoveUserRequest(_message.Message):
    __slots__ = ("hospital_code", "name", "reason")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    name: str
    reason: str
    def __init__(self, hospital_code: _Optional[str] = ..., name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RemoveUserResponse(_message.Message):
    __slots__ = ("user",)
    USER_FIELD_NUMBER: _ClassVar[int]
    user: User
    def __init__(self, user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class Client(_message.Message):
    __slots__ = ("name", "roles", "hospital_code", "permissions", "create_time", "builtin", "secret_rotate_time", "revoke_time", "revoke_reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    BUILTIN_FIELD_NUMBER: _ClassVar[int]
    SECRET_ROTATE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_TIME_FIELD_NUMBER: _ClassVar[int]
    REVOKE_REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    roles: _containers.RepeatedScalarFieldContainer[str]
    hospital_code: str
    permissions: str
    create_time: _timestamp_pb2.Timestamp
    builtin: bool
    secret_rotate_time: _timestamp_pb2.Timestamp
    revoke_time: _timestamp_pb2.Timestamp
    revoke_reason: str
    def __init__(self, name: _Optional[str] = ..., roles: _Optional[_Iterable[str]] = ..., hospital_code: _Optional[str] = ..., permissions: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., builtin: _Optional[bool] = ..., secret_rotate_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., revoke_reason: _Optional[str] = ...) -> None: ...

class CreateClientRequest(_message.Message):
    __slots__ = ("name", "roles", "hospital_code", "permissions")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    name: str
    roles: _containers.RepeatedScalarFieldContainer[str]
    hospital_code: str
    permissions: str
    def __init__(self, name: _Optional[str] = ..., roles: _Optional[_Iterable[str]] = ..., hospital_code: _Optional[str] = ..., permissions: _Optional[str] = ...) -> None: ...

class CreateClientResponse(_message.Message):
    __slots__ = ("client", "client_secret")
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    client: Client
    client_secret: str
    def __init__(self, client: _Optional[_Union[Client, _Mapping]] = ..., client_secret: _Optional[str] = ...) -> None: ...

class ListClientsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListClientsResponse(_message.Message):
    __slots__ = ("clients",)
    CLIENTS_FIELD_NUMBER: _ClassVar[int]
    clients: _containers.RepeatedCompositeFieldContainer[Client]
    def __init__(self, clients: _Optional[_Iterable[_Union[Client, _Mapping]]] = ...) -> None: ...

class RotateClientSecretRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class RotateClientSecretResponse(_message.Message):
    __slots__ = ("client", "client_secret")
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    client: Client
    client_secret: str
    def __init__(self, client: _Optional[_Union[Client, _Mapping]] = ..., client_secret: _Optional[str] = ...) -> None: ...

class RevokeClientRequest(_message.Message):
    __slots__ = ("name", "reason")
    NAME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    name: str
    reason: str
    def __init__(self, name: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class RevokeClientResponse(_message.Message):
    __slots__ = ("client",)
    CLIENT_FIELD_NUMBER: _ClassVar[int]
    client: Client
    def __init__(self, client: _Optional[_Union[Client, _Mapping]] = ...) -> None: ...

class AuditEvent(_message.Message):
    __slots__ = ("id", "time", "kind", "call_id", "hospital_code", "user", "client_ip", "operation", "outcome", "error_code", "detail", "actor")
    ID_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    CLIENT_IP_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    id: int
    time: _timestamp_pb2.Timestamp
    kind: str
    call_id: str
    hospital_code: str
    user: str
    client_ip: str
    operation: str
    outcome: str
    error_code: str
    detail: str
    actor: str
    def __init__(self, id: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., kind: _Optional[str] = ..., call_id: _Optional[str] = ..., hospital_code: _Optional[str] = ..., user: _Optional[str] = ..., client_ip: _Optional[str] = ..., operation: _Optional[str] = ..., outcome: _Optional[str] = ..., error_code: _Optional[str] = ..., detail: _Optional[str] = ..., actor: _Optional[str] = ...) -> None: ...

class ListAuditEventsRequest(_message.Message):
    __slots__ = ("hospital_code", "user", "page_size", "before_id")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    BEFORE_ID_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    user: str
    page_size: int
    before_id: int
    def __init__(self, hospital_code: _Optional[str] = ..., user: _Optional[str] = ..., page_size: _Optional[int] = ..., before_id: _Optional[int] = ...) -> None: ...

class ListAuditEventsResponse(_message.Message):
    __slots__ = ("events",)
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[AuditEvent]
    def __init__(self, events: _Optional[_Iterable[_Union[AuditEvent, _Mapping]]] = ...) -> None: ...

class SignDigestRequest(_message.Message):
    __slots__ = ("hospital_code", "digest_message")
    HOSPITAL_CODE_FIELD_NUMBER: _ClassVar[int]
    DIGEST_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    hospital_code: str
    digest_message: str
    def __init__(self, hospital_code: _Optional[str] = ..., digest_message: _Optional[str] = ...) -> None: ...

class SignDigestResponse(_message.Message):
    __slots__ = ("digest", "digest_algorithm")
    DIGEST_FIELD_NUMBER: _ClassVar[int]
    DIGEST_ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    digest: str
    digest_algorithm: DigestAlgorithm
    def __init__(self, digest: _Optional[str] = ..., digest_algorithm: _Optional[_Union[DigestAlgorithm, str]] = ...) -> None: ...

class EndKeyOverlapRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class EndKeyOverlapResponse(_message.Message):
    __slots__ = ("hospital", "ended")
    HOSPITAL_FIELD_NUMBER: _ClassVar[int]
    ENDED_FIELD_NUMBER: _ClassVar[int]
    hospital: Hospital
    ended: bool
    def __init__(self, hospital: _Optional[_Union[Hospital, _Mapping]] = ..., ended: _Optional[bool] = ...) -> None: ...

class DisableHospitalRequest(_message.Message):
    __slots__ = ("code", "reason")
    CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    code: str
    reason: str
    def __init__(self, code: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class DisableHospitalResponse(_message.Message):
    __slots__ = ("hospital",)
    HOSPITAL_FIELD_NUMBER: _ClassVar[int]
    hospital: Hospital
    def __init__(self, hospital: _Optional[_Union[Hospital, _Mapping]] = ...) -> None: ...

class EnableHospitalRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class EnableHospitalResponse(_message.Message):
    __slots__ = ("hospital",)
    HOSPITAL_FIELD_NUMBER: _ClassVar[int]
    hospital: Hospital
    def __init__(self, hospital: _Optional[_Union[Hospital, _Mapping]] = ...) -> None: ...

class IssueTokenRequest(_message.Message):
    __slots__ = ("client_name", "client_secret")
    CLIENT_NAME_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    client_name: str
    client_secret: str
    def __init__(self, client_name: _Optional[str] = ..., client_secret: _Optional[str] = ...) -> None: ...

class IssueTokenResponse(_message.Message):
    __slots__ = ("token", "expire_time", "principal")
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    token: str
    expire_time: _timestamp_pb2.Timestamp
    principal: Principal
    def __init__(self, token: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., principal: _Optional[_Union[Principal, _Mapping]] = ...) -> None: ...

class GetTokenKeysRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class TokenKey(_message.Message):
    __slots__ = ("key_id", "algorithm", "public_key")
    KEY_ID_FIELD_NUMBER: _ClassVar[int]
    ALGORITHM_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    key_id: str
    algorithm: str
    public_key: bytes
    def __init__(self, key_id: _Optional[str] = ..., algorithm: _Optional[str] = ..., public_key: _Optional[bytes] = ...) -> None: ...

class GetTokenKeysResponse(_message.Message):
    __slots__ = ("keys",)
    KEYS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[TokenKey]
    def __init__(self, keys: _Optional[_Iterable[_Union[TokenKey, _Mapping]]] = ...) -> None: ...
