"""Authenticate throughput with cached credentials, beside an empty call on the same server.

    python -m benchmarks identity [--duration 5] [--processes 2] [--threads 4]
"""

from __future__ import annotations

import argparse

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from legacy import digest
from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.clients import ClientCredentials, PackageStubs, identity_channel

from . import gateway_bench
from .gateway_bench import ADMIN_SECRET, GATEWAY_SECRET, PASSWORD
from .harness import Components, compare, free_port, ratio_line

# Both measured calls use the same client stack: one channel, the gateway's token as
# call metadata, a deadline.

def gateway_metadata(channel: grpc.Channel) -> tuple:
    credentials = ClientCredentials(identity_pb2_grpc.TokenServiceStub(channel), "ncms-gateway",
                                    GATEWAY_SECRET)
    return credentials.metadata()


def health_call(address: str):
    channel = identity_channel(address)
    stub, metadata = health_pb2_grpc.HealthStub(channel), gateway_metadata(channel)
    request = health_pb2.HealthCheckRequest()
    return lambda: stub.Check(request, timeout=5, metadata=metadata)


def authenticate_call(address: str, request: bytes):
    channel = identity_channel(address)
    stub, metadata = PackageStubs(channel, identity_pb2_grpc), gateway_metadata(channel)
    parsed = identity_pb2.AuthenticateRequest.FromString(request)
    return lambda: stub.Authenticate(parsed, timeout=5, metadata=metadata)


def prepare(address: str) -> identity_pb2.AuthenticateRequest:
    key = gateway_bench.prepare(address)
    params = {"yydm": "450200001", "yh": "his01", "kl": PASSWORD, "chzh": "45020000100001"}
    message = digest.canonical_message("chryxxjk", params)
    request = identity_pb2.AuthenticateRequest(
        hospital_code="450200001", user="his01", password=PASSWORD, client_ip="127.0.0.1",
        operation="chryxxjk", digest_message=message,
        digest=digest.compute(key, digest.HMAC_SHA256, message))
    authenticate_call(address, request.SerializeToString())()  # the first call pays argon2
    return request


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks identity", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are kept")
    args = parser.parse_args(argv)
    port = free_port()
    address = f"127.0.0.1:{port}"
    load = dict(duration=args.duration, processes=args.processes, threads=args.threads)
    with Components(NCMS_ADMIN_CLIENT_SECRET=ADMIN_SECRET, NCMS_GATEWAY_CLIENT_SECRET=GATEWAY_SECRET) as components:
        components.start("services.identity", address, NCMS_IDENTITY_ADDRESS=address)
        request = prepare(address)
        print(f"identity on {address} (SQLite, argon2id strong profile, audit on); load: "
              f"{args.processes} processes × {args.threads} threads, {args.duration:.0f}s per round, "
              f"median of {args.rounds} alternating rounds")
        result = compare(
            ("empty call (grpc.health.v1 Check)", (__name__, "health_call", {"address": address})),
            ("Authenticate, cached credentials",
             (__name__, "authenticate_call", {"address": address, "request": request.SerializeToString()})),
            server_pid=components.processes[0].pid, rounds=args.rounds, **load)
        print(result.baseline.line() + f"   server CPU {result.baseline_cpu_us:.0f} µs/call")
        print(result.subject.line() + f"   server CPU {result.subject_cpu_us:.0f} µs/call")
        auth, empty = result.subject, result.baseline
        print(ratio_line("ratio Authenticate / empty call", auth.rate, empty.rate, goal=0.5))


if __name__ == "__main__":
    main()


def plain_health(address: str):
    stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(address))
    request = health_pb2.HealthCheckRequest()
    return lambda: stub.Check(request, timeout=5)
