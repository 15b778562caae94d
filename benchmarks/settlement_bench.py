"""Outpatient settlements of a 10-line bill, through the gateway and through gRPC,
beside fixed yardsticks in the same run: a bare spyne SOAP echo in the same gunicorn
workers, and an empty unary call on a bare grpc.aio reference server
(benchmarks/reference_server.py) with the same client stack. Then the latency at half
of the peak throughput (open loop).

    python -m benchmarks settlement [--duration 5] [--rounds 3] [--members 2000]

Every call settles a new bill (a new mzbh) of a random member among --members; the
members and the items are in settlement's own copies (projections) before the first
round. All components run as processes on SQLite (or NCMS_*_DATABASE_URL), as `ncms
up` runs them. Goals: ≥ 0.25× the echo through the gateway, ≥ 0.3× the reference
call through gRPC, p99 under 50 ms at half of peak. Beside each figure: the CPU per
call of every process of the suite, summed (the gateway's workers included), and the
same for the yardstick.

Beside the gateway's figures, the ceiling of the call's shape, measured in the same
rounds: the echo after an empty round trip (a health Check) to identity and one to
settlement, the two hops every settlement makes. No implementation making those two
calls beats that ratio on the machine that measured it.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ncms.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from ncms.enrollment.v1 import enrollment_pb2, enrollment_pb2_grpc
from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc
from runtime.clients import (
    ClientCredentials,
    PackageStubs,
    identity_channel,
    open_channel,
    with_token,
)
from services.enrollment.records import COLUMNS

from . import gateway_bench
from .harness import Components, child_pids, compare, free_port, measure, ratio_line, soap_session

BEIJING = timezone(timedelta(hours=8))
YEAR = datetime.now(BEIJING).year
ITEMS = [(f"YP{n:04d}", f"药品{n:04d}", "1" if n < 8 else "2", f"X{n:04d}", "甲乙丙"[n % 3]) for n in range(10)]
NAMESPACE = "urn:ncms:his:v1"


def member(n: int) -> tuple[str, str, str]:
    card = f"4502{n // 4:010d}"
    return card, f"{card}{n % 4 + 1:02d}", f"参合人{n:05d}"


def prepare(addresses: dict[str, str], members: int) -> tuple[str, str]:
    """The hospital, its user, catalogs, enrolled members, in settlement's copies too;
    returns (signing key, client secret)."""
    channel = identity_channel(addresses["identity"])
    token = ClientCredentials(identity_pb2_grpc.TokenServiceStub(channel), "ncms-admin",
                              gateway_bench.ADMIN_SECRET).token
    identity = PackageStubs(with_token(channel, token), identity_pb2_grpc)
    key = identity.CreateHospital(identity_pb2.CreateHospitalRequest(code="450200001", name="bench", level=2)).signing_key
    identity.CreateUser(identity_pb2.CreateUserRequest(
        hospital_code="450200001", name="his01", password=gateway_bench.PASSWORD,
        allowed_ips=["127.0.0.0/8"], permissions="EF"))
    secret = identity.CreateClient(identity_pb2.CreateClientRequest(
        name="bench-his", roles=["internal"], hospital_code="450200001", permissions="EF")).client_secret
    catalog = catalog_pb2_grpc.CatalogServiceStub(with_token(open_channel(addresses["catalog"]), token))
    catalog_sequence = 0
    for kind in (catalog_pb2.ITEM_KIND_DRUG, catalog_pb2.ITEM_KIND_SERVICE):
        wanted = [item for item in ITEMS if (item[2] == "1") == (kind == catalog_pb2.ITEM_KIND_DRUG)]
        catalog.ImportNcmsCatalog(iter([catalog_pb2.ImportNcmsCatalogRequest(kind=kind, rows=[
            catalog_pb2.ImportRow(line_number=i + 2, values={"nhbm": nhbm, "mc": name, "sfdj": cls})
            for i, (_, name, _, nhbm, cls) in enumerate(wanted)])]))
        catalog_sequence = catalog.ApplyHospitalCatalog(catalog_pb2.ApplyHospitalCatalogRequest(
            hospital_code="450200001", kind=kind, changes=[catalog_pb2.HospitalItemChange(
                operation=catalog_pb2.CHANGE_OPERATION_UPSERT, code=code, name=name, price="2.50",
                proposed_ncms_code=nhbm) for code, name, _, nhbm, _ in wanted])).sequence
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for n in range(members):
        card, member_id, name = member(n)
        writer.writerow([card, member_id, name, "1", "1980-01-01", "", "户主", name, "柳州", "450203001",
                         YEAR, "1", "1"])
    enrollment = enrollment_pb2_grpc.EnrollmentServiceStub(with_token(open_channel(addresses["enrollment"]), token))
    enrollment_sequence = enrollment.ImportEnrollment(iter([enrollment_pb2.ImportEnrollmentRequest(
        csv_chunk=buffer.getvalue().encode())])).sequence
    projections = settlement_pb2_grpc.ProjectionServiceStub(with_token(open_channel(addresses["settlement"]), token))
    for source, sequence in ((settlement_pb2.PROJECTION_SOURCE_CATALOG, catalog_sequence),
                             (settlement_pb2.PROJECTION_SOURCE_ENROLLMENT, enrollment_sequence)):
        if not projections.AwaitProjection(settlement_pb2.AwaitProjectionRequest(
                source=source, sequence=sequence, timeout_seconds=120), timeout=130).applied:
            raise RuntimeError("settlement's copies did not take in the benchmark's data")
    return key, secret


def _bill_lines() -> list[tuple]:
    return [(n + 1, kind, code, name, "2.5000", "2", "5.00") for n, (code, name, kind, _, _) in enumerate(ITEMS)]


# --- through gRPC ------------------------------------------------------------------------

def health_call(address: str):
    stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(address))
    return lambda: stub.Check(health_pb2.HealthCheckRequest(), timeout=5)


ITEM_KINDS = {"1": settlement_pb2.ITEM_KIND_DRUG, "2": settlement_pb2.ITEM_KIND_SERVICE}


def grpc_settle_call(address: str, identity_address: str, secret: str, members: int):
    credentials = ClientCredentials(identity_pb2_grpc.TokenServiceStub(identity_channel(identity_address)),
                                    "bench-his", secret)
    stub = settlement_pb2_grpc.SettlementServiceStub(open_channel(address))
    rng = random.Random()
    visit_time = datetime(YEAR, 6, 1, 9, 30, tzinfo=BEIJING)
    lines = [settlement_pb2.BillLine(line_number=n, item_kind=ITEM_KINDS[kind], item_code=code, item_name=name, price=price,
                                     quantity=quantity, amount=amount)
             for n, kind, code, name, price, quantity, amount in _bill_lines()]

    def call():
        card, member_id, name = member(rng.randrange(members))
        request = settlement_pb2.SettleOutpatientRequest(
            visit=settlement_pb2.OutpatientVisit(number=uuid.uuid4().hex[:20], card=card, member_id=member_id,
                                                 name=name, diagnosis="J06.900", total="50.00"),
            lines=lines)
        request.visit.visit_time.FromDatetime(visit_time)
        stub.SettleOutpatient(request, timeout=10, metadata=credentials.metadata())
    return call


# --- through the gateway ------------------------------------------------------------------

def gateway_settle_call(url: str, key: str, members: int):
    from legacy import datasets
    from tests.support.soap import envelope, sign

    rng = random.Random()
    post = soap_session(url)
    detail = [[("mxxh", str(n)), ("xmlb", kind), ("yyxmbm", code), ("xmmc", name), ("dj", price), ("sl", quantity),
               ("je", amount)] for n, kind, code, name, price, quantity, amount in _bill_lines()]
    assert datasets  # the envelope helper builds the diffgrams

    def call():
        card, member_id, name = member(rng.randrange(members))
        main = [("mzbh", uuid.uuid4().hex[:20]), ("chzh", card), ("grbm", member_id), ("xm", name),
                ("jzrq", f"{YEAR}-06-01 09:30:00"), ("zdbm", "J06.900"), ("zfy", "50.00")]
        params = {"yydm": "450200001", "yh": "his01", "kl": gateway_bench.PASSWORD,
                  "jszjl": {"mzzb": [main]}, "jsmxjl": {"mzmx": detail}}
        body = envelope("mzjsjk", {**params, "xxzy": sign(key, "mzjsjk", params)})
        post(body, f"{NAMESPACE}/mzjsjk", b"jsbh")
    return call


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks settlement", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--members", type=int, default=2000)
    args = parser.parse_args(argv)
    addresses = {name: f"127.0.0.1:{free_port()}" for name in
                 ("identity", "catalog", "enrollment", "settlement", "gateway", "reference")}
    url = f"http://{addresses['gateway']}/NcmsService.asmx"
    load = dict(duration=args.duration, processes=args.processes, threads=args.threads)
    environment = {f"NCMS_{name.upper()}_ADDRESS": address for name, address in addresses.items()}
    with Components(NCMS_ADMIN_CLIENT_SECRET=gateway_bench.ADMIN_SECRET,
                    NCMS_GATEWAY_CLIENT_SECRET=gateway_bench.GATEWAY_SECRET,
                    NCMS_SETTLEMENT_CLIENT_SECRET=gateway_bench.SETTLEMENT_SECRET,
                    NCMS_BENCH_RELAY_TO=f"{addresses['identity']},{addresses['settlement']}",
                    **environment) as components:
        for service in ("identity", "catalog", "enrollment", "settlement"):
            components.start(f"services.{service}", addresses[service])
        components.start_command(["-m", "benchmarks.reference_server", "--listen", addresses["reference"]],
                                 addresses["reference"])
        key, secret = prepare(addresses, args.members)
        gateway = subprocess.Popen([sys.executable, "-m", "benchmarks.gateway_server", "--listen",
                                    addresses["gateway"]], env=components.environment)
        components.processes.append(gateway)
        gateway_bench._wait_http(f"http://{addresses['gateway']}/healthz", gateway)
        gateway_settle_call(url, key, args.members)()
        print(f"all components as processes on SQLite; {args.members} members, in settlement's copies; a 10-line "
              f"bill per call (甲, 乙, 丙 items); load {args.processes} processes × {args.threads} threads, "
              f"{args.duration:.0f}s per round, median of {args.rounds} alternating rounds")
        services = [process.pid for process in components.processes[:4]]
        reference_pid = components.processes[4].pid

        def suite_pids() -> list[int]:
            """Every process of the suite: the services, the gateway's master and workers."""
            return [*services, gateway.pid, *child_pids(gateway.pid)]

        through_grpc = compare(
            ("empty call on a bare grpc.aio server", (__name__, "health_call", {"address": addresses["reference"]})),
            ("SettleOutpatient over gRPC", (__name__, "grpc_settle_call", {
                "address": addresses["settlement"], "identity_address": addresses["identity"], "secret": secret,
                "members": args.members})),
            server_pid=reference_pid, suite_pids=suite_pids, rounds=args.rounds, **load)
        print(through_grpc.baseline.line() + f"   server CPU {through_grpc.baseline_cpu_us:.0f} µs/call")
        print(through_grpc.subject.line() + f"   suite CPU {through_grpc.subject_suite_cpu_us:.0f} µs/call")
        print(ratio_line("ratio gRPC settlement / reference call", through_grpc.subject.rate,
                         through_grpc.baseline.rate, goal=0.3))
        through_gateway = compare(
            ("bare SOAP echo (same gunicorn workers)", (gateway_bench.__name__, "echo_call", {"url": url})),
            ("mzjsjk through the gateway", (__name__, "gateway_settle_call", {
                "url": url, "key": key, "members": args.members})),
            ceiling=("echo after the shape's 2 empty round trips",
                     (gateway_bench.__name__, "echo_call", {"url": url, "operation": "relay"})),
            suite_pids=suite_pids, rounds=args.rounds, **load)
        print(through_gateway.baseline.line() + f"   suite CPU {through_gateway.baseline_suite_cpu_us:.0f} µs/call")
        print(through_gateway.subject.line() + f"   suite CPU {through_gateway.subject_suite_cpu_us:.0f} µs/call")
        print(ratio_line("ratio gateway settlement / bare echo", through_gateway.subject.rate,
                         through_gateway.baseline.rate, goal=0.25))
        print("\n".join(through_gateway.ceiling_lines("ceiling of the shape / bare echo")))
        print(f"{'CPU of the suite per settlement / per echo':<44} "
              f"{through_gateway.subject_suite_cpu_us / max(through_gateway.baseline_suite_cpu_us, 1):>6.2f}×")
        for label, spec, peak in (
                ("mzjsjk through the gateway", (__name__, "gateway_settle_call",
                                                {"url": url, "key": key, "members": args.members}),
                 through_gateway.subject.rate),
                ("SettleOutpatient over gRPC", (__name__, "grpc_settle_call", {
                    "address": addresses["settlement"], "identity_address": addresses["identity"],
                    "secret": secret, "members": args.members}), through_grpc.subject.rate)):
            half = measure(f"{label} at half of peak", spec, rate=peak / 2, **load)
            verdict = "met" if half.percentile(99) < 50 else "NOT met"
            print(half.line() + f"   (offered {peak / 2:.0f}/s)   goal p99 < 50 ms: {verdict}")


if __name__ == "__main__":
    main()
