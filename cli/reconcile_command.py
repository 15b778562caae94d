"""``ncms reconcile``: the NCMS side of a hospital's day, and its latest dzjk results."""

from __future__ import annotations

from datetime import date

import click
from google.type import date_pb2

from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc

from .context import Context, message_dict, table
from .settlement_commands import when

pass_context = click.make_pass_decorator(Context)
KINDS = {settlement_pb2.SETTLEMENT_KIND_OUTPATIENT: "门诊", settlement_pb2.SETTLEMENT_KIND_INPATIENT: "住院"}
BUSINESS = {settlement_pb2.BUSINESS_TYPE_SETTLEMENT: "结算", settlement_pb2.BUSINESS_TYPE_REFUND: "退费"}
DIFFERENCES = {1: "1 农合有医院无", 2: "2 医院有农合无", 3: "3 金额不符", 4: "4 退费不一致"}


@click.command()
@click.option("--hospital", required=True, help="医院代码 yydm.")
@click.option("--date", "day", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The day, yyyy-MM-dd (Beijing time).")
@click.option("--limit", default=5, show_default=True, help="How many of the latest reconciliations to show.")
@pass_context
def reconcile(ctx: Context, hospital: str, day, limit: int) -> None:
    """The NCMS side of a hospital's day (counts and sums by kind and business) and the
    hospital's latest reconciliations (dzjk) of that day, with every difference."""
    the_day: date = day.date()
    with ctx.calling("settlement"):
        summary = ctx.services("settlement", settlement_pb2_grpc).GetDaySummary(
            settlement_pb2.GetDaySummaryRequest(
                hospital_code=hospital, reconciliation_limit=limit,
                date=date_pb2.Date(year=the_day.year, month=the_day.month, day=the_day.day)))

    def human() -> None:
        click.echo(f"hospital {hospital}, {the_day.isoformat()} — the NCMS's records")
        table(["kind", "count", "zfy", "bcje"],
              [[f"{KINDS[line.kind]} {BUSINESS[line.business]}", line.count, line.total, line.compensation]
               for line in summary.lines])
        click.echo(f"compensation of the day, refunds taken off: {summary.net_compensation}")
        if not summary.reconciliations:
            click.echo("the hospital has not reconciled this day (dzjk)")
            return
        for record in summary.reconciliations:
            verdict = "一致" if record.agreed else f"不一致, {len(record.differences)} differences"
            click.echo("")
            click.echo(f"dzjk {when(record.reconcile_time)} by {record.requested_by}: {verdict}")
            click.echo(f"  hospital {record.hospital_count} entries, bcje {record.hospital_total}; "
                       f"NCMS {record.ncms_count} entries, bcje {record.ncms_total}")
            if record.differences:
                table(["type", "kind", "bh", "jsbh", "hospital", "NCMS", "note"],
                      [[DIFFERENCES.get(d.type, d.type), f"{KINDS[d.kind]} {BUSINESS[d.business]}", d.number,
                        d.settlement_number, d.hospital_amount, d.ncms_amount, d.note] for d in record.differences],
                      indent="  ")

    ctx.emit(message_dict(summary), human)
