"""SettlementService: settling outpatient visits and inpatient stays, refunds, and
reading what was settled.

A settlement, in order: check the bill (bills.py); find the year's policy (E4006);
then, in one transaction: check the member in that year (E3001, E3002) and resolve
every line's item from settlement's own copies (projections/), lock the member's
year row, return the recorded settlement if the same bill was settled before (E4001
if other data), compute (calculation.py), record the settlement, its lines and the
policy it used, and move the member's yearly total. The transaction commits only if
the caller is still waiting.

Where a copy does not hold the member or an item yet, the transaction is abandoned
(nothing was written), the owner is asked outside it, and the settlement runs again
with the owner's answer: no transaction waits on another service.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection

from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc
from runtime import metrics
from runtime.auth import (
    ROLE_ADMIN,
    ROLE_INTERNAL,
    STAFF_AUDITOR,
    STAFF_FUND_OFFICER,
    Principal,
    current_principal,
    require_centre,
)
from runtime.clock import BEIJING, beijing_year, utcnow
from runtime.db import Database
from runtime.errors import ContractError, invalid_argument

from .. import bills, calculation, repository
from ..bills import BillLine, LineInput
from ..calculation import money
from ..models import INPATIENT, OUTPATIENT
from ..policy import Policy, PolicyStore
from ..projections.facts import ProjectedFacts
from ..upstream import Enrollee, Resolved
from .shared import (
    ITEM_KINDS,
    KINDS,
    actor,
    caller,
    full_record,
    moment,
    record_message,
    result_message,
    summary_message,
)

PREFIX = {OUTPATIENT: "MZ", INPATIENT: "ZY"}


@dataclass(frozen=True)
class Bill:
    """A checked bill, ready to be settled."""

    kind: str
    hospital: str
    level: int
    number: str
    card: str
    member_id: str
    name: str
    year: int
    visit_at: datetime
    discharged_at: datetime | None
    department: str
    doctor: str
    diagnosis: str
    diagnosis_name: str
    referral: bool
    total: Decimal
    lines: list[BillLine]
    digest: str
    admission_id: int | None = None


@dataclass(frozen=True)
class Facts:
    """What a bill needs of its member and items."""

    enrollee: Enrollee
    resolved: list[Resolved]


class _NotInCopy(Exception):
    """The copies lack the member or an item: ask the owners, then settle again."""

    def __init__(self, enrollee: Enrollee | None, resolved: list[Resolved | None]) -> None:
        super().__init__("not in settlement's copies")
        self.enrollee = enrollee
        self.resolved = resolved


def line_inputs(lines) -> list[LineInput]:
    """The request's bill lines as the domain takes them."""
    return [LineInput(line.line_number, ITEM_KINDS.get(line.item_kind, ""), line.item_code, line.item_name,
                      line.specification, line.unit, line.price, line.quantity, line.amount,
                      moment(line.fee_time, "", required=False)) for line in lines]


