"""chryxxjk: a household with this year's status, from enrollment, and the
compensation its members received this year, from settlement (the owner of
settlements). The gateway composes the two, so that each fact has one owner."""

from __future__ import annotations

from legacy import datasets, tables
from legacy.calls import Call
from ncms.enrollment.v1 import enrollment_pb2
from ncms.settlement.v1 import settlement_pb2
from runtime.clock import beijing_year
from runtime.errors import ContractError

STATUS = {enrollment_pb2.ENROLLMENT_STATUS_ACTIVE: "1", enrollment_pb2.ENROLLMENT_STATUS_STOPPED: "0",
          enrollment_pb2.ENROLLMENT_STATUS_NONE: "0"}
CATEGORY = {enrollment_pb2.CATEGORY_ORDINARY: "1", enrollment_pb2.CATEGORY_FIVE_GUARANTEES: "2",
            enrollment_pb2.CATEGORY_SUBSISTENCE: "3", enrollment_pb2.CATEGORY_ENTITLED: "4"}


def household(call: Call) -> datasets.Result:
    card = call.text("chzh")
    if not card:
        raise ContractError("E3001", "chzh 为空")
    year = beijing_year()
    found = call.service(call.backends.enrollment.GetHousehold,
                         enrollment_pb2.GetHouseholdRequest(card=card, year=year))
    ids = [m.member.member_id for m in found.members]
    totals = {t.member_id: t for t in call.service(
        call.backends.settlement.GetYearTotals,
        settlement_pb2.GetYearTotalsRequest(member_ids=ids, year=year)).totals}
    rows = []
    for entry in found.members:
        member, enrollment = entry.member, entry.enrollment
        total = totals.get(member.member_id)
        rows.append({
            "chzh": found.household.card, "grbm": member.member_id, "xm": member.name, "xb": member.sex,
            "csrq": member.birth_date, "sfzh": member.id_number, "yhzgx": member.relation,
            "hzxm": found.household.head_name, "jtdz": found.household.address,
            "xzqh": found.household.region_code, "cbnd": str(year), "cbzt": STATUS[enrollment.status],
            "rylb": CATEGORY.get(enrollment.category, ""),
            "mzbclj": total.outpatient if total else "0.00",
            "zybclj": total.inpatient if total else "0.00"})
    return datasets.Result(((tables.CHRYXX, rows),))


HANDLERS = {"chryxxjk": household}
