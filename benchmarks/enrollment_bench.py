"""Enrolment: importing a provincial list, and household lookups at the hospital desk.

    python -m benchmarks enrollment [--members 1000000] [--duration 5] [--rounds 3]
                                    [--postgresql-url URL | --no-postgresql]

1. `ncms enrollment import` of --members generated members (4 per household, one
   enrolment year each) on SQLite, then on PostgreSQL when reachable: rows per second,
   the peak memory (VmHWM / maxrss) of the command and of the enrollment service, and
   the re-import of the same file (which changes nothing), and the first sync of a new
   settlement (on an empty database of the same kind) copying every member-year from
   enrollment's change feed, with its progress lines.
2. Household lookups among those members on the last backend: GetHousehold over gRPC
   beside an empty gRPC call on the same server, and chryxxjk through the gateway
   beside a bare SOAP echo in the same gunicorn workers, as ratios.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ncms.enrollment.v1 import enrollment_pb2, enrollment_pb2_grpc
from ncms.identity.v1 import identity_pb2_grpc
from runtime.clients import ClientCredentials, identity_channel, open_channel
from services.enrollment.records import COLUMNS

from . import gateway_bench
from .harness import Components, compare, free_port, ratio_line, soap_session, wait_for_health

BEIJING = timezone(timedelta(hours=8))
YEAR = datetime.now(BEIJING).year
NAMESPACE = "urn:ncms:his:v1"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂𠈌"
RELATIONS = ("户主", "配偶", "子", "女")
DEFAULT_POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def card_of(household: int) -> str:
    return f"4502{household:010d}"


def write_members(path: Path, members: int) -> None:
    """A CSV of ``members`` members, four to a household, all enrolled in YEAR."""
    from services.enrollment.records import compose_id_number as id_number

    rng = random.Random(1)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        head = ""
        for n in range(members):
            card = card_of(n // 4)
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            if n % 4 == 0:
                head = name
            birth = f"{rng.randint(1940, 2020)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            writer.writerow([card, f"{card}{n % 4 + 1:02d}", name, rng.choice("12"), birth,
                             id_number("450203", birth, n), RELATIONS[n % 4], head, "柳州市鱼峰区某村",
                             "450203001", YEAR, "1" if rng.random() > 0.03 else "0", rng.choice("1111111234")])


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def run_import(components: Components, file: Path) -> tuple[float, int, dict]:
    """Seconds, the command's peak memory (KiB) and its JSON answer."""
    command = [str(Path(sys.executable).parent / "ncms"), "enrollment", "import", "--json", str(file)]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=components.environment, stdout=subprocess.PIPE)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"import failed ({process.returncode}): {output[:500]!r}")
    # int64 fields arrive as JSON strings (the protobuf JSON mapping)
    return seconds, usage.ru_maxrss, {key: int(value) for key, value in json.loads(output).items()
                                      if isinstance(value, (int, str)) and str(value).isdigit()}


def first_sync(components: Components, members: int, args, enrollment_database_url: str | None) -> None:
    """A new settlement, on an empty database of the same kind, copying every member-year
    from enrollment's feed (list, then watch): the time until it is ready, its
    progress lines shown as the log prints them."""
    address = f"127.0.0.1:{free_port()}"
    if enrollment_database_url:
        database_url = postgresql_database(args.postgresql_url, "settlement")
    else:
        database_url = f"sqlite:///{components.data_dir / 'first-sync-settlement.db'}"
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "services.settlement"], env={
        **components.environment, "NCMS_SETTLEMENT_ADDRESS": address, "NCMS_SETTLEMENT_DATABASE_URL": database_url,
        "NCMS_LOG_LEVEL": "INFO"}, stderr=subprocess.PIPE, text=True)
    try:
        progress = threading.Thread(target=_show_projection_lines, args=(process,), daemon=True)
        progress.start()
        wait_for_health(address, process, timeout=3600)  # SERVING once its copies are in sync
        seconds = time.perf_counter() - started
        print(f"{'':<10}first sync of a new settlement: {members:,} member-years in {seconds:.1f} s "
              f"({members / seconds:,.0f} rows/s, from the process's start to ready)")
    finally:
        process.terminate()
        process.wait(timeout=30)
        if enrollment_database_url and database_url:
            drop_postgresql_database(args.postgresql_url, database_url)


def _show_projection_lines(process: subprocess.Popen) -> None:
    for line in process.stderr:
        if "projection enrollment" in line:
            print(f"{'':<10}  | {line.rstrip()[-110:]}", flush=True)


# --- lookups --------------------------------------------------------------------------

def health_call(address: str):
    stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(address))
    return lambda: stub.Check(health_pb2.HealthCheckRequest(), timeout=5)


def household_call(address: str, identity_address: str, households: int):
    credentials = ClientCredentials(identity_pb2_grpc.TokenServiceStub(identity_channel(identity_address)),
                                    "ncms-admin", gateway_bench.ADMIN_SECRET)
    stub = enrollment_pb2_grpc.EnrollmentServiceStub(open_channel(address))
    rng = random.Random()

    def call():
        answer = stub.GetHousehold(enrollment_pb2.GetHouseholdRequest(card=card_of(rng.randrange(households)),
                                                                      year=YEAR),
                                   timeout=5, metadata=credentials.metadata())
        if len(answer.members) != 4:
            raise RuntimeError(f"household with {len(answer.members)} members")
    return call


def chryxxjk_call(url: str, key: str, households: int):
    from tests.support.soap import envelope, sign

    rng = random.Random()
    post = soap_session(url)
    bodies = {}

    def call():
        card = card_of(rng.randrange(households))
        if card not in bodies:
            params = {"yydm": "450200001", "yh": "his01", "kl": gateway_bench.PASSWORD, "chzh": card}
            bodies[card] = envelope("chryxxjk", {**params, "xxzy": sign(key, "chryxxjk", params)})
        post(bodies[card], f"{NAMESPACE}/chryxxjk", card.encode())
    return call


