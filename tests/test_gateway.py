"""The legacy SOAP gateway over HTTP, against a real identity service."""

from __future__ import annotations

import logging
import threading
import time

import pytest
import requests
import sqlalchemy as sa
from lxml import etree

from legacy.operations import OPERATIONS
from services.identity.models import AuditEvent
from tests.support.soap import Legacy, envelope
from tests.support.suite import new_hospital, new_user

PASSWORD = "Passw0rd!x"


@pytest.fixture
def hospital(identity):
    key = new_hospital(identity.admin)
    new_user(identity.admin, permissions="ABCDEFGHIJ")
    return key


@pytest.fixture
def gateway(identity, hospital):
    return identity.start_gateway()


@pytest.fixture
def his(gateway, hospital):
    return Legacy(gateway, hospital)


# --- the WSDL ----------------------------------------------------------------------------

WSDL_NS = {"wsdl": "http://schemas.xmlsoap.org/wsdl/", "s": "http://www.w3.org/2001/XMLSchema",
           "soap": "http://schemas.xmlsoap.org/wsdl/soap/", "soap12": "http://schemas.xmlsoap.org/wsdl/soap12/"}


def test_wsdl_publishes_every_operation_in_the_asmx_shape(identity):
    url = identity.start_gateway(gateway_public_url="https://ncms.example.gov.cn/his/NcmsService.asmx")
    for query in ("wsdl", "WSDL"):
        response = requests.get(url + "?" + query, headers={"Host": "attacker.example"}, timeout=10)
        assert response.status_code == 200
        document = etree.fromstring(response.content)
        locations = document.xpath("//soap:address/@location | //soap12:address/@location", namespaces=WSDL_NS)
        assert locations == ["https://ncms.example.gov.cn/his/NcmsService.asmx"] * 2
    names = document.xpath("//wsdl:portType/wsdl:operation/@name", namespaces=WSDL_NS)
    assert names == [op.name for op in OPERATIONS] and len(names) == 14
    assert set(document.xpath("//wsdl:message/wsdl:part/@name", namespaces=WSDL_NS)) == {
        "parameters", "ErrorInfo", "MessageHeader"}
    for op in OPERATIONS:
        wrapper = document.xpath(f"//s:element[@name='{op.name}']//s:sequence/s:element/@name", namespaces=WSDL_NS)
        assert wrapper == list(op.parameter_names)
        response_children = document.xpath(
            f"//s:element[@name='{op.name}Response']/s:complexType/s:sequence/s:element/@name", namespaces=WSDL_NS)
        assert response_children == [f"{op.name}Result"]
        action = document.xpath(f"//wsdl:binding[@name='NcmsServiceSoap']/wsdl:operation[@name='{op.name}']"
                                "/soap:operation/@soapAction", namespaces=WSDL_NS)
        assert action == [f"urn:ncms:his:v1/{op.name}"]
    dataset = document.xpath("//s:element[@name='ypml']/s:complexType/s:sequence/*", namespaces=WSDL_NS)
    assert [(etree.QName(e).localname, e.get("ref")) for e in dataset] == [("element", "s:schema"), ("any", None)]


# --- every refusal, through SOAP ------------------------------------------------------------

