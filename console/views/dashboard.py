"""The dashboard: the day at a glance, each figure for the roles that may read it."""

from __future__ import annotations

import threading
import time

import grpc
from flask import Blueprint, g, render_template

from ncms.catalog.v1 import catalog_pb2
from ncms.identity.v1 import staff_pb2
from ncms.settlement.v1 import settlement_pb2, supervision_pb2

from ..app import console
from .common import AUDITOR, OFFICER, timestamp_of, today_start

blueprint = Blueprint("dashboard", __name__)


def _optional(call):
    """A panel's figures, or None when its service did not answer (the rest still shows)."""
    try:
        return call()
    except grpc.RpcError as error:
        if error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            return None
        raise


@blueprint.get("/")
def index():
    backends = console().backends
    me = g.person
    start = today_start()
    figures = {"overview": _optional(lambda: backends.identity.GetIdentityOverview(
        staff_pb2.GetIdentityOverviewRequest(since=timestamp_of(start), pending_limit=5)))}
    figures["queue"] = _optional(lambda: backends.catalog.ListMappingQueue(
        catalog_pb2.ListMappingQueueRequest(page_size=1)).total_count)
    if me.has(OFFICER, AUDITOR):
        figures["today"] = _optional(lambda: backends.settlement.SearchSettlements(
            settlement_pb2.SearchSettlementsRequest(since=timestamp_of(start), page_size=1,
                                                    state=settlement_pb2.SETTLEMENT_STATE_IN_FORCE)))
        figures["findings"] = _optional(lambda: _count_findings(backends, start.strftime("%Y-%m")))
        figures["period"] = start.strftime("%Y-%m")
    figures["projections"] = _optional(lambda: backends.settlement.ListProjections(
        settlement_pb2.ListProjectionsRequest()).projections)
    health = backends.health()
    return render_template("dashboard.html", figures=figures, health=health, today=start.date())


# The rules run over a whole month's settlements when asked: the dashboard counts them
# at most once a minute per process (the findings page always asks afresh).
FINDINGS_FOR = 60.0
_findings: dict[str, tuple[float, dict[str, int]]] = {}
_findings_lock = threading.Lock()


def _count_findings(backends, period: str) -> dict[str, int]:
    with _findings_lock:
        cached = _findings.get(period)
    if cached is not None and time.monotonic() - cached[0] < FINDINGS_FOR:
        return cached[1]
    counts: dict[str, int] = {}
    for finding in backends.supervision.ListFindings(supervision_pb2.ListFindingsRequest(period=period)):
        counts[finding.rule_code] = counts.get(finding.rule_code, 0) + 1
    with _findings_lock:
        _findings.clear()
        _findings[period] = (time.monotonic(), counts)
    return counts
