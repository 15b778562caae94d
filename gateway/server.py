"""Serving the gateway: gunicorn, several worker processes of several threads each.

Why gunicorn with threaded workers: spyne is synchronous and CPU-bound per request
(parsing and writing XML), so one Python process is limited by its GIL; several
processes use every core, and a few threads per process keep a worker busy while
its requests wait on gRPC calls. See docs/benchmarks.md for the measurements.

Each worker process reads requests whole on an event loop before a thread runs the
application (http_server.BufferingWorker): a slow client holds a socket, never a
thread. gunicorn keeps the processes (forking, replacing a dead one, graceful stops).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable

from gunicorn.app.base import BaseApplication

from runtime import metrics, parent, telemetry
from runtime.logging import configure_logging
from runtime.settings import ConfigurationError, Settings, load_settings

from .app import GatewayApp
from .http_server import BufferingWorker, tls_context

log = logging.getLogger(__name__)


class GatewayServer(BaseApplication):
    def __init__(self, settings: Settings, bind: str,
                 app_factory: Callable[[Settings], object] = GatewayApp) -> None:
        self.settings = settings
        self.bind = bind
        self.app_factory = app_factory
        super().__init__()

    def load_config(self) -> None:
        settings = self.settings
        self.cfg.set("bind", [self.bind])
        self.cfg.set("workers", settings.gateway_workers)
        BufferingWorker.settings = settings
        self.cfg.set("worker_class", "gateway.http_server.BufferingWorker")
        self.cfg.set("threads", settings.gateway_threads)
        self.cfg.set("timeout", max(30, int(settings.grpc_deadline_seconds * 4)))
        self.cfg.set("graceful_timeout", int(settings.shutdown_grace_seconds))
        self.cfg.set("keepalive", 15)
        self.cfg.set("accesslog", None)  # request lines would carry nothing useful; bodies never
        self.cfg.set("errorlog", "-")
        self.cfg.set("loglevel", settings.log_level.lower())
        self.cfg.set("proc_name", "ncms-gateway")
        # No runtime control socket: nothing should reconfigure a worker pool behind
        # the operator's back, and a container's home directory is read-only.
        self.cfg.set("control_socket_disable", True)
        self.cfg.set("post_fork", _post_fork)
        if settings.metrics_address:
            self.cfg.set("when_ready", lambda server: metrics.serve(settings.metrics_address, "gateway"))
            self.cfg.set("child_exit", _child_exit)

    def load(self):
        return self.app_factory(self.settings)


def _post_fork(server, worker) -> None:
    telemetry.setup("gateway")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics.mark_enabled()  # this worker records; the master serves the sum


def _child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway",
                                     description="Run the NCMS legacy SOAP gateway.")
    parser.add_argument("--listen", help="address to listen on (default: NCMS_LISTEN_ADDRESS "
                                         "or NCMS_GATEWAY_ADDRESS)")
    args = parser.parse_args(argv)
    parent.stop_with_parent()
    try:
        settings = load_settings()
        configure_logging("gateway", settings.log_level, settings.log_format)
        settings.secret("gateway_client_secret")  # fail now, not at the first call
        tls_context(settings)  # a missing or unreadable certificate, now
    except (ConfigurationError, OSError, ValueError) as exc:
        print(f"ncms gateway: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    GatewayServer(settings, args.listen or settings.listen_address_of("gateway")).run()
