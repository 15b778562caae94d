"""SupervisionService: the rules' findings and the report's figures over gRPC.

For the NCMS centre (admin, or internal clients not bound to a hospital). Reads the
settlement database and changes nothing. The rules file is read on every request (it
is small), so a changed parameter applies to the next report.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from google.type import date_pb2

from ncms.settlement.v1 import supervision_pb2, supervision_pb2_grpc
from runtime.auth import (
    ROLE_ADMIN,
    ROLE_INTERNAL,
    STAFF_AUDITOR,
    STAFF_FUND_OFFICER,
    current_principal,
)
from runtime.db import Database
from runtime.errors import DomainError, Status, invalid_argument, permission_denied

from ..upstream import Upstream
from . import periods, queries, report
from . import rules as rulebook

log = logging.getLogger(__name__)


def _text(value: Decimal) -> str:
    return format(value, "f")


def _date(day) -> date_pb2.Date:
    return date_pb2.Date(year=day.year, month=day.month, day=day.day)


class SupervisionService(supervision_pb2_grpc.SupervisionServiceServicer):
    def __init__(self, db: Database, upstream: Upstream, rules_path: Path | None = None) -> None:
        self.db = db
        self.upstream = upstream
        self.rules_path = rules_path

    def _authorize(self) -> None:
        principal = current_principal()
        if principal.is_staff and principal.has_role(STAFF_AUDITOR, STAFF_FUND_OFFICER):
            return  # the centre's auditors and fund officers, in the console
        if not (principal.has_role(ROLE_ADMIN) or (principal.has_role(ROLE_INTERNAL) and not principal.hospital_code)):
            raise permission_denied(f"{principal.subject} may not see the supervision of hospitals")

    def _rules(self) -> dict[str, rulebook.Rule]:
        try:
            return rulebook.load(self.rules_path)
        except rulebook.RulesError as exc:
            log.error("supervision rules refused: %s", exc)
            raise DomainError(Status.FAILED_PRECONDITION, "RULES_INVALID", str(exc)) from None

    @staticmethod
    def _period(text: str) -> periods.Period:
        try:
            return periods.parse(text)
        except ValueError as exc:
            raise invalid_argument("period", str(exc)) from None

    # --- rules ----------------------------------------------------------------------------

    def ListRules(self, request, context):
        self._authorize()
        return supervision_pb2.ListRulesResponse(rules=[
            supervision_pb2.Rule(code=rule.code, name=rule.name, description=rule.description, enabled=rule.enabled,
                                 parameters={k: _text(v) for k, v in rule.parameters.items()})
            for rule in self._rules().values()])

    def ListFindings(self, request, context):
        self._authorize()
        period = self._period(request.period)
        rules = self._rules()
        wanted = list(request.rule_codes) or [code for code, rule in rules.items() if rule.enabled]
        unknown = [code for code in wanted if code not in rules]
        if unknown:
            raise invalid_argument("rule_codes", f"no rule {', '.join(unknown)}; see ListRules")
        hospital = request.hospital_code.strip()
        for code in wanted:
            for finding in self._findings(rules[code], period, hospital):
                yield _finding_message(finding)

    def _findings(self, rule: rulebook.Rule, period: periods.Period, hospital: str) -> Iterator[rulebook.Finding]:
        start, end = period.bounds()
        with self.db.read() as connection:
            if rule.code == "S01":
                yield from rulebook.over_limit(rule, queries.over_limit_lines(
                    connection, start, end, hospital, rule.number("min_excess")))
            elif rule.code == "S02":
                yield from rulebook.unmapped(rule, queries.unmapped_lines(connection, start, end, hospital))
            elif rule.code == "S03":
                stays = queries.stays(connection, start, end, hospital, lookback_days=rule.whole("days"))
                yield from rulebook.readmissions(rule, stays, period.start, period.end, self._endpoints())
            elif rule.code == "S04":
                yield from rulebook.repeat_outpatient(rule, queries.same_day_visits(
                    connection, start, end, hospital, rule.whole("max_per_day")))
            elif rule.code == "S05":
                yield from rulebook.fee_outside_stay(rule, queries.fee_outside_stay_lines(
                    connection, start, end, hospital))
            elif rule.code == "S06":
                yield from rulebook.quantity_outliers(rule, queries.quantity_outlier_lines(
                    connection, start, end, hospital, rule.number("factor"), rule.whole("min_samples")))
            elif rule.code == "S07":
                # compared with every hospital of the same level, whichever is asked about
                stays = [s for s in queries.stays(connection, start, end, "") if s.discharged is not None
                         and s.admitted >= period.start]
                found = rulebook.cost_per_day_outliers(rule, stays)
                yield from (f for f in found if not hospital or f.hospital_code == hospital)
            elif rule.code == "S08":
                found = rulebook.refund_rate_outliers(rule, queries.hospital_refunds(connection, start, end))
                yield from (f for f in found if not hospital or f.hospital_code == hospital)

    def _endpoints(self) -> frozenset[str]:
        """Hospitals whose own service is registered (a live look at a stay is possible)."""
        return frozenset(h.code for h in self.upstream.hospitals() if h.endpoint)

    # --- report -----------------------------------------------------------------------------

    def GetReport(self, request, context):
        self._authorize()
        period = self._period(request.period)
        hospital = request.hospital_code.strip()
        start, end = period.bounds()
        with self.db.read() as connection:
            sums = queries.kind_sums(connection, start, end, hospital)
            refunds = queries.hospital_refunds(connection, start, end)
            trend = queries.trend_sums(connection, start, end, hospital, period.granularity == periods.MONTH)
            level_sums = sums if not hospital else queries.kind_sums(connection, start, end, "")
        figures = report.hospital_figures(sums, refunds, hospital)
        levels = report.level_figures(report.hospital_figures(level_sums, refunds))
        if hospital:
            levels = [level for level in levels if level.hospital_level in {f.hospital_level for f in figures}]
        points: dict[tuple, dict] = {}
        for row in trend:
            point = points.setdefault((row.start, row.hospital_code), {"visits": 0, "stays": 0, "cost": report.ZERO,
                                                                      "fund_paid": report.ZERO})
            point["visits" if row.kind == "outpatient" else "stays"] += row.count
            point["cost"] += row.total
            point["fund_paid"] += row.compensation
        return supervision_pb2.GetReportResponse(
            period=period.label, start=_date(period.start), end=_date(period.end),
            hospitals=[supervision_pb2.HospitalFigures(
                hospital_code=f.hospital_code, hospital_level=f.hospital_level, visits=f.visits, stays=f.stays,
                visit_cost=_text(f.visit_cost), stay_cost=_text(f.stay_cost), fund_paid=_text(f.fund_paid),
                self_paid_share=_text(f.self_paid_share), average_visit_cost=_text(f.average_visit_cost),
                average_stay_cost=_text(f.average_stay_cost), average_stay_days=_text(f.average_stay_days),
                cost_per_stay_day=_text(f.cost_per_stay_day), refunded=f.refunded,
                refund_rate=_text(f.refund_rate)) for f in figures],
            levels=[supervision_pb2.LevelFigures(
                hospital_level=level.hospital_level, hospitals=level.hospitals,
                average_visit_cost=_text(level.average_visit_cost), average_stay_cost=_text(level.average_stay_cost),
                cost_per_stay_day=_text(level.cost_per_stay_day), self_paid_share=_text(level.self_paid_share))
                for level in levels],
            trend=[supervision_pb2.TrendPoint(start=_date(day), hospital_code=code, visits=p["visits"],
                                              stays=p["stays"], cost=_text(p["cost"]), fund_paid=_text(p["fund_paid"]))
                   for (day, code), p in sorted(points.items())])


def _finding_message(finding: rulebook.Finding) -> supervision_pb2.Finding:
    message = supervision_pb2.Finding(
        rule_code=finding.rule_code, hospital_code=finding.hospital_code, subject=finding.subject,
        member_id=finding.member_id, summary=finding.summary, evidence=finding.evidence)
    if finding.live_query is not None:
        message.live_query.hospital_code, message.live_query.number = finding.live_query
    return message
