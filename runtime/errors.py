"""The contract's error codes, and how they travel over gRPC.

A service raises ``ContractError("E1001")``; the server's error interceptor turns it
into a gRPC status with the matching status code and a ``google.rpc.ErrorInfo``
detail (reason, domain ``ncms.his``, metadata ``code``) plus ``BadRequest`` field
violations where a value was wrong. A client (the gateway, the ``ncms`` command)
turns the status back into a ``ContractError`` with ``from_rpc_error``, so the
contract's ``Ennnn:说明`` text is produced in one place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

ERROR_DOMAIN = "ncms.his"


@dataclass(frozen=True)
class ErrorKind:
    code: str
    reason: str  # UPPER_SNAKE, for google.rpc.ErrorInfo
    message: str  # the contract's 说明
    status: grpc.StatusCode


_KINDS = [
    ErrorKind("E1001", "WRONG_CREDENTIALS", "用户名或口令错误", grpc.StatusCode.UNAUTHENTICATED),
    ErrorKind("E1002", "USER_LOCKED", "用户已锁定", grpc.StatusCode.PERMISSION_DENIED),
    ErrorKind("E1003", "IP_NOT_ALLOWED", "IP地址未授权", grpc.StatusCode.PERMISSION_DENIED),
    ErrorKind("E1004", "PERMISSION_MISSING", "无此接口权限", grpc.StatusCode.PERMISSION_DENIED),
    ErrorKind("E1005", "DIGEST_MISMATCH", "消息摘要校验失败", grpc.StatusCode.UNAUTHENTICATED),
    ErrorKind("E1006", "USER_NOT_AUTHORIZED", "用户未授权", grpc.StatusCode.PERMISSION_DENIED),
    ErrorKind("E1007", "HOSPITAL_INVALID", "医院代码无效", grpc.StatusCode.UNAUTHENTICATED),
    ErrorKind("E1101", "PASSWORD_WEAK", "口令强度不足", grpc.StatusCode.INVALID_ARGUMENT),
    ErrorKind("E1102", "PASSWORD_UNCHANGED", "新旧口令相同", grpc.StatusCode.INVALID_ARGUMENT),
    ErrorKind("E1103", "USER_EXISTS", "用户已存在", grpc.StatusCode.ALREADY_EXISTS),
    ErrorKind("E1104", "USER_NOT_FOUND", "用户不存在", grpc.StatusCode.NOT_FOUND),
    ErrorKind("E1105", "PRIVILEGE_EXCEEDED", "权限越权", grpc.StatusCode.PERMISSION_DENIED),
    ErrorKind("E2001", "BAD_DATA", "数据格式错误", grpc.StatusCode.INVALID_ARGUMENT),
    ErrorKind("E2002", "AMOUNT_MISMATCH", "金额不符", grpc.StatusCode.INVALID_ARGUMENT),
    ErrorKind("E3001", "CARD_NOT_FOUND", "参合证号不存在", grpc.StatusCode.NOT_FOUND),
    ErrorKind("E3002", "NOT_ENROLLED", "未参合", grpc.StatusCode.FAILED_PRECONDITION),
    ErrorKind("E4001", "ALREADY_SETTLED", "重复结算", grpc.StatusCode.ALREADY_EXISTS),
    ErrorKind("E4002", "SETTLEMENT_NOT_FOUND", "结算记录不存在", grpc.StatusCode.NOT_FOUND),
    ErrorKind("E4003", "ALREADY_REFUNDED", "已退费", grpc.StatusCode.FAILED_PRECONDITION),
    ErrorKind("E4004", "ADMISSION_NOT_FOUND", "未办理入院登记", grpc.StatusCode.FAILED_PRECONDITION),
    ErrorKind("E4005", "ADMISSION_EXISTS", "住院编号重复", grpc.StatusCode.ALREADY_EXISTS),
    ErrorKind("E4006", "NO_POLICY", "无适用补偿方案", grpc.StatusCode.FAILED_PRECONDITION),
    ErrorKind("E9001", "UNAVAILABLE", "系统暂时不可用", grpc.StatusCode.UNAVAILABLE),
]
KINDS: dict[str, ErrorKind] = {kind.code: kind for kind in _KINDS}
_BY_REASON: dict[str, ErrorKind] = {kind.reason: kind for kind in _KINDS}


@dataclass(frozen=True)
class FieldViolation:
    field: str  # e.g. "ypml[2].dj" (0-based row) or "password"
    description: str


class DomainError(Exception):
    """A refusal a caller can act on, sent as a gRPC status with details.

    ``message`` must never contain a password, a key or an ID number.
    """

    def __init__(self, status: grpc.StatusCode, reason: str, message: str,
                 violations: Iterable[FieldViolation] = (),
                 metadata: dict[str, str] | None = None) -> None:
        self.status = status
        self.reason = reason
        self.message = message
        self.violations = tuple(violations)
        self.metadata = dict(metadata or {})
        super().__init__(message)

    @property
    def text(self) -> str:
        return self.message

    def to_status(self) -> status_pb2.Status:
        info = error_details_pb2.ErrorInfo(
            reason=self.reason, domain=ERROR_DOMAIN, metadata=self.metadata)
        details = [_pack(info)]
        if self.violations:
            bad = error_details_pb2.BadRequest(field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in self.violations])
            details.append(_pack(bad))
        return status_pb2.Status(code=self.status.value[0], message=self.message, details=details)


class ContractError(DomainError):
    """A refusal with one of the contract's codes.

    ``detail`` adds to the contract's 说明 (e.g. which row and column was bad).
    """

    def __init__(self, code: str, detail: str = "",
                 violations: Iterable[FieldViolation] = ()) -> None:
        if code not in KINDS:
            raise ValueError(f"unknown contract error code {code!r}")
        self.kind = KINDS[code]
        self.detail = detail
        base = f"{self.kind.code}:{self.kind.message}"
        super().__init__(self.kind.status, self.kind.reason,
                         f"{base}: {detail}" if detail else base,
                         violations, {"code": self.kind.code})

    @property
    def code(self) -> str:
        return self.kind.code


def invalid_argument(field: str, description: str) -> DomainError:
    """A bad value on the administrative surface (no contract code applies)."""
    return DomainError(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT",
                       f"{field}: {description}", [FieldViolation(field, description)])


def not_found(what: str) -> DomainError:
    return DomainError(grpc.StatusCode.NOT_FOUND, "NOT_FOUND", f"{what} does not exist")


def already_exists(what: str) -> DomainError:
    return DomainError(grpc.StatusCode.ALREADY_EXISTS, "ALREADY_EXISTS", f"{what} already exists")


def failed_precondition(reason: str, message: str) -> DomainError:
    return DomainError(grpc.StatusCode.FAILED_PRECONDITION, reason, message)


def permission_denied(message: str) -> DomainError:
    return DomainError(grpc.StatusCode.PERMISSION_DENIED, "PERMISSION_DENIED", message)


def unauthenticated(message: str) -> DomainError:
    return DomainError(grpc.StatusCode.UNAUTHENTICATED, "UNAUTHENTICATED", message)


class ServiceUnavailable(ContractError):
    """A backing service did not answer in time; nothing was recorded (E9001)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("E9001", detail)


