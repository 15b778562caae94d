"""Each role's main task in the console, end to end in Chromium against a real suite:
the administrator approves a pending user with narrowed letters; the catalog clerk maps
an unmapped item and the next bill is priced by it; the fund officer finds a settlement
by ID number and opens its explanation; the auditor opens a day's reconciliation and a
difference, and a supervision finding with its evidence; a person without the role is
refused. Payloads in names stay text; axe-core finds nothing serious; every page is
photographed into build/screenshots/console/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from ncms.identity.v1 import identity_pb2
from ncms.settlement.v1 import settlement_pb2
from tests.browser.conftest import screenshot, serious_violations
from tests.support.console_world import (
    HOSPITAL,
    MEMBER,
    STAFF_PASSWORD,
    XSS_HOSPITAL,
    XSS_ITEM,
    XSS_MEMBER,
    XSS_MEMBER_ID,
)
from tests.support.world import wait_for_projections


def no_script_ran(page) -> None:
    assert page.evaluate("() => window.__xss === undefined"), "a payload from a name ran as script"


def test_the_administrator_approves_a_pending_user_with_narrowed_letters(centre):
    page = centre.page("wang")
    expect(page.get_by_role("heading", name="首页")).to_be_visible()
    screenshot(page, "01-dashboard-administrator")
    page.get_by_role("link", name="用户审批", exact=True).click()
    expect(page.get_by_role("heading", name="待审批的用户申请")).to_be_visible()
    row = page.locator(f"#pending-{HOSPITAL}-nurse7")
    expect(row).to_contain_text("CDEF")
    screenshot(page, "02-pending-users")
    group = row.get_by_role("group", name="授予 nurse7 的权限")
    group.get_by_label("E").uncheck()
    group.get_by_label("F").uncheck()
    row.get_by_role("button", name="批准").click()
    expect(page.get_by_role("status")).to_contain_text("nurse7 已批准, 权限 CD")
    expect(page.locator(f"#pending-{HOSPITAL}-nurse7")).to_have_count(0)
    user = next(u for u in centre.world.admin.ListUsers(identity_pb2.ListUsersRequest(hospital_code=HOSPITAL)).users
                if u.name == "nurse7")
    assert (user.state, user.permissions) == (identity_pb2.USER_STATE_ACTIVE, "CD")
    page.get_by_role("link", name="医院", exact=True).click()
    expect(page.locator("table")).to_contain_text(XSS_HOSPITAL)  # the payload, as text
    no_script_ran(page)
    screenshot(page, "03-hospitals")
    page.get_by_role("link", name=HOSPITAL).click()
    expect(page.locator("#user-nurse7")).to_contain_text("CD")
    screenshot(page, "04-hospital")
    for link, name in (("服务客户端", "05-clients"), ("工作人员", "06-staff"), ("审计日志", "07-audit-log")):
        page.get_by_role("link", name=link, exact=True).click()
        screenshot(page, name)
    expect(page.locator("table")).to_contain_text("ApproveUser")  # the approval, in the audit log
    page.context.close()


def test_the_catalog_clerk_maps_an_item_and_the_next_bill_is_priced_by_it(centre):
    page = centre.page("li")
    page.get_by_role("link", name="目录对应").click()
    queue = page.get_by_role("table", name="待对应项目")
    expect(queue).to_contain_text(XSS_ITEM)
    no_script_ran(page)
    queue.get_by_role("link", name="YP0009").click()
    search = page.get_by_label("查询农合目录 (编码、名称、规格、批准文号)")
    search.fill("Z20080099")  # the 批准文号 of 黑膏药
    page.get_by_role("button", name="查询", exact=True).last.click()
    found = page.locator("#ncms-results")
    expect(found).to_contain_text("黑膏药")
    screenshot(page, "08-mapping-queue")
    found.get_by_label("对应到 X009 的原因").fill("院内制剂, 与黑膏药同方")
    found.get_by_role("button", name="对应到 X009").click()
    expect(page.get_by_role("status")).to_contain_text("YP0009 已对应到 X009")
    expect(page.get_by_role("table", name="待对应项目")).not_to_contain_text("YP0009")
    # The item's history keeps who mapped it and why.
    page.goto(f"{centre.url}/catalog/items/{HOSPITAL}/drug/YP0009")
    expect(page.get_by_role("table", name="变更历史")).to_contain_text("院内制剂, 与黑膏药同方")
    expect(page.locator("body")).to_contain_text("staff:li")
    screenshot(page, "09-item-history")
    # The hospital's next bill with the item is priced by the mapping (乙, not self-paid).
    suite = centre.world.suite
    from ncms.catalog.v1 import catalog_pb2, catalog_pb2_grpc

    item = suite.stub("catalog", catalog_pb2_grpc.CatalogServiceStub).GetHospitalItem(
        catalog_pb2.GetHospitalItemRequest(hospital_code=HOSPITAL, kind=catalog_pb2.ITEM_KIND_DRUG, code="YP0009"))
    assert item.item.ncms_code == "X009"
    wait_for_projections(suite, catalog=_catalog_head(suite))
    result = centre.world.settle("MZ-0100", [("YP0009", "自制膏药", "5.00", "2")])
    assert [(line.ncms_code, line.charge_class) for line in result.lines] == [("X009", settlement_pb2.CHARGE_CLASS_B)]
    assert result.compensation != "0.00"
    page.context.close()


def _catalog_head(suite) -> int:
    from ncms.settlement.v1 import settlement_pb2_grpc

    projections = suite.services("settlement", settlement_pb2_grpc).ListProjections(
        settlement_pb2.ListProjectionsRequest()).projections
    catalog = next(p for p in projections if p.source == settlement_pb2.PROJECTION_SOURCE_CATALOG)
    return max(catalog.head_sequence, catalog.sequence)


def test_the_fund_officer_finds_a_settlement_by_id_number_and_opens_its_explanation(centre):
    page = centre.page("zhao")
    page.get_by_role("link", name="结算查询").click()
    page.get_by_label("身份证号").fill(centre.world.id_number)
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"id_number="))  # the search is its own bookmarkable URL
    results = page.get_by_role("table", name="结算查询")
    expect(results).to_contain_text("MZ-0001")
    expect(results).not_to_contain_text("MZ-0002")  # another member's
    screenshot(page, "10-settlements")
    results.get_by_role("link", name=centre.world.settlements["MZ-0001"]).click()
    expect(page.get_by_role("heading", name="补偿金额说明")).to_be_visible()
    expect(page.locator("ol.explanation li").first).to_be_visible()
    expect(page.get_by_role("table", name="明细")).to_contain_text("未对应")  # the payload item, self-paid
    expect(page.get_by_role("table", name="明细")).to_contain_text(XSS_ITEM)
    no_script_ran(page)
    screenshot(page, "11-settlement")
    page.get_by_role("link", name="张三").click()
    expect(page.get_by_role("heading", name="张三")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text(centre.world.id_number)
    screenshot(page, "12-member")
    page.goto(f"{centre.url}/members/{XSS_MEMBER_ID}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(XSS_MEMBER)
    no_script_ran(page)
    page.get_by_role("link", name="补偿方案").click()
    expect(page.get_by_role("heading", name=re.compile("年度现行方案"))).to_be_visible()
    screenshot(page, "13-policies")
    # A refund, confirmed by typing the number.
    page.goto(f"{centre.url}/settlements/{HOSPITAL}/{centre.world.settlements['MZ-0002']}")
    page.get_by_label("请输入 MZ-0002 以确认").fill("MZ-0002")
    page.get_by_role("button", name="退费").click()
    expect(page.locator("main")).to_contain_text("MZ-0002 已退费")
    expect(page.locator("main")).to_contain_text("staff:zhao")
    page.context.close()


def test_the_auditor_reads_a_reconciliation_difference_and_a_finding(centre):
    page = centre.page("sun")
    page.get_by_role("link", name="对账").click()
    listed = page.get_by_role("table", name="对账")
    expect(listed).to_contain_text("差异")
    screenshot(page, "14-reconciliations")
    listed.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="当日新农合记录")).to_be_visible()
    screenshot(page, "15-reconciliation-day")
    differences = page.get_by_role("table", name="差异").first
    expect(differences).to_contain_text("金额不符")
    row = differences.locator("tr", has_text="金额不符")
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("金额不符")
    expect(page.locator("dl.facts")).to_contain_text("MZ-0001")
    screenshot(page, "16-difference")
    page.get_by_role("link", name=centre.world.settlements["MZ-0001"]).first.click()
    expect(page.get_by_role("heading", name="补偿金额说明")).to_be_visible()
    # Supervision: the unmapped item of MZ-0001 is a finding (S02) with its evidence.
    page.get_by_role("link", name="监管发现").click()
    findings = page.get_by_role("table", name="监管发现")
    expect(findings).to_contain_text("S02")
    screenshot(page, "17-findings")
    findings.get_by_role("link", name=centre.world.settlements["MZ-0001"]).click()
    evidence = page.get_by_role("table", name="证据")
    expect(evidence).to_contain_text("YP0009")
    no_script_ran(page)
    screenshot(page, "18-finding")
    page.get_by_role("link", name="监管报表").click()
    expect(page.locator("svg.chart").first).to_be_visible()
    screenshot(page, "19-reports")
    # An auditor changes nothing: no action on the pages it reads.
    page.goto(f"{centre.url}/hospitals/{HOSPITAL}")
    expect(page.get_by_role("button", name="批准")).to_have_count(0)
    page.goto(f"{centre.url}/catalog/queue")
    expect(page.get_by_role("button", name=re.compile("对应到"))).to_have_count(0)
    page.context.close()


def test_a_person_without_the_role_is_refused(centre):
    page = centre.page("li")
    expect(page.get_by_role("link", name="结算查询")).to_have_count(0)  # not offered
    answer = page.goto(f"{centre.url}/settlements?id_number={centre.world.id_number}")
    assert answer.status == 403
    expect(page.get_by_role("heading", name="无权访问")).to_be_visible()
    screenshot(page, "20-refused")
    # Forged from the clerk's own page, with its valid CSRF token: the approval is refused.
    page.goto(f"{centre.url}/catalog/queue")
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    status = page.evaluate("""async ([url, token]) => {
        const body = new URLSearchParams({csrf_token: token, letters: 'C'});
        const answer = await fetch(url, {method: 'POST', body, redirect: 'manual'});
        return answer.status; }""", [f"{centre.url}/hospitals/{HOSPITAL}/users/his01/delete", token])
    assert status == 403
    users = centre.world.admin.ListUsers(identity_pb2.ListUsersRequest(hospital_code=HOSPITAL)).users
    assert next(u for u in users if u.name == "his01").state == identity_pb2.USER_STATE_ACTIVE
    page.context.close()


def test_sign_in_errors_english_and_sign_out(centre):
    page = centre.page()
    page.goto(f"{centre.url}/settlements?state=in_force")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    screenshot(page, "00-sign-in")
    page.locator("input[name=name]").fill("zhao")
    page.locator("input[name=password]").fill("Wrong#2026pw")
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_contain_text("用户名或口令错误")
    page.locator("input[name=password]").fill(STAFF_PASSWORD)
    page.locator("form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/settlements\?state=in_force$"))  # back where the bookmark pointed
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Settlements")).to_be_visible()
    screenshot(page, "21-english")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in"))
    page.goto(f"{centre.url}/settlements")
    expect(page).to_have_url(re.compile(r"/sign-in"))
    page.context.close()


MAIN_PAGES = ["/", "/hospitals", f"/hospitals/{HOSPITAL}", "/users/pending", "/staff", "/clients",
              "/catalog/queue", "/settlements", f"/members/{MEMBER}", "/policies", "/reconciliations",
              "/supervision", "/reports", "/audit", "/account/password"]


@pytest.mark.parametrize("path", MAIN_PAGES)
def test_axe_finds_no_serious_violation(centre, path):
    page = centre.page("sun" if path not in ("/staff", "/clients", f"/hospitals/{HOSPITAL}") else "wang")
    if path == "/settlements":
        path += f"?id_number={centre.world.id_number}"
    page.goto(centre.url + path)
    found = serious_violations(page)
    page.context.close()
    assert not found, found


def test_the_sign_in_page_has_no_serious_violation(centre):
    page = centre.page()
    page.goto(f"{centre.url}/sign-in")
    found = serious_violations(page)
    page.context.close()
    assert not found, found


def test_a_signed_in_person_sees_the_payloads_as_text_everywhere(centre):
    page = centre.page("zhao")
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    for path in ("/settlements", f"/settlements/{HOSPITAL}/{centre.world.settlements['MZ-0001']}",
                 f"/members/{XSS_MEMBER_ID}", "/catalog/queue", "/reconciliations"):
        page.goto(centre.url + path)
        no_script_ran(page)
    # The strict policy blocked nothing of the console's own (no inline script or style).
    assert not [m for m in messages if "Content Security Policy" in m], messages
    page.context.close()
