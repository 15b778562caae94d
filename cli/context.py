"""What every ``ncms`` command shares: addresses, admin credentials, output, errors."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import click
import grpc
from google.protobuf.json_format import MessageToDict

from ncms.identity.v1 import identity_pb2_grpc
from runtime.auth import ADMIN_CLIENT
from runtime.clients import (
    ClientCredentials,
    PackageStubs,
    identity_channel,
    open_channel,
    with_token,
)
from runtime.errors import ContractError, ServiceUnavailable
from runtime.rpc_errors import from_rpc_error
from runtime.settings import ConfigurationError, Settings, load_settings


class CommandError(click.ClickException):
    """A one-line error for the user; exit status 1.

    With --json the error is also the one JSON object on stdout.
    """

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


@dataclass
class Context:
    json_output: bool = False
    overrides: dict[str, str] = field(default_factory=dict)
    _channels: list[grpc.Channel] = field(default_factory=list)

    @cached_property
    def settings(self) -> Settings:
        try:
            return load_settings(**self.overrides)
        except Exception as exc:  # pydantic's validation message names the variable
            raise CommandError(f"configuration: {exc}") from None

    @cached_property
    def admin_token(self) -> Callable[[], str]:
        """The administrator's token, from the ncms-admin client secret."""
        try:
            secret = self.settings.secret("admin_client_secret")
        except ConfigurationError as exc:
            raise CommandError(str(exc)) from None
        stub = identity_pb2_grpc.TokenServiceStub(self._channel("identity", identity_channel))
        return ClientCredentials(stub, ADMIN_CLIENT, secret).token

    def _channel(self, service: str, opener: Callable[[str], grpc.Channel] = open_channel) -> grpc.Channel:
        channel = opener(self.settings.address_of(service))
        self._channels.append(channel)
        return channel

    def stub(self, service: str, stub_class: type) -> Any:
        """A stub for ``service`` whose calls carry the administrator's token."""
        return stub_class(self._admin_channel(service))

    def _admin_channel(self, service: str) -> grpc.Channel:
        channel = self._channel(service, identity_channel if service == "identity" else open_channel)
        return with_token(channel, self.admin_token)

    def services(self, service: str, grpc_module) -> PackageStubs:
        """Every gRPC service of ``service``'s package (e.g. identity_pb2_grpc), as the
        administrator."""
        return PackageStubs(self._admin_channel(service), grpc_module)

    @property
    def identity(self) -> PackageStubs:
        return self.services("identity", identity_pb2_grpc)

    def close(self) -> None:
        for channel in self._channels:
            channel.close()

    # --- output ---------------------------------------------------------------------

    def emit(self, data: dict, human: Callable[[], None]) -> None:
        """Print ``data`` as one JSON object with --json, else call ``human``."""
        if self.json_output:
            click.echo(json.dumps(data, ensure_ascii=False, indent=None, default=str))
        else:
            human()

    @contextmanager
    def calling(self, service: str) -> Iterator[None]:
        """Turn a failed call into a one-line error that says what to do."""
        try:
            yield
        except grpc.RpcError as exc:
            raise self._explain(service, exc) from None

    def _explain(self, service: str, exc: grpc.RpcError) -> CommandError:
        code = exc.code() if hasattr(exc, "code") else None
        if code == grpc.StatusCode.UNAUTHENTICATED and "client" in (exc.details() or ""):
            return CommandError(
                "the administrator credentials were refused: the ncms command must use the "
                "same NCMS_ADMIN_CLIENT_SECRET (or NCMS_DATA_DIR) as the running services")
        error = from_rpc_error(exc)
        if not isinstance(error, ServiceUnavailable):  # the service answered, with its reason
            if isinstance(error, ContractError):
                return CommandError(error.text, error.code)
            return CommandError(error.message, error.reason)
        if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            return CommandError(
                f"cannot reach the {service} service at {self.settings.address_of(service)} "
                f"(is `ncms up` running, or NCMS_{service.upper()}_ADDRESS set?)", "UNAVAILABLE")
        return CommandError(str(exc))


def message_dict(message) -> dict:
    return MessageToDict(message, preserving_proto_field_name=True,
                         always_print_fields_with_no_presence=True)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, indent: str = "") -> None:
    """A plain aligned table (wide characters counted as two columns)."""
    cells = [[str(c) for c in headers]] + [[("" if c is None else str(c)) for c in r] for r in rows]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        click.echo(indent + "  ".join(c + " " * (widths[i] - _width(c)) for i, c in enumerate(row)).rstrip())
        if index == 0:
            click.echo(indent + "  ".join("-" * w for w in widths))
    if not rows:
        click.echo(indent + "(none)")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fail(message: str) -> None:
    raise CommandError(message)
