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

from . import demo_data
from .context import CommandError, Context, pass_context, table
from .demo import DEMO_HOSPITAL, HospitalSide, credentials_path, demo_inpatient, hospital_data_dir
from .i18n import _, ngettext

SECRET_PARAMETERS = {"kl", "ykl", "xkl", "fqyhkl", "xzyhkl"}


def _rows_text(count: int) -> str:
    return ngettext("{n} row", "{n} rows", count).format(n=count)


class Walkthrough:
    """Prints every call and answer; with --json, collects them into one object instead."""

    def __init__(self, caller, *, as_json: bool = False) -> None:
        self.caller = caller
        self.step = 0
        self.as_json = as_json
        self.steps: list[dict] = []

    def say(self, text: str = "", **style) -> None:
        if self.as_json:
            if text.strip() and self.steps:
                self.steps[-1].setdefault("notes", []).append(text.strip())
            return
        click.secho(text, **style) if style else click.echo(text)

    def title(self, text: str) -> None:
        self.step += 1
        self.steps.append({"step": self.step, "title": text, "calls": []})
        self.say("")
        self.say(f"── {self.step}. {text}", bold=True)

    def call(self, operation: str, **values):
        from legacy.client import Unreachable
        from legacy.operations import BY_NAME, DATASET

        params = self.caller.params(operation, **values)
        shown, sent = [], {}
        for parameter in BY_NAME[operation].parameters:
            value = params.get(parameter.name)
            if parameter.name == "xxzy" or value is None:
                continue
            if parameter.kind == DATASET:
                shown.append(f"{parameter.name}=<DataSet " + ", ".join(
                    f"{name}: {_rows_text(len(rows))}" for name, rows in value.items()) + ">")
                sent[parameter.name] = {name: [dict(cells) for cells in rows] for name, rows in value.items()}
            else:
                text = "******" if parameter.name in SECRET_PARAMETERS else value
                shown.append(f"{parameter.name}={text}")
                sent[parameter.name] = text
        self.say(f"   → {operation}({', '.join(shown)}, xxzy=<{self.caller.algorithm}>)")
        for parameter in BY_NAME[operation].datasets:
            for name, rows in (params.get(parameter.name) or {}).items():
                self.rows(f"     {parameter.name}.{name}", [dict(cells) for cells in rows])
        try:
            reply = self.caller.call(operation, **values)
        except Unreachable as exc:
            raise CommandError(_("the gateway at {url} did not answer: {problem}").format(
                url=self.caller.url, problem=exc)) from None
        refusal = reply.refusal
        record = {"operation": operation, "sent": sent}
        if self.steps:
            self.steps[-1]["calls"].append(record)
        if refusal:
            self.say("   ← " + _("refused: {refusal}").format(refusal=refusal), fg="red")
            raise CommandError(_("{operation} was refused: {refusal}").format(operation=operation, refusal=refusal))
        if BY_NAME[operation].returns == DATASET:
            self.say("   ← DataSet")
            record["answer"] = {name: reply.rows(name) for name in _tables(reply)}
        else:
            self.say('   ← "" ' + _("(success)"))
            record["answer"] = ""
        return reply

    def rows(self, label: str, rows: list[dict]) -> None:
        if self.as_json:
            return
        click.echo(f"{label} ({_rows_text(len(rows))})")
        if rows:
            columns = list(dict.fromkeys(c for row in rows for c in row))
            table(columns, [[row.get(c) or "" for c in columns] for row in rows], indent="       ")

    def tables(self, reply, *names: str) -> None:
        for name in names:
            self.rows(f"     {name}", reply.rows(name))


def _tables(reply) -> list[str]:
    """The table names of a DataSet answer."""
    from legacy import datasets

    element = reply.dataset()
    return [] if element is None else list(datasets.read(element).tables)


def _stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _line(number: int, item: demo_data.HospitalItem, kind: str, quantity: str, at: datetime):
    price = Decimal(item.price)
    amount = (price * Decimal(quantity)).quantize(Decimal("0.01"))
    return [("mxxh", str(number)), ("xmlb", kind), ("yyxmbm", item.code), ("xmmc", item.name),
            ("gg", item.specification or None), ("dw", item.unit), ("dj", item.price), ("sl", quantity),
            ("je", str(amount)), ("fyrq", _stamp(at))], amount