class SettlementServicer(settlement_pb2_grpc.SettlementServiceServicer):
    def __init__(self, db: Database, policies: PolicyStore, facts: ProjectedFacts,
                 hospital_level: Callable[[str], int]) -> None:
        self.db = db
        self.policies = policies
        self.facts = facts
        self.hospital_level = hospital_level
        self._policy_ids: dict[tuple[int, str], int] = {}
        self._lock = threading.Lock()

    # --- the steps of a settlement ---------------------------------------------------------

    def _policy(self, year: int) -> Policy:
        policy = self.policies.for_year(year)
        if policy is None:
            raise ContractError("E4006", f"{year}年")
        return policy

    @staticmethod
    def _checked(enrollee: Enrollee, card: str, name: str, year: int) -> str:
        """The member's category that year; E3001 / E3002 when it cannot be settled."""
        if enrollee.card != card.strip():
            raise ContractError("E3001", "参合证号与个人编码不符")
        if enrollee.name != name.strip():
            raise ContractError("E3001", "姓名与参合信息不符")
        if not enrollee.enrolled:
            raise ContractError("E3002", f"{year}年{'参合已停止' if enrollee.stopped else '未参合'}")
        return enrollee.category

    def check_member(self, member_id: str, card: str, name: str, year: int, where: str) -> str:
        """The member's category that year (E3001, E3002), from the copy or its owner."""
        member_id = bills.required(member_id, f"{where}.member_id")
        with self.db.read() as connection:
            enrollee = self.facts.member(connection, member_id, year)
        return self._checked(enrollee or self.facts.owner_member(member_id, year), card, name, year)

    def _facts(self, connection: Connection, hospital: str, member_id: str, year: int, lines: list[BillLine],
               fetched: Facts | None) -> Facts:
        """The member and the items from the copies (or from ``fetched``, the owners'
        answers after a miss); _NotInCopy when a copy lacks one."""
        if fetched is not None:
            return fetched
        enrollee = self.facts.member(connection, member_id, year)
        resolved = self.facts.items(connection, hospital, lines)
        if enrollee is None or any(item is None for item in resolved):
            raise _NotInCopy(enrollee, resolved)
        return Facts(enrollee, resolved)

    def _ask_owners(self, missing: _NotInCopy, hospital: str, member_id: str, year: int,
                    lines: list[BillLine]) -> Facts:
        return Facts(missing.enrollee or self.facts.owner_member(member_id, year),
                     self.facts.owner_items(hospital, lines, missing.resolved))

    def _policy_version_id(self, policy: Policy, year: int) -> int:
        """The recorded copy of ``policy`` (made once, in its own short transaction)."""
        key = (year, policy.digest)
        found = self._policy_ids.get(key)
        if found is not None:
            return found
        content = json.dumps(policy.canonical(), ensure_ascii=False, sort_keys=True)
        with self.db.write() as connection:
            row = repository.policy_version(connection, year, policy.digest) or repository.add_policy_version(
                connection, {"year": year, "digest": policy.digest, "source": policy.source, "content": content})
        with self._lock:
            self._policy_ids[key] = row.id
        return row.id

    @staticmethod
    def _compute(bill: Bill, category: str, policy: Policy, resolved: list[Resolved],
                 year_total: Decimal) -> calculation.Result:
        lines = [calculation.Line(line.line_number, line.price, line.quantity, line.amount, item.charge_class,
                                  item.self_pay_ratio, item.price_limit, item.mapped)
                 for line, item in zip(bill.lines, resolved, strict=True)]
        if bill.kind == OUTPATIENT:
            return calculation.outpatient(lines, level=bill.level, policy=policy, year_total=year_total)
        return calculation.inpatient(lines, level=bill.level, category=category, referral=bill.referral,
                                     diagnosis=bill.diagnosis, policy=policy, year_total=year_total)

    def _settle(self, make_bill: Callable[[Connection], Bill], hospital: str, member_id: str, year: int,
                card: str, name: str, lines: list[BillLine], policy: Policy, preview: bool,
                principal: Principal) -> settlement_pb2.SettlementResult:
        """Settle the bill ``make_bill`` makes inside the transaction (E3001/E3002 and the
        bill's own refusals come first, in the order the contract gives them)."""
        fetched: Facts | None = None
        for _ in range(2):
            try:
                if preview:
                    with self.db.read() as connection:
                        return self._preview(connection, make_bill, hospital, member_id, year, card, name,
                                             lines, policy, fetched)
                return self._record(make_bill, hospital, member_id, year, card, name, lines, policy, principal,
                                    fetched)
            except _NotInCopy as missing:
                fetched = self._ask_owners(missing, hospital, member_id, year, lines)
        raise ContractError("E9001", "参合或目录信息未能确认, 请重试")  # pragma: no cover - owners answered twice

    def _preview(self, connection: Connection, make_bill, hospital, member_id, year, card, name, lines, policy,
                 fetched) -> settlement_pb2.SettlementResult:
        facts = self._facts(connection, hospital, member_id, year, lines, fetched)
        category = self._checked(facts.enrollee, card, name, year)
        bill = make_bill(connection)
        totals = repository.year_totals(connection, [bill.member_id], bill.year).get(bill.member_id)
        year_total = repository.ZERO if totals is None else totals.of(bill.kind)
        result = self._compute(bill, category, policy, facts.resolved, year_total)
        return result_message(bill.kind, bill.number, bill.lines, result, facts.resolved, policy)

    def _record(self, make_bill, hospital, member_id, year, card, name, lines, policy, principal,
                fetched) -> settlement_pb2.SettlementResult:
        policy_id = self._policy_version_id(policy, year)
        with self.db.write() as connection:
            facts = self._facts(connection, hospital, member_id, year, lines, fetched)
            category = self._checked(facts.enrollee, card, name, year)
            bill = make_bill(connection)
            totals = repository.lock_member_year(connection, bill.member_id, bill.year)
            existing = repository.in_force_digest(connection, bill.hospital, bill.kind, bill.number)
            if existing is not None:
                settlement_number, digest = existing
                if digest != bill.digest:
                    raise ContractError("E4001", f"{bill.number} 已以不同数据结算 (结算编号 {settlement_number}),"
                                                 " 退费后方可重新结算")
                return record_message(repository.settlement_by_number(connection, settlement_number), replayed=True)
            year_total = totals.of(bill.kind)
            result = self._compute(bill, category, policy, facts.resolved, year_total)
            settled_at = utcnow()
            settlement_number = repository.insert_settlement(
                connection, _settlement_row(bill, category, result, policy_id, year_total, actor(principal),
                                            settled_at),
                _line_rows(bill, facts.resolved, result), PREFIX[bill.kind],
                settled_at.astimezone(BEIJING).strftime("%Y%m%d"))
            repository.add_to_member_year(connection, totals, bill.kind, result.compensation, 1)
        if metrics.enabled():  # committed: count it
            metrics.SETTLEMENTS.labels(bill.hospital, bill.kind).inc()
            metrics.SETTLED_YUAN.labels(bill.hospital, bill.kind).inc(float(bill.total))
            metrics.COMPENSATION_YUAN.labels(bill.hospital, bill.kind).inc(float(result.compensation))
        return result_message(bill.kind, bill.number, bill.lines, result, facts.resolved, policy, settlement_number,
                              settled_at)

    # --- outpatient ------------------------------------------------------------------------

    def SettleOutpatient(self, request, context):
        principal, hospital, level = caller("F", request.hospital_code, self.hospital_level)
        visit = request.visit
        number = bills.required(visit.number, "visit.number")
        visit_at = moment(visit.visit_time, "visit.visit_time")
        total = bills.decimal(visit.total, 2, "visit.total")
        lines = bills.parse_lines(line_inputs(request.lines))
        bills.check_amounts(lines, total, "visit.total")
        year = beijing_year(visit_at)
        policy = self._policy(year)
        member_id = bills.required(visit.member_id, "visit.member_id")

        def make_bill(_connection: Connection) -> Bill:
            diagnosis = bills.required(visit.diagnosis, "visit.diagnosis")
            main = {"number": number, "card": visit.card, "member_id": visit.member_id, "name": visit.name,
                    "visit_at": visit_at, "department": visit.department, "doctor": visit.doctor,
                    "diagnosis": diagnosis, "diagnosis_name": visit.diagnosis_name, "total": total}
            return Bill(OUTPATIENT, hospital, level, number, visit.card.strip(), member_id, visit.name.strip(), year,
                        visit_at, None, visit.department.strip(), visit.doctor.strip(), diagnosis,
                        visit.diagnosis_name.strip(), False, total, lines, bills.digest(main, lines))

        return settlement_pb2.SettleOutpatientResponse(result=self._settle(
            make_bill, hospital, member_id, year, visit.card, visit.name, lines, policy, request.preview, principal))

    def RefundOutpatient(self, request, context):
        return settlement_pb2.RefundOutpatientResponse(**self._refund(OUTPATIENT, "G", request))

    # --- inpatient ---------------------------------------------------------------------------

    def SettleInpatient(self, request, context):
        principal, hospital, level = caller("I", request.hospital_code, self.hospital_level)
        stay = request.stay
        number = bills.required(stay.number, "stay.number")
        admitted_at = moment(stay.admit_time, "stay.admit_time")
        discharged_at = moment(stay.discharge_time, "stay.discharge_time")
        if discharged_at < admitted_at:
            raise bills.bad("stay.discharge_time", "出院日期早于入院日期")
        diagnosis = bills.required(stay.diagnosis, "stay.diagnosis")
        total = bills.decimal(stay.total, 2, "stay.total")
        lines = bills.parse_lines(line_inputs(request.lines))
        bills.check_amounts(lines, total, "stay.total")
        with self.db.read() as connection:
            admission = repository.admission(connection, hospital, number)
        if admission is None:
            raise ContractError("E4004", number)
        if admission.member_id != stay.member_id.strip():
            raise ContractError("E4004", f"{number} 登记的是另一位参合人员")
        if admission.admitted_at != admitted_at:
            raise bills.bad("stay.admit_time", "与入院登记不符")
        year = beijing_year(admission.admitted_at)  # policy.md: the year of the admission
        policy = self._policy(year)
        member_id = bills.required(stay.member_id, "stay.member_id")
        main = {"number": number, "card": stay.card, "member_id": stay.member_id, "name": stay.name,
                "admitted_at": admitted_at, "discharged_at": discharged_at, "diagnosis": diagnosis,
                "diagnosis_name": stay.diagnosis_name, "total": total}
        bill = Bill(INPATIENT, hospital, level, number, stay.card.strip(), member_id, stay.name.strip(), year,
                    admitted_at, discharged_at, admission.department, admission.doctor, diagnosis,
                    stay.diagnosis_name.strip(), admission.referral, total, lines, bills.digest(main, lines),
                    admission.id)
        return settlement_pb2.SettleInpatientResponse(result=self._settle(
            lambda _connection: bill, hospital, member_id, year, stay.card, stay.name, lines, policy,
            request.preview, principal))

    def RefundInpatient(self, request, context):
        return settlement_pb2.RefundInpatientResponse(**self._refund(INPATIENT, "J", request))

    def _refund(self, kind: str, letter: str, request) -> dict:
        if current_principal().is_staff:  # the centre's fund officers refund from the console
            principal = require_centre(STAFF_FUND_OFFICER)
            hospital = principal.hospital_for(request.hospital_code.strip())
        else:
            principal, hospital, _ = caller(letter, request.hospital_code, self.hospital_level)
        number = bills.required(request.number, "number")
        with self.db.write() as connection:
            settlement = repository.settlement_in_force(connection, hospital, kind, number, for_update=True)
            if settlement is None:
                history = repository.settlements_of(connection, hospital, kind, number)
                if not history:
                    raise ContractError("E4002", number)
                raise ContractError("E4003", f"{number} (结算编号 {history[0].settlement.settlement_number})")
            totals = repository.lock_member_year(connection, settlement.member_id, settlement.year)
            repository.mark_refunded(connection, settlement.id, utcnow(), actor(principal))
            repository.add_to_member_year(connection, totals, kind, -settlement.compensation, -1)
        if metrics.enabled():
            metrics.REFUNDS.labels(hospital, kind).inc()
            metrics.REFUNDED_YUAN.labels(hospital, kind).inc(float(settlement.compensation))
        return {"settlement_number": settlement.settlement_number, "refunded_amount": money(settlement.compensation)}

    # --- reading -------------------------------------------------------------------------------

    def GetSettlement(self, request, context):
        principal = current_principal()
        hospital = principal.hospital_for(request.hospital_code.strip())
        kind = KINDS.get(request.kind)
        if kind is None and not request.settlement_number:
            raise invalid_argument("kind", "SETTLEMENT_KIND_OUTPATIENT or SETTLEMENT_KIND_INPATIENT")
        with self.db.read() as connection:
            number = request.number.strip()
            if request.settlement_number:
                found = repository.settlement_by_number(connection, request.settlement_number.strip())
                if found is None or found.settlement.hospital_code != hospital:
                    raise ContractError("E4002", request.settlement_number)
                kind, number = found.settlement.kind, found.settlement.number
            if principal.is_staff:
                require_centre(*SETTLEMENT_READERS)
            else:
                principal.require_letter("F" if kind == OUTPATIENT else "I")
            history = repository.settlements_of(connection, hospital, kind, number)
        if not history:
            raise ContractError("E4002", request.number or request.settlement_number)
        in_force = [record for record in history if record.settlement.refunded_at is None]
        current = in_force[0] if in_force else history[0]
        return settlement_pb2.GetSettlementResponse(
            settlement=full_record(current),
            refunded=[full_record(record) for record in history if record is not current])

    def ListMemberSettlements(self, request, context):
        current_principal().require_role(ROLE_ADMIN, ROLE_INTERNAL, *SETTLEMENT_READERS)
        with self.db.read() as connection:
            found = repository.member_settlements(connection, request.member_id.strip(), request.year)
        return settlement_pb2.ListMemberSettlementsResponse(settlements=[full_record(record) for record in found])

    def GetYearTotals(self, request, context):
        principal = current_principal()
        if principal.is_staff:
            require_centre(*SETTLEMENT_READERS)
        elif not (principal.has_role(ROLE_ADMIN, ROLE_INTERNAL) and not principal.hospital_code):
            principal.require_letter("E")
        if not request.year:
            raise invalid_argument("year", "the year")
        with self.db.read() as connection:
            totals = repository.year_totals(connection, list(request.member_ids), request.year)
        zero = repository.Totals(0, repository.ZERO, repository.ZERO)
        return settlement_pb2.GetYearTotalsResponse(totals=[
            settlement_pb2.YearTotals(member_id=member_id, outpatient=money(found.outpatient),
                                      inpatient=money(found.inpatient))
            for member_id in request.member_ids for found in [totals.get(member_id, zero)]])


    def SearchSettlements(self, request, context):
        principal = require_centre(*SETTLEMENT_READERS)
        hospital = principal.hospital_for(request.hospital_code.strip()) if request.hospital_code.strip() else ""
        order_by = request.order_by.strip() or "-settle_time"
        if order_by.lstrip("-") not in repository.SETTLEMENT_ORDERS:
            raise invalid_argument("order_by", f"one of {', '.join(sorted(repository.SETTLEMENT_ORDERS))}, "
                                               "with '-' before it for descending")
        since = moment(request.since, "since", required=False)
        until = moment(request.until, "until", required=False)
        if since and until and until <= since:
            raise invalid_argument("until", "must be later than since")
        limit = min(request.page_size or 50, 500)
        page = max(request.page, 1)
        with self.db.read() as connection:
            rows, count, total, compensation = repository.search_settlements(
                connection, hospital=hospital, since=since, until=until,
                member_ids=[m.strip() for m in request.member_ids if m.strip()], card=request.card.strip(),
                number=request.number.strip(), state=_STATES.get(request.state, ""), kind=KINDS.get(request.kind),
                order_by=order_by.lstrip("-"), descending=order_by.startswith("-"), offset=(page - 1) * limit,
                limit=limit)
        return settlement_pb2.SearchSettlementsResponse(
            settlements=[summary_message(row) for row in rows], total_count=count, total=money(total),
            compensation=money(compensation))