def _pack(message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def to_grpc_status(error: ContractError) -> grpc.Status:
    return rpc_status.to_status(error.to_status())


def internal_status(reference: str) -> grpc.Status:
    """What a caller sees for an unexpected failure: no stack trace, a log reference."""
    status = status_pb2.Status(
        code=code_pb2.INTERNAL,
        message=f"internal error; the service log has the details under reference {reference}")
    return rpc_status.to_status(status)


# Status codes that mean "the backing service did not do it"; the caller answers E9001.
UNAVAILABLE_CODES = frozenset({
    grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.CANCELLED, grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.UNIMPLEMENTED,
    grpc.StatusCode.DATA_LOSS, grpc.StatusCode.ABORTED,
})


def from_rpc_error(error: grpc.RpcError) -> DomainError:
    """The DomainError a failed call carries (a ContractError where it has a contract
    code), or E9001 when the service did not answer with one."""
    status = rpc_status.from_call(error) if hasattr(error, "trailing_metadata") else None
    if status is not None:
        violations: list[FieldViolation] = []
        info: error_details_pb2.ErrorInfo | None = None
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                violations.extend(FieldViolation(v.field, v.description) for v in bad.field_violations)
        if info is not None and info.domain == ERROR_DOMAIN:
            kind = KINDS.get(info.metadata.get("code", ""))
            if kind is not None:
                prefix = f"{kind.code}:{kind.message}: "
                detail_text = status.message[len(prefix):] if status.message.startswith(prefix) else ""
                return ContractError(kind.code, detail_text, violations)
            return DomainError(grpc.StatusCode(_status_code(status.code)), info.reason,
                               status.message, violations, dict(info.metadata))
    code = error.code() if hasattr(error, "code") else None
    return ServiceUnavailable(f"backing service answered {code.name if code else 'nothing'}")


def _status_code(number: int) -> tuple[int, str]:
    for code in grpc.StatusCode:
        if code.value[0] == number:
            return code.value
    return grpc.StatusCode.UNKNOWN.value
