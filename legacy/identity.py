"""A legacy SOAP service's connections: identity (authentication, the audit of each
call's outcome) and, for the gateway, the services behind it.

Created lazily in each worker process (gRPC channels must not cross a fork). Every
call has a deadline; a failed call becomes the ContractError it carries, or E9001
when the service did not answer.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from typing import Any

import grpc

from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.auth import GATEWAY_CLIENT, bearer
from runtime.clients import ClientCredentials, identity_channel, open_channel
from runtime.errors import ContractError
from runtime.rpc_errors import from_rpc_error
from runtime.settings import Settings

log = logging.getLogger(__name__)


def health(channel: grpc.Channel, timeout: float) -> str:
    """The state a server's gRPC health check gives (SERVING, NOT_SERVING…), or why
    there is none."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    try:
        status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=timeout).status
    except grpc.RpcError as exc:
        return f"UNREACHABLE ({exc.code().name})"
    return health_pb2.HealthCheckResponse.ServingStatus.Name(status)


class Connections:
    """Identity, and any other service by name (its address from the settings)."""

    # The services behind identity that the operations use (listed by /readyz?verbose).
    services: tuple[str, ...] = ()

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.deadline = settings.grpc_deadline_seconds
        self._pid: int | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            channel = identity_channel(self.settings.identity_address)
            self._authentication = identity_pb2_grpc.AuthenticationServiceStub(channel)
            self._credentials = ClientCredentials(
                identity_pb2_grpc.TokenServiceStub(channel), GATEWAY_CLIENT,
                self.settings.secret("gateway_client_secret"), timeout=self.deadline)
            self._outcomes = OutcomeReporter(self._authentication, self._credentials, self.deadline)
            self._channels = {"identity": channel}
            self._stubs: dict[tuple[str, type], Any] = {}
            self._pid = os.getpid()

    def _channel(self, service: str) -> grpc.Channel:
        self._ensure()
        with self._lock:
            if service not in self._channels:
                self._channels[service] = open_channel(self.settings.address_of(service))
            return self._channels[service]

    def stub(self, service: str, stub_class: type) -> Any:
        """The stub of ``service`` (channel opened once per worker process)."""
        self._ensure()
        stub = self._stubs.get((service, stub_class))
        if stub is None:
            channel = self._channel(service)
            with self._lock:
                stub = self._stubs[(service, stub_class)] = stub_class(channel)
        return stub

    def readiness(self, *, verbose: bool = False, timeout: float = 0.8) -> tuple[bool, list[tuple[str, str]]]:
        """Whether this process can serve calls: identity answers SERVING and this
        process's client credentials get a token (every call is authenticated there
        first). With ``verbose``, the state of each service behind it too, reported
        but not judged (docs/decisions.md: readiness is this process's, an outage
        of a service is every gateway's and is answered E9001)."""
        self._ensure()
        state = health(self._channels["identity"], timeout)
        ready = state == "SERVING"
        if ready:
            try:
                self._credentials.metadata()
            except grpc.RpcError as exc:
                ready, state = False, f"SERVING, but this process's client credentials are refused ({exc.code().name})"
        states = [("identity", state)]
        if verbose:
            states += [(service, health(self._channel(service), timeout)) for service in self.services]
        return ready, states

    def call(self, method: Callable[..., Any], request: Any, token: str, *, deadline: float | None = None) -> Any:
        """``method(request)`` as the caller whose token is given, within ``deadline``
        seconds (default: the configured deadline); errors as ContractError."""
        try:
            return method(request, timeout=deadline or self.deadline, metadata=bearer(token))
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from None

    @property
    def hospital_users(self) -> identity_pb2_grpc.HospitalUserServiceStub:
        """The legacy user operations (yhklxgjk, Yhzjjk, Yhscjk)."""
        return self.stub("identity", identity_pb2_grpc.HospitalUserServiceStub)

    def authenticate(self, request: identity_pb2.AuthenticateRequest) -> identity_pb2.AuthenticateResponse:
        self._ensure()
        try:
            metadata = self._credentials.metadata()
            return self._authentication.Authenticate(request, timeout=self.deadline, metadata=metadata)
        except grpc.RpcError as exc:
            raise from_rpc_error(exc) from None

    def report_outcome(self, call_id: str, error: ContractError | None) -> None:
        self._ensure()
        self._outcomes.add(call_id, error)

    def close(self) -> None:
        if self._pid == os.getpid():
            self._outcomes.close()
            for channel in self._channels.values():
                channel.close()
            self._pid = None


class OutcomeReporter:
    """Sends how each authenticated call ended to the audit log, in batches.

    The decision itself is audited by identity before the call proceeds; the outcome
    follows within a second. If identity is unreachable, outcomes wait (bounded) and
    are retried; beyond the bound the oldest are dropped and the loss is logged.
    """

    def __init__(self, stub, credentials: ClientCredentials, deadline: float,
                 interval: float = 0.5, capacity: int = 50_000) -> None:
        self._stub = stub
        self._credentials = credentials
        self._deadline = deadline
        self._interval = interval
        self._queue: queue.Queue = queue.Queue(maxsize=capacity)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outcome-reporter", daemon=True)
        self._thread.start()

    def add(self, call_id: str, error: ContractError | None) -> None:
        outcome = identity_pb2.CallOutcome(
            call_id=call_id, error_code=error.code if error else "",
            detail=(error.detail[:200] if error else ""))
        try:
            self._queue.put_nowait(outcome)
        except queue.Full:
            log.error("outcome queue full: the outcome of call %s is not audited", call_id)

    def _drain(self, limit: int = 1000) -> list:
        batch = []
        while len(batch) < limit:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _send(self, batch: list) -> bool:
        try:
            self._stub.RecordCallOutcomes(identity_pb2.RecordCallOutcomesRequest(outcomes=batch),
                                          timeout=self._deadline, metadata=self._credentials.metadata())
            return True
        except grpc.RpcError as exc:
            log.warning("could not report %d call outcomes (%s); will retry", len(batch), exc.code())
            return False

    def _run(self) -> None:
        pending: list = []
        while not self._stopping.wait(self._interval):
            pending += self._drain()
            if pending and self._send(pending):
                pending = []
            if len(pending) > 10_000:
                log.error("dropping %d call outcomes: identity unreachable", len(pending) - 10_000)
                pending = pending[-10_000:]
        pending += self._drain(limit=1_000_000)
        if pending:
            self._send(pending)

    def close(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=self._deadline + 2)
