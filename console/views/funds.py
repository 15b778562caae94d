"""The fund officer's pages: settlements found by hospital, dates, member, card, ID
number, number and state; a settlement with its lines and the explanation of its
amount; refunds; a member's year; the policies. Auditors read them too."""

from __future__ import annotations

import json

import grpc
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from ncms.enrollment.v1 import enrollment_pb2
from ncms.settlement.v1 import settlement_pb2

from .. import i18n
from ..app import act, console, refusal, requires
from ..exports import export
from ..templating import CATEGORIES, SETTLEMENT_KINDS, named
from .common import (
    AUDITOR,
    OFFICER,
    BadQuery,
    Paging,
    day_range,
    export_format,
    hospitals,
    paging,
    timestamp_of,
)

blueprint = Blueprint("funds", __name__)
STATES = {"in_force": settlement_pb2.SETTLEMENT_STATE_IN_FORCE, "refunded": settlement_pb2.SETTLEMENT_STATE_REFUNDED}
KINDS = {"outpatient": settlement_pb2.SETTLEMENT_KIND_OUTPATIENT, "inpatient": settlement_pb2.SETTLEMENT_KIND_INPATIENT}
KIND_SLUGS = {number: slug for slug, number in KINDS.items()}
SORTS = {"settle_time", "hospital", "number", "name", "total", "compensation"}


def _search(pages: Paging) -> tuple[settlement_pb2.SearchSettlementsResponse | None, list]:
    """The settlements the query asks for, and the members an ID number names."""
    args = request.args
    backends = console().backends
    since, until = day_range()
    wanted = settlement_pb2.SearchSettlementsRequest(
        hospital_code=args.get("hospital", "").strip(), card=args.get("card", "").strip(),
        number=args.get("number", "").strip(), state=STATES.get(args.get("state", ""), 0),
        kind=KINDS.get(args.get("kind", ""), 0), order_by=pages.sort, page_size=pages.size, page=pages.page)
    if since:
        wanted.since.CopyFrom(timestamp_of(since))
    if until:
        wanted.until.CopyFrom(timestamp_of(until))
    members = []
    if args.get("member", "").strip():
        wanted.member_ids.append(args["member"].strip())
    id_number = args.get("id_number", "").strip()
    if id_number:
        members = list(backends.enrollment.SearchMembers(enrollment_pb2.SearchMembersRequest(
            id_number=id_number)).members)
        if not members:
            return None, []
        found = {m.member_id for m in members}
        if wanted.member_ids and not set(wanted.member_ids) & found:
            return None, members
        wanted.member_ids[:] = sorted(found & set(wanted.member_ids) if wanted.member_ids else found)
    return backends.settlement.SearchSettlements(wanted), members


@blueprint.get("/settlements")
@requires(OFFICER, AUDITOR)
def settlements():
    pages = paging("-settle_time", SORTS)
    error = None
    searched = bool([v for k, v in request.args.items() if k not in ("sort", "page", "size") and v])
    try:
        wanted = export_format()
        if wanted:
            return _export(wanted, pages)
        found, members = _search(pages)
    except BadQuery as exc:
        found, members, error = None, [], str(exc)
    except grpc.RpcError as exc:
        if exc.code() != grpc.StatusCode.INVALID_ARGUMENT:
            raise
        found, members, error = None, [], refusal(exc)[0]
    return render_template("settlements.html", found=found, members=members, pages=pages, error=error,
                           searched=searched, hospitals=hospitals())


def _export(file_format: str, pages: Paging):
    rows, page = [], 1
    while True:
        found, _members = _search(Paging(page, 500, pages.sort))
        if found is None:
            break
        rows += found.settlements
        if len(found.settlements) < 500 or len(rows) >= 50_000:
            break
        page += 1
    return export("settlements", file_format, [
        g._("Settlement number"), g._("Kind"), g._("Hospital"), g._("Visit or stay number"), g._("Card"),
        g._("Member"), g._("Name"), g._("Category"), g._("Total (yuan)"), g._("Compensation (yuan)"),
        g._("Settled (Beijing time)"), g._("Refunded (Beijing time)")],
        [(s.settlement_number, named(SETTLEMENT_KINDS, s.kind), s.hospital_code, s.number, s.card, s.member_id,
          s.name, named(CATEGORIES, s.category), s.total, s.compensation, i18n.stamp_text(s.settle_time),
          i18n.stamp_text(s.refund_time)) for s in rows])


