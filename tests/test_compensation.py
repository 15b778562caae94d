"""The compensation calculation of policy.md, to the cent, and the policy files."""

from __future__ import annotations

import os
import time
from decimal import Decimal as D

import pytest
import yaml

from services.settlement import calculation
from services.settlement.calculation import CLASS_A, CLASS_B, CLASS_C, Line
from services.settlement.policy import DEFAULT_FILE, PolicyError, PolicyStore, load, parse

DEFAULT = load(DEFAULT_FILE, year=None)


def a(amount, number=1, price=None, quantity="1", limit=None):
    """A 甲 line of ``amount`` (price = amount / quantity unless given)."""
    return line(CLASS_A, amount, number, price, quantity, limit)


def line(cls, amount, number=1, price=None, quantity="1", limit=None, ratio=None, mapped=True):
    amount, quantity = D(amount), D(quantity)
    return Line(number, D(price) if price is not None else amount / quantity, quantity, amount, cls,
                None if ratio is None else D(ratio), None if limit is None else D(limit), mapped)


def outpatient(lines, level=2, year_total="0", policy=DEFAULT):
    return calculation.outpatient(lines, level=level, policy=policy, year_total=D(year_total))


def inpatient(lines, level=3, category=calculation.ORDINARY, referral=True, diagnosis="J18.900", year_total="0", policy=DEFAULT):
    return calculation.inpatient(lines, level=level, category=category, referral=referral, diagnosis=diagnosis,
                                 policy=policy, year_total=D(year_total))


def amounts(result):
    return tuple(str(x) for x in (result.total, result.self_pay, result.class_self_pay, result.eligible,
                                  result.compensation, result.personal))


# --- outpatient -------------------------------------------------------------------------

def test_outpatient_simple():
    result = outpatient([a("25.00"), a("11.50", 2)])
    assert amounts(result) == ("36.50", "0.00", "0.00", "36.50", "18.25", "18.25")
    assert result.year_total_after == D("18.25")
    assert result.explanation == "门诊统筹 可补偿 36.50 × 50% = 18.25"


@pytest.mark.parametrize("eligible,expected,capped", [
    ("60.00", "30.00", False), ("60.02", "30.00", True), ("59.98", "29.99", False)])
def test_outpatient_visit_cap_boundary(eligible, expected, capped):
    result = outpatient([a(eligible)])
    assert result.compensation == D(expected)
    assert ("单次封顶 30.00" in result.explanation) is capped


@pytest.mark.parametrize("eligible,expected", [("0.05", "0.03"), ("0.01", "0.01"), ("0.03", "0.02"), ("1.11", "0.56")])
def test_outpatient_rounds_half_up_to_the_cent(eligible, expected):
    assert outpatient([a(eligible)]).compensation == D(expected)


@pytest.mark.parametrize("used,expected", [("290.00", "10.00"), ("299.99", "0.01"), ("300.00", "0.00"),
                                           ("350.00", "0.00"), ("270.00", "18.25")])
def test_outpatient_year_cap_boundary(used, expected):
    result = outpatient([a("36.50")], year_total=used)
    assert result.compensation == D(expected)
    assert result.year_total_after == D(used) + D(expected)
    assert ("年度门诊封顶 300.00" in result.explanation) is (D(expected) < D("18.25"))


@pytest.mark.parametrize("level,expected", [(1, "20.00"), (2, "30.00"), (3, "30.00"), (4, "0.00"), (5, "0.00")])
def test_outpatient_levels(level, expected):
    assert outpatient([a("100.00")], level=level).compensation == D(expected)


def test_class_b_share_own_and_default():
    own = outpatient([line(CLASS_B, "20.00", ratio="0.15")])
    assert amounts(own) == ("20.00", "0.00", "3.00", "17.00", "8.50", "11.50")
    default = outpatient([line(CLASS_B, "20.00")])
    assert default.class_self_pay == D("2.00") and default.lines[0].self_pay_ratio == D("0.10")
    rounded = outpatient([line(CLASS_B, "0.05")])
    assert (rounded.class_self_pay, rounded.eligible) == (D("0.01"), D("0.04"))  # 0.005 rounds up


def test_class_c_and_unmapped_are_self_paid():
    result = outpatient([line(CLASS_C, "30.00"), line(CLASS_C, "5.00", 2, mapped=False), a("10.00", 3)])
    assert amounts(result) == ("45.00", "35.00", "0.00", "10.00", "5.00", "40.00")
    assert "1项未对应农合目录" in result.explanation