# --- one backend ----------------------------------------------------------------------

def postgresql_database(url: str, service: str = "enrollment") -> str | None:
    """A fresh scratch database on the server of ``url``; None when unreachable."""
    import sqlalchemy as sa

    name = f"ncms_bench_{service}_{os.getpid()}"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL at {url} unreachable, skipped: {exc.orig}")
        return None
    finally:
        engine.dispose()
    return str(sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False))


def drop_postgresql_database(url: str, database_url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{sa.engine.make_url(database_url).database}" '
                                   "WITH (FORCE)"))
    engine.dispose()


def bench_backend(label: str, file: Path, members: int, args, database_url: str | None) -> None:
    addresses = {name: f"127.0.0.1:{free_port()}" for name in
                 ("identity", "catalog", "enrollment", "settlement", "gateway")}
    environment = {f"NCMS_{name.upper()}_ADDRESS": address for name, address in addresses.items()}
    if database_url:
        environment["NCMS_ENROLLMENT_DATABASE_URL"] = database_url
    with Components(NCMS_ADMIN_CLIENT_SECRET=gateway_bench.ADMIN_SECRET,
                    NCMS_GATEWAY_CLIENT_SECRET=gateway_bench.GATEWAY_SECRET, **environment) as components:
        for service in ("identity", "catalog", "enrollment", "settlement"):
            components.start(f"services.{service}", addresses[service])
        enrollment_pid = components.processes[2].pid
        idle_kib = peak_kib(enrollment_pid)
        seconds, command_kib, answer = run_import(components, file)
        service_kib = peak_kib(enrollment_pid)
        print(f"{label}: import of {members:,} members   {members / seconds:>9,.0f} rows/s   ({seconds:.1f} s; "
              f"{answer.get('members_inserted', 0):,} members, {answer.get('enrollments_inserted', 0):,} enrolments new)")
        print(f"{'':<10}peak memory: command {command_kib / 1024:.0f} MiB, enrollment service "
              f"{service_kib / 1024:.0f} MiB (idle {idle_kib / 1024:.0f} MiB); file {file.stat().st_size / 1e6:.0f} MB")
        seconds, _, answer = run_import(components, file)
        print(f"{'':<10}re-import of the same file {members / seconds:>9,.0f} rows/s   ({seconds:.1f} s; "
              f"{answer.get('unchanged', 0):,} rows unchanged, {answer.get('members_updated', 0):,} members changed)")
        first_sync(components, members, args, database_url)
        if not args.lookups:
            return

        key = gateway_bench.prepare(addresses["identity"])
        gateway = subprocess.Popen([sys.executable, "-m", "benchmarks.gateway_server", "--listen",
                                    addresses["gateway"]], env=components.environment)
        components.processes.append(gateway)
        gateway_bench._wait_http(f"http://{addresses['gateway']}/healthz", gateway)
        url = f"http://{addresses['gateway']}/NcmsService.asmx"
        households = members // 4
        chryxxjk_call(url, key, households)()  # the first call pays argon2
        load = dict(duration=args.duration, processes=args.processes, threads=args.threads)
        print(f"{'':<10}lookups of random households among {households:,}; load {args.processes} processes × "
              f"{args.threads} threads, {args.duration:.0f}s per round, median of {args.rounds} alternating rounds")
        through_grpc = compare(
            ("empty gRPC call (enrollment health Check)", (__name__, "health_call",
                                                           {"address": addresses["enrollment"]})),
            ("GetHousehold over gRPC", (__name__, "household_call", {
                "address": addresses["enrollment"], "identity_address": addresses["identity"],
                "households": households})),
            server_pid=enrollment_pid, rounds=args.rounds, **load)
        print(through_grpc.baseline.line())
        print(through_grpc.subject.line() + f"   enrollment CPU {through_grpc.subject_cpu_us:.0f} µs/call")
        print(ratio_line("ratio GetHousehold / empty call", through_grpc.subject.rate, through_grpc.baseline.rate))
        through_gateway = compare(
            ("bare SOAP echo (same gunicorn workers)", (gateway_bench.__name__, "echo_call", {"url": url})),
            ("chryxxjk through the gateway", (__name__, "chryxxjk_call", {
                "url": url, "key": key, "households": households})),
            rounds=args.rounds, **load)
        print(through_gateway.baseline.line())
        print(through_gateway.subject.line())
        print(ratio_line("ratio chryxxjk / bare echo", through_gateway.subject.rate, through_gateway.baseline.rate))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks enrollment", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgresql-url", default=os.environ.get("NCMS_BENCH_POSTGRESQL_URL", DEFAULT_POSTGRESQL),
                        help="server for the PostgreSQL run (a scratch database is created and dropped)")
    parser.add_argument("--no-postgresql", action="store_true", help="SQLite only")
    parser.add_argument("--no-lookups", dest="lookups", action="store_false", help="imports only")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ncms-bench-enrollment-") as directory:
        file = Path(directory) / "members.csv"
        started = time.perf_counter()
        write_members(file, args.members)
        print(f"generated {args.members:,} members in {time.perf_counter() - started:.0f} s")
        database_url = None if args.no_postgresql else postgresql_database(args.postgresql_url)
        lookups = args.lookups
        args.lookups = lookups and database_url is None
        bench_backend("SQLite", file, args.members, args, None)
        if database_url:
            args.lookups = lookups
            try:
                bench_backend("PostgreSQL", file, args.members, args, database_url)
            finally:
                drop_postgresql_database(args.postgresql_url, database_url)


if __name__ == "__main__":
    main()
