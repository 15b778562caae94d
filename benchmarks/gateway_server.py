"""The gateway as production serves it (gunicorn, same settings), with one addition
for the benchmark: a bare spyne service at /Echo.asmx, so that the baselines run on
exactly the same server stack in the same processes:

- ``echo``: the text back;
- ``relay``: the text back after one empty gRPC health Check to each address of
  NCMS_BENCH_RELAY_TO (comma-separated, in order): the round trips a legacy call
  makes, without their work; its rate is the ceiling of any gateway making them.

    python -m benchmarks.gateway_server --listen 127.0.0.1:PORT
"""

from __future__ import annotations

import argparse
import os
import threading

from spyne import Application, ServiceBase, Unicode, rpc
from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication

from gateway.app import GatewayApp
from gateway.server import GatewayServer
from runtime.logging import configure_logging
from runtime.settings import load_settings

from .relay_server import check_each, health_stubs

ECHO_PATH = "/echo.asmx"


class Upstreams:
    """Health stubs for NCMS_BENCH_RELAY_TO, opened in the worker that uses them."""

    stubs: list | None = None
    lock = threading.Lock()

    @classmethod
    def call_each(cls) -> None:
        with cls.lock:
            if cls.stubs is None:
                cls.stubs = health_stubs([a for a in os.environ.get("NCMS_BENCH_RELAY_TO", "").split(",") if a])
        check_each(cls.stubs)


class EchoService(ServiceBase):
    @rpc(Unicode, _returns=Unicode)
    def echo(ctx, text):
        return text

    @rpc(Unicode, _returns=Unicode)
    def relay(ctx, text):
        Upstreams.call_each()
        return text


def with_echo(settings):
    gateway = GatewayApp(settings)
    echo = WsgiApplication(Application([EchoService], tns="urn:ncms:bench",
                                       in_protocol=Soap11(validator=None), out_protocol=Soap11()))

    def app(environ, start_response):
        if environ.get("PATH_INFO", "").lower() == ECHO_PATH:
            return echo(environ, start_response)
        return gateway(environ, start_response)

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", required=True)
    args = parser.parse_args()
    settings = load_settings()
    configure_logging("gateway", settings.log_level, settings.log_format)
    GatewayServer(settings, args.listen, app_factory=with_echo).run()


if __name__ == "__main__":
    main()
