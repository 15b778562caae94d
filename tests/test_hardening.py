"""The SOAP edge under attack (issue 18): malformed values are E2001 naming table, row
and column, never E9001, and change nothing; XML safety is the parser's, whatever the
encoding; every body that is not SOAP gets a SOAP Fault; a refused string operation is
read as refused by the library's client; the gateway's readiness says whether it can
serve. Real servers throughout."""

from __future__ import annotations

import codecs

import pytest
import requests
import sqlalchemy as sa
from lxml import etree

from legacy.client import LegacyCaller, Reply
from services.settlement.models import Admission, Settlement
from tests.support.soap import Legacy, envelope
from tests.support.suite import new_hospital, new_user
from tests.support.world import CARD, MEMBER, YEAR, build, line, outpatient_call
from tests.test_settlement import admission, discharge


def settlement_rows(world) -> tuple[int, int]:
    """(settlements, admissions) recorded by settlement."""
    engine = sa.create_engine(world.suite.urls["settlement"])
    with engine.connect() as connection:
        counts = tuple(connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
                       for model in (Settlement, Admission))
    engine.dispose()
    return counts


def code_of(answer: Reply) -> str:
    """The contract code of an answer ("" for success)."""
    info = answer.error_info()
    if info is not None:
        return info[0]
    return (answer.text() or "")[:5]


# --- finding 5: every malformed value is E2001 naming table, row and column ----------------------

THIRTY = "1" * 30
GOOD_LINE = line(1, "1", "YP0001", "阿莫西林胶囊", "12.50", "2", "25.00")


def _visit_with(number: str, *, main: dict | None = None, cells: dict | None = None) -> dict:
    """A valid outpatient bill with some cells replaced."""
    call = outpatient_call(number, [GOOD_LINE])
    for table, row, changes in (("jszjl", "mzzb", main or {}), ("jsmxjl", "mzmx", cells or {})):
        values = dict(call[table][row][0])
        values.update(changes)
        call[table][row][0] = list(values.items())
    return call


OUTPATIENT_CASES = [
    # (main cells, line cells, the place the refusal names)
    ({"zfy": THIRTY}, {}, "jszjl 表mzzb 第1行 列zfy: 数值过大"),
    ({"zfy": THIRTY + ".00"}, {}, "jszjl 表mzzb 第1行 列zfy: 数值过大"),
    ({"zfy": "25." + "0" * 28 + "1"}, {}, "jszjl 表mzzb 第1行 列zfy: 最多2位小数"),
    ({}, {"dj": THIRTY}, "jsmxjl 表mzmx 第1行 列dj: 数值过大"),
    ({}, {"sl": "-" + THIRTY}, "jsmxjl 表mzmx 第1行 列sl: 数值过大"),
    ({}, {"je": THIRTY}, "jsmxjl 表mzmx 第1行 列je: 数值过大"),
    ({}, {"mxxh": THIRTY}, "jsmxjl 表mzmx 第1行 列mxxh: "),
    ({"jzrq": "0001-01-01T00:00:00+14:00"}, {}, "jszjl 表mzzb 第1行 列jzrq: "),
    ({"jzrq": "9999-12-31T23:59:59-14:00"}, {}, "jszjl 表mzzb 第1行 列jzrq: "),
    ({"jzrq": "0001-01-01"}, {}, "jszjl 表mzzb 第1行 列jzrq: "),
    ({"jzrq": "9999-12-31 23:59:59"}, {}, "jszjl 表mzzb 第1行 列jzrq: "),
    ({"jzrq": f"{YEAR}-02-30"}, {}, "jszjl 表mzzb 第1行 列jzrq: "),
    ({"jzrq": f"{YEAR}-06-01T09:30:00+24:00"}, {}, "jszjl 表mzzb 第1行 列jzrq: "),
    ({}, {"fyrq": "0001-01-01T00:00:00+14:00"}, "jsmxjl 表mzmx 第1行 列fyrq: "),
    # ASCII digits only: full-width and Arabic-Indic digits are not numbers here
    ({}, {"mxxh": "１"}, "jsmxjl 表mzmx 第1行 列mxxh: "),
    ({}, {"mxxh": "١١"}, "jsmxjl 表mzmx 第1行 列mxxh: "),
    ({"zfy": "２５.００"}, {}, "jszjl 表mzzb 第1行 列zfy: "),
    ({}, {"dj": "١٢.٥"}, "jsmxjl 表mzmx 第1行 列dj: "),
    ({"jzrq": f"{YEAR}-０６-01"}, {}, "jszjl 表mzzb 第1行 列jzrq: "),
    ({}, {"mxxh": "1\u0661"}, "jsmxjl 表mzmx 第1行 列mxxh: "),
]


