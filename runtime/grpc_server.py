"""Starting a gRPC server, the same way for every service.

The serving model: a ``grpc.aio`` server on an event loop of its own thread. The
servicers stay plain synchronous code; each method of theirs runs either

- **inline**, on the event loop itself: the hot, short methods that only compute and
  touch their own database (a settlement, an authentication). No thread hands the
  GIL to another around each database call, which halves the CPU such a call costs
  in a thread-pool server (docs/benchmarks.md); or
- **in the worker pool** (the default): everything that may take long or wait on
  another service (imports, reports, calls to a hospital), so that it never holds up
  the loop.

An inline method that finds it must do something slow after all (identity verifying
a password it has not seen, which costs tens of milliseconds by design) calls
``leave_event_loop()`` before any side effect: the call is then started again from
the beginning on a worker thread, and the loop goes on serving others meanwhile.

A servicer may also give native ``async`` methods (e.g. a change feed that waits for
changes); those run on the loop.

Every server gets: the standard health service and reflection, OpenTelemetry (when
tracing is on), metrics per method and status, a check of the caller's token (secure
by default: only methods listed as public run without one), and the translation of
domain errors into gRPC statuses with details (never a stack trace). ``stop`` reports
NOT_SERVING first, so load balancers drain the server, then waits for calls in flight.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent import futures
from dataclasses import dataclass, field

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection

from . import metrics, telemetry
from .auth import TokenVerifier, set_current_principal
from .deadline import CallDeadline, set_current_rpc
from .errors import DomainError, permission_denied, unauthenticated
from .rpc_errors import internal_status, to_grpc_status
from .tls import ServerTls

log = logging.getLogger(__name__)

ALWAYS_PUBLIC_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")

# The health name a liveness probe checks: SERVING while the process answers, even when
# the server is not ready ("" and the services' names) — e.g. settlement during a first
# sync of its copies, which must not get it restarted.
LIVENESS = "liveness"

SERVER_OPTIONS = [
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ("grpc.so_reuseport", 0),
]

_END = object()

# True while an inline method runs on the event loop.
_on_event_loop: contextvars.ContextVar[bool] = contextvars.ContextVar("ncms_on_event_loop", default=False)


class _RunOnWorker(Exception):  # noqa: N818 (a signal to the wrapper, not an error)
    """Raised by leave_event_loop: run this call again on a worker thread."""


def leave_event_loop() -> None:
    """Called by an inline method about to block (before any side effect): the call is
    started again on a worker thread. Does nothing when already on one."""
    if _on_event_loop.get():
        raise _RunOnWorker


@dataclass(frozen=True)
class ServiceBinding:
    """One gRPC service to host: its full name, the generated add function, the
    servicer, and the methods that run inline on the event loop."""

    name: str
    add_to_server: Callable[[object, object], None]
    servicer: object
    inline: frozenset[str] = field(default_factory=frozenset)


class SyncContext:
    """What a synchronous servicer method sees of its call (the aio context belongs to
    the loop's thread and is not touched from the pool)."""

    def __init__(self, deadline: CallDeadline, metadata: tuple) -> None:
        self._deadline = deadline
        self._metadata = metadata

    def time_remaining(self) -> float | None:
        return self._deadline.time_remaining()

    def is_active(self) -> bool:
        return self._deadline.active()

    def invocation_metadata(self) -> tuple:
        return self._metadata


class _Captured:
    """Stands in for a server while a generated ``add_*_to_server`` registers handlers."""

    def __init__(self) -> None:
        self.handlers: dict[str, grpc.RpcMethodHandler] = {}

    def add_generic_rpc_handlers(self, _handlers) -> None:
        pass

    def add_registered_method_handlers(self, _service: str, handlers: dict) -> None:
        self.handlers.update(handlers)


class _Calls:
    """Wraps each method of a service into the coroutine the aio server runs."""

    def __init__(self, verifier: TokenVerifier, public_methods: Iterable[str],
                 pool: futures.ThreadPoolExecutor, tls: ServerTls | None = None) -> None:
        self.verifier = verifier
        self.public = frozenset(public_methods)
        self.pool = pool
        self.tls = tls

    def handler(self, service: str, method: str, handler: grpc.RpcMethodHandler, inline: bool):
        path = f"/{service}/{method}"
        public = path in self.public or path.startswith(ALWAYS_PUBLIC_PREFIXES)
        counted = metrics.enabled() and not service.startswith(("grpc.health.", "grpc.reflection."))
        calls = self

        async def enter(context: grpc.aio.ServicerContext):
            """The call's principal, token and deadline made current (contextvars)."""
            if calls.tls is not None:
                refusal = calls.tls.caller_refusal(context.auth_context())
                if refusal is not None:
                    raise permission_denied(refusal)
            token = _bearer(context.invocation_metadata())
            principal = None
            if token is not None:
                principal = calls.verifier.verify(token)
            elif not public:
                raise unauthenticated("this call needs a token")
            deadline = CallDeadline.of(context)
            set_current_principal(principal, token or "")
            set_current_rpc(deadline)
            return SyncContext(deadline, tuple(context.invocation_metadata() or ()))

        async def fail(exc: BaseException, context) -> None:
            if isinstance(exc, DomainError):
                status = to_grpc_status(exc)
            else:
                reference = uuid.uuid4().hex[:12]
                log.error("unexpected failure in %s (reference %s)", path, reference, exc_info=exc)
                status = internal_status(reference)
            await context.abort(status.code, status.details, status.trailing_metadata)

        def record(context, started: float, failed: bool) -> None:
            code = context.code() if hasattr(context, "code") else None
            code = code or (grpc.StatusCode.UNKNOWN if failed else grpc.StatusCode.OK)
            metrics.GRPC_HANDLED.labels(service, method, code.name).inc()
            metrics.GRPC_SECONDS.labels(service, method).observe(time.perf_counter() - started)

        def in_pool(function: Callable, *args):
            """``function(*args)`` on a worker thread, in this call's context."""
            run = contextvars.copy_context().run
            return asyncio.get_running_loop().run_in_executor(calls.pool, functools.partial(run, function, *args))

        behaviour = (handler.unary_unary or handler.unary_stream or handler.stream_unary
                     or handler.stream_stream)
        native = inspect.iscoroutinefunction(behaviour) or inspect.isasyncgenfunction(behaviour)
        streams_response = handler.unary_stream is not None or handler.stream_stream is not None
        streams_request = handler.stream_unary is not None or handler.stream_stream is not None

        if streams_response:
            async def serve_stream(request, context):
                started, failed = time.perf_counter(), True
                try:
                    sync_context = await enter(context)
                    if streams_request and not native:
                        request = _SyncIterator(request, asyncio.get_running_loop())
                    if native:
                        async for item in behaviour(request, context):
                            yield item
                    else:
                        iterator = await in_pool(behaviour, request, sync_context)
                        while (item := await in_pool(next, iterator, _END)) is not _END:
                            yield item
                    failed = False
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    if not _aborted(exc):
                        await fail(exc, context)
                    raise
                finally:
                    if counted:
                        record(context, started, failed)

            return _handler(handler, serve_stream)

        async def serve_unary(request, context):
            started, failed = time.perf_counter(), True
            try:
                sync_context = await enter(context)
                if streams_request and not native:
                    request = _SyncIterator(request, asyncio.get_running_loop())
                if native:
                    response = await behaviour(request, context)
                elif inline:
                    marker = _on_event_loop.set(True)
                    try:
                        response = behaviour(request, sync_context)
                    except _RunOnWorker:
                        response = _END
                    finally:
                        _on_event_loop.reset(marker)
                    if response is _END:
                        response = await in_pool(behaviour, request, sync_context)
                else:
                    response = await in_pool(behaviour, request, sync_context)
                failed = False
                return response
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not _aborted(exc):
                    await fail(exc, context)
                raise
            finally:
                if counted:
                    record(context, started, failed)

        return _handler(handler, serve_unary)


def _aborted(exc: BaseException) -> bool:
    return isinstance(exc, grpc.aio.AbortError)


def _bearer(metadata) -> str | None:
    for key, value in metadata or ():
        if key == "authorization" and value.startswith("Bearer "):
            return value[7:]
    return None


def _handler(original: grpc.RpcMethodHandler, behaviour) -> grpc.RpcMethodHandler:
    serializers = dict(request_deserializer=original.request_deserializer,
                       response_serializer=original.response_serializer)
    if original.unary_unary:
        return grpc.unary_unary_rpc_method_handler(behaviour, **serializers)
    if original.unary_stream:
        return grpc.unary_stream_rpc_method_handler(behaviour, **serializers)
    if original.stream_unary:
        return grpc.stream_unary_rpc_method_handler(behaviour, **serializers)
    return grpc.stream_stream_rpc_method_handler(behaviour, **serializers)


class _SyncIterator:
    """A client stream, read from a worker thread: each item is fetched on the loop."""

    def __init__(self, stream, loop: asyncio.AbstractEventLoop) -> None:
        self._stream = stream.__aiter__()
        self._loop = loop

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return asyncio.run_coroutine_threadsafe(self._stream.__anext__(), self._loop).result()
        except StopAsyncIteration:
            raise StopIteration from None


# --- the server ------------------------------------------------------------------------

class RunningServer:
    """A started server; its event loop runs in a thread of its own."""

    def __init__(self, loop: asyncio.AbstractEventLoop, thread: threading.Thread, server: grpc.aio.Server,
                 port: int, health_servicer: HealthServicer, service_names: Sequence[str],
                 pool: futures.ThreadPoolExecutor, health_server: grpc.aio.Server | None = None,
                 health_port: int | None = None) -> None:
        self.loop = loop
        self._thread = thread
        self.server = server
        self.port = port
        # With TLS: the plaintext server answering health checks only, and its port.
        self.health_server = health_server
        self.health_port = health_port
        self.health = health_servicer
        self.service_names = tuple(service_names)
        self._pool = pool
        self._on_stop: list[Callable[[], None]] = []
        self._stopped = threading.Event()

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after the server has stopped, in the order registered."""
        self._on_stop.append(callback)

    def run(self, coroutine):
        """Run ``coroutine`` on the server's loop and wait for its result (from any thread)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def set_serving(self, serving: bool, names: Iterable[str] | None = None) -> None:
        """Report every service (or ``names``) as SERVING or NOT_SERVING."""
        status = (health_pb2.HealthCheckResponse.SERVING if serving
                  else health_pb2.HealthCheckResponse.NOT_SERVING)

        async def update() -> None:
            for name in ["", *self.service_names] if names is None else names:
                await self.health.set(name, status)

        # A thread that decides readiness (settlement waits for its copies) can lose the race
        # with stop(): once stopping, the server stays NOT_SERVING and its loop may be closed.
        if self._stopped.is_set():
            return
        coroutine = update()
        try:
            self.run(coroutine)
        except RuntimeError:
            coroutine.close()
            if not self._stopped.is_set():
                raise

    def stop(self, grace: float = 5.0) -> None:
        if self._stopped.is_set():
            return
        self._stopped.set()

        async def shut_down() -> None:
            await self.health.enter_graceful_shutdown()
            await self.server.stop(grace)
            if self.health_server is not None:
                await self.health_server.stop(0)

        try:
            self.run(shut_down())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=grace + 5)
            self._pool.shutdown(wait=False, cancel_futures=True)
        for callback in self._on_stop:
            try:
                callback()
            except Exception:
                log.exception("shutdown step failed")
        self._on_stop.clear()

    def wait(self) -> None:
        self._thread.join()

    def serve_until_signalled(self, grace: float) -> None:
        """Block until SIGTERM or SIGINT, then stop gracefully."""
        stopping = threading.Event()

        def handle(signum, _frame):
            log.info("signal %s: stopping (grace %.0fs)", signal.Signals(signum).name, grace)
            stopping.set()

        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)
        stopping.wait()
        self.stop(grace)


