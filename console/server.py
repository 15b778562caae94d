"""Serving the console: gunicorn, one process of several threads (each request waits
on gRPC calls; a centre has tens of people, not thousands)."""

from __future__ import annotations

import argparse
import sys

from gunicorn.app.base import BaseApplication

from runtime import metrics, parent, telemetry
from runtime.logging import configure_logging
from runtime.settings import ConfigurationError, Settings, load_settings


class ConsoleServer(BaseApplication):
    def __init__(self, settings: Settings, bind: str) -> None:
        self.settings = settings
        self.bind = bind
        super().__init__()

    def load_config(self) -> None:
        settings = self.settings
        self.cfg.set("bind", [self.bind])
        self.cfg.set("workers", 1)
        self.cfg.set("worker_class", "gthread")
        self.cfg.set("threads", settings.console_threads)
        self.cfg.set("timeout", max(60, int(settings.grpc_deadline_seconds * 8)))
        self.cfg.set("graceful_timeout", int(settings.shutdown_grace_seconds))
        self.cfg.set("keepalive", 15)
        self.cfg.set("accesslog", None)  # URLs carry ID numbers a fund officer searched for
        self.cfg.set("errorlog", "-")
        self.cfg.set("loglevel", settings.log_level.lower())
        self.cfg.set("proc_name", "ncms-console")
        self.cfg.set("control_socket_disable", True)
        self.cfg.set("post_fork", lambda server, worker: telemetry.setup("console"))
        if settings.metrics_address:
            self.cfg.set("when_ready", lambda server: metrics.serve(settings.metrics_address, "console"))
        if settings.console_trusted_proxies:
            self.cfg.set("forwarded_allow_ips", settings.console_trusted_proxies)

    def load(self):
        from .app import create_app

        return create_app(self.settings)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m console", description="Run the NCMS centre's web console.")
    parser.add_argument("--listen", help="address to listen on (default: NCMS_LISTEN_ADDRESS or "
                                         "NCMS_CONSOLE_ADDRESS, 127.0.0.1:8070)")
    args = parser.parse_args(argv)
    parent.stop_with_parent()
    try:
        settings = load_settings()
        configure_logging("console", settings.log_level, settings.log_format)
        settings.secret("console_client_secret")  # fail now, not at the first sign-in
        settings.secret("console_secret_key")
    except ConfigurationError as exc:
        print(f"ncms console: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    ConsoleServer(settings, args.listen or settings.listen_address_of("console")).run()
