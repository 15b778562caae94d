"""Read-only oversight: reconciliation per hospital and day with its differences, the
supervision findings with their evidence, the reports as charts, and the audit log.
For auditors (and fund officers, but the audit log, which administrators read)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import grpc
from flask import Blueprint, abort, g, render_template, request
from google.type import date_pb2

from ncms.identity.v1 import staff_pb2
from ncms.settlement.v1 import settlement_pb2, supervision_pb2

from .. import charts, i18n
from ..app import console, refusal, requires
from ..exports import export
from ..templating import AUDIT_KINDS, DIFFERENCES, OUTCOMES, named
from .common import (
    ADMINISTRATOR,
    AUDITOR,
    OFFICER,
    BadQuery,
    day_param,
    day_range,
    export_format,
    hospitals,
    paging,
    timestamp_of,
)

blueprint = Blueprint("oversight", __name__)


def _date(day: date) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404)


# --- reconciliation -----------------------------------------------------------------------------

@blueprint.get("/reconciliations")
@requires(AUDITOR, OFFICER)
def reconciliations():
    pages = paging("-day", {"day"})
    error = None
    wanted = settlement_pb2.ListReconciliationsRequest(
        hospital_code=request.args.get("hospital", "").strip(), differences_only=request.args.get("differences") == "1",
        page_size=pages.size, page=pages.page)
    try:
        first, last = day_param("from"), day_param("to")
        if first:
            wanted.first_day.CopyFrom(_date(first))
        if last:
            wanted.last_day.CopyFrom(_date(last))
        found = console().backends.settlement.ListReconciliations(wanted)
    except BadQuery as exc:
        found, error = None, str(exc)
    except grpc.RpcError as exc:
        if exc.code() != grpc.StatusCode.INVALID_ARGUMENT:
            raise
        found, error = None, refusal(exc)[0]
    file_format = export_format()
    if file_format and found is not None:
        return export("reconciliations", file_format, [
            g._("Day"), g._("Hospital"), g._("Agreed"), g._("Hospital count"), g._("NCMS count"),
            g._("Hospital compensation (yuan)"), g._("NCMS compensation (yuan)"), g._("Differences"),
            g._("Reconciled (Beijing time)")],
            [(i18n.day_text(r.date), r.hospital_code, g._("yes") if r.agreed else g._("no"), r.hospital_count,
              r.ncms_count, r.hospital_total, r.ncms_total, len(r.differences), i18n.stamp_text(r.reconcile_time))
             for r in found.reconciliations])
    return render_template("reconciliations.html", found=found, pages=pages, error=error, hospitals=hospitals())


def _day_summary(hospital: str, day: date):
    return console().backends.settlement.GetDaySummary(settlement_pb2.GetDaySummaryRequest(
        hospital_code=hospital, date=_date(day), reconciliation_limit=10))


@blueprint.get("/reconciliations/<hospital>/<day>")
@requires(AUDITOR, OFFICER)
def reconciliation_day(hospital: str, day: str):
    summary = _day_summary(hospital, _day(day))
    return render_template("reconciliation_day.html", summary=summary, hospital=hospital, day=day,
                           hospitals=hospitals())


@blueprint.get("/reconciliations/<hospital>/<day>/differences/<int:index>")
@requires(AUDITOR, OFFICER)
def difference(hospital: str, day: str, index: int):
    summary = _day_summary(hospital, _day(day))
    if not summary.reconciliations or not 1 <= index <= len(summary.reconciliations[0].differences):
        abort(404)
    latest = summary.reconciliations[0]
    found = latest.differences[index - 1]
    ncms = [e for e in summary.entries if e.number == found.number and e.kind == found.kind]
    return render_template("difference.html", difference=found, index=index, reconciliation=latest, ncms=ncms,
                           hospital=hospital, day=day, type_name=named(DIFFERENCES, found.type), hospitals=hospitals())


# --- supervision ----------------------------------------------------------------------------------

def _period() -> str:
    return request.args.get("period", "").strip() or i18n.today().strftime("%Y-%m")


@blueprint.get("/supervision")
@requires(AUDITOR, OFFICER)
def findings():
    backends = console().backends
    period = _period()
    hospital = request.args.get("hospital", "").strip()
    rule = request.args.get("rule", "").strip()
    rules = {r.code: r for r in backends.supervision.ListRules(supervision_pb2.ListRulesRequest()).rules}
    error, found = None, []
    try:
        found = list(backends.supervision.ListFindings(supervision_pb2.ListFindingsRequest(
            period=period, hospital_code=hospital, rule_codes=[rule] if rule else [])))
    except grpc.RpcError as exc:
        if exc.code() != grpc.StatusCode.INVALID_ARGUMENT:
            raise
        error = refusal(exc)[0]
    file_format = export_format()
    if file_format:
        return export("findings", file_format, [g._("Rule"), g._("Hospital"), g._("Subject"), g._("Member"),
                                                g._("Summary")],
                      [(f.rule_code, f.hospital_code, f.subject, f.member_id, f.summary) for f in found])
    return render_template("findings.html", findings=found, rules=rules, period=period, error=error,
                           hospitals=hospitals())


@blueprint.get("/supervision/<period>/<rule>/<hospital>/<path:subject>")
@requires(AUDITOR, OFFICER)
def finding(period: str, rule: str, hospital: str, subject: str):
    backends = console().backends
    rules = {r.code: r for r in backends.supervision.ListRules(supervision_pb2.ListRulesRequest()).rules}
    if rule not in rules:
        abort(404)
    found = next((f for f in backends.supervision.ListFindings(supervision_pb2.ListFindingsRequest(
        period=period, hospital_code=hospital, rule_codes=[rule])) if f.subject == subject), None)
    if found is None:
        abort(404)
    settlement_link = subject if subject[:2] in ("MZ", "ZY") and subject[2:].isdigit() else ""
    return render_template("finding.html", finding=found, rule=rules[rule], period=period,
                           settlement_link=settlement_link, hospitals=hospitals())


@blueprint.get("/reports")
@requires(AUDITOR, OFFICER)
def reports():
    period = _period()
    hospital = request.args.get("hospital", "").strip()
    error, report = None, None
    try:
        report = console().backends.supervision.GetReport(supervision_pb2.GetReportRequest(
            period=period, hospital_code=hospital))
    except grpc.RpcError as exc:
        if exc.code() != grpc.StatusCode.INVALID_ARGUMENT:
            raise
        error = refusal(exc)[0]
    file_format = export_format()
    if file_format and report is not None:
        return export(f"report-{period}", file_format, [
            g._("Hospital"), g._("Level"), g._("Visits"), g._("Stays"), g._("Visit cost (yuan)"),
            g._("Stay cost (yuan)"), g._("Fund paid (yuan)"), g._("Self-paid share"), g._("Refund rate")],
            [(h.hospital_code, h.hospital_level, h.visits, h.stays, h.visit_cost, h.stay_cost, h.fund_paid,
              h.self_paid_share, h.refund_rate) for h in report.hospitals])
    paid_chart = trend_chart = None
    if report is not None:
        names = hospitals()
        paid_chart = charts.bars(
            g._("Fund paid by hospital, {period}").format(period=period),
            g._("What the fund paid to each hospital in the period, in yuan."),
            [charts.Bar(names[h.hospital_code].name if h.hospital_code in names else h.hospital_code,
                        Decimal(h.fund_paid or "0")) for h in report.hospitals], unit=" " + g._("yuan"))
        trend: dict[str, Decimal] = {}
        for point in report.trend:
            key = i18n.day_text(point.start)
            trend[key] = trend.get(key, Decimal(0)) + Decimal(point.fund_paid or "0")
        trend_chart = charts.line(g._("Fund paid over the period"),
                                  g._("What the fund paid, by day or month, in yuan."), sorted(trend.items()))
    return render_template("reports.html", report=report, period=period, error=error, paid_chart=paid_chart,
                           trend_chart=trend_chart, hospitals=hospitals())


# --- the audit log ----------------------------------------------------------------------------------

AUDIT_FILTERS = ("hospital", "user", "kind", "outcome", "code", "operation", "actor", "q")


def _audit_request(size: int, before: int) -> staff_pb2.SearchAuditEventsRequest:
    args = request.args
    since, until = day_range()
    wanted = staff_pb2.SearchAuditEventsRequest(
        hospital_code=args.get("hospital", "").strip(), user=args.get("user", "").strip(),
        kind=args.get("kind", "").strip(), outcome=args.get("outcome", "").strip(),
        error_code=args.get("code", "").strip(), operation=args.get("operation", "").strip(),
        actor=args.get("actor", "").strip(), text=args.get("q", "").strip(), page_size=size, before_id=before)
    if since:
        wanted.since.CopyFrom(timestamp_of(since))
    if until:
        wanted.until.CopyFrom(timestamp_of(until))
    return wanted


@blueprint.get("/audit")
@requires(AUDITOR, ADMINISTRATOR)
def audit():
    pages = paging("-time", {"time"})
    try:
        before = max(int(request.args.get("before", "0")), 0)
    except ValueError:
        before = 0
    error, found = None, None
    try:
        file_format = export_format()
        if file_format:
            rows, cursor = [], 0
            while len(rows) < 50_000:
                page = console().backends.identity.SearchAuditEvents(_audit_request(1000, cursor))
                rows += page.events
                cursor = page.next_before_id
                if not cursor:
                    break
            return export("audit", file_format, [
                g._("Time (Beijing time)"), g._("Kind"), g._("Hospital"), g._("User"), g._("IP"), g._("Operation"),
                g._("Outcome"), g._("Code"), g._("Detail"), g._("By")],
                [(i18n.stamp_text(e.time), named(AUDIT_KINDS, e.kind), e.hospital_code, e.user, e.client_ip,
                  e.operation, named(OUTCOMES, e.outcome), e.error_code, e.detail, e.actor) for e in rows])
        found = console().backends.identity.SearchAuditEvents(_audit_request(pages.size, before))
    except BadQuery as exc:
        error = str(exc)
    except grpc.RpcError as exc:
        if exc.code() != grpc.StatusCode.INVALID_ARGUMENT:
            raise
        error = refusal(exc)[0]
    return render_template("audit.html", found=found, pages=pages, error=error, before=before,
                           filters=AUDIT_FILTERS, yesterday=i18n.today() - timedelta(days=1))
