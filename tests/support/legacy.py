"""Building legacy calls in tests: the parameters, their digest, the Authenticate request."""

from __future__ import annotations

import grpc

from legacy import digest
from ncms.identity.v1 import identity_pb2
from runtime.rpc_errors import from_rpc_error

# Which parameters carry the user and the password, per operation.
CREDENTIAL_FIELDS = {"Yhzjjk": ("fqyh", "fqyhkl"), "Yhscjk": ("fqyh", "fqyhkl"),
                     "yhklxgjk": ("yh", "ykl")}


def authenticate_request(key: str, operation: str, params: dict, *, client_ip: str = "127.0.0.1",
                         algorithm: str = digest.HMAC_SHA256, signed_params: dict | None = None,
                         message_header: tuple[str, str] | None = None) -> identity_pb2.AuthenticateRequest:
    """The request the gateway would send; ``signed_params`` (default ``params``) are
    what the caller signed, so a test can change a parameter after signing.
    ``message_header``: (msgid, sendtime), signed with the parameters."""
    user_field, password_field = CREDENTIAL_FIELDS.get(operation, ("yh", "kl"))
    header = {} if message_header is None else {"MessageHeader.msgid": message_header[0],
                                                 "MessageHeader.sendtime": message_header[1]}
    signed = digest.compute(key, algorithm, digest.canonical_message(operation, {**(signed_params or params),
                                                                                 **header}))
    request = identity_pb2.AuthenticateRequest(
        hospital_code=params.get("yydm") or "", user=params.get(user_field) or "",
        password=params.get(password_field) or "", client_ip=client_ip, operation=operation,
        digest_message=digest.canonical_message(operation, {**params, **header}), digest=signed)
    if message_header is not None:
        request.message_header.message_id, request.message_header.send_time = message_header
    return request


def error_code(call) -> str:
    """The contract code of a call expected to fail (raises if it succeeds)."""
    try:
        call()
    except grpc.RpcError as exc:
        error = from_rpc_error(exc)
        return getattr(error, "code", error.reason)
    raise AssertionError("the call succeeded")