def create_server(bindings: Sequence[ServiceBinding], address: str, *,
                  verifier: TokenVerifier, public_methods: Iterable[str] = (),
                  max_workers: int = 16, serving: bool = True, tls: ServerTls | None = None,
                  health_address: str | None = None) -> RunningServer:
    """A started server hosting ``bindings`` on ``address`` (port 0: a free port).

    ``serving=False`` starts it NOT_SERVING (e.g. until a projection has synced);
    ``RunningServer.set_serving`` changes that. ``tls``: mutual TLS on ``address``
    (runtime/tls.py), and plaintext health checks alone on ``health_address``.
    """
    loop = asyncio.new_event_loop()
    ready: futures.Future = futures.Future()
    pool = futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="grpc")
    calls = _Calls(verifier, public_methods, pool, tls)

    def run_loop() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(_start(ready, bindings, address, calls, serving, health_address))
        if not ready.exception():
            loop.run_forever()
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    thread = threading.Thread(target=run_loop, name="grpc-loop", daemon=True)
    thread.start()
    server, port, health_servicer, health_server, health_port = ready.result()
    names = [b.name for b in bindings]
    log.info("listening on %s (port %d, %s): %s", address, port,
             "mutual TLS" if tls else "plaintext", ", ".join(names))
    if health_server is not None:
        log.info("health checks in plaintext on port %d", health_port)
    return RunningServer(loop, thread, server, port, health_servicer, names, pool, health_server, health_port)