def test_malformed_values_are_e2001_and_settle_nothing(identity):
    world = build(identity)
    his = world.his()
    before = settlement_rows(world)
    for index, (main, cells, place) in enumerate(OUTPATIENT_CASES):
        answer = his.call("mzjsjk", **_visit_with(f"MZBAD{index}", main=main, cells=cells))
        assert answer.status == 200 and answer.dataset() is None, (main, cells)
        code, message = answer.error_info()
        assert code == "E2001" and message.startswith(f"E2001:数据格式错误: {place}"), (main, cells, message)
    assert settlement_rows(world) == before
    # the same bill with ASCII digits settles: the refusals were about the values alone
    assert his.call("mzjsjk", **_visit_with("MZGOOD")).dataset() is not None


def test_malformed_values_of_the_other_operations(identity):
    world = build(identity)
    his = world.his()
    before = settlement_rows(world)
    cases = [
        ("zydjjk", {"rydj": {"rydj": [[(c, "0001-01-01T00:00:00+14:00" if c == "ryrq" else v)
                                       for c, v in admission("ZYBAD1")["rydj"]["rydj"][0]]]}},
         "rydj 表rydj 第1行 列ryrq: "),
        ("zyjsjk", {**discharge("ZYBAD2"), "jszjl": {"zyzb": [[(c, THIRTY if c == "zfy" else v)
                                                                for c, v in discharge("ZYBAD2")["jszjl"]["zyzb"][0]]]}},
         "jszjl 表zyzb 第1行 列zfy: 数值过大"),
        ("zyjsjk", {**discharge("ZYBAD3"), "jszjl": {"zyzb": [[(c, "9999-12-31T23:59:59-14:00" if c == "cyrq" else v)
                                                                for c, v in discharge("ZYBAD3")["jszjl"]["zyzb"][0]]]}},
         "jszjl 表zyzb 第1行 列cyrq: "),
        ("ypmljk", {"ypml": {"ypml": [[("yyxmbm", "YPBAD"), ("xmmc", "x"), ("dj", THIRTY)]]}},
         "ypml 表ypml 第1行 列dj: 数值过大"),
        ("zlmljk", {"zlml": {"zlml": [[("yyxmbm", "ZLBAD"), ("xmmc", "x"), ("dj", "１")]]}},
         "zlml 表zlml 第1行 列dj: "),
        ("dzjk", {"dzrq": "0001-01-01T00:00:00+14:00", "dzsj": {"dzmx": []}}, "dzrq: "),
        ("dzjk", {"dzrq": f"{YEAR}-06-01", "dzsj": {"dzmx": [[("jslx", "1"), ("bh", "MZ1"), ("ywlx", "1"),
                                                             ("zfy", THIRTY), ("bcje", "1.00")]]}},
         "dzsj 表dzmx 第1行 列zfy: 数值过大"),
    ]
    for operation, values, place in cases:
        answer = his.call(operation, **values)
        if answer.error_info() is not None:
            code, message = answer.error_info()
        else:
            message = answer.text()
            code = message[:5]
        assert code == "E2001" and message.startswith(f"E2001:数据格式错误: {place}"), (operation, message)
    assert settlement_rows(world) == before


def test_a_line_numbered_with_a_fullwidth_digit_is_not_settled(identity):
    world = build(identity)
    his = world.his()
    answer = his.call("mzjsjk", **outpatient_call("MZFW1", [line("１", "1", "YP0001", "阿莫西林胶囊", "12.50", "2",
                                                                   "25.00")]))
    assert answer.error_info()[0] == "E2001"
    assert settlement_rows(world) == (0, 0)


