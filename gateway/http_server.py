"""The gateway's HTTP/1.1 server: requests are read whole, on an event loop, before a
worker thread is taken, so slow clients cannot starve the gateway.

gunicorn's threaded worker gives a connection a thread as soon as its first bytes
arrive, and the thread then waits for the rest: eight clients sending a body one byte
every few seconds held every thread of two workers (issue 18). Here each gunicorn
worker process runs ``BufferingWorker``: one asyncio loop reads every connection's
request line, headers and body within deadlines and limits, and only a complete
request goes to the worker's thread pool, which runs the WSGI application. What a
slow client holds is a socket and the bytes it has sent, bounded per process.

- A request's line and headers must arrive within ``gateway_header_timeout_seconds``
  (64 KiB at most, 100 header fields); its body within
  ``gateway_body_timeout_seconds`` plus one second per ``gateway_min_body_rate``
  bytes received so far. A client that falls behind is answered 408 and closed.
- A body over ``gateway_max_body_bytes`` is refused (413) without reading it; the
  bodies a process holds at once stay under ``gateway_max_buffered_bytes``, its
  connections under ``gateway_max_connections`` (503 beyond). Answers are written
  within the same body timeout. Every refusal is a SOAP Fault.
- Framing is strict (RFC 9112): Content-Length and Transfer-Encoding together, an
  unknown transfer coding, a malformed length or chunk, obsolete line folding and
  header names with an underscore are refused, so nothing in front of the gateway
  and the gateway can read a request differently.
- ``Expect: 100-continue`` (what .NET clients send) is answered once the headers are
  accepted. Keep-alive as HTTP/1.1 says, for ``keepalive`` seconds between requests.
- HTTPS when ``gateway_tls_cert_file`` and ``gateway_tls_key_file`` are set (TLS 1.2
  or later; the handshake within the header timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import ssl
import sys
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import formatdate
from urllib.parse import unquote_to_bytes

from gunicorn.workers.base import Worker

from legacy.front import fault_body
from runtime.settings import Settings

log = logging.getLogger(__name__)

MAX_HEAD_BYTES = 64 * 1024
MAX_HEADERS = 100
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade",
               "proxy-connection", "te", "trailer"}


@dataclass(frozen=True)
class Limits:
    max_body: int
    header_timeout: float
    body_timeout: float
    min_body_rate: int
    keepalive: float
    max_connections: int
    max_buffered: int

    @classmethod
    def from_settings(cls, settings: Settings, keepalive: float) -> Limits:
        return cls(settings.gateway_max_body_bytes, settings.gateway_header_timeout_seconds,
                   settings.gateway_body_timeout_seconds, settings.gateway_min_body_rate, keepalive,
                   settings.gateway_max_connections, settings.gateway_max_buffered_bytes)


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """The server's TLS context when a certificate and key are configured."""
    cert, key = settings.gateway_tls_cert_file, settings.gateway_tls_key_file
    if not cert and not key:
        return None
    if not (cert and key):
        from runtime.settings import ConfigurationError

        raise ConfigurationError("NCMS_GATEWAY_TLS_CERT_FILE and NCMS_GATEWAY_TLS_KEY_FILE go together: set both")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key))
    return context


class Refusal(Exception):
    """An answer to send before the application sees the request, then close."""

    def __init__(self, status: str, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class _Gone(Exception):
    """The client went away or fell silent: close without an answer."""


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        values = [value for key, value in self.headers if key == name]
        return ", ".join(values) if values else None

    @property
    def keep_alive(self) -> bool:
        connection = (self.header("connection") or "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection


class _Budget:
    """The body bytes a worker process holds at once."""

    def __init__(self, limit: int) -> None:
        self.limit, self.held = limit, 0

    def take(self, size: int) -> None:
        if self.held + size > self.limit:
            raise Refusal("503 Service Unavailable", "Server.Busy", "服务繁忙, 请稍后重试 (busy, retry later)")
        self.held += size

    def give(self, size: int) -> None:
        self.held -= size


class _BodyReader:
    """Reads a body against its deadline: the body timeout plus one second per
    ``min_rate`` bytes received so far."""

    def __init__(self, reader: asyncio.StreamReader, limits: Limits, budget: _Budget) -> None:
        self.reader, self.limits, self.budget = reader, limits, budget
        self.loop = asyncio.get_running_loop()
        self.started = self.loop.time()
        self.received = 0
        self.taken = 0

    def _remaining(self) -> float:
        remaining = self.started + self.limits.body_timeout + self.received / self.limits.min_body_rate - self.loop.time()
        if remaining <= 0:
            raise Refusal("408 Request Timeout", "Client.Timeout",
                          "请求正文发送过慢 (the request body arrived too slowly)")
        return remaining

    async def _wait(self, awaitable):
        try:
            return await asyncio.wait_for(awaitable, self._remaining())
        except TimeoutError:
            raise Refusal("408 Request Timeout", "Client.Timeout",
                          "请求正文发送过慢 (the request body arrived too slowly)") from None

    def _account(self, size: int) -> None:
        if self.taken + size > self.limits.max_body:
            raise Refusal("413 Payload Too Large", "Client.RequestTooLarge",
                          f"请求超过 {self.limits.max_body} 字节 (the request is larger than {self.limits.max_body} bytes)")
        self.budget.take(size)
        self.taken += size

    async def exactly(self, size: int) -> bytes:
        self._account(size)
        parts = []
        left = size
        while left:
            chunk = await self._wait(self.reader.read(min(left, 64 * 1024)))
            if not chunk:
                raise _Gone
            parts.append(chunk)
            left -= len(chunk)
            self.received += len(chunk)
        return b"".join(parts)

    async def line(self) -> bytes:
        try:
            line = await self._wait(self.reader.readuntil(b"\r\n"))
        except (asyncio.IncompleteReadError, ConnectionError):
            raise _Gone from None
        except asyncio.LimitOverrunError:
            raise Refusal("400 Bad Request", "Client.BadRequest", "分块行过长 (chunk line too long)") from None
        self.received += len(line)
        return line[:-2]

    async def chunked(self) -> bytes:
        parts = []
        while True:
            size_text = (await self.line()).split(b";", 1)[0].strip(b" \t")
            if not _CHUNK_SIZE.fullmatch(size_text):
                raise Refusal("400 Bad Request", "Client.BadRequest", "分块大小无效 (invalid chunk size)")
            size = int(size_text, 16)
            if size == 0:
                for _ in range(MAX_HEADERS + 1):  # trailers, ignored, up to the empty line
                    if not await self.line():
                        return b"".join(parts)
                raise Refusal("400 Bad Request", "Client.BadRequest", "尾部字段过多 (too many trailer fields)")
            parts.append(await self.exactly(size))
            if await self.line() != b"":
                raise Refusal("400 Bad Request", "Client.BadRequest", "分块未以 CRLF 结束 (chunk not ended by CRLF)")

    def release(self) -> None:
        self.budget.give(self.taken)
        self.taken = 0


def _parse_head(head: bytes) -> Request:
    lines = head.lstrip(b"\r\n").split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or not _TOKEN.fullmatch(parts[0]) or not parts[1]:
        raise Refusal("400 Bad Request", "Client.BadRequest", "请求行无效 (invalid request line)")
    version = parts[2].decode("latin-1")
    if not re.fullmatch(r"HTTP/[0-9]\.[0-9]", version):
        raise Refusal("400 Bad Request", "Client.BadRequest", "请求行无效 (invalid request line)")
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise Refusal("505 HTTP Version Not Supported", "Client.BadRequest", "只支持 HTTP/1.1 和 HTTP/1.0")
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        if line[:1] in (b" ", b"\t"):
            raise Refusal("400 Bad Request", "Client.BadRequest", "不接受折行的头字段 (obsolete line folding)")
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):
            raise Refusal("400 Bad Request", "Client.BadRequest", "头字段无效 (invalid header field)")
        headers.append((name.decode("latin-1").lower(), value.strip(b" \t").decode("latin-1")))
    if len(headers) > MAX_HEADERS:
        raise Refusal("431 Request Header Fields Too Large", "Client.BadRequest", "头字段过多 (too many header fields)")
    return Request(parts[0].decode("latin-1"), parts[1].decode("latin-1"), version, headers)


def _content_length(request: Request) -> int | None:
    values = {value.strip() for key, value in request.headers if key == "content-length"}
    if not values:
        return None
    if len(values) != 1 or not re.fullmatch(r"[0-9]{1,18}", next(iter(values))):
        raise Refusal("400 Bad Request", "Client.BadRequest", "Content-Length 无效 (invalid Content-Length)")
    return int(next(iter(values)))


def _is_chunked(request: Request) -> bool:
    codings = [value for key, value in request.headers if key == "transfer-encoding"]
    if not codings:
        return False
    if request.version == "HTTP/1.0":
        raise Refusal("400 Bad Request", "Client.BadRequest", "HTTP/1.0 不能分块传输 (no chunked transfer in HTTP/1.0)")
    if [c.strip().lower() for c in codings] != ["chunked"]:
        raise Refusal("501 Not Implemented", "Client.BadRequest",
                      "只支持 chunked 传输编码 (only the chunked transfer coding is supported)")
    return True


class HttpFront:
    """Serves a WSGI application: the loop reads and writes, ``threads`` run it."""

    def __init__(self, app: Callable, limits: Limits, *, threads: int, tls: bool = False) -> None:
        self.app = app
        self.limits = limits
        self.tls = tls
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")
        self.budget = _Budget(limits.max_buffered)
        self.connections = 0
        self.active: set[asyncio.Task] = set()
        self.busy: set[asyncio.Task] = set()  # between a request's head and its answer
        self.stopping = False

    # --- a connection ---------------------------------------------------------------------

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self.active.add(task)
        self.connections += 1
        try:
            if self.connections > self.limits.max_connections:
                await self._refuse(writer, Refusal("503 Service Unavailable", "Server.Busy",
                                                   "连接过多, 请稍后重试 (too many connections, retry later)"))
                return
            first = True
            while not self.stopping:
                if not await self._one(reader, writer, first):
                    break
                first = False
        except (_Gone, ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        except Exception:
            log.exception("connection failed unexpectedly")
        finally:
            self.connections -= 1
            self.active.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, first: bool) -> bool:
        """Read, run and answer one request; whether to keep the connection."""
        wait = self.limits.header_timeout if first else self.limits.keepalive + self.limits.header_timeout
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), wait)
        except (TimeoutError, asyncio.IncompleteReadError):
            return False  # idle, silent or gone: close without a word
        except asyncio.LimitOverrunError:
            await self._refuse(writer, Refusal("431 Request Header Fields Too Large", "Client.BadRequest",
                                               "请求头过长 (request head too long)"))
            return False
        body_reader = _BodyReader(reader, self.limits, self.budget)
        task = asyncio.current_task()
        self.busy.add(task)
        try:
            request = _parse_head(head)
            length = _content_length(request)
            chunked = _is_chunked(request)
            if chunked and length is not None:
                raise Refusal("400 Bad Request", "Client.BadRequest",
                              "Content-Length 与 Transfer-Encoding 不能同时出现")
            if length is not None and length > self.limits.max_body:
                raise Refusal("413 Payload Too Large", "Client.RequestTooLarge",
                              f"请求超过 {self.limits.max_body} 字节 (the request is larger than "
                              f"{self.limits.max_body} bytes)")
            expect = (request.header("expect") or "").lower()
            if expect:
                if expect != "100-continue" or request.version != "HTTP/1.1":
                    raise Refusal("417 Expectation Failed", "Client.BadRequest", "Expect 无效")
                if chunked or length:
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            if chunked:
                request.body = await body_reader.chunked()
            elif length:
                request.body = await body_reader.exactly(length)
            status, headers, body = await asyncio.get_running_loop().run_in_executor(
                self.pool, self._run, request, writer)
            keep = request.keep_alive and not self.stopping
            await self._respond(writer, request, status, headers, body, keep)
            return keep
        except Refusal as refusal:
            await self._refuse(writer, refusal, request_soap12=b"application/soap+xml" in head.lower())
            return False
        finally:
            body_reader.release()
            self.busy.discard(task)

    # --- the application ------------------------------------------------------------------

    def _environ(self, request: Request, writer: asyncio.StreamWriter) -> dict:
        import io

        target = request.target
        if target.startswith(("http://", "https://")):  # absolute form: keep the path
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        path, _, query = target.partition("?")
        peer = writer.get_extra_info("peername") or ("", 0)
        local = writer.get_extra_info("sockname") or ("", 0)
        environ = {
            "REQUEST_METHOD": request.method, "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"), "QUERY_STRING": query,
            "SERVER_NAME": str(local[0]), "SERVER_PORT": str(local[1]), "SERVER_PROTOCOL": request.version,
            "REMOTE_ADDR": str(peer[0]), "REMOTE_PORT": str(peer[1]),
            "CONTENT_LENGTH": str(len(request.body)),
            "wsgi.version": (1, 0), "wsgi.url_scheme": "https" if self.tls else "http",
            "wsgi.input": io.BytesIO(request.body), "wsgi.errors": sys.stderr,
            "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
            "wsgi.input_terminated": True,
        }
        for name, value in request.headers:
            if "_" in name or name in ("content-length", "transfer-encoding"):
                continue  # an underscore could pass for a dash (X_Forwarded_For); framing is ours
            if name == "content-type":
                environ["CONTENT_TYPE"] = value
                continue
            key = "HTTP_" + name.upper().replace("-", "_")
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ

    def _run(self, request: Request, writer: asyncio.StreamWriter) -> tuple[str, list[tuple[str, str]], bytes]:
        started: list = []

        def start_response(status, headers, exc_info=None):
            if exc_info and started:
                raise exc_info[1].with_traceback(exc_info[2])
            started[:] = [status, headers]
            return lambda data: chunks.append(data)

        chunks: list[bytes] = []
        try:
            result = self.app(self._environ(request, writer), start_response)
            try:
                chunks.extend(result)
            finally:
                if hasattr(result, "close"):
                    result.close()
            return started[0], started[1], b"".join(chunks)
        except Exception:
            reference = uuid.uuid4().hex[:12]
            log.exception("the application failed (reference %s)", reference)
            body, content_type = fault_body("Server", f"服务器内部错误, 参考号 {reference} "
                                                      f"(internal error, reference {reference})")
            return "500 Internal Server Error", [("Content-Type", content_type)], body

    # --- answers ---------------------------------------------------------------------------

    async def _respond(self, writer: asyncio.StreamWriter, request: Request | None, status: str,
                       headers: list[tuple[str, str]], body: bytes, keep: bool) -> None:
        lines = [f"HTTP/1.1 {status}", f"Date: {formatdate(usegmt=True)}"]
        lines += [f"{name}: {value}" for name, value in headers if name.lower() not in _HOP_BY_HOP]
        lines += [f"Content-Length: {len(body)}", "Connection: keep-alive" if keep else "Connection: close"]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if request is None or request.method != "HEAD":
            writer.write(body)
        try:
            await asyncio.wait_for(writer.drain(), self.limits.body_timeout + len(body) / self.limits.min_body_rate)
        except TimeoutError:
            raise _Gone from None

    async def _refuse(self, writer: asyncio.StreamWriter, refusal: Refusal, *, request_soap12: bool = False) -> None:
        body, content_type = fault_body(refusal.code, refusal.message, soap12=request_soap12)
        with contextlib.suppress(_Gone, ConnectionError):
            await self._respond(writer, None, refusal.status, [("Content-Type", content_type)], body, False)

    # --- stopping ---------------------------------------------------------------------------

    async def drain(self, grace: float) -> None:
        """Stop taking requests; close idle connections at once and let the requests
        being read or answered finish within ``grace``."""
        self.stopping = True
        for task in self.active - self.busy:
            task.cancel()
        if self.busy:
            await asyncio.wait(list(self.busy), timeout=grace)
        for task in list(self.active):
            task.cancel()
        self.pool.shutdown(wait=False, cancel_futures=True)


class BufferingWorker(Worker):
    """A gunicorn worker process serving the WSGI app through ``HttpFront``."""

    settings: Settings  # set by gateway.server before the workers are forked

    def run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        settings = self.settings
        context = tls_context(settings)
        limits = Limits.from_settings(settings, float(self.cfg.keepalive))
        front = HttpFront(self.wsgi, limits, threads=self.cfg.threads, tls=context is not None)
        servers = [await asyncio.start_server(
            front.handle, sock=listener.sock, ssl=context, limit=MAX_HEAD_BYTES, backlog=self.cfg.backlog,
            ssl_handshake_timeout=limits.header_timeout if context else None) for listener in self.sockets]
        try:
            while self.alive:
                self.notify()
                if os.getppid() != self.ppid:
                    self.log.info("parent changed, shutting down: %s", self)
                    break
                await asyncio.sleep(1.0)
        finally:
            for server in servers:
                server.close()
            await front.drain(float(self.cfg.graceful_timeout))
