"""Refusals on the wire: a DomainError as a gRPC status with details, and back.

The server's error interceptor sends a ``DomainError`` as its status code with a
``google.rpc.ErrorInfo`` detail (reason, domain ``ncms.his``, metadata ``code`` for
the contract's codes) and a ``google.rpc.BadRequest`` detail with the field
violations. A client (the gateway, the ``ncms`` command, a service calling another)
turns the status back with ``from_rpc_error``, so the contract's ``Ennnn:说明`` text is
made in one place; a status that carries none of this means the service did not
answer (E9001).
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from .errors import (
    ERROR_DOMAIN,
    KINDS,
    ContractError,
    DomainError,
    FieldViolation,
    ServiceUnavailable,
    Status,
)

_STATUS_CODES = {status: getattr(grpc.StatusCode, status.value) for status in Status}
_STATUSES = {code.value[0]: status for status, code in _STATUS_CODES.items()}


def status_code(status: Status) -> grpc.StatusCode:
    return _STATUS_CODES[status]


def to_status_proto(error: DomainError) -> status_pb2.Status:
    info = error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN, metadata=error.metadata)
    details = [_pack(info)]
    if error.violations:
        details.append(_pack(error_details_pb2.BadRequest(field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
            for v in error.violations])))
    return status_pb2.Status(code=_STATUS_CODES[error.status].value[0], message=error.message, details=details)


def to_grpc_status(error: DomainError) -> grpc.Status:
    return rpc_status.to_status(to_status_proto(error))


def internal_status(reference: str) -> grpc.Status:
    """What a caller sees for an unexpected failure: no stack trace, a log reference."""
    return rpc_status.to_status(status_pb2.Status(
        code=code_pb2.INTERNAL,
        message=f"internal error; the service log has the details under reference {reference}"))


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
            return DomainError(_STATUSES.get(status.code, Status.INTERNAL), info.reason, status.message,
                               violations, dict(info.metadata))
    code = error.code() if hasattr(error, "code") else None
    return ServiceUnavailable(f"backing service answered {code.name if code else 'nothing'}")


def _pack(message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed
