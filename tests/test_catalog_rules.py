"""The catalog's rules as plain functions: normalisation, automatic mapping, import rows."""

from decimal import Decimal

import pytest

from services.catalog import importing, mapping
from services.catalog.mapping import Candidate, ItemFacts, decide, normalize


def candidates(*items: Candidate):
    by_code = {c.code: c for c in items}
    by_approval, by_name = {}, {}
    for c in items:
        if c.approval:
            by_approval.setdefault(c.approval, []).append(c)
        by_name.setdefault(c.name, []).append(c)
    return by_code, by_approval, by_name


def drug(code, name, spec="", approval="", unit=""):
    return Candidate(code, "drug", normalize(name), normalize(spec), normalize(unit), normalize(approval))


def item(kind="drug", proposed="", name="", generic="", spec="", unit="", approval=""):
    return ItemFacts(kind, proposed, name, generic, spec, unit, approval)


AMOXICILLIN = drug("X001", "阿莫西林胶囊", "0.25g*24粒", "国药准字H44021351")
AMOXICILLIN_500 = drug("X002", "阿莫西林胶囊", "0.5g*24粒", "国药准字H44021352")
SHARED_A = drug("X010", "复方甘草片", "100片", "国药准字H12345678")
SHARED_B = drug("X011", "复方甘草片", "50片", "国药准字H12345678")


def test_normalisation_folds_width_space_case_and_times():
    assert normalize(" 0.25g×24粒 ") == normalize("0.25G*24粒") == normalize("０．２５ｇ x ２４粒") == "0.25g*24粒"
    assert normalize("国药准字 H44021351") == "国药准字h44021351"
    assert normalize(None) == ""


def test_proposed_code_wins_when_it_exists():
    found = decide(item(proposed="X002", name="别的名字"), *candidates(AMOXICILLIN, AMOXICILLIN_500))
    assert found == mapping.Decision("X002", mapping.PROPOSED)


def test_a_proposed_code_the_catalog_lacks_falls_through():
    found = decide(item(proposed="NOPE", approval="国药准字 H44021351"), *candidates(AMOXICILLIN))
    assert found == mapping.Decision("X001", mapping.APPROVAL_NUMBER)


def test_approval_number_shared_needs_the_specification():
    pool = candidates(SHARED_A, SHARED_B)
    assert decide(item(approval="国药准字H12345678", spec="50片"), *pool).ncms_code == "X011"
    assert decide(item(approval="国药准字H12345678", spec="30片"), *pool).ncms_code is None
    assert decide(item(approval="国药准字H12345678"), *pool).ncms_code is None


def test_name_and_specification_by_name_or_generic_name():
    pool = candidates(AMOXICILLIN, AMOXICILLIN_500)
    assert decide(item(name="阿莫西林胶囊", spec="0.5g×24粒"), *pool) == mapping.Decision("X002", mapping.NAME_AND_SPEC)
    assert decide(item(name="再林", generic="阿莫西林胶囊", spec="0.25g*24粒"), *pool).ncms_code == "X001"
    # name alone is not enough for a drug, nor a specification matching nothing
    assert decide(item(name="阿莫西林胶囊"), *pool).ncms_code is None
    assert decide(item(name="阿莫西林胶囊", spec="1g"), *pool).ncms_code is None


def test_treatments_by_name_and_unit():
    injection = Candidate("T01", "service", normalize("静脉注射"), "", normalize("次"), "")
    pool = candidates(injection)
    assert decide(item("service", name="静脉注射", unit="次"), *pool).ncms_code == "T01"
    assert decide(item("service", name="静脉 注射"), *pool).ncms_code == "T01"
    assert decide(item("service", name="静脉注射", unit="组"), *pool).ncms_code is None
    # a drug never maps to a treatment of the same name
    assert decide(item("drug", name="静脉注射", spec="x"), *pool).ncms_code is None


def test_two_candidates_by_name_leave_it_unmapped():
    twin = Candidate("T02", "service", normalize("静脉注射"), "", normalize("次"), "")
    injection = Candidate("T01", "service", normalize("静脉注射"), "", normalize("次"), "")
    assert decide(item("service", name="静脉注射", unit="次"), *candidates(injection, twin)).ncms_code is None


def test_manual_mapping_survives_only_unchanged_identity():
    before = item(name="阿莫西林胶囊", spec="0.25g", approval="H1", proposed="")
    assert not mapping.identity_changed(before, item(name=" 阿莫西林胶囊", spec="0.25G", approval="h1"))
    assert mapping.identity_changed(before, item(name="阿莫西林胶囊", spec="0.5g", approval="H1"))
    assert mapping.identity_changed(before, item(name="阿莫西林胶囊", spec="0.25g", approval="H1", proposed="X9"))


def test_import_rows():
    row = importing.parse_row({"nhbm": " X001 ", "mc": "阿莫西林胶囊", "sfdj": "乙", "xj": "1.2345", "extra": "x"})
    assert row.code == "X001" and row.charge_class == "B" and row.self_pay_ratio is None
    assert row.price_limit == Decimal("1.2345")
    assert importing.parse_row({"nhbm": "X", "mc": "m", "sfdj": "甲", "zfbl": "0.3"}).self_pay_ratio is None
    assert importing.parse_row({"nhbm": "X", "mc": "m", "sfdj": "乙", "zfbl": "0.25"}).self_pay_ratio == Decimal("0.25")


@pytest.mark.parametrize("values,reason", [
    ({"mc": "m", "sfdj": "甲"}, "nhbm 必填"),
    ({"nhbm": "X", "sfdj": "甲"}, "mc 必填"),
    ({"nhbm": "X", "mc": "m", "sfdj": "丁"}, "sfdj 须为 甲、乙 或 丙"),
    ({"nhbm": "X", "mc": "m", "sfdj": "乙", "zfbl": "1.5"}, "zfbl 须在 0 到 1 之间"),
    ({"nhbm": "X", "mc": "m", "sfdj": "乙", "zfbl": "abc"}, "zfbl 不是数字"),
    ({"nhbm": "X", "mc": "m", "sfdj": "甲", "xj": "-1"}, "xj 不能为负数"),
    ({"nhbm": "X", "mc": "m", "sfdj": "甲", "xj": "1.23456"}, "xj 最多4位小数"),
    ({"nhbm": "X", "mc": "m", "sfdj": "甲", "xj": "1e3"}, "xj 不是数字"),
    ({"nhbm": "X" * 51, "mc": "m", "sfdj": "甲"}, "nhbm 超过50个字符"),
])
def test_bad_import_rows(values, reason):
    with pytest.raises(importing.BadRow, match=reason):
        importing.parse_row(values)
