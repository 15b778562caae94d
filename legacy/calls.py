"""One legacy call, from parsed parameters to the contract's return value.

1. DataSets are read as transmitted, and the digest's canonical message is built
   from every parameter, and from the MessageHeader when one was sent (digest.py,
   message_header.py).
2. Identity decides the call (hospital, digest, user, address, lock-out, password,
   authorisation, letter) and audits the decision; a refusal ends the call here, so
   nothing about the data is revealed to a caller that is not authenticated.
3. The operation's handler validates the data (E2001 names table, row and column)
   and calls the owning service with the caller's token. A service names a bad value
   by its path in the request (``lines[3].amount``); the handler's ``LegacyFields``
   turn that back into the table, row and column the hospital sent (表mzmx 第4行 列je).
4. The outcome goes to the audit log.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from ncms.identity.v1 import identity_pb2
from runtime.errors import ContractError, FieldViolation, ServiceUnavailable

from . import datasets, digest
from .identity import Connections
from .message_header import MessageHeader
from .operations import Operation

log = logging.getLogger(__name__)


@dataclass
class Call:
    """An authenticated legacy call, as a handler sees it."""

    operation: Operation
    strings: dict[str, str]
    datasets: dict[str, datasets.DataSet]
    principal: identity_pb2.Principal
    token: str
    call_id: str
    backends: Connections
    max_rows: int

    def text(self, name: str) -> str:
        """A string parameter, trimmed for business use."""
        return self.strings.get(name, "").strip()

    def rows(self, name: str) -> list[dict]:
        """A DataSet parameter's rows, validated against its table (E2001)."""
        parameter = next(p for p in self.operation.parameters if p.name == name)
        return datasets.validate(name, self.datasets[name], parameter.table, max_rows=self.max_rows)

    def service(self, method: Callable, request, fields: LegacyFields | None = None, *,
                deadline: float | None = None):
        """Call a service method as this caller (its token; the deadline, or ``deadline``
        seconds); a refusal that names a field of ``request`` is said in the legacy
        message's words (``fields``)."""
        try:
            return self.backends.call(method, request, self.token, deadline=deadline)
        except ContractError as error:
            raise error if fields is None else fields.reword(error) from None


@dataclass(frozen=True)
class LegacyTable:
    """Where a part of a request came from: a DataSet parameter's table, and which
    column each field of its messages was read from."""

    parameter: str
    table: str
    columns: Mapping[str, str]


_FIELD = re.compile(r"^(?P<part>\w+)(?:\[(?P<row>\d+)\])?(?:\.(?P<field>\w+))?")


@dataclass(frozen=True)
class LegacyFields:
    """A request's fields in the legacy message's words: ``tables`` for parts read from
    DataSets (a repeated part's index is the row), ``strings`` for string parameters."""

    tables: Mapping[str, LegacyTable] = field(default_factory=dict)
    strings: Mapping[str, str] = field(default_factory=dict)

    def place(self, path: str) -> tuple[str, str] | None:
        """(where, as a person reads it, ending in a separator; the digest-style path)
        of a request field."""
        match = _FIELD.match(path)
        if match is None:
            return None
        part, row, name = match.group("part"), match.group("row"), match.group("field")
        if part in self.strings and row is None and name is None:
            return f"{self.strings[part]}: ", self.strings[part]
        table = self.tables.get(part)
        if table is None:
            return None
        index = int(row or 0)
        if name is None:
            return f"表{table.table} ", f"{table.parameter}.{table.table}"
        column = table.columns.get(name, name)
        return (f"表{table.table} 第{index + 1}行 列{column}: ",
                f"{table.parameter}.{table.table}[{index}].{column}")

    def reword(self, error: ContractError) -> ContractError:
        if not error.violations:
            return error
        violation = error.violations[0]
        place = self.place(violation.field)
        if place is None:
            return error
        where, path = place
        detail = error.detail
        if detail.startswith(f"{violation.field}: "):
            detail = where + detail[len(violation.field) + 2:]
        return ContractError(error.code, detail, [FieldViolation(path, violation.description),
                                                  *error.violations[1:]])


Handler = Callable[[Call], object]


@dataclass
class Outcome:
    value: object = None  # "" or a string for string operations, a datasets.Result
    error: ContractError | None = None
    hospital: str = ""  # the authenticated caller's hospital ("" when refused)


@dataclass
class CallProcessor:
    backends: Connections
    handlers: dict[str, Handler]
    max_rows: int
    fallback: Handler = field(default=None)  # type: ignore[assignment]
    # The hospital a hospital's own service serves: the one an operation without a
    # hospital parameter (zysjcxjk) is about. None on the NCMS side.
    own_hospital: str | None = None

    def process(self, operation: Operation, parameters: dict, client_ip: str,
                header: MessageHeader | None = None) -> Outcome:
        strings = {p.name: parameters.get(p.name) or "" for p in operation.parameters
                   if p.kind != "dataset"}
        received = {p.name: datasets.read(parameters.get(p.name)) for p in operation.datasets}
        signed = {**strings, **{name: ds.digest_cells() for name, ds in received.items()}}
        if header is not None:
            signed.update(header.digest_pairs())
        request = identity_pb2.AuthenticateRequest(
            hospital_code=(strings.get(operation.hospital_parameter, "") if operation.hospital_parameter
                           else self.own_hospital or ""),
            user=strings.get(operation.user_parameter, ""),
            password=strings.get(operation.password_parameter, ""),
            client_ip=client_ip, operation=operation.name,
            digest_message=digest.canonical_message(operation.name, signed),
            digest=strings.get("xxzy", ""))
        if header is not None:
            request.message_header.message_id = header.msgid
            request.message_header.send_time = header.sendtime
        try:
            authenticated = self.backends.authenticate(request)
        except ContractError as refusal:
            return Outcome(error=refusal)
        call = Call(operation, strings, received, authenticated.principal, authenticated.token,
                    authenticated.call_id, self.backends, self.max_rows)
        handler = self.handlers.get(operation.name, self.fallback or not_available)
        hospital = authenticated.principal.hospital_code
        try:
            value = handler(call)
        except ContractError as error:
            self.backends.report_outcome(call.call_id, error)
            return Outcome(error=error, hospital=hospital)
        except Exception:
            reference = uuid.uuid4().hex[:12]
            log.exception("%s failed unexpectedly (call %s, reference %s)", operation.name,
                          call.call_id, reference)
            error = ServiceUnavailable(f"参考号 {reference}")
            self.backends.report_outcome(call.call_id, error)
            return Outcome(error=error, hospital=hospital)
        self.backends.report_outcome(call.call_id, None)
        return Outcome(value=value, hospital=hospital)


    def readiness(self, *, verbose: bool = False) -> tuple[bool, list[tuple[str, str]]]:
        return self.backends.readiness(verbose=verbose)

    def close(self) -> None:
        self.backends.close()


def not_available(call: Call) -> object:
    raise ServiceUnavailable(f"{call.operation.name} 暂未开通")