def run_walkthrough(ctx: Context, data_dir: Path, *, follow_up: bool = True) -> dict:
    """The walkthrough; returns what --json prints (the steps, and the commands to look further)."""
    from legacy.client import LegacyCaller
    from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc

    path = credentials_path(data_dir)
    if not path.exists():
        raise CommandError(_("no sandbox in {data_dir} ({path} is missing): start the suite with `ncms up --demo` "
                             "(or `make run`) first, with the same NCMS_DATA_DIR").format(data_dir=data_dir,
                                                                                         path=path))
    credentials = json.loads(path.read_text(encoding="utf-8"))
    user = next(u for u in credentials["users"] if u["user"] == "his01")
    caller = LegacyCaller(ctx.settings.public_url, credentials["signing_key"], credentials["hospital_code"],
                          user["user"], user["password"], timeout=60)
    walk = Walkthrough(caller, as_json=ctx.json_output)
    started = datetime.now(demo_data.BEIJING)
    now = started.replace(microsecond=0)
    run_id = started.strftime("%y%m%d%H%M%S%f")[:-3]  # new numbers on every run
    members = demo_data.households()[0][2]
    head, grandmother = members[0], members[3]
    walk.say(_("acting as the HIS of hospital {code} ({name}), user {user}, against {url}").format(
        code=caller.hospital, name=credentials["hospital_name"], user=caller.user, url=caller.url))

    walk.title(_("chryxxjk 参合人员信息: the household of card {card} at the desk").format(card=head.card))
    reply = walk.call("chryxxjk", chzh=head.card)
    walk.tables(reply, "chryxx")

    walk.title(_("ypmljk 药品目录: the pharmacy adds a drug, changes a price and drops a preparation"))
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
    walk.say("     " + _("(the NCMS maps YP8001 by its 批准文号: `ncms catalog item --hospital {code} --kind drug "
                          "--item YP8001`)").format(code=DEMO_HOSPITAL))

    walk.title(_("mzjsjk 门诊结算: {name} ({member}, 低保) sees a doctor").format(name=head.name,
                                                                                  member=head.member_id))
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
    walk.tables(reply, "mzjsjg", "mzjsmx")

    walk.title(_("mzjsjk again, the same bill (a HIS retrying after a timeout): the same result"))
    again = walk.call("mzjsjk", jszjl={"mzzb": [main]}, jsmxjl={"mzmx": lines})
    walk.say("     " + _("jsbh {jsbh}, recorded once").format(jsbh=again.rows("mzjsjg")[0]["jsbh"]))

    walk.title(_("mzjstfjk 门诊结算退费: the patient returns; the settlement {mzbh} is refunded").format(mzbh=mzbh))
    walk.call("mzjstfjk", mzbh=mzbh)

    walk.title(_("zydjjk 住院登记: {name} ({member}, 五保) is admitted").format(name=grandmother.name,
                                                                                 member=grandmother.member_id))
    zybh = f"ZY{run_id}"
    admitted = now - timedelta(days=3)
    walk.call("zydjjk", rydj={"rydj": [[
        ("zybh", zybh), ("chzh", grandmother.card), ("grbm", grandmother.member_id), ("xm", grandmother.name),
        ("ryrq", _stamp(admitted)), ("ryks", "内科"), ("ryzd", "J18.900"), ("ryzdmc", "肺炎"),
        ("zzys", "覃医生"), ("zzbz", "0")]]})
    patient = demo_inpatient(grandmother.card, grandmother.member_id, grandmother.name, zybh, admitted)
    recorded = _record_in_his(data_dir, patient)

    walk.title(_("zysjcxjk 住院数据查询, the NCMS's side: it asks the hospital's own service, live"))
    if recorded:
        walk.say(f"   → QueryInpatient(hospital_code={DEMO_HOSPITAL}, number={zybh}) " + _(
            "over gRPC; the settlement service calls zysjcxjk at the hospital's endpoint"))
        with ctx.calling("settlement"):
            answer = ctx.services("settlement", settlement_pb2_grpc).QueryInpatient(
                settlement_pb2.QueryInpatientRequest(hospital_code=DEMO_HOSPITAL, number=zybh))
        walk.say("   ← " + _("{name} in hospital since {day}, {count} fee lines, ljfy {total}").format(
            name=answer.name, day=f"{admitted:%Y-%m-%d}", count=len(answer.fees), total=answer.total))
        if walk.steps:
            walk.steps[-1]["calls"].append({"operation": "QueryInpatient", "answer": {
                "name": answer.name, "fees": len(answer.fees), "ljfy": answer.total}})
    else:
        walk.say("     " + _("(skipped: the sandbox hospital's own service is not in this data directory)"))

    walk.title(_("zyjsjk 住院结算: {name} is discharged; the stay is settled").format(name=grandmother.name))
    discharged = now - timedelta(minutes=5)
    columns = ("mxxh", "xmlb", "yyxmbm", "xmmc", "gg", "dw", "dj", "sl", "je")
    lines = [[*((column, str(fee[column]) if fee[column] else None) for column in columns),
              ("fyrq", _stamp(admitted))] for fee in patient["fees"]]
    total = sum((Decimal(fee["je"]) for fee in patient["fees"]), Decimal("0.00"))
    walk.call("zyjsjk", jszjl={"zyzb": [[
        ("zybh", zybh), ("chzh", grandmother.card), ("grbm", grandmother.member_id), ("xm", grandmother.name),
        ("ryrq", _stamp(admitted)), ("cyrq", _stamp(discharged)), ("cyzd", "J18.900"), ("cyzdmc", "肺炎"),
        ("zfy", format(total, "f"))]]}, jsmxjl={"zymx": lines})

    walk.title(_("zyjsjgcx 住院结算结果查询: the HIS shows the patient the compensation"))
    reply = walk.call("zyjsjgcx", zybh=zybh)
    walk.tables(reply, "zyjsjg", "zyjsmx")
    stay = reply.rows("zyjsjg")[0]

    walk.title(_("dzjk 对账: at the end of the day the HIS lists what it settled; the NCMS compares"))
    settled = again.rows("mzjsjg")[0]
    today = started.date().isoformat()
    reply = walk.call("dzjk", dzrq=today, dzsj={"dzmx": [
        [("jslx", "1"), ("bh", mzbh), ("jsbh", settled["jsbh"]), ("ywlx", "1"), ("zfy", settled["zfy"]),
         ("bcje", settled["bcje"])],
        [("jslx", "1"), ("bh", mzbh), ("jsbh", settled["jsbh"]), ("ywlx", "2"), ("zfy", settled["zfy"]),
         ("bcje", settled["bcje"])],
        [("jslx", "2"), ("bh", zybh), ("jsbh", stay["jsbh"]), ("ywlx", "1"), ("zfy", stay["zfy"]),
         ("bcje", stay["bcje"])]]})
    walk.tables(reply, "dzjg", "dzcy")
    if reply.rows("dzcy"):
        walk.say("     " + _("(differences: this HIS listed only this run's calls; the NCMS has the whole day's)"))

    commands = [f"ncms settlement show --hospital {DEMO_HOSPITAL} --mzbh {mzbh}",
                f"ncms settlement show --hospital {DEMO_HOSPITAL} --zybh {zybh}",
                f"ncms reconcile --hospital {DEMO_HOSPITAL} --date {today}",
                f"ncms report --period {started:%Y-%m} --out report",
                f"ncms audit --hospital {DEMO_HOSPITAL} --limit 12"]
    walk.say("")
    if follow_up:
        walk.say(_("done. The NCMS's view of these calls:"))
        for command in commands:
            walk.say(f"  .venv/bin/{command}")
    else:
        walk.say(_("done."))
    return {"hospital": caller.hospital, "user": caller.user, "gateway": caller.url, "steps": walk.steps,
            "follow_up": commands if follow_up else []}


