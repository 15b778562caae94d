"""The console over HTTP, against a real suite: no page or action without a session,
CSRF refused, an auditor changes nothing, a locked account cannot sign in, what
services hold is shown as text, the headers and cookies, exports, stable URLs, and the
Chinese catalogue. (tests/browser/ drives the same console in Chromium.)"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import requests

from ncms.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from ncms.identity.v1 import identity_pb2, staff_pb2
from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc
from tests.support import console_world
from tests.support.console import ConsoleServer
from tests.support.console_world import HOSPITAL, STAFF_PASSWORD, XSS_HOSPITAL, XSS_ITEM, XSS_MEMBER

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@pytest.fixture(scope="module")
def centre(databases, tmp_path_factory):
    from tests.support.suite import Suite

    suite = Suite(databases, tmp_path_factory.mktemp("console"))
    try:
        world = console_world.build(suite)
        world.console = ConsoleServer(suite.settings)
        yield world
        world.console.stop()
    finally:
        suite.stop()


class Browser:
    """A person's HTTP session with the console."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.url + path, allow_redirects=False, timeout=30, **kwargs)

    def token(self, path: str = "/") -> str:
        page = self.http.get(self.url + path, timeout=30)
        return CSRF.search(page.text).group(1)

    def post(self, path: str, data: dict | None = None, *, token: str | None = None, **kwargs) -> requests.Response:
        form = dict(data or {})
        if token is not False:
            form["csrf_token"] = token if token is not None else self.token()
        return self.http.post(self.url + path, data=form, allow_redirects=False, timeout=30, **kwargs)

    def sign_in(self, name: str, password: str = STAFF_PASSWORD) -> requests.Response:
        return self.post("/sign-in", {"name": name, "password": password, "next": "/"},
                         token=self.token("/sign-in"))


def person(centre, name: str) -> Browser:
    browser = Browser(centre.console.url)
    assert browser.sign_in(name).status_code == 303
    return browser


def pending_user(centre, name: str = "nurse7") -> identity_pb2.User:
    users = centre.admin.ListUsers(identity_pb2.ListUsersRequest(hospital_code=HOSPITAL)).users
    return next(u for u in users if u.name == name)


def routes(centre, method: str) -> list[str]:
    """Every page (GET) or action (POST) of the console, with sample values."""
    samples = {"code": HOSPITAL, "name": "nurse7", "hospital": HOSPITAL, "kind": "drug", "item": "YP0010",
               "settlement_number": centre.settlements["MZ-0001"], "member_id": console_world.MEMBER,
               "policy_id": "1", "day": "2026-01-01", "index": "1", "period": "2026-01", "rule": "S02",
               "subject": "x", "action": "unlock", "lang": "en", "filename": "console.css"}
    found = []
    for rule in centre.console.app.url_map.iter_rules():
        if method in rule.methods and rule.endpoint not in ("static", "healthz", "language", "auth.sign_in"):
            path = rule.rule
            for argument in rule.arguments:
                path = re.sub(rf"<(?:[a-z]+:)?{argument}>", samples.get(argument, "x"), path)
            found.append(path.replace("<code>", "YP0010"))
    return found


def test_no_page_and_no_action_without_a_session(centre):
    anonymous = Browser(centre.console.url)
    pages = routes(centre, "GET")
    assert len(pages) >= 20
    for path in pages:
        answer = anonymous.get(path)
        assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"], path
    actions = routes(centre, "POST")
    assert len(actions) >= 20
    token = anonymous.token("/sign-in")  # a pre-session token is no session
    for path in actions:
        answer = anonymous.post(path, {"letters": ["C"]}, token=token)
        assert answer.status_code == 303 and answer.headers["Location"].endswith("/sign-in"), path
    assert pending_user(centre).state == identity_pb2.USER_STATE_PENDING
    # A forged session cookie is no session either.
    anonymous.http.cookies.set("ncms_console", "made-up")
    assert anonymous.get("/settlements").status_code == 302


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(centre):
    administrator = person(centre, "wang")
    path = f"/hospitals/{HOSPITAL}/users/nurse7/approve"
    for token in (False, "0" * 64):
        answer = administrator.post(path, {"letters": ["C"]}, token=token)
        assert answer.status_code == 403
    other = person(centre, "sun")  # another person's token does not fit this session
    assert administrator.post(path, {"letters": ["C"]}, token=other.token()).status_code == 403
    # Sent from another site (a valid token cannot be had there, but the Origin says so too).
    assert administrator.post(path, {"letters": ["C"]}, headers={"Origin": "https://evil.example"}).status_code == 403
    assert pending_user(centre).state == identity_pb2.USER_STATE_PENDING
    # The sign-in form has its own token too.
    fresh = Browser(centre.console.url)
    assert fresh.post("/sign-in", {"name": "wang", "password": STAFF_PASSWORD}, token=False).status_code == 403


