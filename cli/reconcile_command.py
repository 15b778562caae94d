"""``ncms reconcile``: the NCMS side of a hospital's day, and its latest dzjk results."""

from __future__ import annotations

from datetime import date

import click

from .context import HOSPITAL, Context, message_dict, pass_context, table
from .i18n import _, ngettext, stamp_time
from .settlement_commands import KINDS, enum_text

BUSINESS = {"BUSINESS_TYPE_SETTLEMENT": "结算", "BUSINESS_TYPE_REFUND": "退费"}
DIFFERENCES = {1: "1 农合有医院无", 2: "2 医院有农合无", 3: "3 金额不符", 4: "4 退费不一致"}


@click.command(help=_("The NCMS side of a hospital's day and its latest reconciliations (dzjk).") + "\n\n" + _(
    "Counts and sums by kind and business, and every difference the hospital's reconciliations of that day "
    "found."))
@click.option("--hospital", required=True, help=HOSPITAL)
@click.option("--date", "day", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help=_("The day, yyyy-MM-dd (Beijing time)."))
@click.option("--limit", default=5, show_default=True, help=_("How many of the latest reconciliations to show."))
@pass_context
def reconcile(ctx: Context, hospital: str, day, limit: int) -> None:
    from google.type import date_pb2

    from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc

    the_day: date = day.date()
    with ctx.calling("settlement"):
        summary = ctx.services("settlement", settlement_pb2_grpc).GetDaySummary(
            settlement_pb2.GetDaySummaryRequest(
                hospital_code=hospital, reconciliation_limit=limit,
                date=date_pb2.Date(year=the_day.year, month=the_day.month, day=the_day.day)))

    def kind(line) -> str:
        return (f"{enum_text(KINDS, settlement_pb2.SettlementKind, line.kind)} "
                f"{enum_text(BUSINESS, settlement_pb2.BusinessType, line.business)}")

    def human() -> None:
        click.echo(_("hospital {hospital}, {day} (Beijing time): the NCMS's records").format(
            hospital=hospital, day=the_day.isoformat()))
        table([_("kind"), _("count"), "zfy", "bcje"],
              [[kind(line), line.count, line.total, line.compensation] for line in summary.lines])
        click.echo(_("compensation of the day, refunds taken off: {amount}").format(amount=summary.net_compensation))
        if not summary.reconciliations:
            click.echo(_("the hospital has not reconciled this day (dzjk)"))
            return
        for record in summary.reconciliations:
            verdict = ("一致" if record.agreed else "不一致 " + ngettext(
                "({n} difference)", "({n} differences)", len(record.differences)).format(n=len(record.differences)))
            click.echo("")
            click.echo(_("dzjk {time} by {who}: {verdict}").format(time=stamp_time(record.reconcile_time),
                                                                  who=record.requested_by, verdict=verdict))
            click.echo(_("  hospital {count} entries, bcje {total}; NCMS {ncms_count} entries, bcje {ncms_total}")
                       .format(count=record.hospital_count, total=record.hospital_total,
                               ncms_count=record.ncms_count, ncms_total=record.ncms_total))
            if record.differences:
                table([_("type"), _("kind"), "bh", "jsbh", _("hospital"), "NCMS", _("note")],
                      [[DIFFERENCES.get(d.type, d.type), kind(d), d.number, d.settlement_number, d.hospital_amount,
                        d.ncms_amount, d.note] for d in record.differences], indent="  ")

    ctx.emit(message_dict(summary), human)
