"""The gateway as production serves it (gunicorn, same settings), with one addition
for the benchmark: a bare spyne echo service at /Echo.asmx, so that the baseline
runs on exactly the same server stack in the same processes.

    python -m benchmarks.gateway_server --listen 127.0.0.1:PORT
"""

from __future__ import annotations

import argparse

from spyne import Application, ServiceBase, Unicode, rpc
from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication

from gateway.app import GatewayApp
from gateway.server import GatewayServer
from services.runtime.logging import configure_logging
from services.runtime.settings import load_settings

ECHO_PATH = "/echo.asmx"


class EchoService(ServiceBase):
    @rpc(Unicode, _returns=Unicode)
    def echo(ctx, text):
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
