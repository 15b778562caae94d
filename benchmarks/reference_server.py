"""The fixed yardstick for gRPC benchmarks: a bare ``grpc.aio`` server whose only method
is the standard health Check — no interceptors, no token, no database.

    python -m benchmarks.reference_server --listen 127.0.0.1:PORT

It does not change when the suite's serving model changes, so a better design of the
suite shows as a better ratio against it.
"""

from __future__ import annotations

import argparse
import asyncio

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer


async def serve(address: str) -> None:
    server = grpc.aio.server()
    health = HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    server.add_insecure_port(address)
    await server.start()
    await health.set("", health_pb2.HealthCheckResponse.SERVING)
    await server.wait_for_termination()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reference_server", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", required=True)
    asyncio.run(serve(parser.parse_args().listen))


if __name__ == "__main__":
    main()