def test_price_limits():
    over = outpatient([a("36.00", price="18", quantity="2", limit="15")])
    assert amounts(over) == ("36.00", "6.00", "0.00", "30.00", "15.00", "21.00")
    assert over.lines[0].over_limit == D("6.00") and "第1项超限价自付 6.00" in over.explanation
    under = outpatient([a("30.00", price="15", quantity="2", limit="15")])
    assert under.self_pay == D("0.00")
    class_b = outpatient([line(CLASS_B, "36.00", price="18", quantity="2", limit="15", ratio="0.10")])
    assert (class_b.self_pay, class_b.class_self_pay, class_b.eligible) == (D("6.00"), D("3.00"), D("27.00"))
    class_c = outpatient([line(CLASS_C, "36.00", price="18", quantity="2", limit="15")])
    assert (class_c.self_pay, class_c.eligible) == (D("36.00"), D("0.00"))  # all of je, counted once
    fractional = outpatient([a("3.33", price="1.1111", quantity="3", limit="1.0001")])
    assert fractional.lines[0].over_limit == D("0.33")  # (0.111 × 3) = 0.333 -> 0.33


def test_negative_return_lines():
    result = outpatient([a("25.00", 1, price="12.5", quantity="2"), a("-12.50", 2, price="12.5", quantity="-1")])
    assert amounts(result) == ("12.50", "0.00", "0.00", "12.50", "6.25", "6.25")
    limited = outpatient([a("36.00", 1, price="18", quantity="2", limit="15"),
                          a("-18.00", 2, price="18", quantity="-1", limit="15")])
    assert (limited.self_pay, limited.eligible) == (D("3.00"), D("15.00"))  # 6.00 - 3.00 over the limit


def test_zfy_is_the_sum_of_the_parts():
    result = outpatient([a("10.01", 1), line(CLASS_B, "20.03", 2, ratio="0.15"), line(CLASS_C, "7.77", 3),
                         a("36.00", 4, price="18", quantity="2", limit="15")])
    assert result.total == result.self_pay + result.class_self_pay + result.eligible == D("73.81")
    assert result.personal == result.total - result.compensation


# --- inpatient ----------------------------------------------------------------------------

@pytest.mark.parametrize("eligible,expected", [
    ("300.00", "0.00"), ("299.99", "0.00"), ("300.01", "0.01"),
    ("2300.00", "1400.00"),   # exactly the first band
    ("2300.01", "1400.01"),   # 1400 + 0.01 × 0.80 = 1400.008
    ("2300.02", "1400.02"),   # 1400.016
    ("10300.00", "7800.00"),  # 1400 + 8000 × 0.80
])
def test_inpatient_band_edges_level_3(eligible, expected):
    result = inpatient([a(eligible)])
    assert result.compensation == D(expected) and result.deductible == D("300")


def test_inpatient_level_1_single_band_and_deductible():
    assert inpatient([a("1100.00")], level=1).compensation == D("900.00")


def test_special_groups_skip_the_deductible_and_get_the_bonus():
    five = inpatient([a("2000.00")], category=calculation.FIVE_GUARANTEES)
    assert (five.deductible, five.compensation) == (D("0"), D("1500.00"))  # 2000 × 0.75
    assert "五保 免起付线, 比例 +5%" in five.explanation
    subsistence = inpatient([a("2500.00")], category=calculation.SUBSISTENCE)
    assert subsistence.compensation == D("1925.00")  # 2000 × 0.75 + 500 × 0.85
    assert inpatient([a("2000.00")], category=calculation.ENTITLED).deductible == D("300")  # 优抚: ordinary rules


def test_referral_cut_at_levels_4_and_5_only():
    assert inpatient([a("5600.00")], level=4, referral=True).compensation == D("2750.00")
    cut = inpatient([a("5600.00")], level=4, referral=False)
    assert cut.compensation == D("2250.00") and "未转诊 比例 -10%" in cut.explanation
    assert inpatient([a("2300.00")], level=3, referral=False).compensation == D("1400.00")
    both = inpatient([a("10000.00")], level=5, category=calculation.FIVE_GUARANTEES, referral=False)
    assert both.compensation == D("4000.00")  # 10000 × (0.45 + 0.05 - 0.10)


