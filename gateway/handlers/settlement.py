"""mzjsjk, mzjstfjk, zydjjk, zyjsjk, zyjstfjk, zyjsjgcx, dzjk: settlements and their
reconciliation, served by settlement."""

from __future__ import annotations

from decimal import Decimal

from google.protobuf import timestamp_pb2
from google.type import date_pb2

from legacy import datasets, tables
from legacy.calls import Call
from ncms.settlement.v1 import settlement_pb2
from runtime.errors import ContractError
from runtime.timestamps import timestamp


def local_time(stamp: timestamp_pb2.Timestamp) -> str:
    """yyyy-MM-dd HH:mm:ss in Beijing time (a string, so no client shifts its zone)."""
    return stamp.ToDatetime(tzinfo=tables.BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def bill_lines(rows: list[dict]) -> list[settlement_pb2.BillLine]:
    return [settlement_pb2.BillLine(
        line_number=row["mxxh"], item_type=row["xmlb"], item_code=row["yyxmbm"], item_name=row["xmmc"],
        specification=_text(row.get("gg")), unit=_text(row.get("dw")), price=_text(row["dj"]),
        quantity=_text(row["sl"]), amount=_text(row["je"]), fee_time=timestamp(row.get("fyrq")))
        for row in rows]


def _money(text: str) -> Decimal:
    return Decimal(text or "0")


def result_tables(result: settlement_pb2.SettlementResult, main: tables.ResultTable,
                  detail: tables.ResultTable, number_column: str, total_column: str) -> datasets.Result:
    row = {number_column: result.number, "jsbh": result.settlement_number, "zfy": _money(result.total),
           "zfje": _money(result.self_pay), "flzf": _money(result.class_self_pay),
           "kbfy": _money(result.eligible), "bcje": _money(result.compensation),
           "grzf": _money(result.personal), total_column: _money(result.year_total),
           "jssj": local_time(result.settle_time), "bz": result.explanation,
           "qfx": _money(result.deductible)}
    lines = [{"mxxh": line.line_number, "yyxmbm": line.item_code, "nhbm": line.ncms_code,
              "sfdj": line.charge_class, "je": _money(line.amount), "zfje": _money(line.self_pay),
              "flzf": _money(line.class_self_pay), "kbfy": _money(line.eligible)} for line in result.lines]
    return datasets.Result(((main, [row]), (detail, lines)))


def outpatient(call: Call) -> datasets.Result:
    main = call.rows("jszjl")[0]
    request = settlement_pb2.SettleOutpatientRequest(
        visit=settlement_pb2.OutpatientVisit(
            number=main["mzbh"], card=main["chzh"], member_id=main["grbm"], name=main["xm"],
            visit_time=timestamp(main["jzrq"]), department=_text(main.get("ksmc")),
            doctor=_text(main.get("ysxm")), diagnosis=main["zdbm"], diagnosis_name=_text(main.get("zdmc")),
            total=_text(main["zfy"])),
        lines=bill_lines(call.rows("jsmxjl")))
    result = call.service(call.backends.settlement.SettleOutpatient, request).result
    return result_tables(result, tables.MZJSJG, tables.MZJSMX, "mzbh", "mzbclj")


def outpatient_refund(call: Call) -> str:
    call.service(call.backends.settlement.RefundOutpatient,
                 settlement_pb2.RefundOutpatientRequest(number=call.text("mzbh")))
    return ""


def admission(call: Call) -> str:
    row = call.rows("rydj")[0]
    call.service(call.backends.settlement.RegisterAdmission, settlement_pb2.RegisterAdmissionRequest(
        admission=settlement_pb2.Admission(
            number=row["zybh"], card=row["chzh"], member_id=row["grbm"], name=row["xm"],
            admit_time=timestamp(row["ryrq"]), department=_text(row.get("ryks")), diagnosis=row["ryzd"],
            diagnosis_name=_text(row.get("ryzdmc")), doctor=_text(row.get("zzys")),
            referral=row.get("zzbz") == "1", referral_number=_text(row.get("zzdh")))))
    return ""


def inpatient(call: Call) -> str:
    main = call.rows("jszjl")[0]
    call.service(call.backends.settlement.SettleInpatient, settlement_pb2.SettleInpatientRequest(
        stay=settlement_pb2.InpatientStay(
            number=main["zybh"], card=main["chzh"], member_id=main["grbm"], name=main["xm"],
            admit_time=timestamp(main["ryrq"]), discharge_time=timestamp(main["cyrq"]),
            diagnosis=main["cyzd"], diagnosis_name=_text(main.get("cyzdmc")), total=_text(main["zfy"])),
        lines=bill_lines(call.rows("jsmxjl"))))
    return ""


def inpatient_refund(call: Call) -> str:
    call.service(call.backends.settlement.RefundInpatient,
                 settlement_pb2.RefundInpatientRequest(number=call.text("zybh")))
    return ""


def inpatient_result(call: Call) -> datasets.Result:
    """zyjsjgcx: the inpatient settlement in force for zybh."""
    number = call.text("zybh")
    if not number:
        raise ContractError("E2001", "zybh: 必填")
    found = call.service(call.backends.settlement.GetSettlement, settlement_pb2.GetSettlementRequest(
        kind=settlement_pb2.SETTLEMENT_KIND_INPATIENT, number=number)).settlement
    if found.HasField("refund_time"):
        raise ContractError("E4003", f"{number} (结算编号 {found.result.settlement_number})")
    return result_tables(found.result, tables.ZYJSJG, tables.ZYJSMX, "zybh", "zybclj")


_KINDS = {"1": settlement_pb2.SETTLEMENT_KIND_OUTPATIENT, "2": settlement_pb2.SETTLEMENT_KIND_INPATIENT}
_JSLX = {v: k for k, v in _KINDS.items()}


def reconcile(call: Call) -> datasets.Result:
    """dzjk: the hospital's day against the NCMS's; read-only for settlements."""
    text = call.text("dzrq")
    try:
        day = tables.DATE(text) if text else None
    except ValueError:
        day = None
    if day is None:
        raise ContractError("E2001", "dzrq: 须为日期 yyyy-MM-dd")
    entries = [settlement_pb2.ReconcileEntry(
        kind=_KINDS[row["jslx"]], number=row["bh"], settlement_number=_text(row.get("jsbh")),
        business=int(row["ywlx"]), total=_text(row["zfy"]), compensation=_text(row["bcje"]))
        for row in call.rows("dzsj")]
    record = call.service(call.backends.settlement.Reconcile, settlement_pb2.ReconcileRequest(
        date=date_pb2.Date(year=day.year, month=day.month, day=day.day), entries=entries)).reconciliation
    totals = {"dzrq": day.isoformat(), "yybs": record.hospital_count, "nhbs": record.ncms_count,
              "yybcje": _money(record.hospital_total), "nhbcje": _money(record.ncms_total),
              "jg": "1" if record.agreed else "0"}
    differences = [{"jslx": _JSLX[d.kind], "bh": d.number, "ywlx": str(d.business), "cylx": str(d.type),
                    "yyje": _money(d.hospital_amount) if d.hospital_amount else None,
                    "nhje": _money(d.ncms_amount) if d.ncms_amount else None, "sm": d.note}
                   for d in record.differences]
    return datasets.Result(((tables.DZJG, [totals]), (tables.DZCY, differences)))


HANDLERS = {"dzjk": reconcile, "mzjsjk": outpatient, "mzjstfjk": outpatient_refund, "zydjjk": admission, "zyjsjk": inpatient,
            "zyjstfjk": inpatient_refund, "zyjsjgcx": inpatient_result}
