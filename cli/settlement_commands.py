"""``ncms settlement``: settlements and how they were calculated."""

from __future__ import annotations

import json

import click

from .context import HOSPITAL, CommandError, Context, message_dict, pass_context, table
from .i18n import _, stamp_time

CATEGORIES = {"MEMBER_CATEGORY_ORDINARY": "普通", "MEMBER_CATEGORY_FIVE_GUARANTEES": "五保",
              "MEMBER_CATEGORY_SUBSISTENCE": "低保", "MEMBER_CATEGORY_ENTITLED": "优抚"}
CHARGE_CLASSES = {"CHARGE_CLASS_A": "甲", "CHARGE_CLASS_B": "乙", "CHARGE_CLASS_C": "丙"}
KINDS = {"SETTLEMENT_KIND_OUTPATIENT": "门诊", "SETTLEMENT_KIND_INPATIENT": "住院"}


def _pb():
    from ncms.settlement.v1 import settlement_pb2

    return settlement_pb2


def _services(ctx: Context):
    from ncms.settlement.v1 import settlement_pb2_grpc

    return ctx.services("settlement", settlement_pb2_grpc)


def enum_text(names: dict[str, str], enum, number: int) -> str:
    try:
        return names.get(enum.Name(number), "")
    except ValueError:
        return ""


@click.group(help=_("Settlements (结算) and their calculation."))
def settlement() -> None:
    pass


def _show_record(record) -> None:
    pb = _pb()
    result = record.result
    kind = enum_text(KINDS, pb.SettlementKind, result.kind)
    if record.HasField("refund_time"):
        state = _("refunded {time} by {who}").format(time=stamp_time(record.refund_time), who=record.refunded_by)
    else:
        state = _("in force")
    click.echo(_("{kind} settlement {jsbh} of {hospital} (level {level}), number {number}: {state}").format(
        kind=kind, jsbh=result.settlement_number, hospital=record.hospital_code, level=record.hospital_level,
        number=result.number, state=state))
    click.echo(_("  member   {member} {name}, card {card}, {category}, year {year}").format(
        member=record.member_id, name=record.name, card=record.card,
        category=enum_text(CATEGORIES, pb.MemberCategory, record.category), year=record.year))
    if record.HasField("discharge_time"):
        visit = _("  stay     {start} to {end}").format(start=stamp_time(record.visit_time),
                                                       end=stamp_time(record.discharge_time))
    else:
        visit = _("  visit    {start}").format(start=stamp_time(record.visit_time))
    visit += ", " + _("diagnosis {code}").format(code=record.diagnosis)
    click.echo(visit + (", " + _("referred") if record.referral else ""))
    click.echo(_("  settled  {time} by {who}").format(time=stamp_time(result.settle_time), who=record.settled_by))
    click.echo(_("  amounts  zfy {zfy}  zfje {zfje}  flzf {flzf}  kbfy {kbfy}  qfx {qfx}  bcje {bcje}  grzf {grzf}")
               .format(zfy=result.total, zfje=result.self_pay, flzf=result.class_self_pay, kbfy=result.eligible,
                       qfx=result.deductible, bcje=result.compensation, grzf=result.personal))
    click.echo(_("  year     compensation before {before}, after {after}").format(
        before=record.year_total_before, after=result.year_total))
    policy = (_("the default policy") if not result.policy_year
              else _("the {year} policy").format(year=result.policy_year))
    click.echo(_("  policy   {policy} (digest {digest})").format(policy=policy, digest=result.policy_digest))
    click.echo(_("  why      {explanation}").format(explanation=result.explanation))
    table(["mxxh", _("item"), _("name"), _("price"), _("qty"), "je", "nhbm", _("class"), _("share"), _("limit"),
           _("over"), "zfje", "flzf", "kbfy"],
          [[line.line_number, line.item_code, line.item_name, line.price, line.quantity, line.amount,
            line.ncms_code, enum_text(CHARGE_CLASSES, pb.ChargeClass, line.charge_class), line.self_pay_ratio,
            line.price_limit, line.over_limit, line.self_pay, line.class_self_pay, line.eligible]
           for line in result.lines])


@settlement.command("show", help=_(
    "One settlement with its calculation: amounts, lines, catalog facts, policy. Shows the settlement in "
    "force, and earlier ones of the same number that were refunded."))
@click.option("--hospital", required=True, help=HOSPITAL)
@click.option("--mzbh", default=None, help=_("门诊编号 of an outpatient settlement."))
@click.option("--zybh", default=None, help=_("住院编号 of an inpatient settlement."))
@click.option("--policy", "show_policy", is_flag=True, help=_("Also print the policy as it was used."))
@pass_context
def settlement_show(ctx: Context, hospital: str, mzbh: str | None, zybh: str | None, show_policy: bool) -> None:
    pb = _pb()
    if (mzbh is None) == (zybh is None):
        raise CommandError(_("give exactly one of --mzbh and --zybh"))
    kind = pb.SETTLEMENT_KIND_OUTPATIENT if mzbh else pb.SETTLEMENT_KIND_INPATIENT
    with ctx.calling("settlement"):
        response = _services(ctx).GetSettlement(pb.GetSettlementRequest(
            hospital_code=hospital, kind=kind, number=mzbh or zybh))

    def human() -> None:
        for record in [response.settlement, *response.refunded]:
            _show_record(record)
            if show_policy:
                click.echo(json.dumps(json.loads(record.policy_content), ensure_ascii=False, indent=2))
            click.echo("")

    ctx.emit(message_dict(response), human)


@settlement.command("projections", help=_(
    "Settlement's copies of the catalog and of enrolment: how far each has applied its owner's change "
    "feed, its lag, and the rows it keeps."))
@pass_context
def projections(ctx: Context) -> None:
    pb = _pb()
    sources = {pb.PROJECTION_SOURCE_CATALOG: "catalog", pb.PROJECTION_SOURCE_ENROLLMENT: "enrollment"}
    with ctx.calling("settlement"):
        found = _services(ctx).ListProjections(pb.ListProjectionsRequest()).projections

    def human() -> None:
        table([_("source"), _("state"), _("applied"), _("head"), _("lag"), _("lag (s)"),
               _("applied at (Beijing time)"), _("here"), _("rows")],
              [[sources.get(p.source, "?"), _("in sync") if p.synced else _("syncing"), p.sequence, p.head_sequence,
                p.lag_sequences, f"{p.lag_seconds:.1f}", stamp_time(p.apply_time, zone=False),
                _("yes") if p.applying_here else "",
                ", ".join(f"{name} {count}" for name, count in sorted(p.rows.items()))] for p in found])

    ctx.emit({"projections": [message_dict(p) for p in found]}, human)
