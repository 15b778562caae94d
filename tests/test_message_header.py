"""The MessageHeader (报文标识) against replay, end to end through the SOAP edge:
published in the WSDL on every operation's input, signed with the call (digest.md),
passed to identity, which refuses a msgid used before (E1008) and a sendtime too far
from its clock (E1009); calls without it unchanged unless the hospital requires it.

The checks themselves are identity's (``AuthenticateRequest.message_header``); these
tests hold the gateway, the library's client, zeep and a hand-built message to them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from lxml import etree

from legacy import message_header
from legacy.client import LegacyCaller, envelope, sign
from legacy.message_header import MessageHeader
from legacy.operations import OPERATIONS
from ncms.identity.v1 import identity_pb2
from ncms.settlement.v1 import settlement_pb2
from runtime.clock import beijing_now
from tests.support.soap import Legacy, ZeepHIS
from tests.support.suite import new_hospital, new_user
from tests.support.world import build, line, outpatient_call

PASSWORD = "Passw0rd!x"
WSDL_NS = {"wsdl": "http://schemas.xmlsoap.org/wsdl/", "s": "http://www.w3.org/2001/XMLSchema",
           "soap": "http://schemas.xmlsoap.org/wsdl/soap/", "soap12": "http://schemas.xmlsoap.org/wsdl/soap12/"}


@pytest.fixture
def hospital(identity):
    key = new_hospital(identity.admin)
    new_user(identity.admin, permissions="ABCDEFGHIJ")
    return key


@pytest.fixture
def his(identity, hospital):
    return Legacy(identity.start_gateway(), hospital)


def signed(his: Legacy, operation: str, header: MessageHeader | None, **values) -> bytes:
    """The bytes of a call signed with ``header`` (or without one)."""
    params = his.params(operation, **values)
    params["xxzy"] = sign(his.key, operation, params, header=header)
    return envelope(operation, params, header=header)


def same_password(his: Legacy, header: MessageHeader | None) -> str:
    """yhklxgjk to the same password: authenticated, then E1102 (a harmless probe
    that reaches past every identity check)."""
    return his.post(signed(his, "yhklxgjk", header, ykl=PASSWORD, xkl=PASSWORD), "yhklxgjk").text()


AUTHENTICATED = "E1102:新旧口令相同"


# --- the WSDL ------------------------------------------------------------------------------

def test_wsdl_declares_the_header_on_every_input_the_asmx_way(identity):
    import requests

    document = etree.fromstring(requests.get(identity.start_gateway() + "?wsdl", timeout=10).content)
    fields = document.xpath("//s:complexType[@name='MessageHeader']/s:sequence/s:element", namespaces=WSDL_NS)
    assert [(e.get("name"), e.get("type"), e.get("minOccurs")) for e in fields] == [
        ("msgid", "s:string", "0"), ("sendtime", "s:string", "0")]
    assert document.xpath("//s:schema/s:element[@name='MessageHeader']/@type", namespaces=WSDL_NS) == [
        "tns:MessageHeader"]
    for op in OPERATIONS:
        part = document.xpath(f"//wsdl:message[@name='{op.name}MessageHeader']/wsdl:part", namespaces=WSDL_NS)
        assert [(p.get("name"), p.get("element")) for p in part] == [("MessageHeader", "tns:MessageHeader")]
        for prefix, binding in (("soap", "NcmsServiceSoap"), ("soap12", "NcmsServiceSoap12")):
            headers = document.xpath(
                f"//wsdl:binding[@name='{binding}']/wsdl:operation[@name='{op.name}']/wsdl:input/{prefix}:header",
                namespaces=WSDL_NS)
            assert [(h.get("message"), h.get("part"), h.get("use")) for h in headers] == [
                (f"tns:{op.name}MessageHeader", "MessageHeader", "literal")]
            # optional: nothing marks it required
            assert all(len(h.attrib) == 3 for h in headers)
        outputs = document.xpath(f"//wsdl:binding/wsdl:operation[@name='{op.name}']/wsdl:output/*"
                                 "[local-name()='header']/@part", namespaces=WSDL_NS)
        assert "MessageHeader" not in outputs


def test_the_header_as_sent_and_found():
    header = message_header.new()
    assert len(header.msgid) == 32 and header.msgid.isalnum() and header.msgid.isascii()
    assert header != message_header.new()  # a fresh msgid every call
    # sendtime: yyyy-MM-dd HH:mm:ss, Beijing time
    now = beijing_now().replace(tzinfo=None)
    from datetime import datetime

    sent = datetime.strptime(header.sendtime, "%Y-%m-%d %H:%M:%S")
    assert abs(sent - now) < timedelta(seconds=5)
    body = envelope("chryxxjk", {"chzh": "1"}, header=header)
    root = etree.fromstring(body)
    found = message_header.find(root.find("{http://schemas.xmlsoap.org/soap/envelope/}Header"))
    assert found == header
    assert header.digest_pairs() == {"MessageHeader.msgid": header.msgid, "MessageHeader.sendtime": header.sendtime}
    # the values as sent, whitespace kept; a missing child counts as empty
    element = etree.fromstring('<MessageHeader xmlns="urn:ncms:his:v1"><msgid> a </msgid></MessageHeader>')
    assert message_header.find([element]) == MessageHeader(" a ", "")
    assert message_header.find([etree.fromstring("<MessageHeader/>")]) is None  # not in the namespace
    assert message_header.find(None) is None


# --- signed: neither changed nor removed ---------------------------------------------------------

def test_a_header_stripped_changed_or_added_breaks_the_digest(his):
    header = message_header.new()
    original = signed(his, "yhklxgjk", header, ykl=PASSWORD, xkl=PASSWORD)
    root = etree.fromstring(original)
    soap_header = root.find("{http://schemas.xmlsoap.org/soap/envelope/}Header")
    root.remove(soap_header)
    assert his.post(etree.tostring(root), "yhklxgjk").text() == "E1005:消息摘要校验失败"  # stripped
    changed = original.replace(header.msgid.encode(), b"f" * 32)
    assert his.post(changed, "yhklxgjk").text() == "E1005:消息摘要校验失败"  # another msgid
    later = MessageHeader(header.msgid, "2099-01-01 00:00:00")
    assert his.post(original.replace(header.sendtime.encode(), later.sendtime.encode()),
                    "yhklxgjk").text() == "E1005:消息摘要校验失败"  # another sendtime
    # a header added to a message signed without one
    unsigned = his.params("yhklxgjk", ykl=PASSWORD, xkl=PASSWORD)
    unsigned["xxzy"] = sign(his.key, "yhklxgjk", unsigned)
    assert his.post(envelope("yhklxgjk", unsigned, header=header), "yhklxgjk").text() == "E1005:消息摘要校验失败"
    # and the message as signed is accepted
    assert his.post(original, "yhklxgjk").text() == AUTHENTICATED


def test_soap12_carries_the_header_too(his):
    header = message_header.new()
    params = his.params("yhklxgjk", ykl=PASSWORD, xkl=PASSWORD)
    params["xxzy"] = sign(his.key, "yhklxgjk", params, header=header)
    body = envelope("yhklxgjk", params, soap12=True, header=header)
    assert his.post(body, "yhklxgjk", soap12=True).text() == AUTHENTICATED
    assert his.post(body, "yhklxgjk", soap12=True).text().startswith("E1008:")


# --- identity's checks, through the gateway ----------------------------------------------------

def test_a_byte_identical_replay_is_refused_e1008(his):
    body = signed(his, "yhklxgjk", message_header.new(), ykl=PASSWORD, xkl=PASSWORD)
    assert his.post(body, "yhklxgjk").text() == AUTHENTICATED
    assert his.post(body, "yhklxgjk").text().startswith("E1008:报文标识无效")
    # a new msgid is a new message
    assert same_password(his, message_header.new()) == AUTHENTICATED


@pytest.mark.parametrize("offset", [timedelta(seconds=-400), timedelta(seconds=400), timedelta(days=-3650)],
                         ids=["late", "early", "years-old"])
def test_a_sendtime_far_from_the_clock_is_refused_e1009(his, offset):
    stale = message_header.new(beijing_now() + offset)
    assert same_password(his, stale).startswith("E1009:报文时间超出允许范围")
    near = message_header.new(beijing_now() - timedelta(seconds=60))
    assert same_password(his, near) == AUTHENTICATED


def test_without_the_header_calls_are_unchanged_until_the_hospital_requires_it(identity, his):
    for _ in range(2):  # the same message twice: no header, no replay check
        assert same_password(his, None) == AUTHENTICATED
    identity.admin.SetMessageHeaderRequired(identity_pb2.SetMessageHeaderRequiredRequest(
        code="450200001", required=True))
    assert same_password(his, None).startswith("E1008:报文标识无效")
    chryxxjk = his.call("chryxxjk", chzh="1")
    assert chryxxjk.dataset() is None and chryxxjk.error_info()[0] == "E1008"
    assert same_password(his, message_header.new()) == AUTHENTICATED
    identity.admin.SetMessageHeaderRequired(identity_pb2.SetMessageHeaderRequiredRequest(
        code="450200001", required=False))
    assert same_password(his, None) == AUTHENTICATED


def test_the_library_client_sends_a_fresh_header_with_every_call(identity, hospital):
    url = identity.start_gateway()
    identity.admin.SetMessageHeaderRequired(identity_pb2.SetMessageHeaderRequiredRequest(
        code="450200001", required=True))
    caller = LegacyCaller(url, hospital, "450200001", "his01", PASSWORD)
    for _ in range(3):
        assert caller.call("yhklxgjk", ykl=PASSWORD, xkl=PASSWORD).refusal == AUTHENTICATED
    without = LegacyCaller(url, hospital, "450200001", "his01", PASSWORD, message_header=False)
    assert without.call("yhklxgjk", ykl=PASSWORD, xkl=PASSWORD).refusal.startswith("E1008:报文标识无效")


# --- the attack of the finding: a captured refund sent again ----------------------------------------

def test_a_captured_refund_cannot_refund_the_bill_settled_again(identity):
    world = build(identity)
    his = world.his()
    visit = outpatient_call("MZREPLAY1", [line(1, "1", "YP0001", "阿莫西林胶囊", "12.50", "2", "25.00")])
    first = his.call("mzjsjk", header=message_header.new(), **visit)
    assert first.dataset() is not None, first.error_info()
    refund = signed(his, "mzjstfjk", message_header.new(), mzbh="MZREPLAY1")
    assert his.post(refund, "mzjstfjk").text() == ""  # the refund, captured on the way
    again = his.call("mzjsjk", header=message_header.new(), **visit)
    assert again.dataset() is not None, again.error_info()
    jsbh = again.rows("mzjsjg")[0]["jsbh"]
    assert jsbh != first.rows("mzjsjg")[0]["jsbh"]
    assert his.post(refund, "mzjstfjk").text().startswith("E1008:报文标识无效")  # the captured refund, replayed
    record = world.settlement_admin.GetSettlement(settlement_pb2.GetSettlementRequest(
        hospital_code="450200001", kind=settlement_pb2.SETTLEMENT_KIND_OUTPATIENT, number="MZREPLAY1")).settlement
    assert record.result.settlement_number == jsbh and not record.HasField("refund_time")


# --- zeep, a generic client, sends the header from the WSDL -----------------------------------------

def test_zeep_sends_the_header_from_the_wsdl(identity, hospital):
    url = identity.start_gateway()
    zeep_his = ZeepHIS(url, hospital)
    header = message_header.new()
    sent: list[bytes] = []

    class Capture:
        def egress(self, envelope, http_headers, operation, binding_options):
            sent.append(etree.tostring(envelope))
            return envelope, http_headers

        def ingress(self, envelope, http_headers, operation):
            return envelope, http_headers

    zeep_his.client.plugins.append(Capture())
    assert zeep_his.call("yhklxgjk", header=header, ykl=PASSWORD, xkl=PASSWORD) == AUTHENTICATED
    assert message_header.find(etree.fromstring(sent[-1]).find(
        "{http://schemas.xmlsoap.org/soap/envelope/}Header")) == header
    assert zeep_his.call("yhklxgjk", header=header, ykl=PASSWORD, xkl=PASSWORD).startswith("E1008:报文标识无效")
    stale = message_header.new(beijing_now() - timedelta(hours=1))
    assert zeep_his.call("yhklxgjk", header=stale, ykl=PASSWORD, xkl=PASSWORD).startswith("E1009:报文时间超出允许范围")
    # a DataSet answer: the household, with a header
    answer = zeep_his.call("chryxxjk", header=message_header.new(), chzh="1")
    assert answer["header"]["ErrorInfo"]["code"] == "E9001"  # authenticated; enrolment is not running
    assert zeep_his.call("yhklxgjk", ykl=PASSWORD, xkl=PASSWORD) == AUTHENTICATED  # and without one


# --- the hospital's own service takes the header the same way -----------------------------------------

def test_a_hospitals_own_service_takes_the_header(suite):
    suite.start("identity")
    hospital, hospital_identity = suite.start_hospital("450200001")
    from ncms.identity.v1 import identity_pb2_grpc
    from runtime.clients import ClientCredentials, PackageStubs, with_token
    from tests.support.suite import ADMIN_SECRET

    channel = suite.channel("identity", hospital_identity)
    token = ClientCredentials(identity_pb2_grpc.TokenServiceStub(channel), "ncms-admin", ADMIN_SECRET).token
    admin = PackageStubs(with_token(channel, token), identity_pb2_grpc)
    key = admin.CreateHospital(identity_pb2.CreateHospitalRequest(code="450200001", name="测试", level=2)).signing_key
    admin.CreateUser(identity_pb2.CreateUserRequest(hospital_code="450200001", name="ncms01", password=PASSWORD,
                                                    allowed_ips=["127.0.0.0/8"], permissions="AB"))
    ncms = Legacy(hospital.url, key, user="ncms01")
    body = signed(ncms, "yhklxgjk", message_header.new(), ykl=PASSWORD, xkl=PASSWORD)
    assert ncms.post(body, "yhklxgjk").text() == AUTHENTICATED
    assert ncms.post(body, "yhklxgjk").text().startswith("E1008:报文标识无效")
    query = signed(ncms, "zysjcxjk", message_header.new(), zybh="ZY-NONE")
    answer = ncms.post(query, "zysjcxjk")
    assert answer.error_info()[0] == "E4004"
