"""QueryInpatient: the NCMS asks a hospital's own service for an in-patient (zysjcxjk).

The endpoint, and the hospital user and password the NCMS calls as, come from
identity (which audits who asked); so does the digest, made with the hospital's key
inside identity, which never hands the key out. The call has a deadline. What the
hospital answers is checked before it is passed on: a hospital is outside the
NCMS's control, and its answer is data, not code.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from legacy import client, message_header, tables
from ncms.settlement.v1 import settlement_pb2
from runtime.errors import DomainError, Status
from runtime.timestamps import timestamp

from .upstream import Upstream

OPERATION = "zysjcxjk"
STATUSES = {"1": settlement_pb2.INPATIENT_STATUS_IN_HOSPITAL, "2": settlement_pb2.INPATIENT_STATUS_DISCHARGED}
ITEM_KINDS = {"1": settlement_pb2.ITEM_KIND_DRUG, "2": settlement_pb2.ITEM_KIND_SERVICE}  # xmlb


def unreachable(hospital: str, endpoint: str, reason: str) -> DomainError:
    return DomainError(Status.UNAVAILABLE, "HOSPITAL_UNREACHABLE",
                       f"hospital {hospital} at {endpoint} did not answer: {reason}",
                       metadata={"hospital": hospital})


def bad_answer(hospital: str, reason: str) -> DomainError:
    return DomainError(Status.UNAVAILABLE, "HOSPITAL_BAD_ANSWER",
                       f"hospital {hospital} answered zysjcxjk with unusable data: {reason}",
                       metadata={"hospital": hospital})


def refused(hospital: str, refusal: str) -> DomainError:
    code = refusal.split(":", 1)[0] if refusal[:1] == "E" else ""
    return DomainError(Status.FAILED_PRECONDITION, "HOSPITAL_REFUSED",
                       f"hospital {hospital} refused zysjcxjk: {refusal}",
                       metadata={"hospital": hospital, "hospital_error": code})


def query(upstream: Upstream, hospital: str, number: str, timeout: float) -> settlement_pb2.QueryInpatientResponse:
    endpoint = upstream.hospital_endpoint(hospital)
    params = {"yh": endpoint.user, "kl": endpoint.password, "zybh": number}
    # The MessageHeader against replay, signed with the rest: a captured query cannot be
    # sent to the hospital again.
    header = message_header.new()
    params["xxzy"] = upstream.sign_digest(hospital, client.signed_message(OPERATION, params, header))
    try:
        reply = client.post(endpoint.endpoint, client.envelope(OPERATION, params, header=header), OPERATION,
                            timeout=timeout)
    except client.Unreachable as exc:
        raise unreachable(hospital, endpoint.endpoint, str(exc)) from None
    if reply.dataset() is None:
        raise refused(hospital, reply.refusal or "no DataSet and no reason")
    try:
        return to_message(reply.rows("zyxx"), reply.rows("zymx"))
    except (KeyError, ValueError, InvalidOperation) as exc:
        raise bad_answer(hospital, str(exc) or type(exc).__name__) from None


def _time(text: str | None):
    return timestamp(tables.parse_timestamp(text)) if text else None


def _amount(text: str | None) -> str:
    return format(Decimal(text), "f") if text else ""


def to_message(main_rows: list[dict], fee_rows: list[dict]) -> settlement_pb2.QueryInpatientResponse:
    """The hospital's zyxx (one row) and zymx tables as a QueryInpatientResponse."""
    if len(main_rows) != 1:
        raise ValueError(f"table zyxx has {len(main_rows)} rows, not 1")
    row = main_rows[0]
    if row.get("zyzt") not in STATUSES:
        raise ValueError(f"zyzt {row.get('zyzt')!r} is neither 1 nor 2")
    return settlement_pb2.QueryInpatientResponse(
        number=row["zybh"], card=row.get("chzh") or "", member_id=row.get("grbm") or "", name=row.get("xm") or "",
        admit_time=_time(row.get("ryrq")), department=row.get("ryks") or "", diagnosis=row.get("ryzd") or "",
        diagnosis_name=row.get("ryzdmc") or "", status=STATUSES[row["zyzt"]], total=_amount(row.get("ljfy")),
        fees=[settlement_pb2.BillLine(
            line_number=int(fee["mxxh"]), item_kind=ITEM_KINDS.get(fee.get("xmlb") or "", settlement_pb2.ITEM_KIND_UNSPECIFIED), item_code=fee.get("yyxmbm") or "",
            item_name=fee.get("xmmc") or "", specification=fee.get("gg") or "", unit=fee.get("dw") or "",
            price=_amount(fee.get("dj")), quantity=_amount(fee.get("sl")), amount=_amount(fee.get("je")),
            fee_time=_time(fee.get("fyrq"))) for fee in fee_rows])

