"""Authenticated legacy calls through the gateway, beside a bare spyne echo on the
same server stack (the same gunicorn workers), and the gateway's added latency.

    python -m benchmarks gateway [--duration 5] [--processes 2] [--threads 4] [--rounds 3]
                                 [--ceiling-round-trips 2]

The authenticated call is yhklxgjk with the new password equal to the old one: the
full path of every legacy call (SOAP parse, digest message, Authenticate with its
audit, one call to the owning service, the answer "E1102"), without changing data.

Measured in the same rounds, the ceiling of that shape: the echo after two empty gRPC
round trips to the identity process (health Checks), no work at all. No gateway that
makes those two calls can beat that ratio on the machine that measured it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.clients import ClientCredentials, PackageStubs, identity_channel, with_token

from .harness import (
    Components,
    child_pids,
    compare,
    cpu_seconds,
    free_port,
    ratio_line,
    soap_post,
    spread_line,
)

ADMIN_SECRET = "bench-admin-secret-0123456789abcdefghij"
GATEWAY_SECRET = "bench-gateway-secret-0123456789abcdefghij"
SETTLEMENT_SECRET = "bench-settlement-secret-0123456789abcdefghij"
PASSWORD = "Bench#2026pw"
NAMESPACE = "urn:ncms:his:v1"


def echo_call(url: str, operation: str = "echo"):
    """The bare spyne ``echo``, or ``relay``: the echo after the round trips of
    NCMS_BENCH_RELAY_TO (benchmarks/gateway_server.py)."""
    body = (b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
            b'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            b'<%s xmlns="urn:ncms:bench"><text>ping</text></%s></soap:Body></soap:Envelope>'
            % (operation.encode(), operation.encode()))
    return soap_post(url.replace("NcmsService.asmx", "Echo.asmx"), body, f"urn:ncms:bench/{operation}", b"ping")


def legacy_call(url: str, body: bytes):
    return soap_post(url, body, f"{NAMESPACE}/yhklxgjk", b"E1102")


def prepare(identity_address: str) -> str:
    channel = identity_channel(identity_address)
    admin = PackageStubs(with_token(channel, ClientCredentials(
        identity_pb2_grpc.TokenServiceStub(channel), "ncms-admin", ADMIN_SECRET).token), identity_pb2_grpc)
    key = admin.CreateHospital(identity_pb2.CreateHospitalRequest(
        code="450200001", name="bench", level=2)).signing_key
    admin.CreateUser(identity_pb2.CreateUserRequest(
        hospital_code="450200001", name="his01", password=PASSWORD,
        allowed_ips=["127.0.0.0/8"], permissions="CDEFGHIJ"))
    channel.close()
    return key


def signed_body(key: str) -> bytes:
    from legacy import digest
    from legacy.operations import BY_NAME

    params = {"yydm": "450200001", "yh": "his01", "ykl": PASSWORD, "xkl": PASSWORD}
    xxzy = digest.compute(key, digest.HMAC_SHA256, digest.canonical_message(
        "yhklxgjk", {n: params.get(n) for n in BY_NAME["yhklxgjk"].parameter_names}))
    inner = "".join(f"<{n}>{v}</{n}>" for n, v in {**params, "xxzy": xxzy}.items())
    return ('<?xml version="1.0" encoding="utf-8"?><soap:Envelope '
            'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            f'<yhklxgjk xmlns="{NAMESPACE}">{inner}</yhklxgjk></soap:Body></soap:Envelope>').encode()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks gateway", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ceiling-round-trips", type=int, default=2,
                        help="empty round trips to identity in the ceiling's echo (default 2: "
                             "Authenticate and the operation's call)")
    args = parser.parse_args(argv)
    identity_address = f"127.0.0.1:{free_port()}"
    gateway_address = f"127.0.0.1:{free_port()}"
    url = f"http://{gateway_address}/NcmsService.asmx"
    load = dict(duration=args.duration, processes=args.processes, threads=args.threads)
    with Components(NCMS_ADMIN_CLIENT_SECRET=ADMIN_SECRET, NCMS_GATEWAY_CLIENT_SECRET=GATEWAY_SECRET,
                    NCMS_IDENTITY_ADDRESS=identity_address, NCMS_GATEWAY_ADDRESS=gateway_address,
                    NCMS_BENCH_RELAY_TO=",".join([identity_address] * args.ceiling_round_trips)) as components:
        components.start("services.identity", identity_address)
        key = prepare(identity_address)
        gateway = subprocess.Popen([sys.executable, "-m", "benchmarks.gateway_server",
                                    "--listen", gateway_address], env=components.environment)
        components.processes.append(gateway)
        _wait_http(f"http://{gateway_address}/healthz", gateway)
        legacy_call(url, signed_body(key))()  # warm: the first call pays argon2
        workers = child_pids(gateway.pid)
        print(f"gateway on {gateway_address}: gunicorn, {len(workers)} workers × "
              f"{components.settings_value('NCMS_GATEWAY_THREADS', '4')} threads; identity on SQLite. "
              f"Load: {args.processes} processes × {args.threads} threads, keep-alive, "
              f"{args.duration:.0f}s per round, median of {args.rounds} alternating rounds")
        identity_pid = components.processes[0].pid
        before = {pid: cpu_seconds(pid) for pid in workers}
        result = compare(("bare spyne echo (same workers)", (__name__, "echo_call", {"url": url})),
                         ("authenticated legacy call (yhklxgjk)",
                          (__name__, "legacy_call", {"url": url, "body": signed_body(key)})),
                         ceiling=(f"echo + {args.ceiling_round_trips} empty gRPC round trip"
                                  f"{'' if args.ceiling_round_trips == 1 else 's'} to identity",
                                  (__name__, "echo_call", {"url": url, "operation": "relay"})),
                         rounds=args.rounds, server_pid=identity_pid, **load)
        after = {pid: cpu_seconds(pid) for pid in workers}
        print(result.baseline.line())
        print(result.subject.line() + f"   identity CPU {result.subject_cpu_us:.0f} µs/call")
        print(ratio_line("ratio authenticated call / bare echo", result.subject.rate,
                         result.baseline.rate, goal=0.5))
        print(f"{'added latency of the gateway path':<44} p50 "
              f"{result.subject.percentile(50) - result.baseline.percentile(50):6.2f} ms   p99 "
              f"{result.subject.percentile(99) - result.baseline.percentile(99):6.2f} ms")
        print(spread_line(before, after))
        print("\n".join(result.ceiling_lines("ceiling of the call's shape / bare echo")))

def _wait_http(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gateway exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gateway not ready")


if __name__ == "__main__":
    main()
