"""Starting a gRPC server, the same way for every service.

Every server gets: the standard health service and reflection, the OpenTelemetry
interceptor (when tracing is on), an error interceptor that turns domain errors into
gRPC statuses with details and never leaks a stack trace, and an authentication
interceptor that verifies the caller's token (secure by default: only methods listed
as public run without one). ``stop`` reports NOT_SERVING first, so load balancers
drain the server, then waits for calls in flight.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent import futures
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from . import metrics, telemetry
from .auth import TokenVerifier, reset_current_principal, set_current_principal
from .deadline import reset_current_rpc, set_current_rpc
from .errors import DomainError, unauthenticated
from .rpc_errors import internal_status, to_grpc_status

log = logging.getLogger(__name__)

ALWAYS_PUBLIC_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")

SERVER_OPTIONS = [
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ("grpc.so_reuseport", 0),
]


@dataclass(frozen=True)
class ServiceBinding:
    """One gRPC service to host: its full name, the generated add function, the servicer."""

    name: str
    add_to_server: Callable[[object, grpc.Server], None]
    servicer: object


# --- interceptors ----------------------------------------------------------------------

def _wrap_handler(handler: grpc.RpcMethodHandler | None,
                  wrap: Callable[[Callable, bool], Callable]) -> grpc.RpcMethodHandler | None:
    """``handler`` with its behaviour wrapped; ``wrap(behaviour, streams_response)``."""
    if handler is None:
        return None
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(
            wrap(handler.unary_unary, False), handler.request_deserializer, handler.response_serializer)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(
            wrap(handler.unary_stream, True), handler.request_deserializer, handler.response_serializer)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(
            wrap(handler.stream_unary, False), handler.request_deserializer, handler.response_serializer)
    return grpc.stream_stream_rpc_method_handler(
        wrap(handler.stream_stream, True), handler.request_deserializer, handler.response_serializer)


def _abort_for(exc: BaseException, context: grpc.ServicerContext, method: str) -> None:
    if isinstance(exc, DomainError):
        context.abort_with_status(to_grpc_status(exc))
    reference = uuid.uuid4().hex[:12]
    log.error("unexpected failure in %s (reference %s)", method, reference, exc_info=exc)
    context.abort_with_status(internal_status(reference))


class ErrorInterceptor(grpc.ServerInterceptor):
    """Domain errors become statuses with details; anything else becomes INTERNAL."""

    def intercept_service(self, continuation, handler_call_details):
        method = handler_call_details.method

        def wrap(behaviour: Callable, streams: bool) -> Callable:
            if streams:
                def streaming(request, context):
                    try:
                        yield from behaviour(request, context)
                    except Exception as exc:
                        if context.code() is not None:  # already aborted on purpose
                            raise
                        _abort_for(exc, context, method)
                return streaming

            def unary(request, context):
                try:
                    return behaviour(request, context)
                except Exception as exc:
                    if context.code() is not None:
                        raise
                    _abort_for(exc, context, method)
            return unary

        return _wrap_handler(continuation(handler_call_details), wrap)


class AuthInterceptor(grpc.ServerInterceptor):
    """Verifies the bearer token and makes its principal (and the call's context, for
    the deadline check before commits) current for the call."""

    def __init__(self, verifier: TokenVerifier, public_methods: Iterable[str] = ()) -> None:
        self._verifier = verifier
        self._public = frozenset(public_methods)

    def intercept_service(self, continuation, handler_call_details):
        method = handler_call_details.method
        public = method in self._public or method.startswith(ALWAYS_PUBLIC_PREFIXES)
        token = None
        for key, value in handler_call_details.invocation_metadata or ():
            if key == "authorization" and value.startswith("Bearer "):
                token = value[7:]
                break
        verifier = self._verifier

        def authenticate(context: grpc.ServicerContext):
            if token is not None:
                try:
                    return verifier.verify(token)
                except DomainError as exc:
                    context.abort_with_status(to_grpc_status(exc))
            if not public:
                context.abort_with_status(to_grpc_status(unauthenticated("this call needs a token")))
            return None

        def wrap(behaviour: Callable, streams: bool) -> Callable:
            if streams:
                def streaming(request, context):
                    marker = set_current_principal(authenticate(context), token or "")
                    rpc = set_current_rpc(context)
                    try:
                        yield from behaviour(request, context)
                    finally:
                        reset_current_rpc(rpc)
                        reset_current_principal(marker)
                return streaming

            def unary(request, context):
                marker = set_current_principal(authenticate(context), token or "")
                rpc = set_current_rpc(context)
                try:
                    return behaviour(request, context)
                finally:
                    reset_current_rpc(rpc)
                    reset_current_principal(marker)
            return unary

        return _wrap_handler(continuation(handler_call_details), wrap)


class MetricsInterceptor(grpc.ServerInterceptor):
    """Counts and times every call by method and final status code (outermost, so it
    sees the status the error interceptor chose)."""

    def intercept_service(self, continuation, handler_call_details):
        service, _, method = handler_call_details.method.lstrip("/").rpartition("/")
        if service.startswith(("grpc.health.", "grpc.reflection.")):
            return continuation(handler_call_details)
        handled = metrics.GRPC_HANDLED
        seconds = metrics.GRPC_SECONDS.labels(service, method)

        def record(context: grpc.ServicerContext, started: float, failed: bool) -> None:
            code = context.code() or (grpc.StatusCode.UNKNOWN if failed else grpc.StatusCode.OK)
            handled.labels(service, method, code.name).inc()
            seconds.observe(time.perf_counter() - started)

        def wrap(behaviour: Callable, streams: bool) -> Callable:
            if streams:
                def streaming(request, context):
                    started, failed = time.perf_counter(), True
                    try:
                        yield from behaviour(request, context)
                        failed = False
                    finally:
                        record(context, started, failed)
                return streaming

            def unary(request, context):
                started, failed = time.perf_counter(), True
                try:
                    result = behaviour(request, context)
                    failed = False
                    return result
                finally:
                    record(context, started, failed)
            return unary

        return _wrap_handler(continuation(handler_call_details), wrap)


# --- the server ------------------------------------------------------------------------

class RunningServer:
    def __init__(self, server: grpc.Server, port: int, health_servicer: health.HealthServicer,
                 service_names: Sequence[str]) -> None:
        self.server = server
        self.port = port
        self.health = health_servicer
        self.service_names = tuple(service_names)
        self._on_stop: list[Callable[[], None]] = []

    def on_stop(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` after the server has stopped, in the order registered."""
        self._on_stop.append(callback)

    def stop(self, grace: float = 5.0) -> None:
        self.health.enter_graceful_shutdown()
        self.server.stop(grace).wait()
        for callback in self._on_stop:
            try:
                callback()
            except Exception:
                log.exception("shutdown step failed")
        self._on_stop.clear()

    def wait(self) -> None:
        self.server.wait_for_termination()

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
                  max_workers: int = 32) -> RunningServer:
    """A started server hosting ``bindings`` on ``address`` (port 0: a free port)."""
    interceptors = [*([MetricsInterceptor()] if metrics.enabled() else []), *telemetry.server_interceptors(),
                    ErrorInterceptor(), AuthInterceptor(verifier, public_methods)]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers,
                                                    thread_name_prefix="grpc"),
                         interceptors=interceptors, options=SERVER_OPTIONS)
    health_servicer = health.HealthServicer(experimental_non_blocking=True)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for binding in bindings:
        binding.add_to_server(binding.servicer, server)
    names = [b.name for b in bindings]
    reflection.enable_server_reflection(
        [*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
        server)
    port = server.add_insecure_port(address)
    if port == 0:
        raise RuntimeError(f"cannot listen on {address}")
    server.start()
    for name in ["", *names]:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info("listening on %s (port %d): %s", address, port, ", ".join(names))
    return RunningServer(server, port, health_servicer, names)
