"""The WSGI front of a legacy SOAP service (the NCMS's gateway, a hospital's own
service): everything about the HTTP and SOAP envelope, nothing about the business.

Routes: ``/NcmsService.asmx`` (POST: SOAP 1.1, or SOAP 1.2 by its content type;
GET ``?wsdl``/``?WSDL``: the WSDL with the configured public address); ``/healthz``
(liveness: the process answers); ``/readyz`` (readiness: identity answers and this
process's credentials are good; ``?verbose`` also lists the services behind it).
Before spyne sees a request: the body-size limit (HTTP 413), the XML parsed safely in
any encoding with any DTD refused (xml_request.py; spyne takes the parsed envelope),
and the client's address (the socket peer, or, behind configured trusted proxies, the
nearest untrusted hop of X-Forwarded-For). Whatever goes wrong, the answer to a POST
is a SOAP Fault, never an HTML page or a traceback.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import logging
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol
from xml.sax.saxutils import escape as xml_escape

from spyne.server.wsgi import WsgiApplication

from runtime import metrics, telemetry
from runtime.logging import quiet_loggers
from runtime.settings import Settings

from . import message_header, soap, wsdl, xml_request
from .calls import Outcome
from .operations import DATASET, Operation

log = logging.getLogger(__name__)

ENDPOINT = "/ncmsservice.asmx"
CLIENT_IP = "ncms.client_ip"

StartResponse = Callable[..., object]


class TrustedProxies:
    def __init__(self, entries: str) -> None:
        self._networks = [ipaddress.ip_network(e.strip(), strict=False)
                          for e in entries.replace(";", ",").split(",") if e.strip()]

    def __contains__(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.strip().strip("[]"))
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        return any(ip.version == n.version and ip in n for n in self._networks)

    def client_address(self, peer: str, forwarded_for: str | None) -> str:
        """The caller: the peer, unless it is a trusted proxy; then, walking
        X-Forwarded-For from the right, the first address that is not a trusted proxy
        (addresses further left were written by the client and prove nothing)."""
        if not forwarded_for or peer not in self:
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            if hop not in self:
                return hop
        return hops[0] if hops else peer


def _call_span(operation: Operation, environ: dict):
    """The SERVER span of one legacy call (the root of its trace, or the child of a
    caller that sent a W3C traceparent header)."""
    if not telemetry.enabled():
        return contextlib.nullcontext()
    from opentelemetry import propagate
    from opentelemetry.trace import SpanKind

    carrier = {name: environ[key] for name, key in (("traceparent", "HTTP_TRACEPARENT"),
                                                    ("tracestate", "HTTP_TRACESTATE")) if key in environ}
    return telemetry.tracer("gateway").start_as_current_span(
        f"SOAP {operation.name}", kind=SpanKind.SERVER, context=propagate.extract(carrier))


def _plain(start_response: StartResponse, status: str, body: bytes,
           content_type: str = "text/plain; charset=utf-8") -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def fault_body(code: str, message: str, *, soap12: bool = False) -> tuple[bytes, str]:
    """A SOAP Fault (1.1, or 1.2) and its content type: ``code`` is ``Client.…`` or
    ``Server.…`` (1.2: Sender or Receiver, with the rest as the reason's prefix)."""
    message = xml_escape(message)
    if soap12:
        value = "soap:Sender" if code.startswith("Client") else "soap:Receiver"
        body = ('<?xml version="1.0" encoding="utf-8"?>'
                '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body><soap:Fault>'
                f"<soap:Code><soap:Value>{value}</soap:Value></soap:Code>"
                f'<soap:Reason><soap:Text xml:lang="zh-CN">{xml_escape(code)}: {message}</soap:Text></soap:Reason>'
                "</soap:Fault></soap:Body></soap:Envelope>")
        return body.encode(), "application/soap+xml; charset=utf-8"
    body = ('<?xml version="1.0" encoding="utf-8"?>'
            '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            f"<soap:Fault><faultcode>soap:{code}</faultcode><faultstring>{message}</faultstring>"
            "</soap:Fault></soap:Body></soap:Envelope>")
    return body.encode(), "text/xml; charset=utf-8"


def _fault(start_response: StartResponse, status: str, code: str, message: str, *,
           soap12: bool = False) -> list[bytes]:
    body, content_type = fault_body(code, message, soap12=soap12)
    return _plain(start_response, status, body, content_type)


class Processor(Protocol):
    """What answers a parsed call (legacy.calls.CallProcessor)."""

    def process(self, operation: Operation, parameters: dict, client_ip: str,
                header: message_header.MessageHeader | None = None) -> Outcome: ...

    def readiness(self, *, verbose: bool = False) -> tuple[bool, list[tuple[str, str]]]: ...

    def close(self) -> None: ...


class SoapFront:
    """The WSGI application serving ``operations``; ``processor`` answers each call."""

    def __init__(self, settings: Settings, processor: Processor, operations: Sequence[Operation],
                 public_url: str) -> None:
        quiet_loggers()
        self.settings = settings
        self.processor = processor
        self.max_body = settings.gateway_max_body_bytes
        self.proxies = TrustedProxies(settings.gateway_trusted_proxies)
        self.wsdl = wsdl.build(operations, public_url)
        soap11, soap12 = soap.applications(operations, self._dispatch)
        self._soap11 = WsgiApplication(soap11, max_content_length=self.max_body + 1)
        self._soap12 = WsgiApplication(soap12, max_content_length=self.max_body + 1)

    # --- spyne calls this for every operation -------------------------------------------

    def _dispatch(self, operation: Operation, parameters: dict, ctx) -> object:
        environ = ctx.transport.req_env
        client_ip = environ.get(CLIENT_IP, "")
        header = message_header.find(ctx.in_header_doc)
        if not (telemetry.enabled() or metrics.enabled()):
            return self._answer(operation, self.processor.process(operation, parameters, client_ip, header), ctx)
        started = time.perf_counter()
        with _call_span(operation, environ) as span:
            outcome = self.processor.process(operation, parameters, client_ip, header)
            result = outcome.error.code if outcome.error is not None else "ok"
            if span is not None:
                span.set_attribute("ncms.operation", operation.name)
                span.set_attribute("ncms.hospital_code", outcome.hospital)
                span.set_attribute("ncms.result", result)
        if metrics.enabled():
            metrics.SOAP_CALLS.labels(operation.name, outcome.hospital or "unknown", result).inc()
            metrics.SOAP_SECONDS.labels(operation.name).observe(time.perf_counter() - started)
        return self._answer(operation, outcome, ctx)

    @staticmethod
    def _answer(operation: Operation, outcome, ctx) -> object:
        if outcome.error is not None:
            if operation.returns == DATASET:
                ctx.out_header = soap.ErrorInfo(code=outcome.error.code, message=outcome.error.text)
                return None
            return outcome.error.text
        if operation.returns == DATASET:
            return outcome.value.elements()
        return outcome.value or ""

    # --- WSGI ---------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        try:
            return self._serve(environ, start_response)
        except Exception:
            reference = uuid.uuid4().hex[:12]
            log.exception("a request failed unexpectedly (reference %s)", reference)
            soap12 = environ.get("CONTENT_TYPE", "").startswith("application/soap+xml")
            body, content_type = fault_body("Server", f"服务器内部错误, 参考号 {reference} "
                                                      f"(internal error, reference {reference})", soap12=soap12)
            start_response("500 Internal Server Error",
                           [("Content-Type", content_type), ("Content-Length", str(len(body)))],
                           sys.exc_info())
            return [body]

    def _ready(self, environ: dict, start_response: StartResponse) -> list[bytes]:
        verbose = "verbose" in environ.get("QUERY_STRING", "")
        ready, states = self.processor.readiness(verbose=verbose)
        lines = ["ready" if ready else "not ready", *(f"{name}: {state}" for name, state in states)]
        return _plain(start_response, "200 OK" if ready else "503 Service Unavailable",
                      ("\n".join(lines) + "\n").encode())

    def _serve(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "").lower()
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz":
            return _plain(start_response, "200 OK", b"ok\n")
        if path == "/readyz":
            return self._ready(environ, start_response)
        if path != ENDPOINT:
            return _plain(start_response, "404 Not Found", b"not found; the service is at /NcmsService.asmx\n")
        if method in ("GET", "HEAD"):
            if environ.get("QUERY_STRING", "").lower() == "wsdl":
                return _plain(start_response, "200 OK", self.wsdl, "text/xml; charset=utf-8")
            return _plain(start_response, "200 OK",
                          b"NCMS legacy SOAP service; the WSDL is at ?wsdl\n")
        if method != "POST":
            return _plain(start_response, "405 Method Not Allowed", b"use POST\n")
        content_type = environ.get("CONTENT_TYPE", "")
        soap12 = content_type.startswith("application/soap+xml")
        body = self._read_body(environ)
        if body is None:
            return _fault(start_response, "413 Payload Too Large", "Client.RequestTooLarge",
                          f"请求超过 {self.max_body} 字节 (the request is larger than {self.max_body} bytes)",
                          soap12=soap12)
        try:
            environ[soap.PARSED_ENVELOPE] = xml_request.parse(body, content_type)
        except xml_request.NotXml as refused:
            return _fault(start_response, refused.status, refused.code, refused.message, soap12=soap12)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ[CLIENT_IP] = self.proxies.client_address(
            environ.get("REMOTE_ADDR", ""), environ.get("HTTP_X_FORWARDED_FOR"))
        return (self._soap12 if soap12 else self._soap11)(environ, start_response)

    def _read_body(self, environ: dict) -> bytes | None:
        """The request body, or None when it exceeds the limit (read no further)."""
        stream = environ["wsgi.input"]
        length = environ.get("CONTENT_LENGTH")
        if length:
            try:
                size = int(length)
            except ValueError:
                return b""
            if size > self.max_body:
                return None
            return stream.read(size)
        chunks, total = [], 0  # chunked transfer: count while reading
        while True:
            chunk = stream.read(64 * 1024)
            if not chunk:
                return b"".join(chunks)
            total += len(chunk)
            if total > self.max_body:
                return None
            chunks.append(chunk)

    def close(self) -> None:
        self.processor.close()
