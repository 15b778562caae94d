"""The settlement gRPC servicer.

A settlement, in order: check the bill (bills.py); find the year's policy (E4006);
ask enrollment whether the member is enrolled that year and is who the bill says
(E3001, E3002); ask the catalog for every line's item, once; then, in one
transaction that holds the member's year row locked: return the recorded settlement
if the same bill was settled before (E4001 if other data), compute
(calculation.py), record the settlement, its lines and the policy it used, and move
the member's yearly total. Nothing before that transaction writes anything; the
transaction commits only if the caller is still waiting.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

from google.protobuf import timestamp_pb2
from google.type import date_pb2
from sqlalchemy.exc import IntegrityError

from ncms.enrollment.v1 import enrollment_pb2
from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc
from runtime import metrics
from runtime.auth import ROLE_ADMIN, ROLE_INTERNAL, Principal, current_principal
from runtime.db import Database, utcnow
from runtime.errors import ContractError, invalid_argument, permission_denied
from runtime.timestamps import timestamp

from . import bills, calculation, hospital_relay, reconciliation, repository
from .calculation import CLASS_NAMES, Line, money
from .models import INPATIENT, OUTPATIENT, Admission, PolicyVersion, Reconciliation, Settlement
from .policy import Policy, PolicyStore
from .upstream import Resolved, Upstream

log = logging.getLogger(__name__)

BEIJING = timezone(timedelta(hours=8))
KIND_ENUMS = {OUTPATIENT: settlement_pb2.SETTLEMENT_KIND_OUTPATIENT,
              INPATIENT: settlement_pb2.SETTLEMENT_KIND_INPATIENT}
KINDS = {v: k for k, v in KIND_ENUMS.items()}
PREFIX = {OUTPATIENT: "MZ", INPATIENT: "ZY"}
MAIN_TABLE = {OUTPATIENT: "mzzb", INPATIENT: "zyzb"}
LINE_TABLE = {OUTPATIENT: "mzmx", INPATIENT: "zymx"}


def moment(stamp: timestamp_pb2.Timestamp, table: str, column: str) -> datetime:
    if not stamp.seconds and not stamp.nanos:
        raise ContractError("E2001", f"表{table} 第1行 列{column}: 必填")
    return stamp.ToDatetime(tzinfo=UTC)


def beijing_year(value: datetime) -> int:
    return value.astimezone(BEIJING).year


def _text(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


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
    lines: list[bills.BillLine]
    digest: str
    admission_id: int | None = None


class SettlementService(settlement_pb2_grpc.SettlementServiceServicer):
    def __init__(self, db: Database, policies: PolicyStore, upstream: Upstream, *,
                 hospital_timeout: float = 10.0) -> None:
        self.db = db
        self.policies = policies
        self.upstream = upstream
        self.hospital_timeout = hospital_timeout
        self._policy_ids: dict[tuple[int, str], int] = {}
        self._lock = threading.Lock()

    # --- shared steps ----------------------------------------------------------------------

    def _caller(self, letter: str, hospital_code: str) -> tuple[Principal, str, int]:
        principal = current_principal()
        hospital = principal.hospital_for(hospital_code.strip())
        principal.require_letter(letter)
        level = principal.hospital_level if principal.hospital_code else self.upstream.hospital_level(hospital)
        return principal, hospital, level

    def _policy(self, year: int) -> Policy:
        policy = self.policies.for_year(year)
        if policy is None:
            raise ContractError("E4006", f"{year}年")
        return policy

    def _check_member(self, member_id: str, card: str, name: str, year: int, table: str) -> str:
        """The member's category that year; E3001 / E3002 when it cannot be settled."""
        if not member_id.strip():
            raise ContractError("E2001", f"表{table} 第1行 列grbm: 必填")
        enrollee = self.upstream.enrollee(member_id.strip(), year)
        if enrollee.card != card.strip():
            raise ContractError("E3001", "参合证号与个人编码不符")
        if enrollee.name != name.strip():
            raise ContractError("E3001", "姓名与参合信息不符")
        if not enrollee.enrolled:
            reason = "参合已停止" if enrollee.status == enrollment_pb2.ENROLLMENT_STATUS_STOPPED else "未参合"
            raise ContractError("E3002", f"{year}年{reason}")
        return enrollee.category

    def _policy_version_id(self, policy: Policy, year: int) -> int:
        """The recorded copy of ``policy`` (made once, in its own short transaction)."""
        key = (year, policy.digest)
        if key in self._policy_ids:
            return self._policy_ids[key]
        content = json.dumps(policy.canonical(), ensure_ascii=False, sort_keys=True)
        for _ in range(2):
            with self.db.write() as session:
                found = repository.policy_version(session, year, policy.digest)
                if found is None:
                    try:
                        with session.begin_nested():
                            session.add(PolicyVersion(year=year, digest=policy.digest,
                                                      source=policy.source, content=content))
                    except IntegrityError:  # made meanwhile by another replica
                        continue
                    found = repository.policy_version(session, year, policy.digest)
                version_id = found.id
            with self._lock:
                self._policy_ids[key] = version_id
            return version_id
        raise ContractError("E9001", "补偿方案记录失败, 请重试")

    def _lines(self, bill: Bill, resolved: list[Resolved]) -> list[Line]:
        return [Line(line.line_number, line.price, line.quantity, line.amount, item.charge_class,
                     item.self_pay_ratio, item.price_limit, item.mapped)
                for line, item in zip(bill.lines, resolved, strict=True)]

    def _compute(self, bill: Bill, category: str, policy: Policy, resolved: list[Resolved],
                 year_total: Decimal) -> calculation.Result:
        lines = self._lines(bill, resolved)
        if bill.kind == OUTPATIENT:
            return calculation.outpatient(lines, level=bill.level, policy=policy, year_total=year_total)
        return calculation.inpatient(lines, level=bill.level, category=category, referral=bill.referral,
                                     diagnosis=bill.diagnosis, policy=policy, year_total=year_total)

    def _settle(self, bill: Bill, category: str, policy: Policy, preview: bool,
                principal: Principal) -> settlement_pb2.SettlementResult:
        resolved = self.upstream.resolve(bill.hospital, bill.lines)
        if preview:
            with self.db.read() as session:
                totals = repository.year_totals(session, [bill.member_id], bill.year).get(bill.member_id)
            year_total = repository.ZERO if totals is None else getattr(totals, f"{bill.kind}_total")
            result = self._compute(bill, category, policy, resolved, year_total)
            return self._preview_message(bill, result, resolved, policy)
        policy_id = self._policy_version_id(policy, bill.year)
        actor = f"hospital:{principal.user}" if principal.user else principal.subject
        # The write path runs on every settlement: raw statements on the transaction.
        with self.db.write() as session, self.db.raw_in(session) as sql:
            totals = repository.lock_member_year(sql, bill.member_id, bill.year)
            existing = repository.in_force_digest(sql, bill.hospital, bill.kind, bill.number)
            if existing is not None:
                settlement_number, digest = existing
                if digest != bill.digest:
                    raise ContractError("E4001", f"{bill.number} 已以不同数据结算 (结算编号 {settlement_number}),"
                                                 " 退费后方可重新结算")
                replay = repository.settlement_by_number(session, settlement_number)
                return self._record_message(replay, replayed=True)
            year_total = totals.outpatient if bill.kind == OUTPATIENT else totals.inpatient
            result = self._compute(bill, category, policy, resolved, year_total)
            settled_at = utcnow()
            settlement_number = repository.insert_settlement(
                sql, self._settlement_row(bill, category, result, policy_id, year_total, actor, settled_at),
                self._line_rows(bill, resolved, result), PREFIX[bill.kind],
                settled_at.astimezone(BEIJING).strftime("%Y%m%d"))
            repository.add_to_member_year(sql, totals.id, bill.kind, result.compensation, 1)
        if metrics.enabled():  # committed: count it
            metrics.SETTLEMENTS.labels(bill.hospital, bill.kind).inc()
            metrics.SETTLED_YUAN.labels(bill.hospital, bill.kind).inc(float(bill.total))
            metrics.COMPENSATION_YUAN.labels(bill.hospital, bill.kind).inc(float(result.compensation))
        return self._preview_message(bill, result, resolved, policy, settlement_number, settled_at)

    @staticmethod
    def _settlement_row(bill: Bill, category: str, result: calculation.Result, policy_id: int,
                        year_total: Decimal, actor: str, settled_at: datetime) -> dict:
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
            "explanation": result.explanation, "request_digest": bill.digest, "settled_by": actor,
            "settled_at": settled_at, "refunded_at": None, "refunded_by": ""}

    @staticmethod
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

    # --- messages ----------------------------------------------------------------------------

    def _preview_message(self, bill: Bill, result: calculation.Result, resolved: list[Resolved],
                         policy: Policy, settlement_number: str = "",
                         settled_at: datetime | None = None) -> settlement_pb2.SettlementResult:
        """The result as computed (a preview, 试算, has no settlement number)."""
        return settlement_pb2.SettlementResult(
            settlement_number=settlement_number,
            kind=KIND_ENUMS[bill.kind], number=bill.number, total=money(result.total),
            self_pay=money(result.self_pay), class_self_pay=money(result.class_self_pay),
            eligible=money(result.eligible), deductible=money(result.deductible),
            compensation=money(result.compensation), personal=money(result.personal),
            year_total=money(result.year_total_after), settle_time=timestamp(settled_at or utcnow()),
            explanation=result.explanation, policy_year=policy.year or 0, policy_digest=policy.digest,
            lines=[settlement_pb2.LineResult(
                line_number=split.number, item_code=line.item_code, item_name=line.item_name,
                ncms_code=item.ncms_code if item.mapped else "", charge_class=CLASS_NAMES[split.charge_class],
                amount=money(split.amount), self_pay=money(split.self_pay),
                class_self_pay=money(split.class_self_pay), eligible=money(split.eligible),
                self_pay_ratio=_text(split.self_pay_ratio), price_limit=_text(item.price_limit),
                over_limit=money(split.over_limit), price=_text(line.price), quantity=_text(line.quantity))
                for line, item, split in zip(bill.lines, resolved, result.lines, strict=True)])

    def _record_message(self, settlement: Settlement, *, replayed: bool) -> settlement_pb2.SettlementResult:
        policy = settlement.policy
        return settlement_pb2.SettlementResult(
            settlement_number=settlement.settlement_number, kind=KIND_ENUMS[settlement.kind],
            number=settlement.number, total=money(settlement.total), self_pay=money(settlement.self_pay),
            class_self_pay=money(settlement.class_self_pay), eligible=money(settlement.eligible),
            deductible=money(settlement.deductible), compensation=money(settlement.compensation),
            personal=money(settlement.personal), year_total=money(settlement.year_total_after),
            settle_time=timestamp(settlement.settled_at), explanation=settlement.explanation,
            replayed=replayed, policy_year=policy.year if policy.source != "default.yaml" else 0,
            policy_digest=policy.digest,
            lines=[settlement_pb2.LineResult(
                line_number=line.line_number, item_code=line.item_code, item_name=line.item_name,
                ncms_code=line.ncms_code, charge_class=CLASS_NAMES[line.charge_class],
                amount=money(line.amount), self_pay=money(line.self_pay),
                class_self_pay=money(line.class_self_pay), eligible=money(line.eligible),
                self_pay_ratio=_text(line.self_pay_ratio), price_limit=_text(line.price_limit),
                over_limit=money(line.over_limit), price=_text(line.price), quantity=_text(line.quantity))
                for line in settlement.lines])

    def _full_record(self, settlement: Settlement) -> settlement_pb2.SettlementRecord:
        return settlement_pb2.SettlementRecord(
            result=self._record_message(settlement, replayed=False), hospital_code=settlement.hospital_code,
            hospital_level=settlement.hospital_level, card=settlement.card, member_id=settlement.member_id,
            name=settlement.name, year=settlement.year, category=settlement.category,
            visit_time=timestamp(settlement.visit_at), discharge_time=timestamp(settlement.discharged_at),
            diagnosis=settlement.diagnosis, referral=settlement.referral,
            year_total_before=money(settlement.year_total_before), refund_time=timestamp(settlement.refunded_at),
            settled_by=settlement.settled_by, refunded_by=settlement.refunded_by,
            policy_content=settlement.policy.content)

    # --- outpatient ------------------------------------------------------------------------

    def SettleOutpatient(self, request, context):
        principal, hospital, level = self._caller("F", request.hospital_code)
        visit = request.visit
        table = MAIN_TABLE[OUTPATIENT]
        number = _required(visit.number, table, "mzbh")
        visit_at = moment(visit.visit_time, table, "jzrq")
        total = bills.decimal(visit.total, 2, table, 1, "zfy")
        lines = bills.parse_lines(request.lines, LINE_TABLE[OUTPATIENT])
        bills.check_amounts(lines, total, LINE_TABLE[OUTPATIENT], table)
        year = beijing_year(visit_at)
        policy = self._policy(year)
        category = self._check_member(visit.member_id, visit.card, visit.name, year, table)
        main = {"number": number, "card": visit.card, "member_id": visit.member_id, "name": visit.name,
                "visit_at": visit_at, "department": visit.department, "doctor": visit.doctor,
                "diagnosis": _required(visit.diagnosis, table, "zdbm"),
                "diagnosis_name": visit.diagnosis_name, "total": total}
        bill = Bill(OUTPATIENT, hospital, level, number, visit.card.strip(), visit.member_id.strip(),
                    visit.name.strip(), year, visit_at, None, visit.department.strip(), visit.doctor.strip(),
                    main["diagnosis"], visit.diagnosis_name.strip(), False, total, lines,
                    bills.digest(main, lines))
        result = self._settle(bill, category, policy, request.preview, principal)
        return settlement_pb2.SettleOutpatientResponse(result=result)

    def RefundOutpatient(self, request, context):
        return settlement_pb2.RefundOutpatientResponse(**self._refund(OUTPATIENT, "G", request))

    def _refund(self, kind: str, letter: str, request) -> dict:
        principal, hospital, _ = self._caller(letter, request.hospital_code)
        number = request.number.strip()
        if not number:
            raise ContractError("E2001", "编号必填")
        actor = f"hospital:{principal.user}" if principal.user else principal.subject
        with self.db.write() as session, self.db.raw_in(session) as sql:
            settlement = repository.settlement_in_force(session, hospital, kind, number, for_update=True)
            if settlement is None:
                history = repository.settlements_of(session, hospital, kind, number)
                if not history:
                    raise ContractError("E4002", number)
                raise ContractError("E4003", f"{number} (结算编号 {history[0].settlement_number})")
            totals = repository.lock_member_year(sql, settlement.member_id, settlement.year)
            settlement.refunded_at = utcnow()
            settlement.refunded_by = actor
            session.flush()
            repository.add_to_member_year(sql, totals.id, kind, -settlement.compensation, -1)
            refunded = {"settlement_number": settlement.settlement_number,
                        "refunded_amount": money(settlement.compensation)}
        if metrics.enabled():
            metrics.REFUNDS.labels(hospital, kind).inc()
            metrics.REFUNDED_YUAN.labels(hospital, kind).inc(float(refunded["refunded_amount"]))
        return refunded

    # --- inpatient ---------------------------------------------------------------------------

    def RegisterAdmission(self, request, context):
        principal, hospital, _ = self._caller("H", request.hospital_code)
        admission = request.admission
        table = "rydj"
        number = _required(admission.number, table, "zybh")
        admitted_at = moment(admission.admit_time, table, "ryrq")
        diagnosis = _required(admission.diagnosis, table, "ryzd")
        year = beijing_year(admitted_at)
        self._check_member(admission.member_id, admission.card, admission.name, year, table)
        values = {"number": number, "card": admission.card, "member_id": admission.member_id,
                  "name": admission.name, "admitted_at": admitted_at, "department": admission.department,
                  "diagnosis": diagnosis, "diagnosis_name": admission.diagnosis_name,
                  "doctor": admission.doctor, "referral": admission.referral,
                  "referral_number": admission.referral_number}
        digest = bills.digest(values, [])
        actor = f"hospital:{principal.user}" if principal.user else principal.subject
        with self.db.write() as session:
            existing = repository.admission(session, hospital, number)
            if existing is not None:
                if existing.request_digest != digest:
                    raise ContractError("E4005", f"{number} 已登记为其他入院信息")
                return settlement_pb2.RegisterAdmissionResponse(replayed=True)
            session.add(Admission(
                hospital_code=hospital, number=number, card=admission.card.strip(),
                member_id=admission.member_id.strip(), name=admission.name.strip(), admitted_at=admitted_at,
                department=admission.department.strip(), diagnosis=diagnosis,
                diagnosis_name=admission.diagnosis_name.strip(), doctor=admission.doctor.strip(),
                referral=admission.referral, referral_number=admission.referral_number.strip(),
                request_digest=digest, registered_by=actor))
        return settlement_pb2.RegisterAdmissionResponse(replayed=False)

    def SettleInpatient(self, request, context):
        principal, hospital, level = self._caller("I", request.hospital_code)
        stay = request.stay
        table = MAIN_TABLE[INPATIENT]
        number = _required(stay.number, table, "zybh")
        admitted_at = moment(stay.admit_time, table, "ryrq")
        discharged_at = moment(stay.discharge_time, table, "cyrq")
        if discharged_at < admitted_at:
            raise ContractError("E2001", f"表{table} 第1行 列cyrq: 出院日期早于入院日期")
        diagnosis = _required(stay.diagnosis, table, "cyzd")
        total = bills.decimal(stay.total, 2, table, 1, "zfy")
        lines = bills.parse_lines(request.lines, LINE_TABLE[INPATIENT])
        bills.check_amounts(lines, total, LINE_TABLE[INPATIENT], table)
        with self.db.read() as session:
            admission = repository.admission(session, hospital, number)
        if admission is None:
            raise ContractError("E4004", number)
        if admission.member_id != stay.member_id.strip():
            raise ContractError("E4004", f"{number} 登记的是另一位参合人员")
        if admission.admitted_at != admitted_at:
            raise ContractError("E2001", f"表{table} 第1行 列ryrq: 与入院登记不符")
        year = beijing_year(admission.admitted_at)  # policy.md: the year of the admission
        policy = self._policy(year)
        category = self._check_member(stay.member_id, stay.card, stay.name, year, table)
        main = {"number": number, "card": stay.card, "member_id": stay.member_id, "name": stay.name,
                "admitted_at": admitted_at, "discharged_at": discharged_at, "diagnosis": diagnosis,
                "diagnosis_name": stay.diagnosis_name, "total": total}
        bill = Bill(INPATIENT, hospital, level, number, stay.card.strip(), stay.member_id.strip(),
                    stay.name.strip(), year, admitted_at, discharged_at, admission.department,
                    admission.doctor, diagnosis, stay.diagnosis_name.strip(), admission.referral, total, lines,
                    bills.digest(main, lines), admission.id)
        result = self._settle(bill, category, policy, request.preview, principal)
        return settlement_pb2.SettleInpatientResponse(result=result)

    def RefundInpatient(self, request, context):
        return settlement_pb2.RefundInpatientResponse(**self._refund(INPATIENT, "J", request))

    # --- reading -------------------------------------------------------------------------------

    def GetSettlement(self, request, context):
        principal = current_principal()
        hospital = principal.hospital_for(request.hospital_code.strip())
        kind = KINDS.get(request.kind)
        if kind is None and not request.settlement_number:
            raise invalid_argument("kind", "SETTLEMENT_KIND_OUTPATIENT or SETTLEMENT_KIND_INPATIENT")
        with self.db.read() as session:
            if request.settlement_number:
                found = repository.settlement_by_number(session, request.settlement_number.strip())
                if found is None or found.hospital_code != hospital:
                    raise ContractError("E4002", request.settlement_number)
                kind = found.kind
            principal.require_letter("F" if kind == OUTPATIENT else "I")
            history = repository.settlements_of(session, hospital, kind, request.number.strip()
                                                 if not request.settlement_number else found.number)
            if not history:
                raise ContractError("E4002", request.number or request.settlement_number)
            in_force = [s for s in history if s.refunded_at is None]
            current = in_force[0] if in_force else history[0]
            return settlement_pb2.GetSettlementResponse(
                settlement=self._full_record(current),
                refunded=[self._full_record(s) for s in history if s is not current])

    def ListMemberSettlements(self, request, context):
        current_principal().require_role(ROLE_ADMIN, ROLE_INTERNAL)
        with self.db.read() as session:
            found = repository.member_settlements(session, request.member_id.strip(), request.year)
            return settlement_pb2.ListMemberSettlementsResponse(
                settlements=[self._full_record(s) for s in found])

    def GetYearTotals(self, request, context):
        principal = current_principal()
        if not (principal.has_role(ROLE_ADMIN, ROLE_INTERNAL) and not principal.hospital_code):
            principal.require_letter("E")
        if not request.year:
            raise invalid_argument("year", "the year")
        with self.db.raw() as connection:
            totals = repository.year_totals_raw(connection, list(request.member_ids), request.year)
        return settlement_pb2.GetYearTotalsResponse(totals=[
            settlement_pb2.YearTotals(member_id=member_id, outpatient=money(outpatient), inpatient=money(inpatient))
            for member_id in request.member_ids
            for outpatient, inpatient in [totals.get(member_id, (repository.ZERO, repository.ZERO))]])


    # --- a hospital's own service ----------------------------------------------------------

    def QueryInpatient(self, request, context):
        principal = current_principal()
        # The NCMS's own systems only: not a client bound to one hospital.
        if not (principal.has_role(ROLE_ADMIN) or (principal.has_role(ROLE_INTERNAL) and not principal.hospital_code)):
            raise permission_denied(f"{principal.subject} may not query hospitals' in-patients")
        hospital, number = request.hospital_code.strip(), request.number.strip()
        if not hospital:
            raise invalid_argument("hospital_code", "the hospital to ask")
        if not number:
            raise invalid_argument("number", "the 住院编号 zybh")
        timeout = self.hospital_timeout
        remaining = context.time_remaining()
        if remaining is not None:
            timeout = max(0.1, min(timeout, remaining - 0.1))  # answer before our caller gives up
        return hospital_relay.query(self.upstream, hospital, number, timeout)


    # --- reconciliation (dzjk) -----------------------------------------------------------

    def Reconcile(self, request, context):
        principal = current_principal()
        hospital = principal.hospital_for(request.hospital_code.strip())
        principal.require_letter("FI")
        day = calendar_day(request.date, "dzrq")
        entries = [_reconcile_entry(entry, position) for position, entry in enumerate(request.entries, 1)]
        start, end = day_bounds(day)
        with self.db.read() as session:
            ncms = repository.day_entries(session, hospital, start, end)
            recorded = {(e.settlement_number, e.business) for e in ncms}
            asked = sorted({e.settlement_number for e in entries
                            if e.settlement_number and (e.settlement_number, e.business) not in recorded})
            found = repository.entry_days(session, hospital, asked)
        elsewhere = {}
        for number, (settled_at, refunded_at) in found.items():
            elsewhere[(number, reconciliation.SETTLEMENT)] = settled_at.astimezone(BEIJING).date()
            if refunded_at is not None:
                elsewhere[(number, reconciliation.REFUND)] = refunded_at.astimezone(BEIJING).date()
        outcome = reconciliation.reconcile(day, entries, ncms, elsewhere)
        actor = f"hospital:{principal.user}" if principal.user else principal.subject
        record = Reconciliation(
            hospital_code=hospital, day=day, requested_by=actor, hospital_count=outcome.hospital_count,
            ncms_count=outcome.ncms_count, hospital_total=outcome.hospital_total, ncms_total=outcome.ncms_total,
            agreed=outcome.agreed, differences=json.dumps([_difference_dict(d) for d in outcome.differences],
                                                          ensure_ascii=False))
        with self.db.write() as session:  # the result only; never a settlement
            session.add(record)
        return settlement_pb2.ReconcileResponse(reconciliation=_reconciliation_message(record))

    def GetDaySummary(self, request, context):
        principal = current_principal()
        hospital = principal.hospital_for(request.hospital_code.strip())
        principal.require_letter("FI")
        day = calendar_day(request.date, "date")
        start, end = day_bounds(day)
        with self.db.read() as session:
            entries = repository.day_entries(session, hospital, start, end)
            records = repository.reconciliations(session, hospital, day, request.reconciliation_limit or 5)
            history = [_reconciliation_message(record) for record in records]
        lines = {}
        for entry in entries:
            count, total, compensation = lines.get((entry.kind, entry.business), (0, repository.ZERO, repository.ZERO))
            lines[(entry.kind, entry.business)] = (count + 1, total + entry.total, compensation + entry.compensation)
        return settlement_pb2.GetDaySummaryResponse(
            lines=[settlement_pb2.DaySummaryLine(kind=_JSLX_KINDS[kind], business=int(business), count=count,
                                                 total=money(total), compensation=money(compensation))
                   for (kind, business), (count, total, compensation) in sorted(lines.items())],
            net_compensation=money(reconciliation.net_compensation(entries)),
            entries=[_entry_message(entry) for entry in entries], reconciliations=history)


