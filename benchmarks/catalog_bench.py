"""The catalog: a 5,000-row ypmljk call end to end, NCMS catalog import speed, and
resolving 30-line bills against 100,000 hospital items — each beside a baseline
measured in the same run.

    python -m benchmarks catalog [--items 100000] [--duration 5] [--rounds 3]

Baselines: a bare SQL insert loop into the same kind of database (for the import and
the 5,000-row call), and an empty gRPC call on the catalog server (for resolve).
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import grpc
import sqlalchemy as sa
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ncms.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from runtime.clients import (
    ClientCredentials,
    PackageStubs,
    identity_channel,
    open_channel,
    with_token,
)

from . import gateway_bench
from .harness import Components, compare, free_port, ratio_line

ADMIN_SECRET = gateway_bench.ADMIN_SECRET
GATEWAY_SECRET = gateway_bench.GATEWAY_SECRET
FORMS = ["片剂", "胶囊剂", "注射剂", "颗粒剂", "丸剂"]


def admin_token(identity_address: str):
    channel = identity_channel(identity_address)
    from ncms.identity.v1 import identity_pb2_grpc

    return ClientCredentials(identity_pb2_grpc.TokenServiceStub(channel), "ncms-admin", ADMIN_SECRET).token


def ncms_rows(count: int) -> list[dict[str, str]]:
    rng = random.Random(7)
    rows = []
    for n in range(count):
        level = rng.choice("甲乙丙")
        rows.append({"nhbm": f"X{n:06d}", "mc": f"药品{n:06d}", "gg": f"{rng.choice([0.1, 0.25, 0.5])}g*{rng.choice([12, 24])}粒",
                     "jx": rng.choice(FORMS), "dw": "盒", "pzwh": f"国药准字H{20000000 + n}", "sfdj": level,
                     "zfbl": "0.15" if level == "乙" else "", "xj": str(rng.randint(5, 200)) if n % 3 == 0 else ""})
    return rows


def import_catalog(stub, rows: list[dict[str, str]]) -> float:
    """Seconds to import ``rows`` through ImportNcmsCatalog (batches of 1,000)."""
    def requests():
        for start in range(0, len(rows), 1000):
            yield catalog_pb2.ImportNcmsCatalogRequest(kind=catalog_pb2.ITEM_KIND_DRUG, rows=[
                catalog_pb2.ImportRow(line_number=start + i + 2, values=row)
                for i, row in enumerate(rows[start:start + 1000])])
    started = time.perf_counter()
    stub.ImportNcmsCatalog(requests(), timeout=600)
    return time.perf_counter() - started


def bare_insert_seconds(url: str, rows: int) -> float:
    """A bare SQL insert loop: ``rows`` rows of the same width into a scratch table."""
    engine = sa.create_engine(url)
    metadata = sa.MetaData()
    table = sa.Table("bench_scratch", metadata, sa.Column("id", sa.Integer, primary_key=True),
                     *[sa.Column(f"c{i}", sa.String(100)) for i in range(9)])
    metadata.drop_all(engine)
    metadata.create_all(engine)
    values = [{f"c{i}": f"value {n} {i}" for i in range(9)} for n in range(rows)]
    started = time.perf_counter()
    with engine.begin() as connection:
        for start in range(0, rows, 1000):
            connection.execute(table.insert(), values[start:start + 1000])
    elapsed = time.perf_counter() - started
    metadata.drop_all(engine)
    engine.dispose()
    return elapsed


def hospital_changes(hospital: int, count: int) -> list[catalog_pb2.HospitalItemChange]:
    changes = []
    for n in range(count):
        code = n % 20000
        changes.append(catalog_pb2.HospitalItemChange(
            row_number=n + 1, operation=catalog_pb2.CHANGE_OPERATION_UPSERT, code=f"H{hospital}-{n:06d}",
            name=f"药品{code:06d}", specification="0.25g*24粒", approval_number=f"国药准字H{20000000 + code}",
            price=str(Decimal(random.Random(n).randint(100, 90000)) / 100),
            proposed_ncms_code=f"X{code:06d}" if n % 2 else ""))
    return changes


def health_call(address: str):
    stub = health_pb2_grpc.HealthStub(grpc.insecure_channel(address))
    return lambda: stub.Check(health_pb2.HealthCheckRequest(), timeout=5)


def resolve_call(address: str, identity_address: str, hospitals: int, per_hospital: int):
    token = admin_token(identity_address)
    stub = catalog_pb2_grpc.CatalogServiceStub(open_channel(address))
    rng = random.Random()

    def call():
        hospital = rng.randrange(hospitals)
        items = [catalog_pb2.ItemRef(kind=catalog_pb2.ITEM_KIND_DRUG, code=f"H{hospital}-{rng.randrange(per_hospital):06d}")
                 for _ in range(30)]
        stub.ResolveItems(catalog_pb2.ResolveItemsRequest(hospital_code=f"4502{hospital:05d}", items=items),
                          timeout=5, metadata=(("authorization", f"Bearer {token()}"),))
    return call


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks catalog", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000, help="hospital items in all")
    parser.add_argument("--hospitals", type=int, default=10)
    parser.add_argument("--ncms-items", type=int, default=20_000)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    identity_address, catalog_address = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    gateway_address = f"127.0.0.1:{free_port()}"
    url = f"http://{gateway_address}/NcmsService.asmx"
    with Components(NCMS_ADMIN_CLIENT_SECRET=ADMIN_SECRET, NCMS_GATEWAY_CLIENT_SECRET=GATEWAY_SECRET,
                    NCMS_IDENTITY_ADDRESS=identity_address, NCMS_CATALOG_ADDRESS=catalog_address,
                    NCMS_GATEWAY_ADDRESS=gateway_address, NCMS_GRPC_DEADLINE_SECONDS="60") as components:
        components.start("services.identity", identity_address)
        components.start("services.catalog", catalog_address)
        key = gateway_bench.prepare(identity_address)
        gateway = subprocess.Popen([sys.executable, "-m", "gateway", "--listen", gateway_address],
                                   env=components.environment)
        components.processes.append(gateway)
        gateway_bench._wait_http(f"http://{gateway_address}/healthz", gateway)
        catalog = catalog_pb2_grpc.CatalogServiceStub(with_token(open_channel(catalog_address),
                                                                 admin_token(identity_address)))
        database_url = f"sqlite:///{components.data_dir / 'catalog.sqlite3'}"
        scratch_url = f"sqlite:///{Path(tempfile.mkdtemp()) / 'scratch.sqlite3'}"
        print(f"catalog on SQLite ({database_url}); gateway: gunicorn")

        # 1. NCMS catalog import
        rows = ncms_rows(args.ncms_items)
        seconds = import_catalog(catalog, rows)
        bare = bare_insert_seconds(scratch_url, len(rows))
        print(f"{'NCMS catalog import':<44} {len(rows) / seconds:>9,.0f} rows/s   ({len(rows):,} rows, {seconds:.2f} s)")
        print(f"{'bare SQL insert loop (same rows, same backend)':<44} {len(rows) / bare:>9,.0f} rows/s")
        print(ratio_line("ratio import / bare inserts", len(rows) / seconds, len(rows) / bare))

        # 2. one 5,000-row ypmljk call through the gateway
        from tests.support.soap import envelope, sign

        table = [[("yyxmbm", f"YP{n:05d}"), ("xmmc", f"药品{n:06d}"), ("gg", "0.25g*24粒"),
                  ("pzwh", f"国药准字H{20000000 + n}"), ("dj", f"{n % 500 + 1}.50"), ("czlx", "A")]
                 for n in range(5000)]
        params = {"yydm": "450200001", "yh": "his01", "kl": gateway_bench.PASSWORD, "ypml": {"ypml": table}}
        body = envelope("ypmljk", {**params, "xxzy": sign(key, "ypmljk", params)})
        import requests

        started = time.perf_counter()
        answer = requests.post(url, data=body, headers={"Content-Type": "text/xml; charset=utf-8",
                                                         "SOAPAction": '"urn:ncms:his:v1/ypmljk"'}, timeout=600)
        call_seconds = time.perf_counter() - started
        assert b"ypmljkResult/>" in answer.content or b"ypmljkResult></tns:ypmljkResult>" in answer.content, answer.content[:300]
        bare = bare_insert_seconds(scratch_url, 5000)
        print(f"{'5,000-row ypmljk, end to end':<44} {call_seconds:>9.2f} s   ({len(body) / 1e6:.1f} MB request)")
        print(f"{'bare SQL insert loop of 5,000 rows':<44} {bare:>9.2f} s")
        print(ratio_line("ratio bare inserts / ypmljk (time)", bare, call_seconds))

        # 3. resolving 30-line bills against args.items hospital items
        per_hospital = args.items // args.hospitals
        from ncms.identity.v1 import identity_pb2, identity_pb2_grpc

        identity = PackageStubs(with_token(identity_channel(identity_address), admin_token(identity_address)),
                                identity_pb2_grpc)
        started = time.perf_counter()
        for hospital in range(args.hospitals):
            code = f"4502{hospital:05d}"
            if code != "450200001":
                identity.CreateHospital(identity_pb2.CreateHospitalRequest(code=code, name=f"h{hospital}", level=2))
            changes = hospital_changes(hospital, per_hospital)
            for start in range(0, len(changes), 5000):
                catalog.ApplyHospitalCatalog(catalog_pb2.ApplyHospitalCatalogRequest(
                    hospital_code=code, kind=catalog_pb2.ITEM_KIND_DRUG, changes=changes[start:start + 5000]),
                    timeout=600)
        print(f"loaded {args.items:,} hospital items over {args.hospitals} hospitals in "
              f"{time.perf_counter() - started:.1f} s")
        load = dict(duration=args.duration, processes=args.processes, threads=args.threads)
        result = compare(("empty gRPC call (catalog health Check)", (__name__, "health_call", {"address": catalog_address})),
                         ("resolve a 30-line bill", (__name__, "resolve_call", {
                             "address": catalog_address, "identity_address": identity_address,
                             "hospitals": args.hospitals, "per_hospital": per_hospital})),
                         server_pid=components.processes[1].pid, rounds=args.rounds, **load)
        print(result.baseline.line() + f"   server CPU {result.baseline_cpu_us:.0f} µs/call")
        print(result.subject.line() + f"   server CPU {result.subject_cpu_us:.0f} µs/call")
        print(ratio_line("ratio resolve / empty call", result.subject.rate, result.baseline.rate))


if __name__ == "__main__":
    main()