def test_refusals_e1001_to_e1007(identity, gateway, hospital, his):
    assert his.call("yhklxgjk", ykl="Wrong-pass1", xkl="Other#2026x").text() == "E1001:用户名或口令错误"
    stranger = Legacy(gateway, hospital, user="nobody")
    assert stranger.call("chryxxjk", chzh="1").error_info()[0] == "E1001"
    assert his.call("chryxxjk", chzh="1", key="wrong-key").error_info()[0] == "E1005"
    tampered = his.call("chryxxjk", chzh="45020000100001", tamper={"chzh": "45020000199999"})
    assert tampered.error_info() == ("E1005", "E1005:消息摘要校验失败")
    other = Legacy(gateway, hospital, hospital="450299999")
    assert other.call("chryxxjk", chzh="1").error_info()[0] == "E1007"
    from_elsewhere = Legacy(gateway, hospital, source_address="127.0.0.2")
    new_user(identity.admin, name="local", password="L0cal#only", ips=("127.0.0.1",), permissions="E")
    from_elsewhere.user, from_elsewhere.password = "local", "L0cal#only"
    assert from_elsewhere.call("chryxxjk", chzh="1").error_info()[0] == "E1003"
    new_user(identity.admin, name="clerk", password="Clrk#2026ab", permissions="E")
    clerk = Legacy(gateway, hospital, user="clerk", password="Clrk#2026ab")
    assert clerk.call("Yhzjjk", xzyh="x1", xzyhkl="Xx#2026abc", fwqx="E").text() == "E1004:无此接口权限"
    assert his.call("Yhzjjk", xzyh="nurse02", xzyhkl="Nurse#2026y", fwqx="E").text() == ""
    pending = Legacy(gateway, hospital, user="nurse02", password="Nurse#2026y")
    assert pending.call("chryxxjk", chzh="1").error_info()[0] == "E1006"
    for _ in range(5):
        clerk.call("chryxxjk", chzh="1", kl="Wrong-pass1")
    locked = clerk.call("chryxxjk", chzh="1")
    assert locked.status == 200 and locked.dataset() is None and locked.error_info()[0] == "E1002"


def test_refusals_e1101_to_e1105(gateway, his):
    assert his.call("yhklxgjk", ykl=PASSWORD, xkl="short").text().startswith("E1101:口令强度不足")
    assert his.call("yhklxgjk", ykl=PASSWORD, xkl=PASSWORD).text() == "E1102:新旧口令相同"
    assert his.call("Yhzjjk", xzyh="his01", xzyhkl="Xx#2026abc", fwqx="E").text() == "E1103:用户已存在"
    assert his.call("Yhscjk", scyh="nobody").text() == "E1104:用户不存在"
    assert his.call("Yhscjk", scyh="his01").text().startswith("E1105:权限越权")
    assert his.call("Yhzjjk", xzyh="x3", xzyhkl="Xx#2026abc", fwqx="EZ").text().startswith("E2001")


def test_escalation_through_soap(identity, gateway, hospital):
    new_user(identity.admin, name="lead", password="Ld#2026abcd", permissions="AE")
    lead = Legacy(gateway, hospital, user="lead", password="Ld#2026abcd")
    assert lead.call("Yhzjjk", xzyh="x4", xzyhkl="Xx#2026abc", fwqx="EF").text().startswith("E1105:权限越权")
    assert lead.call("Yhzjjk", xzyh="x4", xzyhkl="Xx#2026abc", fwqx="E").text() == ""


def test_soap12_on_the_same_url(his):
    answer = his.call("chryxxjk", chzh="1", soap12=True)
    assert answer.status == 200
    assert answer.document.tag == "{http://www.w3.org/2003/05/soap-envelope}Envelope"
    assert answer.error_info()[0] == "E9001"
    assert his.call("yhklxgjk", ykl=PASSWORD, xkl=PASSWORD, soap12=True).text() == "E1102:新旧口令相同"


def test_absent_strings_count_as_empty(gateway, hospital, his):
    # yxfwip omitted entirely: signed as empty, and the user gets the requester's addresses
    assert his.call("Yhzjjk", xzyh="nurse03", xzyhkl="Nurse#2026z", fwqx="E").text() == ""


# --- faults only for what is not SOAP ---------------------------------------------------------

@pytest.mark.parametrize("body,code", [
    (b"not xml at all", "XMLSyntaxError"),
    (b"<a>unclosed", "XMLSyntaxError"),
    (b"<notsoap/>", "SoapError"),
])
def test_faults_for_input_that_is_not_soap(his, body, code):
    answer = his.post(body, "chryxxjk")
    assert answer.status == 500
    assert code in answer.fault()[0]


def test_unknown_operation_is_a_fault(his):
    answer = his.post(envelope("chryxxjk", {"chzh": "1"}).replace(b"chryxxjk", b"nosuchop"), "nosuchop")
    assert answer.status == 500 and answer.fault() is not None