def test_an_auditor_can_change_nothing(centre):
    auditor = person(centre, "sun")
    before_queue = centre.suite.stub("catalog", catalog_pb2_grpc.CatalogServiceStub).ListMappingQueue(
        catalog_pb2.ListMappingQueueRequest()).total_count
    token = auditor.token()
    refused = []
    for path in routes(centre, "POST"):
        if path in ("/sign-out",) or path.startswith("/account/"):
            continue  # one's own session and password
        answer = auditor.post(path, {"letters": ["C"], "ncms_code": "X001", "confirm": "MZ-0001",
                                     "reason": "x", "password": "Another#2026x", "name": "x1",
                                     "roles": ["auditor"], "level": "2", "code": "999999"}, token=token)
        refused.append((path, answer.status_code))
    assert refused and all(status == 403 for _path, status in refused), refused
    assert pending_user(centre).state == identity_pb2.USER_STATE_PENDING
    assert centre.suite.stub("catalog", catalog_pb2_grpc.CatalogServiceStub).ListMappingQueue(
        catalog_pb2.ListMappingQueueRequest()).total_count == before_queue
    settlements = centre.suite.services("settlement", settlement_pb2_grpc)
    assert settlements.SearchSettlements(settlement_pb2.SearchSettlementsRequest(
        state=settlement_pb2.SETTLEMENT_STATE_REFUNDED)).total_count == 0
    # And the pages show an auditor no button that would change something.
    page = auditor.get(f"/hospitals/{HOSPITAL}").text
    assert "/approve" not in page and "/disable" not in page
    assert 'action="/catalog/items' not in auditor.get("/catalog/queue").text


def test_a_person_without_the_role_is_refused_a_page(centre):
    clerk = person(centre, "li")
    for path in ("/settlements", "/reconciliations", "/audit", "/hospitals", "/staff",
                 f"/members/{console_world.MEMBER}"):
        answer = clerk.get(path)
        assert answer.status_code == 403, path
    assert clerk.get("/catalog/queue").status_code == 200


def test_a_locked_staff_account_cannot_sign_in(centre):
    centre.admin.CreateStaff(staff_pb2.CreateStaffRequest(
        name="qian", display_name="钱", roles=["auditor"], password=STAFF_PASSWORD, keep_password=True))
    browser = Browser(centre.console.url)
    for _ in range(5):
        wrong = browser.sign_in("qian", "Wrong#2026pw")
        assert wrong.status_code == 401 and ("用户名或口令错误" in wrong.text)
    locked = browser.sign_in("qian")
    assert locked.status_code == 401 and "已锁定" in locked.text
    assert browser.get("/").status_code == 302


def test_names_from_the_services_are_shown_as_text(centre):
    fund = person(centre, "zhao")
    pages = [fund.get(f"/settlements/{HOSPITAL}/{centre.settlements['MZ-0001']}").text,
             fund.get("/settlements").text, fund.get(f"/members/{console_world.XSS_MEMBER_ID}").text,
             person(centre, "li").get("/catalog/queue").text, person(centre, "wang").get("/hospitals").text]
    text = "\n".join(pages)
    for payload in (XSS_HOSPITAL, XSS_ITEM, XSS_MEMBER):
        assert payload not in text
    assert "&lt;script&gt;window.__xss=&#34;hospital&#34;&lt;/script&gt;示范卫生院" in text
    assert "&lt;img src=x onerror=" in text and "&lt;svg onload=" in text


def test_headers_and_cookies(centre):
    browser = Browser(centre.console.url)
    sign_in_page = browser.get("/sign-in")
    policy = sign_in_page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert sign_in_page.headers["X-Content-Type-Options"] == "nosniff"
    signed = browser.sign_in("zhao")
    cookie = signed.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert browser.get("/settlements").headers["Cache-Control"] == "no-store"


def test_behind_tls_cookies_are_secure_and_host_bound(centre):
    secure = ConsoleServer(centre.suite.settings, console_secure_cookies=True)
    try:
        form = requests.get(secure.url + "/sign-in", timeout=30)
        assert "__Host-ncms_console_pre=" in form.headers["Set-Cookie"] and "Secure" in form.headers["Set-Cookie"]
        presession = form.cookies["__Host-ncms_console_pre"]
        # (A browser sends Secure cookies over TLS only; here the test sends it by hand.)
        answer = requests.post(secure.url + "/sign-in", data={
            "name": "zhao", "password": STAFF_PASSWORD, "csrf_token": CSRF.search(form.text).group(1)},
            headers={"Cookie": f"__Host-ncms_console_pre={presession}"}, allow_redirects=False, timeout=30)
        assert answer.status_code == 303
        cookie = answer.headers["Set-Cookie"]
        assert "__Host-ncms_console=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
        assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        secure.stop()


