"""What every ``ncms`` command shares: addresses, admin credentials, output, errors.

gRPC, protobuf and the settings are imported when a command first needs them, so that
``ncms --help`` and a usage mistake answer at once.
"""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import click

from .i18n import _

if TYPE_CHECKING:
    import grpc

    from runtime.clients import PackageStubs
    from runtime.settings import Settings


class CommandError(click.ClickException):
    """A one-line error for the user; exit status 1.

    With --json the error is also the one JSON object on stdout.
    """

    def __init__(self, message: str, code: str = "", details: dict | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.details = details or {}

    def show(self, file=None) -> None:
        click.echo(_("error: {message}").format(message=self.format_message()), err=True)


@dataclass
class Context:
    json_output: bool = False
    overrides: dict[str, str] = field(default_factory=dict)
    _channels: list[grpc.Channel] = field(default_factory=list)

    @cached_property
    def settings(self) -> Settings:
        from runtime import tls
        from runtime.settings import load_settings

        try:
            settings = load_settings(**self.overrides)
            if tls.files_from(settings) is None:
                # A suite `ncms up` started with this data directory speaks mutual TLS:
                # use the certificate it made for the ncms command.
                local = tls.local_files(settings.data_dir, "ncms")
                if local is not None:
                    os.environ.update(tls.environment(local))
                    settings = load_settings(**self.overrides)
            return settings
        except Exception as exc:  # pydantic's validation message names the variable
            raise CommandError(_("configuration: {problem}").format(problem=exc)) from None

    @cached_property
    def admin_token(self) -> Callable[[], str]:
        """The administrator's token, from the ncms-admin client secret."""
        from ncms.identity.v1 import identity_pb2_grpc
        from runtime.auth import ADMIN_CLIENT
        from runtime.clients import ClientCredentials, identity_channel
        from runtime.settings import ConfigurationError

        try:
            secret = self.settings.secret("admin_client_secret")
        except ConfigurationError as exc:
            raise CommandError(str(exc)) from None
        stub = identity_pb2_grpc.TokenServiceStub(self._channel("identity", identity_channel))
        return ClientCredentials(stub, ADMIN_CLIENT, secret).token

    def _channel(self, service: str, opener: Callable[[str], grpc.Channel] | None = None) -> grpc.Channel:
        from runtime.clients import open_channel

        channel = (opener or open_channel)(self.settings.address_of(service))
        self._channels.append(channel)
        return channel

    def stub(self, service: str, stub_class: type) -> Any:
        """A stub for ``service`` whose calls carry the administrator's token."""
        return stub_class(self._admin_channel(service))

    def _admin_channel(self, service: str) -> grpc.Channel:
        from runtime.clients import identity_channel, open_channel, with_token

        channel = self._channel(service, identity_channel if service == "identity" else open_channel)
        return with_token(channel, self.admin_token)

    def services(self, service: str, grpc_module) -> PackageStubs:
        """Every gRPC service of ``service``'s package (e.g. identity_pb2_grpc), as the
        administrator."""
        from runtime.clients import PackageStubs

        return PackageStubs(self._admin_channel(service), grpc_module)

    @property
    def identity(self) -> PackageStubs:
        from ncms.identity.v1 import identity_pb2_grpc

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
        import grpc

        try:
            yield
        except grpc.RpcError as exc:
            raise self._explain(service, exc) from None

    def _explain(self, service: str, exc: grpc.RpcError) -> CommandError:
        import grpc

        from runtime.errors import ContractError, ServiceUnavailable
        from runtime.rpc_errors import from_rpc_error

        code = exc.code() if hasattr(exc, "code") else None
        if code == grpc.StatusCode.UNAUTHENTICATED and "client" in (exc.details() or ""):
            return CommandError(_(
                "the administrator credentials were refused: the ncms command must use the "
                "same NCMS_ADMIN_CLIENT_SECRET (or NCMS_DATA_DIR) as the running services"))
        error = from_rpc_error(exc)
        if not isinstance(error, ServiceUnavailable):  # the service answered, with its reason
            if isinstance(error, ContractError):
                return CommandError(error.text, error.code)
            return CommandError(error.message, error.reason)
        if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            return CommandError(_(
                "cannot reach the {service} service at {address} (is `ncms up` running, or "
                "NCMS_{SERVICE}_ADDRESS set?)").format(service=service, address=self.settings.address_of(service),
                                                       SERVICE=service.upper()), "UNAVAILABLE")
        return CommandError(str(exc))

    def domain_error(self, exc: grpc.RpcError):
        """The refusal behind a failed call (with its field violations), for commands that
        show more than one line of it."""
        from runtime.rpc_errors import from_rpc_error

        return from_rpc_error(exc)


def message_dict(message) -> dict:
    from google.protobuf.json_format import MessageToDict

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
        click.echo(indent + _("(none)"))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def fail(message: str) -> None:
    raise CommandError(message)


pass_context = click.make_pass_decorator(Context)

# Option help shared by many commands (each text once).
HOSPITAL = _("Hospital code (医院代码 yydm).")
