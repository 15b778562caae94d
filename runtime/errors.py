"""Refusals, as domain code raises them: no gRPC, no protobuf.

A service raises ``ContractError("E3001")`` for one of the contract's codes, or a
``DomainError`` (``invalid_argument``, ``not_found``, ...) on the administrative
surface. Each carries a ``Status`` (named like gRPC's status codes), a reason
(UPPER_SNAKE), a message and, where a value was wrong, field violations with the
field's path (``lines[3].amount``). ``runtime.rpc_errors`` turns them into gRPC
statuses with details and back; domain modules never see the wire.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Status(enum.Enum):
    """The kind of a refusal, by the gRPC status code it is sent as."""

    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    NOT_FOUND = "NOT_FOUND"
    ALREADY_EXISTS = "ALREADY_EXISTS"
    FAILED_PRECONDITION = "FAILED_PRECONDITION"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    UNAVAILABLE = "UNAVAILABLE"
    INTERNAL = "INTERNAL"


ERROR_DOMAIN = "ncms.his"


@dataclass(frozen=True)
class ErrorKind:
    code: str
    reason: str  # UPPER_SNAKE, for google.rpc.ErrorInfo
    message: str  # the contract's 说明
    status: Status


_KINDS = [
    ErrorKind("E1001", "WRONG_CREDENTIALS", "用户名或口令错误", Status.UNAUTHENTICATED),
    ErrorKind("E1002", "USER_LOCKED", "用户已锁定", Status.PERMISSION_DENIED),
    ErrorKind("E1003", "IP_NOT_ALLOWED", "IP地址未授权", Status.PERMISSION_DENIED),
    ErrorKind("E1004", "PERMISSION_MISSING", "无此接口权限", Status.PERMISSION_DENIED),
    ErrorKind("E1005", "DIGEST_MISMATCH", "消息摘要校验失败", Status.UNAUTHENTICATED),
    ErrorKind("E1006", "USER_NOT_AUTHORIZED", "用户未授权", Status.PERMISSION_DENIED),
    ErrorKind("E1007", "HOSPITAL_INVALID", "医院代码无效", Status.UNAUTHENTICATED),
    ErrorKind("E1008", "MESSAGE_ID_INVALID", "报文标识无效", Status.UNAUTHENTICATED),
    ErrorKind("E1009", "SEND_TIME_OUT_OF_RANGE", "报文时间超出允许范围", Status.UNAUTHENTICATED),
    ErrorKind("E1101", "PASSWORD_WEAK", "口令强度不足", Status.INVALID_ARGUMENT),
    ErrorKind("E1102", "PASSWORD_UNCHANGED", "新旧口令相同", Status.INVALID_ARGUMENT),
    ErrorKind("E1103", "USER_EXISTS", "用户已存在", Status.ALREADY_EXISTS),
    ErrorKind("E1104", "USER_NOT_FOUND", "用户不存在", Status.NOT_FOUND),
    ErrorKind("E1105", "PRIVILEGE_EXCEEDED", "权限越权", Status.PERMISSION_DENIED),
    ErrorKind("E2001", "BAD_DATA", "数据格式错误", Status.INVALID_ARGUMENT),
    ErrorKind("E2002", "AMOUNT_MISMATCH", "金额不符", Status.INVALID_ARGUMENT),
    ErrorKind("E3001", "CARD_NOT_FOUND", "参合证号不存在", Status.NOT_FOUND),
    ErrorKind("E3002", "NOT_ENROLLED", "未参合", Status.FAILED_PRECONDITION),
    ErrorKind("E4001", "ALREADY_SETTLED", "重复结算", Status.ALREADY_EXISTS),
    ErrorKind("E4002", "SETTLEMENT_NOT_FOUND", "结算记录不存在", Status.NOT_FOUND),
    ErrorKind("E4003", "ALREADY_REFUNDED", "已退费", Status.FAILED_PRECONDITION),
    ErrorKind("E4004", "ADMISSION_NOT_FOUND", "未办理入院登记", Status.FAILED_PRECONDITION),
    ErrorKind("E4005", "ADMISSION_EXISTS", "住院编号重复", Status.ALREADY_EXISTS),
    ErrorKind("E4006", "NO_POLICY", "无适用补偿方案", Status.FAILED_PRECONDITION),
    ErrorKind("E9001", "UNAVAILABLE", "系统暂时不可用", Status.UNAVAILABLE),
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

    def __init__(self, status: Status, reason: str, message: str,
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
    return DomainError(Status.INVALID_ARGUMENT, "INVALID_ARGUMENT",
                       f"{field}: {description}", [FieldViolation(field, description)])


def not_found(what: str) -> DomainError:
    return DomainError(Status.NOT_FOUND, "NOT_FOUND", f"{what} does not exist")


def already_exists(what: str) -> DomainError:
    return DomainError(Status.ALREADY_EXISTS, "ALREADY_EXISTS", f"{what} already exists")


def failed_precondition(reason: str, message: str) -> DomainError:
    return DomainError(Status.FAILED_PRECONDITION, reason, message)


def permission_denied(message: str) -> DomainError:
    return DomainError(Status.PERMISSION_DENIED, "PERMISSION_DENIED", message)


def unauthenticated(message: str) -> DomainError:
    return DomainError(Status.UNAUTHENTICATED, "UNAUTHENTICATED", message)


class ServiceUnavailable(ContractError):
    """A backing service did not answer in time; nothing was recorded (E9001)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("E9001", detail)
