"""What settlement's servicers share: the caller's hospital and letter, the enum maps
between the API and the domain, and the messages a settlement is answered with."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from google.protobuf import timestamp_pb2

from ncms.settlement.v1 import settlement_pb2
from runtime.auth import Principal, current_principal
from runtime.errors import ContractError
from runtime.timestamps import timestamp

from .. import calculation
from ..bills import DRUG, SERVICE, BillLine, bad
from ..calculation import money
from ..models import INPATIENT, OUTPATIENT
from ..policy import Policy
from ..repository import SettlementRecord
from ..upstream import Resolved

KIND_ENUMS = {OUTPATIENT: settlement_pb2.SETTLEMENT_KIND_OUTPATIENT,
              INPATIENT: settlement_pb2.SETTLEMENT_KIND_INPATIENT}
KINDS = {number: kind for kind, number in KIND_ENUMS.items()}
ITEM_KINDS = {settlement_pb2.ITEM_KIND_DRUG: DRUG, settlement_pb2.ITEM_KIND_SERVICE: SERVICE}
ITEM_KIND_ENUMS = {kind: number for number, kind in ITEM_KINDS.items()}
CHARGE_CLASS_ENUMS = {calculation.CLASS_A: settlement_pb2.CHARGE_CLASS_A,
                      calculation.CLASS_B: settlement_pb2.CHARGE_CLASS_B,
                      calculation.CLASS_C: settlement_pb2.CHARGE_CLASS_C}
CATEGORY_ENUMS = {calculation.ORDINARY: settlement_pb2.MEMBER_CATEGORY_ORDINARY,
                  calculation.FIVE_GUARANTEES: settlement_pb2.MEMBER_CATEGORY_FIVE_GUARANTEES,
                  calculation.SUBSISTENCE: settlement_pb2.MEMBER_CATEGORY_SUBSISTENCE,
                  calculation.ENTITLED: settlement_pb2.MEMBER_CATEGORY_ENTITLED}


def caller(letter: str, hospital_code: str, hospital_level) -> tuple[Principal, str, int]:
    """The principal, the hospital it acts on, that hospital's level; E1004 without
    ``letter``. ``hospital_level(code)`` is asked only for callers not bound to a hospital."""
    principal = current_principal()
    hospital = principal.hospital_for(hospital_code.strip())
    principal.require_letter(letter)
    level = principal.hospital_level if principal.hospital_code else hospital_level(hospital)
    return principal, hospital, level


def actor(principal: Principal) -> str:
    """Who did it, as the records keep it."""
    return f"hospital:{principal.user}" if principal.user else principal.subject


def moment(stamp: timestamp_pb2.Timestamp, field: str, *, required: bool = True) -> datetime | None:
    """A request's time; E2001 naming ``field`` when a required one is missing."""
    if not stamp.seconds and not stamp.nanos:
        if required:
            raise bad(field, "必填")
        return None
    return stamp.ToDatetime(tzinfo=UTC)


def text(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def result_message(kind: str, number: str, lines: list[BillLine], result: calculation.Result,
                   resolved: list[Resolved], policy: Policy, settlement_number: str = "",
                   settled_at: datetime | None = None) -> settlement_pb2.SettlementResult:
    """A settlement as computed (a preview, 试算, has no settlement number)."""
    return settlement_pb2.SettlementResult(
        settlement_number=settlement_number, kind=KIND_ENUMS[kind], number=number, total=money(result.total),
        self_pay=money(result.self_pay), class_self_pay=money(result.class_self_pay),
        eligible=money(result.eligible), deductible=money(result.deductible),
        compensation=money(result.compensation), personal=money(result.personal),
        year_total=money(result.year_total_after), settle_time=timestamp(settled_at or datetime.now(UTC)),
        explanation=result.explanation, policy_year=policy.year or 0, policy_digest=policy.digest,
        lines=[settlement_pb2.LineResult(
            line_number=split.number, item_code=line.item_code, item_name=line.item_name,
            ncms_code=item.ncms_code if item.mapped else "", charge_class=CHARGE_CLASS_ENUMS[split.charge_class],
            amount=money(split.amount), self_pay=money(split.self_pay), class_self_pay=money(split.class_self_pay),
            eligible=money(split.eligible), self_pay_ratio=text(split.self_pay_ratio),
            price_limit=text(item.price_limit), over_limit=money(split.over_limit), price=text(line.price),
            quantity=text(line.quantity))
            for line, item, split in zip(lines, resolved, result.lines, strict=True)])


def record_message(record: SettlementRecord, *, replayed: bool) -> settlement_pb2.SettlementResult:
    """A settlement as recorded."""
    settlement, policy = record.settlement, record.policy
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
            ncms_code=line.ncms_code, charge_class=CHARGE_CLASS_ENUMS[line.charge_class],
            amount=money(line.amount), self_pay=money(line.self_pay), class_self_pay=money(line.class_self_pay),
            eligible=money(line.eligible), self_pay_ratio=text(line.self_pay_ratio),
            price_limit=text(line.price_limit), over_limit=money(line.over_limit), price=text(line.price),
            quantity=text(line.quantity))
            for line in record.lines])


def full_record(record: SettlementRecord) -> settlement_pb2.SettlementRecord:
    settlement = record.settlement
    return settlement_pb2.SettlementRecord(
        result=record_message(record, replayed=False), hospital_code=settlement.hospital_code,
        hospital_level=settlement.hospital_level, card=settlement.card, member_id=settlement.member_id,
        name=settlement.name, year=settlement.year, category=CATEGORY_ENUMS[settlement.category],
        visit_time=timestamp(settlement.visit_at), discharge_time=timestamp(settlement.discharged_at),
        diagnosis=settlement.diagnosis, referral=settlement.referral,
        year_total_before=money(settlement.year_total_before), refund_time=timestamp(settlement.refunded_at),
        settled_by=settlement.settled_by, refunded_by=settlement.refunded_by, policy_content=record.policy.content)


def required(value: str, field: str) -> str:
    found = value.strip()
    if not found:
        raise ContractError("E2001", f"{field}: 必填")
    return found


def summary_message(row) -> settlement_pb2.SettlementSummary:
    """A settlement in a list (the console's search)."""
    return settlement_pb2.SettlementSummary(
        settlement_number=row.settlement_number, kind=KIND_ENUMS[row.kind], hospital_code=row.hospital_code,
        number=row.number, card=row.card, member_id=row.member_id, name=row.name, total=money(row.total),
        compensation=money(row.compensation), settle_time=timestamp(row.settled_at),
        refund_time=timestamp(row.refunded_at), year=row.year, category=CATEGORY_ENUMS[row.category])
