"""The hospital side's handlers: the user operations exactly as the NCMS serves them
(its identity, here the hospital's own), and zysjcxjk from the in-patient adapter."""

from __future__ import annotations

from datetime import datetime

from legacy import datasets, tables, users
from legacy.calls import Call, Handler
from runtime.errors import ContractError

from .adapter import InpatientSource


def _local(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(tables.BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def inpatient_data(source: InpatientSource) -> Handler:
    def handle(call: Call) -> datasets.Result:
        number = call.text("zybh")
        if not number:
            raise ContractError("E2001", "zybh: 必填")
        patient = source.inpatient(number)
        if patient is None:
            raise ContractError("E4004", number)
        row = {"zybh": patient.number, "chzh": patient.card, "grbm": patient.member_id, "xm": patient.name,
               "ryrq": _local(patient.admitted_at), "ryks": patient.department, "ryzd": patient.diagnosis,
               "ryzdmc": patient.diagnosis_name, "zyzt": patient.status, "ljfy": patient.total}
        fees = [{"mxxh": f.line_number, "xmlb": f.item_type, "yyxmbm": f.item_code, "xmmc": f.item_name,
                 "gg": f.specification, "dw": f.unit, "dj": f.price, "sl": f.quantity, "je": f.amount,
                 "fyrq": _local(f.fee_time)} for f in patient.fees]
        return datasets.Result(((tables.ZYXX, [row]), (tables.ZYMX_RESULT, fees)))
    return handle


def handlers(source: InpatientSource) -> dict[str, Handler]:
    return {**users.HANDLERS, "zysjcxjk": inpatient_data(source)}
