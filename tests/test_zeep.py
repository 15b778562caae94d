"""zeep, a generic SOAP client, calls every published operation against the whole suite."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from tests.support.soap import ZeepHIS
from tests.support.world import CARD, MEMBER, SPOUSE, build, line, outpatient_call
from tests.test_settlement import admission, discharge


def _rows(answer, table):
    """The rows of ``table`` zeep read from a DataSet result: it compiles the inline
    schema, so values arrive typed (decimal columns as Decimal)."""
    body = answer["body"]
    result = body[next(iter(body))]
    assert result is not None, answer["header"]
    return [entry[table] for entry in result["_value_1"]["_value_1"] if table in entry]


def test_every_operation_from_zeep(identity):
    world = build(identity)
    his = ZeepHIS(world.url, world.key)
    call = his.call
    # user operations: success is an empty element, which zeep reads as None
    assert call("yhklxgjk", ykl="Passw0rd!x", xkl="N3w-pass!x") is None
    his.caller.password = "N3w-pass!x"
    assert call("Yhzjjk", xzyh="nurse01", xzyhkl="Nurse#2026x", yxfwip="127.0.0.1", fwqx="E") is None
    assert call("Yhscjk", scyh="nurse01") is None
    # catalogs
    assert call("ypmljk", ypml={"ypml": [[("yyxmbm", "Y1"), ("xmmc", "a"), ("dj", "1")]]}) is None
    assert call("zlmljk", zlml={"zlml": [[("yyxmbm", "Z1"), ("xmmc", "b"), ("dj", "2")]]}) is None
    # a household
    household = _rows(call("chryxxjk", chzh=CARD), "chryxx")
    assert [m["grbm"] for m in household][:2] == [MEMBER, SPOUSE]
    # an outpatient visit and its refund
    visit = outpatient_call("MZZ1", [line(1, "1", "YP0001", "阿莫西林胶囊", "12.50", "2", "25.00")])
    settled = _rows(call("mzjsjk", **visit), "mzjsjg")[0]
    assert settled["bcje"] == Decimal("12.50") and settled["jsbh"].startswith("MZ")
    assert call("mzjstfjk", mzbh="MZZ1") is None
    # an inpatient stay: admission, settlement, its result, its refund
    assert call("zydjjk", **admission("ZYZ1")) is None
    assert call("zyjsjk", **discharge("ZYZ1")) is None
    stay = _rows(call("zyjsjgcx", zybh="ZYZ1"), "zyjsjg")[0]
    assert stay["bcje"] == Decimal("1111.50") and stay["qfx"] == Decimal("0.00")
    assert call("zyjstfjk", zybh="ZYZ1") is None
    # reconciliation of today: the hospital lists nothing, the NCMS has the day's entries
    today = datetime.now(timezone(timedelta(hours=8))).date().isoformat()
    answer = call("dzjk", dzrq=today, dzsj={"dzmx": []})
    (totals,) = _rows(answer, "dzjg")
    assert totals["jg"] == "0" and totals["yybs"] == 0 and totals["nhbs"] == 4  # two settlements, two refunds
    assert sorted(d["cylx"] for d in _rows(answer, "dzcy")) == ["1", "1", "4", "4"]
    # and zysjcxjk belongs to the hospitals
    assert call("zysjcxjk", zybh="1")["header"]["ErrorInfo"]["code"] == "E1007"