@blueprint.get("/settlements/<hospital>/<settlement_number>")
@requires(OFFICER, AUDITOR)
def settlement(hospital: str, settlement_number: str):
    try:
        found = console().backends.settlement.GetSettlement(settlement_pb2.GetSettlementRequest(
            hospital_code=hospital, settlement_number=settlement_number))
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            abort(404)
        raise
    record = found.settlement
    if record.result.settlement_number != settlement_number:  # a refunded one of the same number
        record = next((r for r in found.refunded if r.result.settlement_number == settlement_number), record)
    policy = None
    if record.policy_content:
        try:
            policy = json.loads(record.policy_content)
        except ValueError:
            policy = None
    others = [r for r in [found.settlement, *found.refunded] if r.result.settlement_number != settlement_number]
    return render_template("settlement.html", record=record, others=others, policy=policy,
                           explanation=[part.strip() for part in record.result.explanation.split(";") if part.strip()],
                           kind=KIND_SLUGS.get(record.result.kind, ""), hospitals=hospitals())


@blueprint.post("/settlements/<hospital>/<settlement_number>/refund")
@requires(OFFICER)
def refund(hospital: str, settlement_number: str):
    backends = console().backends
    back = url_for("funds.settlement", hospital=hospital, settlement_number=settlement_number)
    record = backends.settlement.GetSettlement(settlement_pb2.GetSettlementRequest(
        hospital_code=hospital, settlement_number=settlement_number)).settlement
    number = record.result.number
    if request.form.get("confirm", "").strip() != number:
        flash(g._("Type the visit or stay number to confirm the refund; nothing was changed."), "error")
        return redirect(back)

    def call():
        if record.result.kind == settlement_pb2.SETTLEMENT_KIND_INPATIENT:
            return backends.settlement.RefundInpatient(settlement_pb2.RefundInpatientRequest(
                hospital_code=hospital, number=number))
        return backends.settlement.RefundOutpatient(settlement_pb2.RefundOutpatientRequest(
            hospital_code=hospital, number=number))

    return act(call, g._("{number} is refunded.").format(number=number), back)[0]


@blueprint.get("/members/<member_id>")
@requires(OFFICER, AUDITOR)
def member(member_id: str):
    backends = console().backends
    try:
        year = int(request.args.get("year", str(i18n.today().year)))
    except ValueError:
        year = i18n.today().year
    try:
        found = backends.enrollment.GetMember(enrollment_pb2.GetMemberRequest(member_id=member_id))
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            abort(404)
        raise
    settled = backends.settlement.ListMemberSettlements(settlement_pb2.ListMemberSettlementsRequest(
        member_id=member_id, year=year)).settlements
    totals = backends.settlement.GetYearTotals(settlement_pb2.GetYearTotalsRequest(
        member_ids=[member_id], year=year)).totals
    years = sorted({e.year for e in found.enrollments} | {year}, reverse=True)
    return render_template("member.html", found=found, settled=settled, totals=totals[0] if totals else None,
                           year=year, years=years, hospitals=hospitals())


@blueprint.get("/policies")
@requires(OFFICER, AUDITOR)
def policies():
    try:
        year = int(request.args.get("year", "0"))
    except ValueError:
        year = 0
    backends = console().backends
    versions = backends.settlement.ListPolicies(settlement_pb2.ListPoliciesRequest(year=year)).policies
    current_year = year or i18n.today().year
    current = backends.settlement.GetPolicy(settlement_pb2.GetPolicyRequest(year=current_year)).policy
    content = _content(current.content)
    return render_template("policies.html", versions=versions, current=current, content=content, year=current_year)


@blueprint.get("/policies/<int:policy_id>")
@requires(OFFICER, AUDITOR)
def policy(policy_id: int):
    try:
        found = console().backends.settlement.GetPolicy(settlement_pb2.GetPolicyRequest(id=policy_id)).policy
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.NOT_FOUND:
            abort(404)
        raise
    return render_template("policy.html", policy=found, content=_content(found.content))


def _content(text: str) -> list[tuple[str, str]]:
    """A policy's settings as (key, value) lines, nested keys joined with dots."""
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return []
    lines: list[tuple[str, str]] = []

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key in sorted(value, key=str):
                walk(f"{prefix}.{key}" if prefix else str(key), value[key])
        elif isinstance(value, list) and value and all(isinstance(v, (dict, list)) for v in value):
            for index, item in enumerate(value):
                walk(f"{prefix}[{index}]", item)
        else:
            lines.append((prefix, json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value))

    walk("", data)
    return lines