async def _start(ready: futures.Future, bindings: Sequence[ServiceBinding], address: str, calls: _Calls,
                 serving: bool, health_address: str | None) -> None:
    try:
        server = grpc.aio.server(interceptors=telemetry.aio_server_interceptors(), options=SERVER_OPTIONS)
        health_servicer = HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        for binding in bindings:
            captured = _Captured()
            binding.add_to_server(binding.servicer, captured)
            wrapped = {method: calls.handler(binding.name, method, handler, method in binding.inline)
                       for method, handler in captured.handlers.items()}
            server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(binding.name, wrapped),))
        names = [b.name for b in bindings]
        reflection.enable_server_reflection(
            [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
            server)
        if calls.tls is None:
            port = server.add_insecure_port(address)
        else:
            port = server.add_secure_port(address, calls.tls.credentials())
        if port == 0:
            raise RuntimeError(f"cannot listen on {address}")
        health_server = health_port = None
        if calls.tls is not None:
            health_server = grpc.aio.server()
            health_pb2_grpc.add_HealthServicer_to_server(health_servicer, health_server)
            health_port = health_server.add_insecure_port(health_address or "127.0.0.1:0")
            if health_port == 0:
                raise RuntimeError(f"cannot listen on {health_address}")
            await health_server.start()
        await server.start()
        status = (health_pb2.HealthCheckResponse.SERVING if serving
                  else health_pb2.HealthCheckResponse.NOT_SERVING)
        for name in ["", *names]:
            await health_servicer.set(name, status)
        # The process answers: what a liveness probe asks, whether or not it is ready.
        await health_servicer.set(LIVENESS, health_pb2.HealthCheckResponse.SERVING)
        ready.set_result((server, port, health_servicer, health_server, health_port))
    except BaseException as exc:
        ready.set_exception(exc)
