"""dzjk 对账: the comparison itself (plain data), and end to end through the gateway on
both backends — a matching day, each difference type, read-only, refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from services.settlement import reconciliation as rc
from services.settlement.models import Settlement
from tests.support.suite import ADMIN_SECRET, new_user
from tests.support.world import build, line, outpatient_call
from tests.test_settlement import admission, discharge

BEIJING = timezone(timedelta(hours=8))
DAY = date(2026, 5, 12)
D = Decimal


def entry(number, business=rc.SETTLEMENT, total="100.00", compensation="50.00", jsbh="", kind=rc.OUTPATIENT):
    return rc.Entry(kind, number, business, D(total), D(compensation), jsbh)


# --- the comparison ----------------------------------------------------------------------

def test_a_day_both_sides_agree_on():
    ncms = [entry("MZ1", jsbh="J1"), entry("MZ2", jsbh="J2", compensation="20.00"),
            entry("MZ2", rc.REFUND, compensation="20.00", jsbh="J2"),
            entry("ZY1", total="3000.00", compensation="2400.00", jsbh="J3", kind=rc.INPATIENT)]
    # the hospital lists them in its own order, a refund with negative amounts, one without jsbh
    hospital = [entry("ZY1", total="3000.00", compensation="2400.00", kind=rc.INPATIENT),
                entry("MZ2", rc.REFUND, total="-100.00", compensation="-20.00", jsbh="J2"),
                entry("MZ1", jsbh="J1"), entry("MZ2", jsbh="J2", compensation="20.00")]
    outcome = rc.reconcile(DAY, hospital, ncms)
    assert outcome.agreed and outcome.differences == ()
    assert (outcome.hospital_count, outcome.ncms_count) == (4, 4)
    assert outcome.hospital_total == outcome.ncms_total == D("2450.00")  # 50 + 20 - 20 + 2400


def test_each_kind_of_difference():
    ncms = [entry("MZ1", jsbh="J1"),                                   # the hospital lacks it: 1
            entry("MZ3", jsbh="J3", compensation="30.00"),             # amounts differ: 3
            entry("MZ4", jsbh="J4"), entry("MZ4", rc.REFUND, jsbh="J4")]  # refund only here: 4
    hospital = [entry("MZ2"),                                          # the NCMS lacks it: 2
                entry("MZ3", jsbh="J3", compensation="35.00"),
                entry("MZ4", jsbh="J4"),
                entry("MZ5", rc.REFUND, jsbh="J5")]                    # refund only there: 4
    outcome = rc.reconcile(DAY, hospital, ncms, {("J5", rc.REFUND): date(2026, 5, 13)})
    found = {(d.number, d.business): d for d in outcome.differences}
    assert {key: d.type for key, d in found.items()} == {
        ("MZ1", rc.SETTLEMENT): rc.ONLY_NCMS, ("MZ2", rc.SETTLEMENT): rc.ONLY_HOSPITAL,
        ("MZ3", rc.SETTLEMENT): rc.AMOUNTS_DIFFER, ("MZ4", rc.REFUND): rc.REFUND_MISMATCH,
        ("MZ5", rc.REFUND): rc.REFUND_MISMATCH}
    three = found[("MZ3", rc.SETTLEMENT)]
    assert (three.hospital_amount, three.ncms_amount) == (D("35.00"), D("30.00")) and "补偿金额" in three.note
    assert found[("MZ1", rc.SETTLEMENT)].hospital_amount is None
    assert found[("MZ2", rc.SETTLEMENT)].ncms_amount is None
    assert "2026-05-13" in found[("MZ5", rc.REFUND)].note  # where the NCMS has it
    assert not outcome.agreed
    assert (outcome.hospital_total, outcome.ncms_total) == (D("85.00"), D("80.00"))


def test_a_number_settled_refunded_and_settled_again_in_one_day():
    ncms = [entry("MZ1", jsbh="J1"), entry("MZ1", rc.REFUND, jsbh="J1"),
            entry("MZ1", jsbh="J2", compensation="45.00")]
    hospital = [entry("MZ1", compensation="45.00"), entry("MZ1"), entry("MZ1", rc.REFUND)]
    assert rc.reconcile(DAY, hospital, ncms).agreed  # matched by amounts where no jsbh came
    only_total = [entry("MZ1", jsbh="J1", total="99.00"), entry("MZ1", rc.REFUND, jsbh="J1"),
                  entry("MZ1", jsbh="J2", compensation="45.00")]
    (difference,) = rc.reconcile(DAY, only_total, ncms).differences
    assert difference.type == rc.AMOUNTS_DIFFER and "总费用" in difference.note


# --- through the gateway ------------------------------------------------------------------

AMOXICILLIN = line(1, "1", "YP0001", "阿莫西林胶囊", "12.5000", "2", "25.00")
INJECTION = line(2, "2", "ZL0001", "静脉注射", "10.00", "1", "10.00")


def today() -> str:
    return datetime.now(BEIJING).date().isoformat()


def dzmx(rows) -> dict:
    return {"dzmx": [[("jslx", r[0]), ("bh", r[1]), ("jsbh", r[2] or None), ("ywlx", r[3]), ("zfy", r[4]),
                      ("bcje", r[5])] for r in rows]}


def settlements(world) -> list[tuple]:
    engine = sa.create_engine(world.suite.urls["settlement"])
    with engine.connect() as connection:
        found = connection.execute(sa.select(
            Settlement.settlement_number, Settlement.compensation, Settlement.refunded_at).order_by(
            Settlement.id)).all()
    engine.dispose()
    return [tuple(row) for row in found]


@pytest.fixture
def day(identity):
    """A hospital's day: two visits (one refunded) and a stay."""
    world = build(identity)
    his = world.his()
    numbers = {}
    for number, lines in (("MZ1", [AMOXICILLIN]), ("MZ2", [AMOXICILLIN, INJECTION])):
        numbers[number] = his.call("mzjsjk", **outpatient_call(number, lines)).rows("mzjsjg")[0]
    assert his.call("mzjstfjk", mzbh="MZ2").text() == ""
    assert his.call("zydjjk", **admission()).text() == ""
    assert his.call("zyjsjk", **discharge()).text() == ""
    numbers["ZY001"] = his.call("zyjsjgcx", zybh="ZY001").rows("zyjsjg")[0]
    return world, his, numbers


