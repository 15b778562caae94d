"""OpenTelemetry for every component, configured only by the standard ``OTEL_*`` variables.

Tracing is off unless ``OTEL_TRACES_EXPORTER`` names an exporter (``otlp``,
``console``); ``OTEL_SDK_DISABLED=true`` turns it off whatever else is set. When it
is on, gRPC servers and clients get the OpenTelemetry interceptors (W3C trace context
travels in gRPC metadata), every database engine created afterwards gets SQLAlchemy
spans, and health checks stay out of traces. When it is off, nothing is added to the
hot path.
"""

from __future__ import annotations

import logging
import os
import threading

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
    SpanProcessor,
)

log = logging.getLogger(__name__)

_lock = threading.Lock()
_provider: TracerProvider | None = None


def enabled() -> bool:
    return _provider is not None


def _exporters_from_environment() -> list[SpanExporter]:
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    names = [n.strip() for n in os.environ.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    exporters: list[SpanExporter] = []
    for name in names:
        if name == "none":
            continue
        if name == "console":
            exporters.append(ConsoleSpanExporter())
        elif name == "otlp":
            protocol = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                                      os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"))
            if protocol == "grpc":
                from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
            else:
                raise RuntimeError(
                    f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol} is not supported; use grpc")
            exporters.append(OTLPSpanExporter())
        else:
            raise RuntimeError(f"OTEL_TRACES_EXPORTER={name} is not supported; use otlp, console or none")
    return exporters


def setup(component: str, *, processors: list[SpanProcessor] | None = None) -> TracerProvider | None:
    """Turn tracing on for this process if the environment (or ``processors``) asks for it.

    ``processors`` lets a test collect spans in memory. Call once, before creating
    database engines and gRPC servers or channels.
    """
    global _provider
    with _lock:
        if _provider is not None:
            return _provider
        span_processors = list(processors or [])
        span_processors += [BatchSpanProcessor(e) for e in _exporters_from_environment()]
        if not span_processors:
            return None
        resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME") or f"ncms-{component}"})
        provider = TracerProvider(resource=resource)
        for processor in span_processors:
            provider.add_span_processor(processor)
        trace.set_tracer_provider(provider)
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        SQLAlchemyInstrumentor().instrument(tracer_provider=provider)
        _provider = provider
        log.info("tracing on (%s)", os.environ.get("OTEL_TRACES_EXPORTER") or "in-process processors")
        return provider


def shutdown() -> None:
    if _provider is not None:
        _provider.shutdown()


def aio_server_interceptors() -> list:
    """The OpenTelemetry interceptor of an aio server (health checks left out), when
    tracing is on."""
    if _provider is None:
        return []
    from opentelemetry.instrumentation.grpc import aio_server_interceptor, filters

    return [aio_server_interceptor(tracer_provider=_provider, filter_=filters.negate(filters.health_check()))]


def instrument_channel(channel):
    """``channel`` with client spans and trace-context propagation, when tracing is on."""
    if _provider is None:
        return channel
    from opentelemetry.instrumentation.grpc import client_interceptor, grpcext

    return grpcext.intercept_channel(channel, client_interceptor(tracer_provider=_provider))


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)
