"""mzjsjk, mzjstfjk, zydjjk, zyjsjk, zyjstfjk, zyjsjgcx, dzjk: settlements, admissions
and their reconciliation, served by settlement.

The legacy codes stop here: 项目类别 1/2, 结算类型 1/2, 业务类型 1/2 and 收费等级 甲/乙/丙
become (and come back from) the API's enums; amounts travel as the text the hospital
wrote (checked by the DataSet's column types) and come back as the service wrote them.
"""

from __future__ import annotations

from google.protobuf import timestamp_pb2
from google.type import date_pb2

from legacy import datasets, tables
from legacy.calls import Call, LegacyFields, LegacyTable
from ncms.settlement.v1 import settlement_pb2
from runtime.clock import BEIJING
from runtime.errors import ContractError
from runtime.timestamps import timestamp

ITEM_KINDS = {"1": settlement_pb2.ITEM_KIND_DRUG, "2": settlement_pb2.ITEM_KIND_SERVICE}  # xmlb
CHARGE_CLASSES = {settlement_pb2.CHARGE_CLASS_A: "甲", settlement_pb2.CHARGE_CLASS_B: "乙",
                  settlement_pb2.CHARGE_CLASS_C: "丙"}  # sfdj
KINDS = {"1": settlement_pb2.SETTLEMENT_KIND_OUTPATIENT, "2": settlement_pb2.SETTLEMENT_KIND_INPATIENT}  # jslx
JSLX = {number: code for code, number in KINDS.items()}
BUSINESSES = {"1": settlement_pb2.BUSINESS_TYPE_SETTLEMENT, "2": settlement_pb2.BUSINESS_TYPE_REFUND}  # ywlx
YWLX = {number: code for code, number in BUSINESSES.items()}

_LINE_COLUMNS = {"line_number": "mxxh", "item_kind": "xmlb", "item_code": "yyxmbm", "item_name": "xmmc",
                 "specification": "gg", "unit": "dw", "price": "dj", "quantity": "sl", "amount": "je",
                 "fee_time": "fyrq"}
OUTPATIENT_FIELDS = LegacyFields(tables={
    "visit": LegacyTable("jszjl", "mzzb", {
        "number": "mzbh", "card": "chzh", "member_id": "grbm", "name": "xm", "visit_time": "jzrq",
        "department": "ksmc", "doctor": "ysxm", "diagnosis": "zdbm", "diagnosis_name": "zdmc", "total": "zfy"}),
    "lines": LegacyTable("jsmxjl", "mzmx", _LINE_COLUMNS)})
INPATIENT_FIELDS = LegacyFields(tables={
    "stay": LegacyTable("jszjl", "zyzb", {
        "number": "zybh", "card": "chzh", "member_id": "grbm", "name": "xm", "admit_time": "ryrq",
        "discharge_time": "cyrq", "diagnosis": "cyzd", "diagnosis_name": "cyzdmc", "total": "zfy"}),
    "lines": LegacyTable("jsmxjl", "zymx", _LINE_COLUMNS)})
ADMISSION_FIELDS = LegacyFields(tables={
    "admission": LegacyTable("rydj", "rydj", {
        "number": "zybh", "card": "chzh", "member_id": "grbm", "name": "xm", "admit_time": "ryrq",
        "department": "ryks", "diagnosis": "ryzd", "diagnosis_name": "ryzdmc", "doctor": "zzys",
        "referral": "zzbz", "referral_number": "zzdh"})})
RECONCILE_FIELDS = LegacyFields(strings={"date": "dzrq"}, tables={
    "entries": LegacyTable("dzsj", "dzmx", {"kind": "jslx", "number": "bh", "settlement_number": "jsbh",
                                            "business": "ywlx", "total": "zfy", "compensation": "bcje"})})