def test_dzjk_a_matching_day(day):
    world, his, settled = day
    mz1, mz2, zy = settled["MZ1"], settled["MZ2"], settled["ZY001"]
    rows = [("1", "MZ1", mz1["jsbh"], "1", mz1["zfy"], mz1["bcje"]),
            ("1", "MZ2", mz2["jsbh"], "1", mz2["zfy"], mz2["bcje"]),
            ("1", "MZ2", mz2["jsbh"], "2", f"-{mz2['zfy']}", f"-{mz2['bcje']}"),
            ("2", "ZY001", "", "1", zy["zfy"], zy["bcje"])]
    answer = his.call("dzjk", dzrq=today(), dzsj=dzmx(rows))
    (result,) = answer.rows("dzjg")
    expected = Decimal(mz1["bcje"]) + Decimal(zy["bcje"])
    assert result == {"dzrq": today(), "yybs": "4", "nhbs": "4", "yybcje": str(expected),
                      "nhbcje": str(expected), "jg": "1"}
    assert answer.rows("dzcy") == []


def test_dzjk_every_difference_and_nothing_changes(day):
    world, his, settled = day
    mz1, mz2, zy = settled["MZ1"], settled["MZ2"], settled["ZY001"]
    before = settlements(world)
    wrong = str(Decimal(zy["bcje"]) - Decimal("1.00"))
    rows = [("1", "MZ9", "", "1", "35.00", "17.50"),                        # 2: the NCMS has no MZ9
            ("1", "MZ2", mz2["jsbh"], "1", mz2["zfy"], mz2["bcje"]),          # ... and no refund of MZ2: 4
            ("1", "MZ1", mz1["jsbh"], "2", mz1["zfy"], mz1["bcje"]),          # a refund the NCMS lacks: 4
            ("2", "ZY001", zy["jsbh"], "1", zy["zfy"], wrong)]                # 3; and MZ1's settlement: 1
    answer = his.call("dzjk", dzrq=today(), dzsj=dzmx(rows))
    (result,) = answer.rows("dzjg")
    assert (result["jg"], result["yybs"], result["nhbs"]) == ("0", "4", "4")
    differences = {(d["jslx"], d["bh"], d["ywlx"]): d for d in answer.rows("dzcy")}
    assert {key: d["cylx"] for key, d in differences.items()} == {
        ("1", "MZ1", "1"): "1", ("1", "MZ9", "1"): "2", ("2", "ZY001", "1"): "3",
        ("1", "MZ2", "2"): "4", ("1", "MZ1", "2"): "4"}
    three = differences[("2", "ZY001", "1")]
    assert (three["yyje"], three["nhje"]) == (wrong, zy["bcje"])
    assert "yyje" not in differences[("1", "MZ1", "1")] and differences[("1", "MZ1", "1")]["nhje"] == mz1["bcje"]
    assert settlements(world) == before  # reconciliation never changes a settlement

    # the centre's view of the day: the NCMS side and this hospital's latest results
    env = {**os.environ, "NCMS_SETTLEMENT_ADDRESS": world.suite.address("settlement"),
           "NCMS_IDENTITY_ADDRESS": world.suite.address("identity"), "NCMS_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
           "NCMS_DATA_DIR": str(world.suite.data_dir)}
    command = [sys.executable, "-c", "from cli.main import main; main()", "reconcile", "--hospital",
               "450200001", "--date", today()]
    shown = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "门诊 结算" in shown.stdout and "不一致" in shown.stdout and "MZ9" in shown.stdout
    data = json.loads(subprocess.run([*command, "--json"], capture_output=True, text=True, env=env,
                                     timeout=60).stdout)
    counts = {(line["kind"], line["business"]): line["count"] for line in data["lines"]}
    assert counts == {("SETTLEMENT_KIND_OUTPATIENT", "BUSINESS_TYPE_SETTLEMENT"): 2,
                      ("SETTLEMENT_KIND_OUTPATIENT", "BUSINESS_TYPE_REFUND"): 1,
                      ("SETTLEMENT_KIND_INPATIENT", "BUSINESS_TYPE_SETTLEMENT"): 1}
    assert data["reconciliations"][0]["agreed"] is False and len(data["reconciliations"][0]["differences"]) == 5