_JSLX_KINDS = {reconciliation.OUTPATIENT: settlement_pb2.SETTLEMENT_KIND_OUTPATIENT,
               reconciliation.INPATIENT: settlement_pb2.SETTLEMENT_KIND_INPATIENT}
_KIND_JSLX = {v: k for k, v in _JSLX_KINDS.items()}
_BUSINESS = {settlement_pb2.BUSINESS_TYPE_SETTLEMENT: reconciliation.SETTLEMENT,
             settlement_pb2.BUSINESS_TYPE_REFUND: reconciliation.REFUND}


def calendar_day(value: date_pb2.Date, column: str) -> date:
    try:
        return date(value.year, value.month, value.day)
    except ValueError:
        raise ContractError("E2001", f"{column}: 须为日期 yyyy-MM-dd") from None


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a Beijing day, in UTC."""
    start = datetime(day.year, day.month, day.day, tzinfo=BEIJING)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def _reconcile_entry(entry: settlement_pb2.ReconcileEntry, position: int) -> reconciliation.Entry:
    table = "dzmx"
    if entry.kind not in _KIND_JSLX:
        raise bills.bad(table, position, "jslx", "须为 1(门诊) 或 2(住院)")
    if entry.business not in _BUSINESS:
        raise bills.bad(table, position, "ywlx", "须为 1(结算) 或 2(退费)")
    number = entry.number.strip()
    if not number:
        raise bills.bad(table, position, "bh", "必填")
    return reconciliation.Entry(
        _KIND_JSLX[entry.kind], number, _BUSINESS[entry.business],
        bills.decimal(entry.total, 2, table, position, "zfy", negative=True),
        bills.decimal(entry.compensation, 2, table, position, "bcje", negative=True),
        entry.settlement_number.strip())


def _difference_dict(difference: reconciliation.Difference) -> dict:
    return {"kind": difference.kind, "number": difference.number, "business": difference.business,
            "type": difference.type, "settlement_number": difference.settlement_number,
            "hospital_amount": None if difference.hospital_amount is None else money(difference.hospital_amount),
            "ncms_amount": None if difference.ncms_amount is None else money(difference.ncms_amount),
            "note": difference.note}


def _entry_message(entry: reconciliation.Entry) -> settlement_pb2.ReconcileEntry:
    return settlement_pb2.ReconcileEntry(
        kind=_JSLX_KINDS[entry.kind], number=entry.number, settlement_number=entry.settlement_number,
        business=int(entry.business), total=money(entry.total), compensation=money(entry.compensation))


def _reconciliation_message(record: Reconciliation) -> settlement_pb2.ReconciliationRecord:
    return settlement_pb2.ReconciliationRecord(
        hospital_code=record.hospital_code,
        date=date_pb2.Date(year=record.day.year, month=record.day.month, day=record.day.day),
        reconcile_time=timestamp(record.reconciled_at), requested_by=record.requested_by,
        hospital_count=record.hospital_count, ncms_count=record.ncms_count,
        hospital_total=money(record.hospital_total), ncms_total=money(record.ncms_total), agreed=record.agreed,
        differences=[settlement_pb2.ReconcileDifference(
            kind=_JSLX_KINDS[d["kind"]], number=d["number"], business=int(d["business"]), type=d["type"],
            hospital_amount=d["hospital_amount"] or "", ncms_amount=d["ncms_amount"] or "", note=d["note"],
            settlement_number=d["settlement_number"]) for d in json.loads(record.differences)])


def _required(value: str, table: str, column: str) -> str:
    text = value.strip()
    if not text:
        raise ContractError("E2001", f"表{table} 第1行 列{column}: 必填")
    return text