def local_time(stamp: timestamp_pb2.Timestamp) -> str:
    """yyyy-MM-dd HH:mm:ss in Beijing time (a string, so no client shifts its zone)."""
    return stamp.ToDatetime(tzinfo=BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def _text(value: str | None) -> str:
    return value or ""


def bill_lines(rows: list[dict]) -> list[settlement_pb2.BillLine]:
    return [settlement_pb2.BillLine(
        line_number=row["mxxh"], item_kind=ITEM_KINDS[row["xmlb"]], item_code=row["yyxmbm"],
        item_name=row["xmmc"], specification=_text(row.get("gg")), unit=_text(row.get("dw")), price=row["dj"],
        quantity=row["sl"], amount=row["je"], fee_time=timestamp(row.get("fyrq")))
        for row in rows]


def result_tables(result: settlement_pb2.SettlementResult, main: tables.ResultTable,
                  detail: tables.ResultTable, number_column: str, total_column: str) -> datasets.Result:
    row = {number_column: result.number, "jsbh": result.settlement_number, "zfy": result.total,
           "zfje": result.self_pay, "flzf": result.class_self_pay, "kbfy": result.eligible,
           "bcje": result.compensation, "grzf": result.personal, total_column: result.year_total,
           "jssj": local_time(result.settle_time), "bz": result.explanation, "qfx": result.deductible}
    lines = [{"mxxh": line.line_number, "yyxmbm": line.item_code, "nhbm": line.ncms_code,
              "sfdj": CHARGE_CLASSES[line.charge_class], "je": line.amount, "zfje": line.self_pay,
              "flzf": line.class_self_pay, "kbfy": line.eligible} for line in result.lines]
    return datasets.Result(((main, [row]), (detail, lines)))


def outpatient(call: Call) -> datasets.Result:
    main = call.rows("jszjl")[0]
    request = settlement_pb2.SettleOutpatientRequest(
        visit=settlement_pb2.OutpatientVisit(
            number=main["mzbh"], card=main["chzh"], member_id=main["grbm"], name=main["xm"],
            visit_time=timestamp(main["jzrq"]), department=_text(main.get("ksmc")),
            doctor=_text(main.get("ysxm")), diagnosis=main["zdbm"], diagnosis_name=_text(main.get("zdmc")),
            total=main["zfy"]),
        lines=bill_lines(call.rows("jsmxjl")))
    result = call.service(call.backends.settlement.SettleOutpatient, request, OUTPATIENT_FIELDS).result
    return result_tables(result, tables.MZJSJG, tables.MZJSMX, "mzbh", "mzbclj")


def outpatient_refund(call: Call) -> str:
    call.service(call.backends.settlement.RefundOutpatient,
                 settlement_pb2.RefundOutpatientRequest(number=call.text("mzbh")),
                 LegacyFields(strings={"number": "mzbh"}))
    return ""


def admission(call: Call) -> str:
    row = call.rows("rydj")[0]
    call.service(call.backends.admissions.RegisterAdmission, settlement_pb2.RegisterAdmissionRequest(
        admission=settlement_pb2.Admission(
            number=row["zybh"], card=row["chzh"], member_id=row["grbm"], name=row["xm"],
            admit_time=timestamp(row["ryrq"]), department=_text(row.get("ryks")), diagnosis=row["ryzd"],
            diagnosis_name=_text(row.get("ryzdmc")), doctor=_text(row.get("zzys")),
            referral=row.get("zzbz") == "1", referral_number=_text(row.get("zzdh")))), ADMISSION_FIELDS)
    return ""


def inpatient(call: Call) -> str:
    main = call.rows("jszjl")[0]
    call.service(call.backends.settlement.SettleInpatient, settlement_pb2.SettleInpatientRequest(
        stay=settlement_pb2.InpatientStay(
            number=main["zybh"], card=main["chzh"], member_id=main["grbm"], name=main["xm"],
            admit_time=timestamp(main["ryrq"]), discharge_time=timestamp(main["cyrq"]),
            diagnosis=main["cyzd"], diagnosis_name=_text(main.get("cyzdmc")), total=main["zfy"]),
        lines=bill_lines(call.rows("jsmxjl"))), INPATIENT_FIELDS)
    return ""


def inpatient_refund(call: Call) -> str:
    call.service(call.backends.settlement.RefundInpatient,
                 settlement_pb2.RefundInpatientRequest(number=call.text("zybh")),
                 LegacyFields(strings={"number": "zybh"}))
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
        kind=KINDS[row["jslx"]], number=row["bh"], settlement_number=_text(row.get("jsbh")),
        business=BUSINESSES[row["ywlx"]], total=row["zfy"], compensation=row["bcje"])
        for row in call.rows("dzsj")]
    record = call.service(call.backends.reconciliation.Reconcile, settlement_pb2.ReconcileRequest(
        date=date_pb2.Date(year=day.year, month=day.month, day=day.day), entries=entries),
        RECONCILE_FIELDS).reconciliation
    totals = {"dzrq": day.isoformat(), "yybs": record.hospital_count, "nhbs": record.ncms_count,
              "yybcje": record.hospital_total, "nhbcje": record.ncms_total, "jg": "1" if record.agreed else "0"}
    differences = [{"jslx": JSLX[d.kind], "bh": d.number, "ywlx": YWLX[d.business], "cylx": str(d.type),
                    "yyje": d.hospital_amount or None, "nhje": d.ncms_amount or None, "sm": d.note}
                   for d in record.differences]
    return datasets.Result(((tables.DZJG, [totals]), (tables.DZCY, differences)))


HANDLERS = {"dzjk": reconcile, "mzjsjk": outpatient, "mzjstfjk": outpatient_refund, "zydjjk": admission,
            "zyjsjk": inpatient, "zyjstfjk": inpatient_refund, "zyjsjgcx": inpatient_result}
