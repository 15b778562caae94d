"""Calling the suite's gRPC services: channels, deadlines, retries, credentials.

Every outgoing call has a deadline (a service that hangs must not hang its caller).
Retries happen only for UNAVAILABLE and only on methods declared idempotent, through
gRPC's own retry policy in the channel's service config.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import NamedTuple

import grpc
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ncms.identity.v1 import identity_pb2, identity_pb2_grpc

from . import telemetry
from .auth import Principal, TokenVerifier, letters
from .tls import ClientTls, RotatingChannel, process_client_tls

_RETRY_POLICY = {
    "maxAttempts": 3,
    "initialBackoff": "0.05s",
    "maxBackoff": "0.5s",
    "backoffMultiplier": 2,
    "retryableStatusCodes": ["UNAVAILABLE"],
}


_PROCESS = object()  # open_channel's default: this process's TLS settings


def open_channel(address: str, idempotent: Iterable[tuple[str, str]] = (),
                 tls: ClientTls | None | object = _PROCESS) -> grpc.Channel:
    """A channel to ``address``; ``idempotent`` lists (service, method) safe to retry.
    Mutual TLS with this process's certificate when its settings name one
    (runtime/tls.py), or with ``tls``; ``tls=None``: plaintext."""
    names = [{"service": service, "method": method} for service, method in idempotent]
    config = {"methodConfig": [{"name": names, "retryPolicy": _RETRY_POLICY}]} if names else {}
    options = [
        ("grpc.enable_retries", 1),
        ("grpc.service_config", json.dumps(config)),
        ("grpc.keepalive_time_ms", 60_000),
        # A restarted service is back in seconds: reconnect within seconds too (gRPC's
        # own backoff grows to two minutes, and a connection refused meanwhile fails
        # every call at once).
        ("grpc.initial_reconnect_backoff_ms", 200),
        ("grpc.max_reconnect_backoff_ms", 2_000),
        ("grpc.max_receive_message_length", 64 * 1024 * 1024),
        ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ]
    client_tls = process_client_tls() if tls is _PROCESS else tls
    if client_tls is None:
        return telemetry.instrument_channel(grpc.insecure_channel(address, options=options))
    return telemetry.instrument_channel(RotatingChannel(address, client_tls, options))


IDENTITY_IDEMPOTENT = [(f"ncms.identity.v1.{service}", method) for service, method in (
    ("TokenService", "GetTokenKeys"), ("TokenService", "IssueToken"), ("HospitalService", "ListHospitals"),
    ("HospitalService", "GetHospital"), ("HospitalService", "SignDigest"), ("UserService", "ListUsers"),
    ("ClientService", "ListClients"), ("AuditService", "ListAuditEvents"))]


def identity_channel(address: str) -> grpc.Channel:
    return open_channel(address, IDENTITY_IDEMPOTENT)


def identity_key_source(stub: identity_pb2_grpc.TokenServiceStub, timeout: float = 5.0):
    """A TokenVerifier key source asking identity for its public keys."""

    def fetch() -> dict[str, Ed25519PublicKey]:
        response = stub.GetTokenKeys(identity_pb2.GetTokenKeysRequest(), timeout=timeout)
        return {k.key_id: Ed25519PublicKey.from_public_bytes(k.public_key)
                for k in response.keys if k.algorithm == "EdDSA"}

    return fetch


def remote_token_verifier(identity_address: str) -> tuple[TokenVerifier, grpc.Channel]:
    channel = identity_channel(identity_address)
    return TokenVerifier(identity_key_source(identity_pb2_grpc.TokenServiceStub(channel))), channel


class ClientCredentials:
    """A service client's token, fetched with its name and secret and renewed early."""

    def __init__(self, stub: identity_pb2_grpc.TokenServiceStub, name: str, secret: str,
                 timeout: float = 5.0) -> None:
        self._stub = stub
        self._name = name
        self._secret = secret
        self._timeout = timeout
        self._token = ""
        self._renew_at = 0.0
        self._principal: Principal | None = None
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            if time.time() >= self._renew_at:
                response = self._stub.IssueToken(identity_pb2.IssueTokenRequest(
                    client_name=self._name, client_secret=self._secret), timeout=self._timeout)
                issued = time.time()
                lifetime = max(response.expire_time.seconds - issued, 1)
                self._token = response.token
                self._renew_at = issued + lifetime * 0.7
                p = response.principal
                self._principal = Principal(
                    subject=p.subject, hospital_code=p.hospital_code, hospital_level=p.hospital_level,
                    user=p.user, permissions=letters(p.permissions), roles=frozenset(p.roles))
            return self._token

    def metadata(self) -> tuple[tuple[str, str]]:
        return (("authorization", f"Bearer {self.token()}"),)


class _BearerInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                         grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds ``authorization: Bearer <token>`` to every call that has none."""

    def __init__(self, token: Callable[[], str]) -> None:
        self._token = token

    def _details(self, details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        metadata = list(details.metadata or ())
        if not any(key == "authorization" for key, _ in metadata):
            metadata.append(("authorization", f"Bearer {self._token()}"))
        return _ClientCallDetails(details.method, details.timeout, metadata, details.credentials,
                            details.wait_for_ready, details.compression)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation, details, request_iterator):
        return continuation(self._details(details), request_iterator)

    def intercept_stream_stream(self, continuation, details, request_iterator):
        return continuation(self._details(details), request_iterator)


class _CallDetails(NamedTuple):
    method: str
    timeout: float | None
    metadata: list
    credentials: object
    wait_for_ready: bool | None
    compression: object


class _ClientCallDetails(_CallDetails, grpc.ClientCallDetails):
    pass


def with_token(channel: grpc.Channel, token: Callable[[], str]) -> grpc.Channel:
    """``channel``, with every call carrying the token ``token()`` returns."""
    return grpc.intercept_channel(channel, _BearerInterceptor(token))


def serving(address: str, timeout: float = 1.0) -> bool:
    """Whether the gRPC server at ``address`` answers its health check with SERVING."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    channel = open_channel(address)
    try:
        status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=timeout).status
    except grpc.RpcError:
        return False
    finally:
        channel.close()
    return status == health_pb2.HealthCheckResponse.SERVING


class PackageStubs:
    """Every service of one proto package on one channel, as one object: a method is
    found on whichever service has it (method names are unique within a package).
    For the ncms command and tests, which call many services of a package."""

    def __init__(self, channel: grpc.Channel, grpc_module) -> None:
        self._stubs = [getattr(grpc_module, name)(channel) for name in dir(grpc_module)
                       if name.endswith("Stub") and isinstance(getattr(grpc_module, name), type)]

    def __getattr__(self, method: str):
        for stub in self._stubs:
            if hasattr(stub, method):
                return getattr(stub, method)
        raise AttributeError(method)