def test_value_parsers_on_their_own():
    from legacy import tables

    for text in ("１", "١١", "1" * 10, "+" + "1" * 10, "1.5", "", " 1", "1\n"):
        with pytest.raises(ValueError):
            tables.INT(text)
    assert tables.INT("123456789") == 123456789
    for parse in (tables.MONEY, tables.PRICE, tables.SIGNED_QUANTITY):
        for text in ("1" * 15, "1" * 30, "1" * 1000, "１", "١", "1e3", "NaN", "Infinity", "0x10", "1_000",
                     "1.", ".5", "--1", "1\n"):
            with pytest.raises(ValueError):
                parse(text)
        assert parse("1" * 14) == "1" * 14
    for text in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01", "1899-12-31 23:59:59",
                 "2200-01-01", "2026-02-29", "2026-06-01T09:30:00+24:00", "２０２６-06-01", "2026-06-01\n"):
        with pytest.raises(ValueError):
            tables.parse_timestamp(text)
    with pytest.raises(ValueError):
        tables.DATE("0001-01-01T00:00:00+14:00")
    assert tables.parse_timestamp("1900-01-01T00:00:00+14:00").year == 1900


# --- finding 9: a refused string operation is read as refused -------------------------------------

def test_reply_refusal_of_a_string_operation(identity):
    world = build(identity)
    caller = LegacyCaller(world.url, world.key, "450200001", "his01", "Passw0rd!x")
    refused = caller.call("mzjstfjk", mzbh="NO-SUCH-BILL")
    assert refused.text().startswith("E4002:")
    assert refused.refusal == refused.text()  # was "" before: `ncms demo` would have printed success
    settled = caller.call("mzjsjk", **outpatient_call("MZREF1", [GOOD_LINE]))
    assert settled.refusal == "" and settled.dataset() is not None
    assert caller.call("mzjstfjk", mzbh="MZREF1").refusal == ""
    assert caller.call("mzjstfjk", mzbh="MZREF1").refusal.startswith("E4003:")
    nil = caller.call("chryxxjk", chzh="99999999999999")
    assert nil.refusal.startswith("E3001:")
    fault = Legacy(world.url, world.key).post(b"not xml", "chryxxjk")
    assert fault.refusal.startswith("SOAP Fault ")


def test_reply_refusal_on_its_own():
    def reply(body: str) -> Reply:
        return Reply(200, etree.fromstring(
            '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>' + body
            + "</s:Body></s:Envelope>"))

    ns = 'xmlns="urn:ncms:his:v1"'
    assert reply(f"<mzjstfjkResponse {ns}><mzjstfjkResult>E4002:结算记录不存在</mzjstfjkResult>"
                 "</mzjstfjkResponse>").refusal == "E4002:结算记录不存在"
    assert reply(f"<mzjstfjkResponse {ns}><mzjstfjkResult/></mzjstfjkResponse>").refusal == ""
    assert reply(f"<chryxxjkResponse {ns}><chryxxjkResult><a/><b/></chryxxjkResult></chryxxjkResponse>"
                 ).refusal == ""


# --- the hospital side's string operations, read by the NCMS the same way --------------------------

def test_demo_walkthrough_stops_at_a_refusal(identity):
    """What `ncms demo` relies on: a refused call's refusal is not empty."""
    key = new_hospital(identity.admin)
    new_user(identity.admin, permissions="ABCDEFGHIJ")
    url = identity.start_gateway()
    caller = LegacyCaller(url, key, "450200001", "his01", "Passw0rd!x")
    assert caller.call("Yhscjk", scyh="nobody").refusal == "E1104:用户不存在"
    assert caller.call("ypmljk", ypml={"ypml": [[("yyxmbm", "Y"), ("xmmc", "a"), ("dj", "-1")]]}).refusal.startswith(
        "E2001:")


_ = (CARD, MEMBER, codecs, requests, envelope, code_of)  # used by the sections below