def test_sign_in_goes_back_only_to_the_console(centre):
    browser = Browser(centre.console.url)
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        answer = browser.post("/sign-in", {"name": "zhao", "password": STAFF_PASSWORD, "next": target},
                              token=browser.token("/sign-in"))
        assert answer.headers["Location"] in ("/", f"{centre.console.url}/"), target
    bookmarked = Browser(centre.console.url)
    first = bookmarked.get("/settlements?state=in_force&sort=total")
    assert first.status_code == 302
    from urllib.parse import parse_qs, urlsplit

    target = parse_qs(urlsplit(first.headers["Location"]).query)["next"][0]
    assert target == "/settlements?state=in_force&sort=total"
    answer = bookmarked.post("/sign-in", {"name": "zhao", "password": STAFF_PASSWORD, "next": target},
                             token=bookmarked.token("/sign-in"))
    assert answer.headers["Location"].endswith("/settlements?state=in_force&sort=total")


def test_lists_export_to_csv_and_excel(centre):
    fund = person(centre, "zhao")
    exported = fund.get("/settlements?format=csv&sort=total")
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    text = exported.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][0] == "结算编号" and [row[3] for row in rows[1:]] == ["MZ-0002", "MZ-0001"]
    assert XSS_MEMBER in [row[6] for row in rows]  # as data, in a file
    workbook = fund.get("/settlements?format=xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(workbook.content)).active
    assert sheet.max_row == 3 and sheet.cell(1, 1).value == "结算编号"
    assert "filename*=UTF-8''settlements.xlsx" in workbook.headers["Content-Disposition"]


def test_bad_input_is_said_and_changes_nothing(centre):
    fund = person(centre, "zhao")
    bad_date = fund.get("/settlements?from=2026-13-45")
    assert bad_date.status_code == 200 and "2026-12-02" in bad_date.text  # the format it wants
    bad_id = fund.get("/settlements?id_number=123")
    assert "身份证号" in bad_id.text
    clerk = person(centre, "li")
    answer = clerk.post(f"/catalog/items/{HOSPITAL}/drug/YP0010/map", {"ncms_code": "NOPE", "reason": "x"})
    assert answer.status_code == 302
    assert "NOPE" in clerk.get(answer.headers["Location"]).text  # the refusal, on the page it came from
    assert any(q.item.code == "YP0010" for q in centre.suite.stub(
        "catalog", catalog_pb2_grpc.CatalogServiceStub).ListMappingQueue(catalog_pb2.ListMappingQueueRequest()).items)


def test_english_is_a_click_away_and_chinese_comes_first(centre):
    browser = person(centre, "sun")
    assert "结算" in browser.get("/settlements").text
    browser.get("/language/en?next=/settlements")
    page = browser.get("/settlements").text
    assert "Settlements" in page and '<html lang="en">' in page


def test_every_text_of_the_console_is_in_the_chinese_catalogue():
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    with (ROOT / "console" / "locale" / "zh_CN" / "LC_MESSAGES" / "console.po").open("rb") as handle:
        translated = {m.id: m for m in read_po(handle, locale="zh_CN") if m.id}
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    found = {message for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "console"), method_map=method_map, keywords={"_": None, "N_": None, "gettext": None})}
    missing = sorted(found - set(translated))
    assert not missing, f"not in console.po (make messages, then translate): {missing[:20]}"
    untranslated = sorted(key for key, message in translated.items() if not message.string)
    assert not untranslated, untranslated[:20]


def test_a_password_set_by_an_administrator_is_changed_before_anything_else(centre):
    centre.admin.CreateStaff(staff_pb2.CreateStaffRequest(name="zhou", display_name="周", roles=["fund-officer"],
                                                          password="Start#2026pw"))
    browser = Browser(centre.console.url)
    signed = browser.sign_in("zhou", "Start#2026pw")
    assert signed.status_code == 303 and signed.headers["Location"].endswith("/account/password")
    assert browser.get("/settlements").headers["Location"].endswith("/account/password")
    token = browser.token("/account/password")
    differ = browser.post("/account/password", {"old_password": "Start#2026pw", "new_password": "Fresh#2026pw",
                                                "again": "Other#2026pw"}, token=token)
    assert differ.status_code == 400 and "不一致" in differ.text
    weak = browser.post("/account/password", {"old_password": "Start#2026pw", "new_password": "weak",
                                              "again": "weak"}, token=token)
    assert weak.status_code == 400 and "E1101" in weak.text
    changed = browser.post("/account/password", {"old_password": "Start#2026pw", "new_password": "Fresh#2026pw",
                                                 "again": "Fresh#2026pw"}, token=token)
    assert changed.status_code == 303
    assert browser.get("/settlements").status_code == 200
