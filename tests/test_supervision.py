"""Supervision: each rule finds its planted case and stays silent on a clean month; the
report's figures and CSV files agree with sums computed independently here; the
rules file; who may look. On both backends."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

import grpc
import pytest

from ncms.identity.v1 import identity_pb2
from ncms.settlement.v1 import supervision_pb2, supervision_pb2_grpc
from runtime.db import Database
from services.settlement.supervision import periods, rules
from tests.support import month as generated
from tests.support.suite import ADMIN_SECRET

PERIOD = "2026-05"
MAY = date(2026, 5, 1)
HOSPITALS = {"450200011": 1, "450200021": 2, "450200022": 2, "450200031": 3}


def bills_of_may() -> list[generated.Bill]:
    bills = []
    for code, level in HOSPITALS.items():
        bills += list(generated.hospital_month(code, level, 2026, 5, visits=120, stays=30))
    return bills


@pytest.fixture
def supervision(suite):
    suite.start("identity")
    suite.start("settlement")
    for code, level in HOSPITALS.items():
        suite.admin.CreateHospital(identity_pb2.CreateHospitalRequest(
            code=code, name=f"测试医院{code[-2:]}", level=level,
            endpoint="http://10.0.0.31/NcmsService.asmx" if code == "450200031" else ""))
    db = Database(suite.urls["settlement"])
    writer = generated.Writer(db)
    bills = bills_of_may()
    writer.write(bills)
    stub = suite.stub("settlement", supervision_pb2_grpc.SupervisionServiceStub)
    yield stub, writer, bills
    db.dispose()


def findings(stub, **request) -> dict[str, list]:
    found = defaultdict(list)
    for finding in stub.ListFindings(supervision_pb2.ListFindingsRequest(period=PERIOD, **request)):
        found[finding.rule_code].append(finding)
    return dict(found)


def test_a_clean_month_has_no_findings(supervision):
    stub, _, _ = supervision
    assert findings(stub) == {}
    listed = stub.ListRules(supervision_pb2.ListRulesRequest()).rules
    assert [r.code for r in listed] == list(rules.CODES)
    assert "15 天内" in next(r.description for r in listed if r.code == "S03")


def plant(writer: generated.Writer) -> None:
    """One case for each rule, in an otherwise clean month."""
    day = MAY + timedelta(days=9)
    amox, licorice = generated.ITEMS[0], generated.ITEMS[2]
    over = generated._line(1, amox, 2, generated.at(day))
    over.price, over.over_limit = Decimal("16.00"), Decimal("2.00")  # limit 15.00
    unmapped = generated._line(2, ("YP0009", "自制膏药", "drug", Decimal("5.00"), "", "C", None), 1, None)
    visit = generated.at(day, 10)
    stay = generated.at(day - timedelta(days=4), 10)
    bills = [
        generated.Bill("450200011", 1, "outpatient", "MZP01", "P-OVER", visit, visit, [over]),          # S01
        generated.Bill("450200021", 2, "outpatient", "MZP02", "P-UNMAPPED", visit, visit,
                       [generated._line(1, licorice, 1, None), unmapped]),                             # S02
        generated.Bill("450200011", 1, "outpatient", "MZP04A", "P-TWICE", visit, visit,
                       [generated._line(1, licorice, 1, None)]),                                        # S04
        generated.Bill("450200011", 1, "outpatient", "MZP04B", "P-TWICE", visit + timedelta(hours=3),
                       visit + timedelta(hours=3), [generated._line(1, licorice, 1, None)]),
        generated.Bill("450200021", 2, "inpatient", "ZYP05", "P-FEEDATE", stay, stay + timedelta(days=3),
                       [generated._line(1, licorice, 1, stay - timedelta(days=2))],
                       discharged_at=stay + timedelta(days=3)),                                         # S05
        generated.Bill("450200011", 1, "outpatient", "MZP06", "P-QUANTITY", visit, visit,
                       [generated._line(1, licorice, 40, visit)]),                                       # S06
        generated.Bill("450200031", 3, "inpatient", "ZYP07", "P-DEAR", stay, stay + timedelta(days=2),
                       [generated.Line(1, "ZL0009", "二级护理", "service", Decimal("10000.00"), Decimal(1), "T009",
                                       "A", None, stay)], discharged_at=stay + timedelta(days=2)),      # S07
        # S03: discharged on the 6th, back on the 12th (settled); discharged the 14th, back on the 20th (in hospital)
        generated.Bill("450200022", 2, "inpatient", "ZYP03A", "P-AGAIN", generated.at(MAY + timedelta(days=2)),
                       generated.at(MAY + timedelta(days=5)), [generated._line(1, licorice, 1, None)],
                       discharged_at=generated.at(MAY + timedelta(days=5))),
        generated.Bill("450200022", 2, "inpatient", "ZYP03B", "P-AGAIN", generated.at(MAY + timedelta(days=11)),
                       generated.at(MAY + timedelta(days=13)), [generated._line(1, licorice, 1, None)],
                       discharged_at=generated.at(MAY + timedelta(days=13))),
    ]
    # S08: a hospital refunding a third of its visits
    for n in range(60):
        when = generated.at(MAY + timedelta(days=n % 28), 9)
        bills.append(generated.Bill("450200012", 1, "outpatient", f"MZR{n:03d}", f"P-R{n:03d}", when, when,
                                    [generated._line(1, licorice, 1, None)],
                                    refunded_at=when + timedelta(hours=1) if n % 3 == 0 else None))
    writer.write(bills)
    writer.admit("450200031", "ZYP03C", "P-BACK", generated.at(MAY + timedelta(days=19)))
    writer.write([generated.Bill("450200031", 3, "inpatient", "ZYP03P", "P-BACK", generated.at(MAY + timedelta(days=9)),
                                 generated.at(MAY + timedelta(days=13)), [generated._line(1, licorice, 1, None)],
                                 discharged_at=generated.at(MAY + timedelta(days=13)))])


def test_each_rule_finds_its_planted_case(supervision):
    stub, writer, _ = supervision
    plant(writer)
    found = findings(stub)
    members = {code: sorted(f.member_id for f in items) for code, items in found.items()}
    assert members == {"S01": ["P-OVER"], "S02": ["P-UNMAPPED"], "S03": ["P-AGAIN", "P-BACK"],
                       "S04": ["P-TWICE"], "S05": ["P-FEEDATE"], "S06": ["P-QUANTITY"], "S07": ["P-DEAR"],
                       "S08": [""]}
    (over,) = found["S01"]
    assert over.evidence["excess"] == "2.00" and "单价 16.00 > 限价 15.00" in over.evidence["lines"]
    assert found["S02"][0].evidence["amount"] == "5.00"
    again = {f.subject: f for f in found["S03"]}
    assert again["ZYP03B"].evidence["gap_days"] == "6" and not again["ZYP03B"].HasField("live_query")
    # a stay still in hospital at a hospital with its own service: look at it live
    assert again["ZYP03C"].evidence["in_hospital"] == "1"
    assert (again["ZYP03C"].live_query.hospital_code, again["ZYP03C"].live_query.number) == ("450200031", "ZYP03C")
    assert found["S04"][0].evidence["numbers"] == "MZP04A,MZP04B"
    assert found["S05"][0].evidence["admitted"] == "2026-05-06"
    assert found["S06"][0].evidence["quantity"] == "40" and found["S06"][0].evidence["median"] in ("1", "2", "2.5")
    assert found["S07"][0].evidence["level"] == "3"
    assert found["S08"][0].hospital_code == "450200012" and found["S08"][0].evidence["rate"] == "0.3333"
    # one hospital, one rule
    only = findings(stub, hospital_code="450200011", rule_codes=["S04", "S06"])
    assert sorted(only) == ["S04", "S06"]


def test_report_figures_agree_with_independent_sums(supervision, suite, tmp_path):
    stub, _, bills = supervision
    expected = {}
    for code, level in HOSPITALS.items():
        mine = [b for b in bills if b.hospital_code == code]
        kept = [b for b in mine if b.refunded_at is None]
        visits = [b for b in kept if b.kind == "outpatient"]
        stays = [b for b in kept if b.kind == "inpatient"]
        stay_days = sum(max(1, (b.discharged_at.date() - b.visit_at.date()).days) for b in stays)
        expected[code] = {
            "level": str(level), "visits": str(len(visits)), "stays": str(len(stays)),
            "visit_cost": str(sum(b.total for b in visits)), "stay_cost": str(sum(b.total for b in stays)),
            "fund_paid": str(sum(b.compensation for b in kept)),
            "average_visit_cost": str((sum(b.total for b in visits) / len(visits)).quantize(Decimal("0.01"))),
            "cost_per_stay_day": str((sum(b.total for b in stays) / stay_days).quantize(Decimal("0.01"))),
            "refunded": str(sum(1 for b in mine if b.refunded_at is not None))}
    answer = stub.GetReport(supervision_pb2.GetReportRequest(period=PERIOD))
    assert (answer.start.month, answer.end.month) == (5, 6)
    got = {h.hospital_code: h for h in answer.hospitals}
    assert sorted(got) == sorted(HOSPITALS)
    for code, figures in expected.items():
        assert got[code].fund_paid == figures["fund_paid"] and got[code].visits == int(figures["visits"])
    assert len({(p.start.day, p.hospital_code) for p in answer.trend}) == 31 * 4
    assert sum(Decimal(p.fund_paid) for p in answer.trend) == sum(Decimal(f["fund_paid"]) for f in expected.values())

    env = {**os.environ, "NCMS_SETTLEMENT_ADDRESS": suite.address("settlement"),
           "NCMS_IDENTITY_ADDRESS": suite.address("identity"), "NCMS_ADMIN_CLIENT_SECRET": ADMIN_SECRET,
           "NCMS_DATA_DIR": str(suite.data_dir)}
    run = subprocess.run([sys.executable, "-c", "from cli.main import main; main()", "report", "--period", PERIOD,
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    with (tmp_path / "out" / f"report-{PERIOD}.csv").open(encoding="utf-8-sig") as file:
        rows = {row["hospital_code"]: row for row in csv.DictReader(file)}
    for code, figures in expected.items():
        assert {key: rows[code][key] for key in figures} == figures, code
        assert rows[code]["hospital_name"] == f"测试医院{code[-2:]}"
        assert rows[code]["total_cost"] == str(Decimal(figures["visit_cost"]) + Decimal(figures["stay_cost"]))
    with (tmp_path / "out" / f"levels-{PERIOD}.csv").open(encoding="utf-8-sig") as file:
        level_two = next(row for row in csv.DictReader(file) if row["level"] == "2")
    two = [c for c, level in HOSPITALS.items() if level == 2]
    visit_cost = sum(Decimal(expected[c]["visit_cost"]) for c in two)
    assert level_two["average_visit_cost"] == str((visit_cost / sum(int(expected[c]["visits"]) for c in two))
                                                  .quantize(Decimal("0.01")))
    page = (tmp_path / "out" / f"report-{PERIOD}.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 4 and "测试医院21" in page and "同级平均" in page


def test_the_rules_file_and_who_may_look(supervision, suite, tmp_path):
    stub, writer, _ = supervision
    plant(writer)
    custom = tmp_path / "rules.yaml"
    text = rules.DEFAULT_RULES.read_text(encoding="utf-8").replace("days: 15", "days: 3")
    custom.write_text(text, encoding="utf-8")
    suite.overrides["supervision_rules"] = custom
    suite.start_replica("settlement")
    replica = supervision_pb2_grpc.SupervisionServiceStub(suite.channel(
        "settlement", f"127.0.0.1:{suite.replicas[-1].port}"))
    token = suite.credentials("ncms-admin", ADMIN_SECRET).token
    metadata = (("authorization", f"Bearer {token()}"),)
    narrowed = [f for f in replica.ListFindings(supervision_pb2.ListFindingsRequest(
        period=PERIOD, rule_codes=["S03"]), metadata=metadata)]
    assert narrowed == []  # 6 days apart is no longer within 3
    custom.write_text(text.replace("days: 3", "days: -1"), encoding="utf-8")
    with pytest.raises(grpc.RpcError) as refused:
        list(replica.ListFindings(supervision_pb2.ListFindingsRequest(period=PERIOD), metadata=metadata))
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION and "S03" in refused.value.details()

    with pytest.raises(grpc.RpcError) as bad_period:
        stub.GetReport(supervision_pb2.GetReportRequest(period="2026-13"))
    assert bad_period.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    bound = suite.admin.CreateClient(identity_pb2.CreateClientRequest(
        name="his-bridge", roles=["internal"], hospital_code="450200011", permissions="F")).client_secret
    hospital_stub = suite.stub("settlement", supervision_pb2_grpc.SupervisionServiceStub,
                               suite.credentials("his-bridge", bound).token)
    with pytest.raises(grpc.RpcError) as denied:
        hospital_stub.GetReport(supervision_pb2.GetReportRequest(period=PERIOD))
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_periods_and_quartiles():
    assert periods.parse("2026-05").end == date(2026, 6, 1) and periods.parse("2026-05").granularity == "day"
    quarter = periods.parse("2026-q4")
    assert (quarter.label, quarter.start, quarter.end, len(quarter.buckets())) == (
        "2026-Q4", date(2026, 10, 1), date(2027, 1, 1), 3)
    assert len(periods.parse("2026").buckets()) == 12
    start, _ = periods.parse("2026-05").bounds()
    assert start.isoformat() == "2026-04-30T16:00:00+00:00"  # Beijing midnight
    for bad in ("2026-13", "26-05", "2026-Q5", "May"):
        with pytest.raises(ValueError):
            periods.parse(bad)
    D = Decimal
    assert rules.quartiles([D(1), D(2), D(3), D(4), D(5)]) == (D(2), D(3), D(4))
    assert rules.quartiles([D(1), D(2), D(3), D(4)]) == (D("1.75"), D("2.5"), D("3.25"))


def test_the_report_page_shows_names_as_text(tmp_path):
    """The page is a Jinja2 template with autoescape: a hospital or rule named with
    markup is shown, never run."""
    from cli.report_command import html_page
    from ncms.settlement.v1 import supervision_pb2 as pb

    figures = pb.GetReportResponse(period="2026-06")
    figures.start.year, figures.start.month, figures.start.day = 2026, 6, 1
    figures.end.year, figures.end.month, figures.end.day = 2026, 7, 1
    figures.hospitals.add(hospital_code="450200001", hospital_level=2, visits=3, visit_cost="90.00", stay_cost="0",
                          fund_paid="45.00", self_paid_share="0.5", average_visit_cost="30.00",
                          refund_rate="0")
    figures.levels.add(hospital_level=2, hospitals=1, average_visit_cost="30.00", self_paid_share="0.5")
    rule = pb.Rule(code="S01", name="<b>规则</b>", description="<script>alert(1)</script>")
    page = html_page(figures, {"450200001": "<img src=x onerror=alert(1)>卫生院"}, {"S01": rule},
                     Counter({("450200001", "S01"): 2}), tmp_path / "findings.csv")
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;卫生院" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "90.00" in page and "50.0%" in page and page.count("<svg") >= 3