# --- hardening -------------------------------------------------------------------------------

XXE = b"""<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>
<chryxxjk xmlns="urn:ncms:his:v1"><chzh>&xxe;</chzh></chryxxjk></soap:Body></soap:Envelope>"""

LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                     for i in range(1, 10))
          + b']><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
          b'<chryxxjk xmlns="urn:ncms:his:v1"><chzh>&lol9;</chzh></chryxxjk></soap:Body></soap:Envelope>')


@pytest.mark.parametrize("body", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_dtds_are_refused_before_any_entity_is_expanded(his, body):
    answer = his.post(body, "chryxxjk")
    assert answer.status == 400 and "DTDNotAllowed" in answer.fault()[0]
    assert b"root:" not in etree.tostring(answer.document)


def test_oversized_bodies_are_refused(identity, hospital):
    url = identity.start_gateway(gateway_max_body_bytes=64 * 1024)
    big = envelope("chryxxjk", {"chzh": "x" * 100_000})
    response = requests.post(url, data=big, headers={"Content-Type": "text/xml"}, timeout=10)
    assert response.status_code == 413 and b"RequestTooLarge" in response.content

    def chunks():
        for _ in range(20):
            yield b"<a>" + b"x" * 8192 + b"</a>"

    chunked = requests.post(url, data=chunks(), headers={"Content-Type": "text/xml"}, timeout=10)
    assert chunked.status_code == 413


def test_deep_nesting_is_refused_by_the_parser(his):
    deep = (b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
            + b"<a>" * 5000 + b"</a>" * 5000 + b"</soap:Body></soap:Envelope>")
    answer = his.post(deep, "chryxxjk")
    assert answer.status == 500 and "XMLSyntaxError" in answer.fault()[0]


# --- backends down or slow ---------------------------------------------------------------------

def test_identity_down_gives_e9001(identity, hospital):
    url = identity.start_gateway(grpc_deadline_seconds=1.0)
    his = Legacy(url, hospital)
    identity.servers.pop("identity").stop(grace=0)
    assert his.call("yhklxgjk", ykl=PASSWORD, xkl="N3w-pass!x").text().startswith("E9001:")
    answer = his.call("chryxxjk", chzh="1")
    assert answer.dataset() is None and answer.error_info()[0] == "E9001"


def test_identity_too_slow_gives_e9001_and_nothing_half_done(identity, hospital, monkeypatch):
    from services.identity.api.hospital_users import HospitalUserServicer

    original = HospitalUserServicer.ChangePassword
    entered, release, finished = threading.Event(), threading.Event(), threading.Event()
    outcome = {}

    def held(self, request, context):
        """The password change waits until the test lets it go on: after the gateway
        has given up."""
        entered.set()
        release.wait(30)
        try:
            outcome["result"] = original(self, request, context)
            return outcome["result"]
        except Exception as exc:
            outcome["error"] = exc
            raise
        finally:
            finished.set()

    monkeypatch.setattr(HospitalUserServicer, "ChangePassword", held)
    identity.servers.pop("identity").stop(grace=0)
    identity.start("identity")  # the same database, the held servicer
    # The deadline leaves Authenticate, which comes first, time enough on a loaded machine;
    # the held password change outlasts any deadline.
    url = identity.start_gateway(grpc_deadline_seconds=3.0)
    his = Legacy(url, hospital)
    # The gateway answers E9001 at its deadline while the service is still working.
    assert his.call("yhklxgjk", ykl=PASSWORD, xkl="N3w-pass!x").text().startswith("E9001:")
    assert entered.is_set() and not finished.is_set()
    release.set()
    assert finished.wait(30)
    # The change reached its commit after its caller had gone: rolled back, E9001.
    assert "result" not in outcome and "E9001" in str(outcome["error"])
    release.set()
    assert his.call("yhklxgjk", ykl=PASSWORD, xkl=PASSWORD).text() == "E1102:新旧口令相同"


# --- the client's address ------------------------------------------------------------------------

def test_forwarded_for_is_ignored_from_untrusted_peers(identity, hospital):
    new_user(identity.admin, name="wardx", password="Ward#2026xy", ips=("10.1.2.3",), permissions="E")
    url = identity.start_gateway()  # no trusted proxies: the socket peer (127.0.0.1) counts
    his = Legacy(url, hospital, user="wardx", password="Ward#2026xy")
    his.session.headers["X-Forwarded-For"] = "10.1.2.3"
    assert his.call("chryxxjk", chzh="1").error_info()[0] == "E1003"


def test_forwarded_for_from_a_trusted_proxy(identity, hospital):
    new_user(identity.admin, name="wardy", password="Ward#2026yz", ips=("10.1.2.3",), permissions="E")
    url = identity.start_gateway(gateway_trusted_proxies="127.0.0.1, 10.9.0.0/16")
    his = Legacy(url, hospital, user="wardy", password="Ward#2026yz")
    his.session.headers["X-Forwarded-For"] = "10.1.2.3"
    assert his.call("chryxxjk", chzh="1").error_info()[0] == "E9001"  # authenticated: 10.1.2.3
    # a client-written hop further left proves nothing; the nearest untrusted one counts
    his.session.headers["X-Forwarded-For"] = "10.1.2.3, 192.0.2.66, 10.9.0.7"
    assert his.call("chryxxjk", chzh="1").error_info()[0] == "E1003"
    his.session.headers["X-Forwarded-For"] = "192.0.2.66, 10.1.2.3, 10.9.0.7"
    assert his.call("chryxxjk", chzh="1").error_info()[0] == "E9001"


def test_trusted_proxy_walk():
    from legacy.front import TrustedProxies

    proxies = TrustedProxies("10.0.0.0/8,::1")
    assert proxies.client_address("192.0.2.1", "10.1.1.1") == "192.0.2.1"
    assert proxies.client_address("10.0.0.1", "198.51.100.7") == "198.51.100.7"
    assert proxies.client_address("::1", "198.51.100.7, 10.2.2.2") == "198.51.100.7"
    assert proxies.client_address("10.0.0.1", "evil, 198.51.100.7, 10.3.3.3") == "198.51.100.7"
    assert proxies.client_address("10.0.0.1", None) == "10.0.0.1"


# --- audit and logs -------------------------------------------------------------------------------

def test_outcomes_reach_the_audit_log(identity, his):
    assert his.call("yhklxgjk", ykl=PASSWORD, xkl=PASSWORD).text() == "E1102:新旧口令相同"
    assert his.call("Yhscjk", scyh="nobody").text() == "E1104:用户不存在"
    engine = sa.create_engine(identity.urls["identity"])
    deadline = time.monotonic() + 30  # the reporter sends every half second; ends as soon as both are in
    outcomes: list = []
    while time.monotonic() < deadline and len(outcomes) < 2:
        with engine.connect() as connection:
            outcomes = connection.execute(sa.select(AuditEvent.error_code).where(
                AuditEvent.kind == "outcome").order_by(AuditEvent.id)).scalars().all()
        time.sleep(0.1)
    engine.dispose()
    assert outcomes == ["E1102", "E1104"]


def test_no_bodies_passwords_or_id_numbers_in_logs(his, caplog):
    caplog.set_level(logging.DEBUG)
    secret_id = "450203199001011234"
    his.post(b"<broken " + secret_id.encode() + b" Passw0rd!x", "chryxxjk")
    his.call("yhklxgjk", ykl=PASSWORD, xkl="Wrong-" + secret_id)
    his.call("chryxxjk", chzh=secret_id)
    assert secret_id not in caplog.text and PASSWORD not in caplog.text


def test_concurrent_calls(gateway, hospital):
    results: list[str] = []
    lock = threading.Lock()

    def worker():
        his = Legacy(gateway, hospital)
        for _ in range(10):
            value = his.call("yhklxgjk", ykl=PASSWORD, xkl=PASSWORD).text()
            with lock:
                results.append(value)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["E1102:新旧口令相同"] * 80
