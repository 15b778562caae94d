"""Prometheus metrics: what an operator graphs and alerts on (docs/operations.md).

Off unless ``NCMS_METRICS_ADDRESS`` is set (e.g. ``0.0.0.0:9464`` in a pod); then the
process serves ``/metrics`` there. Every gRPC server counts and times its calls by
method and status; the gateway counts legacy calls by operation, hospital and
outcome; settlement adds the money (amounts as floats: metrics are for graphs, the
books are the database).

The gateway runs several gunicorn worker processes; there the metrics are written
to a directory shared by the workers (``PROMETHEUS_MULTIPROC_DIR``, set up by
gateway/server.py) and the master process serves their sum.

Hospital labels come only from authenticated callers, so a stranger sending made-up
hospital codes cannot create new series.
"""

from __future__ import annotations

import logging
import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

GRPC_HANDLED = Counter("ncms_grpc_server_handled_total", "gRPC calls completed, by method and status code",
                       ["service", "method", "code"])
GRPC_SECONDS = Histogram("ncms_grpc_server_handling_seconds", "gRPC call duration, by method",
                         ["service", "method"], buckets=LATENCY_BUCKETS)

SOAP_CALLS = Counter("ncms_soap_calls_total",
                     "Legacy SOAP calls, by operation, hospital (authenticated callers only, else "
                     "'unknown') and result ('ok' or the contract's code, e.g. E1001)",
                     ["operation", "hospital", "result"])
SOAP_SECONDS = Histogram("ncms_soap_call_seconds", "Legacy SOAP call duration in the gateway, by operation",
                         ["operation"], buckets=LATENCY_BUCKETS)

SETTLEMENTS = Counter("ncms_settlements_total", "Settlements recorded (not previews, not replays)",
                      ["hospital", "kind"])
SETTLED_YUAN = Counter("ncms_settled_cost_yuan", "Total cost (zfy) of recorded settlements, yuan",
                       ["hospital", "kind"])
COMPENSATION_YUAN = Counter("ncms_compensation_yuan", "Compensation (bcje) the fund pays, yuan",
                            ["hospital", "kind"])
REFUNDS = Counter("ncms_refunds_total", "Settlements refunded", ["hospital", "kind"])
REFUNDED_YUAN = Counter("ncms_refunded_compensation_yuan", "Compensation taken back by refunds, yuan",
                        ["hospital", "kind"])

PROJECTION_LAG_SEQUENCES = Gauge("ncms_projection_lag_sequences",
                                 "Changes of the owner's feed not yet applied to this service's copy, by source",
                                 ["source"], multiprocess_mode="max")
PROJECTION_LAG_SECONDS = Gauge("ncms_projection_lag_seconds",
                               "How old the newest applied change is while changes are waiting (0 when in "
                               "sync), by source", ["source"], multiprocess_mode="max")

_serving = False


def enabled() -> bool:
    return _serving


def serve(address: str | None, component: str) -> None:
    """Serve /metrics on ``address`` (host:port) if given; once per process."""
    global _serving
    if not address or _serving:
        return
    host, _, port = address.rpartition(":")
    registry = None
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    start_http_server(int(port), addr=host or "0.0.0.0", **({"registry": registry} if registry else {}))  # noqa: S104
    _serving = True
    log.info("%s metrics on http://%s/metrics", component, address)


def mark_enabled() -> None:
    """For gunicorn workers: the master serves, the workers record."""
    global _serving
    _serving = True