def test_ratios_are_clamped_to_0_and_1():
    data = yaml.safe_load(DEFAULT_FILE.read_text("utf-8"))
    data["zy_bands"][1] = [{"width": 100, "ratio": 0.98}, {"ratio": 0.05}]
    policy = parse(yaml.safe_load(yaml.safe_dump(data)), year=2030, source="test")
    special = inpatient([a("200.00")], level=1, category=calculation.FIVE_GUARANTEES, policy=policy)
    assert special.compensation == D("110.00")  # 100 × 1.00 (clamped) + 100 × 0.10
    data["no_referral_cut"], data["zy_bands"][4] = 0.2, [{"ratio": 0.10}]
    policy = parse(data, year=2030, source="test")
    assert inpatient([a("1600.00")], level=4, referral=False, policy=policy).compensation == D("0.00")


@pytest.mark.parametrize("used,expected", [("149000.00", "1000.00"), ("150000.00", "0.00"), ("0", "7800.00")])
def test_inpatient_year_cap(used, expected):
    assert inpatient([a("10300.00")], year_total=used).compensation == D(expected)


@pytest.mark.parametrize("diagnosis,total,used,expected", [
    ("O80.001", "1000.00", "0", "300.00"), ("O80", "250.00", "0", "250.00"),
    ("o82.101", "5000.00", "0", "600.00"), ("O80.0", "1000.00", "149900.00", "100.00"),
    ("O81.000", "2300.00", "0", "1400.00"),  # not listed: the formula
])
def test_fixed_subsidies(diagnosis, total, used, expected):
    result = inpatient([a(total)], diagnosis=diagnosis, year_total=used)
    assert result.compensation == D(expected)


def test_the_longest_fixed_prefix_wins():
    data = yaml.safe_load(DEFAULT_FILE.read_text("utf-8"))
    data["zy_fixed"]["O80.0"] = 350
    policy = parse(data, year=2030, source="test")
    assert inpatient([a("1000.00")], diagnosis="O80.001", policy=policy).compensation == D("350.00")
    assert inpatient([a("1000.00")], diagnosis="O80.900", policy=policy).compensation == D("300.00")


# --- policy files --------------------------------------------------------------------------

def default_data() -> dict:
    return yaml.safe_load(DEFAULT_FILE.read_text("utf-8"))


@pytest.mark.parametrize("change,message", [
    (lambda d: d["mz_ratio"].pop(4), "mz_ratio: lacks level 4"),
    (lambda d: d["mz_ratio"].update({2: 1.2}), "mz_ratio[2]: a ratio must be between 0 and 1"),
    (lambda d: d.update({"special_bonus": 1.5}), "special_bonus: a ratio must be between 0 and 1"),
    (lambda d: d["zy_deductible"].update({3: -1}), "zy_deductible[3]: an amount cannot be negative"),
    (lambda d: d["zy_bands"].pop(5), "zy_bands: lacks level 5"),
    (lambda d: d["zy_bands"][3].pop(), "zy_bands[3][0]: the last band takes the rest and has no width"),
    (lambda d: d["zy_bands"][3][0].pop("width"), "zy_bands[3][0].width: not a number"),
    (lambda d: d.pop("zy_year_cap"), "zy_year_cap: missing"),
    (lambda d: d["mz_visit_cap"].update({9: 1}), "mz_visit_cap: unknown level 9"),
    (lambda d: d["zy_fixed"].update({"O84": "abc"}), "zy_fixed[O84]: 'abc' is not a number"),
])
def test_bad_policies_are_refused_with_a_clear_message(change, message):
    data = default_data()
    change(data)
    with pytest.raises(PolicyError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse(data, year=2027, source="2027.yaml")


def test_numbers_are_exact_decimals():
    assert DEFAULT.mz_ratio[1] == D("0.60") and isinstance(DEFAULT.mz_ratio[1], D)
    assert DEFAULT.zy_bands[3][0].width == D("2000") and DEFAULT.zy_bands[3][1].width is None
    assert DEFAULT.zy_fixed == {"O80": D("300"), "O82": D("600")}


def test_store_falls_back_to_the_default_reads_changes_and_refuses_bad_files(tmp_path):
    store = PolicyStore(tmp_path, check_interval=0)
    assert store.for_year(2026).digest == DEFAULT.digest
    assert PolicyStore(tmp_path, default_fallback=False, check_interval=0).for_year(2026) is None
    data = default_data()
    data["mz_year_cap"] = 400
    (tmp_path / "2027.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    assert store.for_year(2027).mz_year_cap == D("400") and store.for_year(2027).year == 2027
    data["mz_year_cap"] = 500
    path = tmp_path / "2027.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert store.for_year(2027).mz_year_cap == D("500")
    path.write_text("mz_ratio: [1, 2", "utf-8")
    os.utime(path, (time.time() + 10, time.time() + 10))
    assert store.for_year(2027) is None  # a bad file: no policy (E4006), never a silent default