def test_dzjk_names_the_day_an_entry_belongs_to(day):
    world, his, settled = day
    mz1 = settled["MZ1"]
    yesterday = datetime.now(BEIJING) - timedelta(days=1)
    engine = sa.create_engine(world.suite.urls["settlement"])
    with engine.begin() as connection:  # as if MZ1 had been settled yesterday
        connection.execute(sa.update(Settlement).where(Settlement.settlement_number == mz1["jsbh"]).values(
            settled_at=yesterday))
    engine.dispose()
    answer = his.call("dzjk", dzrq=today(), dzsj=dzmx([("1", "MZ1", mz1["jsbh"], "1", mz1["zfy"], mz1["bcje"])]))
    differences = {(d["bh"], d["ywlx"]): d for d in answer.rows("dzcy")}
    assert differences[("MZ1", "1")]["cylx"] == "2"
    assert yesterday.date().isoformat() in differences[("MZ1", "1")]["sm"]
    # an empty day list is allowed: everything the NCMS has is type 1 or 4
    empty = his.call("dzjk", dzrq=today(), dzsj={"dzmx": []})
    assert empty.rows("dzjg")[0]["yybs"] == "0" and {d["cylx"] for d in empty.rows("dzcy")} == {"1", "4"}


def test_dzjk_refusals(day):
    world, his, _ = day
    assert his.call("dzjk", dzrq="2026-13-01", dzsj={"dzmx": []}).error_info()[0] == "E2001"
    bad = his.call("dzjk", dzrq=today(), dzsj=dzmx([("3", "MZ1", "", "1", "1.00", "1.00")]))
    assert bad.error_info()[0] == "E2001" and "jslx" in bad.error_info()[1]
    new_user(world.suite.admin, "450200001", "desk", "Front#2026pw", permissions="E")
    desk = world.his(user="desk", password="Front#2026pw")
    assert desk.call("dzjk", dzrq=today(), dzsj={"dzmx": []}).error_info()[0] == "E1004"
    new_user(world.suite.admin, "450200001", "ward", "Nurse#2026pw", permissions="I")
    ward = world.his(user="ward", password="Nurse#2026pw")
    assert ward.call("dzjk", dzrq=today(), dzsj={"dzmx": []}).rows("dzjg")[0]["jg"] in ("0", "1")
