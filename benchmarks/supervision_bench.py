"""Supervision of a province's month: every rule and the month's report, on PostgreSQL.

    python -m benchmarks supervision [--hospitals 200] [--visits 1000000] [--stays 50000]
                                     [--postgresql-url URL | --sqlite]

Generates the month (a scratch database; clean data plus a few planted cases per
hospital), starts identity and settlement as processes, then times what the centre
runs: the rules (ListFindings, streamed) and the report figures (GetReport), and
`ncms report` end to end (both, plus the CSV files and the HTML page). Printed beside
a baseline from the same database: one bare aggregate scan over the month's
settlements and lines, the least any report must read. Peak memory (VmHWM) of the
settlement service and of the command.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from ncms.settlement.v1 import supervision_pb2, supervision_pb2_grpc
from runtime.clients import (
    ClientCredentials,
    PackageStubs,
    identity_channel,
    open_channel,
    with_token,
)
from runtime.db import Database, migrate

from . import gateway_bench
from .enrollment_bench import (
    DEFAULT_POSTGRESQL,
    drop_postgresql_database,
    peak_kib,
    postgresql_database,
)
from .harness import Components, free_port

PERIOD, YEAR, MONTH = "2026-05", 2026, 5


def generate(url: str, hospitals: int, visits: int, stays: int) -> tuple[int, float]:
    """The month into the settlement database at ``url``; (settlements, seconds)."""
    from tests.support import month as generated

    db = Database(url)
    migrate(db, "services.settlement.migrations")
    writer = generated.Writer(db)
    started, written = time.perf_counter(), 0
    licorice = generated.ITEMS[2]
    for n in range(hospitals):
        code, level = f"4502{n:05d}", 1 + n % 4
        bills = list(generated.hospital_month(code, level, YEAR, MONTH, visits=visits // hospitals,
                                              stays=stays // hospitals, seed=n))
        # a few planted cases per hospital, so the rules have something to report
        day = generated.at(date(YEAR, MONTH, 10))
        for k in range(5):
            over = generated._line(1, generated.ITEMS[0], 2, day)
            over.price, over.over_limit = Decimal("16.00"), Decimal("2.00")
            bills.append(generated.Bill(code, level, "outpatient", f"MZX{k}", f"{code}X{k}", day, day, [over]))
            bills.append(generated.Bill(code, level, "outpatient", f"MZQ{k}", f"{code}Q{k}", day, day,
                                        [generated._line(1, licorice, 60, day)]))
        writer.write(bills)
        written += len(bills)
        if n % 20 == 19:
            print(f"  generated {n + 1} hospitals, {written:,} settlements", flush=True)
    if db.dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("ANALYZE settlements, settlement_lines"))
    db.dispose()
    return written, time.perf_counter() - started


def bare_scan_seconds(url: str) -> float:
    """One aggregate pass over the month's settlements and their lines."""
    engine = sa.create_engine(Database(url).url)
    started = time.perf_counter()
    with engine.connect() as connection:
        connection.execute(sa.text(
            "SELECT s.hospital_code, count(*), sum(l.amount), sum(l.quantity) FROM settlements s "
            "JOIN settlement_lines l ON l.settlement_id = s.id GROUP BY s.hospital_code")).all()
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks supervision", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hospitals", type=int, default=200)
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--stays", type=int, default=50_000)
    parser.add_argument("--postgresql-url", default=os.environ.get("NCMS_BENCH_POSTGRESQL_URL", DEFAULT_POSTGRESQL))
    parser.add_argument("--sqlite", action="store_true", help="on SQLite instead of PostgreSQL")
    args = parser.parse_args(argv)
    scratch = tempfile.mkdtemp(prefix="ncms-bench-supervision-")
    url = f"sqlite:///{scratch}/settlement.sqlite3" if args.sqlite else postgresql_database(args.postgresql_url)
    if url is None:
        sys.exit("PostgreSQL is not reachable; give --postgresql-url or --sqlite")
    try:
        print(f"generating {args.hospitals} hospitals, {args.visits:,} visits, {args.stays:,} stays "
              f"({'SQLite' if args.sqlite else 'PostgreSQL'})", flush=True)
        count, seconds = generate(url, args.hospitals, args.visits, args.stays)
        print(f"generated {count:,} settlements in {seconds:.0f} s")
        run(url, args)
    finally:
        if not args.sqlite:
            drop_postgresql_database(args.postgresql_url, url)