def _record_in_his(data_dir: Path, patient: dict) -> bool:
    """The HIS writes its new in-patient into its own tables (the sandbox hospital's)."""
    side = HospitalSide("", "", hospital_data_dir(data_dir))
    if not Path(side.settings().database_url("hospital").removeprefix("sqlite:///")).exists():
        return False
    side.load_inpatients([patient])
    return True


@click.command(help=_("Act as the sandbox hospital's HIS against the running suite.") + "\n\n" + _(
    "Look up a household, upload catalog changes, settle and refund an "
    "outpatient bill, admit, query, settle and look up an in-patient, printing every call and its answer "
    "(with --json: one JSON object with every step). Without --start, the suite must be running with its "
    "sandbox (`ncms up --demo`, or `make run`) on the same NCMS_DATA_DIR."))
@click.option("--start", is_flag=True, help=_("Start the suite with its sandbox first (`ncms up --demo`) and stop "
                                              "it afterwards."))
@pass_context
def demo(ctx: Context, start: bool) -> None:
    data_dir = Path(ctx.settings.data_dir).resolve()
    if not start:
        result = run_walkthrough(ctx, data_dir)
        ctx.emit(result, lambda: None)
        return
    process = subprocess.Popen([sys.executable, "-c", "from cli.main import main; main()", "up", "--demo"],
                               env=dict(os.environ, NCMS_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1"),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for_suite(process, quiet=ctx.json_output)
        # Keep reading the suite's output, or its pipe fills and the suite blocks.
        threading.Thread(target=process.stdout.read, name="suite-output", daemon=True).start()
        # The suite stops right after: no commands to look further at it.
        result = run_walkthrough(ctx, data_dir, follow_up=False)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
    if not ctx.json_output:
        click.echo(_("The suite is stopped. To look at these calls from the NCMS's side, keep it running with "
                     "`make run` (ncms up --demo) and run `ncms demo` in another terminal: it prints the commands "
                     "to follow."))
    ctx.emit(result, lambda: None)


def _wait_for_suite(process: subprocess.Popen, timeout: float = 180, *, quiet: bool = False) -> None:
    if not quiet:
        click.echo(_("starting the suite with its sandbox (ncms up --demo) ..."))
    running = _("the suite is running; press Ctrl-C to stop it")  # as `up` says it, in the same language
    deadline = time.monotonic() + timeout
    output: list[str] = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if running in line:
            if not quiet:
                click.echo(_("the suite is running"))
            return
    process.kill()
    tail = "".join(output[-15:])
    raise CommandError(_("the suite did not start:\n{output}").format(output=tail))
