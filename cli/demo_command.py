"""``ncms demo``: act as the sandbox hospital's HIS against the running suite.

Every step is a real legacy SOAP call to the gateway, signed with the sandbox
hospital's key, printed as a HIS developer would want to see it: what was sent,
what came back. One step is the NCMS's side: it asks the hospital's own service for
the in-patient (zysjcxjk). Each run uses new visit and stay numbers, so it can be run
again and again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import click

from legacy.client import LegacyCaller, Reply, Unreachable
from legacy.operations import BY_NAME, DATASET
from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc

from . import demo_data
from .context import CommandError, Context, table
from .demo import DEMO_HOSPITAL, HospitalSide, credentials_path, demo_inpatient, hospital_data_dir

pass_context = click.make_pass_decorator(Context)
SECRET_PARAMETERS = {"kl", "ykl", "xkl", "fqyhkl", "xzyhkl"}


class Walkthrough:
    def __init__(self, caller: LegacyCaller) -> None:
        self.caller = caller
        self.step = 0

    def title(self, text: str) -> None:
        self.step += 1
        click.echo("")
        click.secho(f"── {self.step}. {text}", bold=True)

    def call(self, operation: str, **values) -> Reply:
        params = self.caller.params(operation, **values)
        shown = []
        for parameter in BY_NAME[operation].parameters:
            value = params.get(parameter.name)
            if parameter.name == "xxzy" or value is None:
                continue
            if parameter.kind == DATASET:
                shown.append(f"{parameter.name}=<DataSet " + ", ".join(
                    f"{name}: {len(rows)} row{'s' if len(rows) != 1 else ''}" for name, rows in value.items()) + ">")
            else:
                shown.append(f"{parameter.name}={'******' if parameter.name in SECRET_PARAMETERS else value}")
        click.echo(f"   → {operation}({', '.join(shown)}, xxzy=<{self.caller.algorithm}>)")
        for parameter in BY_NAME[operation].datasets:
            for name, rows in (params.get(parameter.name) or {}).items():
                show_rows(f"     {parameter.name}.{name}", [dict(cells) for cells in rows])
        try:
            reply = self.caller.call(operation, **values)
        except Unreachable as exc:
            raise CommandError(f"the gateway at {self.caller.url} did not answer: {exc}") from None
        refusal = reply.refusal
        if refusal:
            click.secho(f"   ← refused: {refusal}", fg="red")
            raise CommandError(f"{operation} was refused: {refusal}")
        if BY_NAME[operation].returns == DATASET:
            click.echo("   ← DataSet")
        else:
            click.echo('   ← "" (success)')
        return reply


def show_rows(label: str, rows: list[dict]) -> None:
    click.echo(f"{label} ({len(rows)} row{'s' if len(rows) != 1 else ''})")
    if rows:
        columns = list(dict.fromkeys(c for row in rows for c in row))
        table(columns, [[row.get(c) or "" for c in columns] for row in rows], indent="       ")


def show_tables(reply: Reply, *names: str) -> None:
    for name in names:
        show_rows(f"     {name}", reply.rows(name))


def _stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _line(number: int, item: demo_data.HospitalItem, kind: str, quantity: str, at: datetime):
    price = Decimal(item.price)
    amount = (price * Decimal(quantity)).quantize(Decimal("0.01"))
    return [("mxxh", str(number)), ("xmlb", kind), ("yyxmbm", item.code), ("xmmc", item.name),
            ("gg", item.specification or None), ("dw", item.unit), ("dj", item.price), ("sl", quantity),
            ("je", str(amount)), ("fyrq", _stamp(at))], amount


def run_walkthrough(ctx: Context, data_dir: Path) -> None:
    path = credentials_path(data_dir)
    if not path.exists():
        raise CommandError(f"no sandbox in {data_dir} ({path} is missing): start the suite with "
                           "`ncms up --demo` (or `make run`) first, with the same NCMS_DATA_DIR")
    credentials = json.loads(path.read_text(encoding="utf-8"))
    user = next(u for u in credentials["users"] if u["user"] == "his01")
    caller = LegacyCaller(ctx.settings.public_url, credentials["signing_key"], credentials["hospital_code"],
                          user["user"], user["password"], timeout=60)
    walk = Walkthrough(caller)
    started = datetime.now(demo_data.BEIJING)
    now = started.replace(microsecond=0)
    run_id = started.strftime("%y%m%d%H%M%S%f")[:-3]  # new numbers on every run
    members = demo_data.households()[0][2]
    head, grandmother = members[0], members[3]
    click.echo(f"acting as the HIS of hospital {caller.hospital} ({credentials['hospital_name']}), user "
               f"{caller.user}, against {caller.url}")

    walk.title(f"chryxxjk 参合人员信息: the household of card {head.card} at the desk")
    reply = walk.call("chryxxjk", chzh=head.card)
    show_tables(reply, "chryxx")

    walk.title("ypmljk 药品目录: the pharmacy adds a drug, changes a price and drops a preparation")
    new_drug = demo_data.hospital_item("布洛芬缓释胶囊")
    amoxicillin = demo_data.hospital_item("阿莫西林胶囊")
    walk.call("ypmljk", ypml={"ypml": [
        [("yyxmbm", "YP8001"), ("xmmc", "布洛芬缓释胶囊(新规格)"), ("tym", "布洛芬缓释胶囊"),
         ("gg", new_drug.specification), ("dw", "盒"), ("pzwh", new_drug.approval_number), ("dj", "9.90"),
         ("czlx", "A")],
        [("yyxmbm", amoxicillin.code), ("xmmc", amoxicillin.name), ("gg", amoxicillin.specification),
         ("dw", amoxicillin.unit), ("pzwh", amoxicillin.approval_number), ("dj", "8.80"),
         ("nhbm", amoxicillin.proposed_nhbm), ("czlx", "M")],
        [("yyxmbm", "YP9002"), ("czlx", "D")]]})
    click.echo("     (the NCMS maps YP8001 by its 批准文号: `ncms catalog item --hospital "
               f"{DEMO_HOSPITAL} --kind drug --item YP8001`)")

    walk.title(f"mzjsjk 门诊结算: {head.name} ({head.member_id}, 低保) sees a doctor")
    mzbh = f"MZ{run_id}"
    visit = now - timedelta(minutes=20)
    lines, total = [], Decimal("0.00")
    for number, (name, kind, quantity) in enumerate(
            [("普通门诊诊查费", "2", "1"), ("阿莫西林胶囊", "1", "2"), ("头孢呋辛酯片", "1", "1"),
             ("血常规", "2", "1"), ("院内制剂止咳合剂", "1", "1")], start=1):
        cells, amount = _line(number, demo_data.hospital_item(name), kind, quantity, visit)
        if name == "阿莫西林胶囊":  # the price changed above
            cells = [(c, "8.80" if c == "dj" else "17.60" if c == "je" else v) for c, v in cells]
            amount = Decimal("17.60")
        lines.append(cells)
        total += amount
    main = [("mzbh", mzbh), ("chzh", head.card), ("grbm", head.member_id), ("xm", head.name),
            ("jzrq", _stamp(visit)), ("ksmc", "内科"), ("ysxm", "蓝医生"), ("zdbm", "J06.900"),
            ("zdmc", "急性上呼吸道感染"), ("zfy", str(total))]
    reply = walk.call("mzjsjk", jszjl={"mzzb": [main]}, jsmxjl={"mzmx": lines})
    show_tables(reply, "mzjsjg", "mzjsmx")

    walk.title("mzjsjk again, the same bill (a HIS retrying after a timeout): the same result")
    again = walk.call("mzjsjk", jszjl={"mzzb": [main]}, jsmxjl={"mzmx": lines})
    click.echo(f"     jsbh {again.rows('mzjsjg')[0]['jsbh']} — recorded once")

    walk.title(f"mzjstfjk 门诊结算退费: the patient returns; the settlement {mzbh} is refunded")
    walk.call("mzjstfjk", mzbh=mzbh)

    walk.title(f"zydjjk 住院登记: {grandmother.name} ({grandmother.member_id}, 五保) is admitted")
    zybh = f"ZY{run_id}"
    admitted = now - timedelta(days=3)
    walk.call("zydjjk", rydj={"rydj": [[
        ("zybh", zybh), ("chzh", grandmother.card), ("grbm", grandmother.member_id), ("xm", grandmother.name),
        ("ryrq", _stamp(admitted)), ("ryks", "内科"), ("ryzd", "J18.900"), ("ryzdmc", "肺炎"),
        ("zzys", "覃医生"), ("zzbz", "0")]]})
    patient = demo_inpatient(grandmother.card, grandmother.member_id, grandmother.name, zybh, admitted)
    recorded = _record_in_his(data_dir, patient)

    walk.title("zysjcxjk 住院数据查询 — the NCMS's side: it asks the hospital's own service, live")
    if recorded:
        click.echo(f"   → QueryInpatient(hospital_code={DEMO_HOSPITAL}, number={zybh}) over gRPC; the "
                   "settlement service calls zysjcxjk at the hospital's endpoint")
        with ctx.calling("settlement"):
            answer = ctx.services("settlement", settlement_pb2_grpc).QueryInpatient(
                settlement_pb2.QueryInpatientRequest(hospital_code=DEMO_HOSPITAL, number=zybh))
        click.echo(f"   ← {answer.name} in hospital since {admitted:%Y-%m-%d}, {len(answer.fees)} fee lines, "
                   f"ljfy {answer.total}")
    else:
        click.echo("     (skipped: the sandbox hospital's own service is not in this data directory)")

    walk.title(f"zyjsjk 住院结算: {grandmother.name} is discharged; the stay is settled")
    discharged = now - timedelta(minutes=5)
    columns = ("mxxh", "xmlb", "yyxmbm", "xmmc", "gg", "dw", "dj", "sl", "je")
    lines = [[*((column, str(fee[column]) if fee[column] else None) for column in columns),
              ("fyrq", _stamp(admitted))] for fee in patient["fees"]]
    total = sum((Decimal(fee["je"]) for fee in patient["fees"]), Decimal("0.00"))
    walk.call("zyjsjk", jszjl={"zyzb": [[
        ("zybh", zybh), ("chzh", grandmother.card), ("grbm", grandmother.member_id), ("xm", grandmother.name),
        ("ryrq", _stamp(admitted)), ("cyrq", _stamp(discharged)), ("cyzd", "J18.900"), ("cyzdmc", "肺炎"),
        ("zfy", format(total, "f"))]]}, jsmxjl={"zymx": lines})

    walk.title("zyjsjgcx 住院结算结果查询: the HIS shows the patient the compensation")
    reply = walk.call("zyjsjgcx", zybh=zybh)
    show_tables(reply, "zyjsjg", "zyjsmx")
    stay = reply.rows("zyjsjg")[0]

    walk.title("dzjk 对账: at the end of the day the HIS lists what it settled; the NCMS compares")
    settled = again.rows("mzjsjg")[0]
    today = started.date().isoformat()
    reply = walk.call("dzjk", dzrq=today, dzsj={"dzmx": [
        [("jslx", "1"), ("bh", mzbh), ("jsbh", settled["jsbh"]), ("ywlx", "1"), ("zfy", settled["zfy"]),
         ("bcje", settled["bcje"])],
        [("jslx", "1"), ("bh", mzbh), ("jsbh", settled["jsbh"]), ("ywlx", "2"), ("zfy", settled["zfy"]),
         ("bcje", settled["bcje"])],
        [("jslx", "2"), ("bh", zybh), ("jsbh", stay["jsbh"]), ("ywlx", "1"), ("zfy", stay["zfy"]),
         ("bcje", stay["bcje"])]]})
    show_tables(reply, "dzjg", "dzcy")
    click.echo("     (differences: this HIS listed only this run's calls; the NCMS has the whole day's)")

    click.echo("")
    click.echo("done. The NCMS's view of these calls:")
    click.echo(f"  .venv/bin/ncms settlement show --hospital {DEMO_HOSPITAL} --mzbh {mzbh}")
    click.echo(f"  .venv/bin/ncms settlement show --hospital {DEMO_HOSPITAL} --zybh {zybh}")
    click.echo(f"  .venv/bin/ncms reconcile --hospital {DEMO_HOSPITAL} --date {today}")
    click.echo(f"  .venv/bin/ncms report --period {started:%Y-%m} --out report")
    click.echo(f"  .venv/bin/ncms audit --hospital {DEMO_HOSPITAL} --limit 12")


def _record_in_his(data_dir: Path, patient: dict) -> bool:
    """The HIS writes its new in-patient into its own tables (the sandbox hospital's)."""
    side = HospitalSide("", "", hospital_data_dir(data_dir))
    if not Path(side.settings().database_url("hospital").removeprefix("sqlite:///")).exists():
        return False
    side.load_inpatients([patient])
    return True


@click.command()
@click.option("--start", is_flag=True, help="Start the suite with its sandbox first (`ncms up --demo`) "
                                            "and stop it afterwards.")
@pass_context
def demo(ctx: Context, start: bool) -> None:
    """Act as the sandbox hospital's HIS: look up a household, upload catalog changes,
    settle and refund an outpatient bill, admit, query, settle and look up an in-patient —
    printing every call and its answer.

    Without --start, the suite must be running with its sandbox (`ncms up --demo`, or
    `make run`) on the same NCMS_DATA_DIR.
    """
    data_dir = Path(ctx.settings.data_dir).resolve()
    if not start:
        run_walkthrough(ctx, data_dir)
        return
    process = subprocess.Popen([sys.executable, "-c", "from cli.main import main; main()", "up", "--demo"],
                               env=dict(os.environ, NCMS_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1"),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for_suite(process)
        # Keep reading the suite's output, or its pipe fills and the suite blocks.
        threading.Thread(target=process.stdout.read, name="suite-output", daemon=True).start()
        run_walkthrough(ctx, data_dir)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for_suite(process: subprocess.Popen, timeout: float = 180) -> None:
    click.echo("starting the suite with its sandbox (ncms up --demo) ...")
    deadline = time.monotonic() + timeout
    output: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if "the suite is running" in line:
            click.echo("the suite is running")
            return
    process.kill()
    tail = "".join(output[-15:])
    raise CommandError(f"the suite did not start:\n{tail}")
