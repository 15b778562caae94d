"""The services the console calls, over gRPC, as the person signed in.

Channels are opened once per process through ``runtime.clients`` (so that they get
whatever transport security the suite's clients get). Two kinds of calls:

- as the console itself (client ``ncms-console``, role ``console``): signing people in
  and out, refreshing a session, a person's own password and second factor;
- as the person: every other call carries the person's own token (``flask.g.token``),
  and each service decides by the person's roles whether it may be done.

Every call has a deadline.
"""

from __future__ import annotations

import functools
import urllib.request
from collections.abc import Callable

import grpc
from flask import g

from ncms.catalog.v1 import catalog_pb2_grpc
from ncms.enrollment.v1 import enrollment_pb2_grpc
from ncms.identity.v1 import identity_pb2_grpc, staff_pb2_grpc
from ncms.settlement.v1 import settlement_pb2_grpc, supervision_pb2_grpc
from runtime.auth import CONSOLE_CLIENT
from runtime.clients import (
    ClientCredentials,
    PackageStubs,
    identity_channel,
    open_channel,
    with_token,
)
from runtime.settings import Settings

SERVICES = ("identity", "catalog", "enrollment", "settlement")


class Stubs:
    """The services of some proto modules on one channel, each call with a deadline."""

    def __init__(self, channel: grpc.Channel, modules, timeout: float) -> None:
        self._parts = [PackageStubs(channel, module) for module in modules]
        self._timeout = timeout

    def __getattr__(self, method: str) -> Callable:
        for part in self._parts:
            try:
                found = getattr(part, method)
            except AttributeError:
                continue
            return functools.partial(found, timeout=self._timeout)
        raise AttributeError(method)


def _person_token() -> str:
    return getattr(g, "token", "") or ""


class Backends:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        timeout = settings.grpc_deadline_seconds
        self._channels = {"identity": identity_channel(settings.identity_address)}
        for name in SERVICES[1:]:
            self._channels[name] = open_channel(settings.address_of(name))
        identity = self._channels["identity"]
        credentials = ClientCredentials(identity_pb2_grpc.TokenServiceStub(identity), CONSOLE_CLIENT,
                                        settings.secret("console_client_secret"), timeout=timeout)
        self.console = Stubs(with_token(identity, credentials.token), [staff_pb2_grpc], timeout)
        person = {name: with_token(channel, _person_token) for name, channel in self._channels.items()}
        self.identity = Stubs(person["identity"], [identity_pb2_grpc, staff_pb2_grpc], timeout)
        self.catalog = Stubs(person["catalog"], [catalog_pb2_grpc], timeout)
        self.enrollment = Stubs(person["enrollment"], [enrollment_pb2_grpc], timeout)
        self.settlement = Stubs(person["settlement"], [settlement_pb2_grpc], timeout)
        # Findings are computed when asked for: a longer deadline.
        self.supervision = Stubs(person["settlement"], [supervision_pb2_grpc], max(timeout, 30.0))

    def health(self) -> dict[str, str]:
        """Each component's state: "serving", "not serving" or "unreachable"."""
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        states = {}
        for name, channel in self._channels.items():
            try:
                status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1.0).status
                states[name] = "serving" if status == health_pb2.HealthCheckResponse.SERVING else "not serving"
            except grpc.RpcError:
                states[name] = "unreachable"
        try:
            url = f"http://{self.settings.gateway_address}/healthz"
            with urllib.request.urlopen(url, timeout=1.0) as response:  # noqa: S310 (our own gateway)
                states["gateway"] = "serving" if response.status == 200 else "not serving"
        except OSError:
            states["gateway"] = "unreachable"
        return states

    def close(self) -> None:
        for channel in self._channels.values():
            channel.close()