# Who at the centre reads settlements (beside admin and internal clients).
SETTLEMENT_READERS = (STAFF_FUND_OFFICER, STAFF_AUDITOR)
_STATES = {settlement_pb2.SETTLEMENT_STATE_IN_FORCE: "in_force", settlement_pb2.SETTLEMENT_STATE_REFUNDED: "refunded"}


def _settlement_row(bill: Bill, category: str, result: calculation.Result, policy_id: int,
                    year_total: Decimal, by: str, settled_at: datetime) -> dict:
    return {
        "hospital_code": bill.hospital, "hospital_level": bill.level, "kind": bill.kind,
        "number": bill.number, "admission_id": bill.admission_id, "card": bill.card,
        "member_id": bill.member_id, "name": bill.name, "year": bill.year, "category": category,
        "visit_at": bill.visit_at, "discharged_at": bill.discharged_at, "department": bill.department,
        "doctor": bill.doctor, "diagnosis": bill.diagnosis, "diagnosis_name": bill.diagnosis_name,
        "referral": bill.referral, "total": result.total, "self_pay": result.self_pay,
        "class_self_pay": result.class_self_pay, "eligible": result.eligible,
        "deductible": result.deductible, "compensation": result.compensation,
        "personal": result.personal, "year_total_before": year_total,
        "year_total_after": result.year_total_after, "policy_version_id": policy_id,
        "explanation": result.explanation, "request_digest": bill.digest, "settled_by": by,
        "settled_at": settled_at, "refunded_at": None, "refunded_by": ""}


def _line_rows(bill: Bill, resolved: list[Resolved], result: calculation.Result) -> list[dict]:
    return [{
        "position": position, "line_number": line.line_number, "item_kind": line.item_kind,
        "item_code": line.item_code, "item_name": line.item_name, "specification": line.specification,
        "unit": line.unit, "price": line.price, "quantity": line.quantity, "amount": line.amount,
        "fee_at": line.fee_at, "ncms_code": item.ncms_code if item.mapped else "",
        "ncms_version_id": item.ncms_version_id, "charge_class": split.charge_class,
        "self_pay_ratio": split.self_pay_ratio, "price_limit": item.price_limit,
        "over_limit": split.over_limit, "self_pay": split.self_pay,
        "class_self_pay": split.class_self_pay, "eligible": split.eligible}
        for position, (line, item, split) in enumerate(zip(bill.lines, resolved, result.lines, strict=True), 1)]
