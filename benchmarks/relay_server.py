"""A gRPC server that does nothing but make the upstream calls a real handler makes.

    python -m benchmarks.relay_server --listen 127.0.0.1:PORT --to HOST:PORT[,HOST:PORT...]

It runs on the services' own bootstrap (``create_server``: the same thread pool and
interceptors) and answers ``ncms.bench.v1.Relay/Call`` after one empty health Check to
each ``--to`` address, in order (an address may repeat). No database, no domain logic:
its rate is the ceiling that any implementation making those calls can reach on this
machine, measured beside the real handler.
"""

from __future__ import annotations

import argparse

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from runtime.auth import TokenVerifier
from runtime.clients import open_channel
from runtime.grpc_server import ServiceBinding, create_server
from runtime.settings import load_settings

SERVICE = "ncms.bench.v1.Relay"
METHOD = f"/{SERVICE}/Call"
_CHECK = health_pb2.HealthCheckRequest()


def _identity(data: bytes) -> bytes:
    return data


def health_stubs(addresses: list[str]) -> list[health_pb2_grpc.HealthStub]:
    """A health stub per address, in order; one channel per distinct address."""
    channels = {address: open_channel(address) for address in dict.fromkeys(addresses)}
    return [health_pb2_grpc.HealthStub(channels[address]) for address in addresses]


def check_each(stubs: list[health_pb2_grpc.HealthStub]) -> None:
    """One empty round trip through each stub, in order."""
    for stub in stubs:
        stub.Check(_CHECK, timeout=5)


def relay_handler(upstreams: list[str]) -> grpc.GenericRpcHandler:
    stubs = health_stubs(upstreams)

    def call(request: bytes, context: grpc.ServicerContext) -> bytes:
        check_each(stubs)
        return b""

    return grpc.method_handlers_generic_handler(SERVICE, {
        "Call": grpc.unary_unary_rpc_method_handler(call, _identity, _identity)})


def relay_call(address: str):
    """A load-generator call of the relay (an empty request)."""
    call = grpc.insecure_channel(address).unary_unary(METHOD, _identity, _identity)
    return lambda: call(b"", timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.relay_server", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listen", required=True)
    parser.add_argument("--to", default="", help="comma-separated upstream addresses, called in order")
    args = parser.parse_args()
    upstreams = [address for address in args.to.split(",") if address]
    handler = relay_handler(upstreams)
    binding = ServiceBinding(SERVICE, lambda _servicer, server: server.add_generic_rpc_handlers((handler,)),
                             None)
    running = create_server([binding], args.listen, verifier=TokenVerifier(lambda: {}),
                            public_methods=[METHOD], max_workers=load_settings().grpc_max_workers)
    running.serve_until_signalled(grace=1.0)


if __name__ == "__main__":
    main()