def run(url: str, args) -> None:
    addresses = {name: f"127.0.0.1:{free_port()}" for name in ("identity", "settlement", "catalog", "enrollment")}
    environment = {f"NCMS_{name.upper()}_ADDRESS": address for name, address in addresses.items()}
    with Components(NCMS_ADMIN_CLIENT_SECRET=gateway_bench.ADMIN_SECRET,
                    NCMS_GATEWAY_CLIENT_SECRET=gateway_bench.GATEWAY_SECRET, NCMS_SETTLEMENT_DATABASE_URL=url,
                    NCMS_GRPC_DEADLINE_SECONDS="600", **environment) as components:
        components.start("services.identity", addresses["identity"])
        components.start("services.settlement", addresses["settlement"])
        settlement_pid = components.processes[1].pid
        channel = identity_channel(addresses["identity"])
        token = ClientCredentials(identity_pb2_grpc.TokenServiceStub(channel), "ncms-admin",
                                  gateway_bench.ADMIN_SECRET).token
        identity = PackageStubs(with_token(channel, token), identity_pb2_grpc)
        for n in range(args.hospitals):
            identity.CreateHospital(identity_pb2.CreateHospitalRequest(
                code=f"4502{n:05d}", name=f"测试医院{n:03d}", level=1 + n % 4))
        stub = supervision_pb2_grpc.SupervisionServiceStub(with_token(open_channel(addresses["settlement"]), token))
        idle = peak_kib(settlement_pid)

        baseline = bare_scan_seconds(url)
        counts: dict[str, int] = {}
        per_rule: dict[str, float] = {}
        for rule in stub.ListRules(supervision_pb2.ListRulesRequest()).rules:
            started = time.perf_counter()
            for finding in stub.ListFindings(supervision_pb2.ListFindingsRequest(
                    period=PERIOD, rule_codes=[rule.code]), timeout=3600):
                counts[finding.rule_code] = counts.get(finding.rule_code, 0) + 1
            per_rule[rule.code] = time.perf_counter() - started
        rules_seconds = sum(per_rule.values())
        started = time.perf_counter()
        report = stub.GetReport(supervision_pb2.GetReportRequest(period=PERIOD), timeout=3600)
        report_seconds = time.perf_counter() - started
        service_peak = peak_kib(settlement_pid)

        out = Path(tempfile.mkdtemp(prefix="ncms-report-"))
        command = [str(Path(sys.executable).parent / "ncms"), "report", "--period", PERIOD, "--out", str(out)]
        started = time.perf_counter()
        process = subprocess.Popen(command, env=components.environment, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        command_seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status):
            raise RuntimeError("ncms report failed")
        findings_total = sum(counts.values())
        print(f"{'bare aggregate scan of the month (baseline)':<46} {baseline:8.1f} s")
        print(f"{'all rules (ListFindings, streamed, one by one)':<46} {rules_seconds:8.1f} s   {findings_total:,} findings "
              f"({', '.join(f'{k} {v:,}' for k, v in sorted(counts.items()))})")
        print("  per rule: " + ", ".join(f"{code} {seconds:.1f} s" for code, seconds in per_rule.items()))
        print(f"{'report figures (GetReport)':<46} {report_seconds:8.1f} s   {len(report.hospitals)} hospitals, "
              f"{len(report.trend):,} trend points")
        print(f"{'ncms report end to end (CSV + HTML)':<46} {command_seconds:8.1f} s   "
              f"{sum(f.stat().st_size for f in out.iterdir()) / 1e6:.1f} MB written")
        print(f"{'ratio (rules + report) / bare scan':<46} {(rules_seconds + report_seconds) / baseline:8.1f}×")
        print(f"peak memory: settlement service {service_peak / 1024:.0f} MiB (idle {idle / 1024:.0f} MiB), "
              f"ncms report {usage.ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
