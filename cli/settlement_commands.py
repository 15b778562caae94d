"""``ncms settlement``: settlements and how they were calculated."""

from __future__ import annotations

import json

import click

from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc

from .context import CommandError, Context, message_dict, table

pass_context = click.make_pass_decorator(Context)
CATEGORIES = {settlement_pb2.MEMBER_CATEGORY_ORDINARY: "普通", settlement_pb2.MEMBER_CATEGORY_FIVE_GUARANTEES: "五保",
              settlement_pb2.MEMBER_CATEGORY_SUBSISTENCE: "低保", settlement_pb2.MEMBER_CATEGORY_ENTITLED: "优抚"}
CHARGE_CLASSES = {settlement_pb2.CHARGE_CLASS_A: "甲", settlement_pb2.CHARGE_CLASS_B: "乙",
                  settlement_pb2.CHARGE_CLASS_C: "丙"}


@click.group()
def settlement() -> None:
    """Settlements (结算) and their calculation."""


def when(stamp) -> str:
    from datetime import timedelta, timezone

    if not stamp.seconds:
        return ""
    return stamp.ToDatetime(tzinfo=timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")


def _show_record(record: settlement_pb2.SettlementRecord) -> None:
    result = record.result
    kind = "门诊" if result.kind == settlement_pb2.SETTLEMENT_KIND_OUTPATIENT else "住院"
    state = f"refunded {when(record.refund_time)} by {record.refunded_by}" if record.HasField("refund_time") else "in force"
    click.echo(f"{kind} settlement {result.settlement_number} of {record.hospital_code} "
               f"(level {record.hospital_level}), number {result.number}: {state}")
    click.echo(f"  member   {record.member_id} {record.name}, card {record.card}, "
               f"{CATEGORIES.get(record.category, '')}, year {record.year}")
    visit = f"  visit    {when(record.visit_time)}"
    if record.HasField("discharge_time"):
        visit += f" to {when(record.discharge_time)}"
    click.echo(visit + f", diagnosis {record.diagnosis}" + (", referred" if record.referral else ""))
    click.echo(f"  settled  {when(result.settle_time)} by {record.settled_by}")
    click.echo(f"  amounts  zfy {result.total}  zfje {result.self_pay}  flzf {result.class_self_pay}  "
               f"kbfy {result.eligible}  qfx {result.deductible}  bcje {result.compensation}  grzf {result.personal}")
    click.echo(f"  year     compensation before {record.year_total_before}, after {result.year_total}")
    policy = "the default policy" if not result.policy_year else f"the {result.policy_year} policy"
    click.echo(f"  policy   {policy} (digest {result.policy_digest})")
    click.echo(f"  why      {result.explanation}")
    table(["mxxh", "item", "name", "price", "qty", "je", "nhbm", "class", "share", "limit", "over", "zfje",
           "flzf", "kbfy"],
          [[line.line_number, line.item_code, line.item_name, line.price, line.quantity, line.amount,
            line.ncms_code, CHARGE_CLASSES.get(line.charge_class, ""), line.self_pay_ratio, line.price_limit, line.over_limit,
            line.self_pay, line.class_self_pay, line.eligible] for line in result.lines])


@settlement.command("show")
@click.option("--hospital", required=True, help="医院代码 yydm.")
@click.option("--mzbh", default=None, help="门诊编号 of an outpatient settlement.")
@click.option("--zybh", default=None, help="住院编号 of an inpatient settlement.")
@click.option("--policy", "show_policy", is_flag=True, help="Also print the policy as it was used.")
@pass_context
def settlement_show(ctx: Context, hospital: str, mzbh: str | None, zybh: str | None, show_policy: bool) -> None:
    """One settlement with its calculation: amounts, lines, catalog facts, policy.

    Shows the settlement in force, and earlier ones of the same number that were
    refunded.
    """
    if (mzbh is None) == (zybh is None):
        raise CommandError("give exactly one of --mzbh and --zybh")
    kind = settlement_pb2.SETTLEMENT_KIND_OUTPATIENT if mzbh else settlement_pb2.SETTLEMENT_KIND_INPATIENT
    stub = ctx.services("settlement", settlement_pb2_grpc)
    with ctx.calling("settlement"):
        response = stub.GetSettlement(settlement_pb2.GetSettlementRequest(
            hospital_code=hospital, kind=kind, number=mzbh or zybh))

    def human() -> None:
        for record in [response.settlement, *response.refunded]:
            _show_record(record)
            if show_policy:
                click.echo(json.dumps(json.loads(record.policy_content), ensure_ascii=False, indent=2))
            click.echo("")

    ctx.emit(message_dict(response), human)


SOURCES = {settlement_pb2.PROJECTION_SOURCE_CATALOG: "catalog", settlement_pb2.PROJECTION_SOURCE_ENROLLMENT: "enrollment"}


@settlement.command("projections")
@pass_context
def projections(ctx: Context) -> None:
    """Settlement's copies of the catalog and of enrolment: how far each has applied its
    owner's change feed, its lag, and the rows it keeps."""
    with ctx.calling("settlement"):
        found = ctx.services("settlement", settlement_pb2_grpc).ListProjections(
            settlement_pb2.ListProjectionsRequest()).projections

    def human() -> None:
        table(["source", "state", "applied", "head", "lag", "lag (s)", "applied at", "here", "rows"],
              [[SOURCES.get(p.source, "?"), "in sync" if p.synced else "syncing", p.sequence, p.head_sequence,
                p.lag_sequences, f"{p.lag_seconds:.1f}", when(p.apply_time), "yes" if p.applying_here else "",
                ", ".join(f"{name} {count}" for name, count in sorted(p.rows.items()))] for p in found])

    ctx.emit({"projections": [message_dict(p) for p in found]}, human)
