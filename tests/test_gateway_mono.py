"""A .NET HIS (Mono's wsdl-generated proxy) against the gateway."""

import re

import pytest

from tests.support.suite import new_hospital, new_user

pytestmark = pytest.mark.mono


def test_proxy_has_plain_methods_with_datasets(mono_client):
    source = mono_client.proxy_source
    for signature in [
        "public string yhklxgjk(string yydm, string yh, string ykl, string xkl, string xxzy)",
        "public string Yhzjjk(string yydm, string fqyh, string fqyhkl, string xzyh, string xzyhkl, "
        "string yxfwip, string fwqx, string xxzy)",
        "public string Yhscjk(string yydm, string fqyh, string fqyhkl, string scyh, string xxzy)",
        "public string ypmljk(string yydm, string yh, string kl, System.Data.DataSet ypml, string xxzy)",
        "public string zlmljk(string yydm, string yh, string kl, System.Data.DataSet zlml, string xxzy)",
        "public System.Data.DataSet chryxxjk(string yydm, string yh, string kl, string chzh, string xxzy)",
        "public System.Data.DataSet mzjsjk(string yydm, string yh, string kl, System.Data.DataSet jszjl, "
        "System.Data.DataSet jsmxjl, string xxzy)",
        "public string mzjstfjk(string yydm, string yh, string kl, string mzbh, string xxzy)",
        "public string zydjjk(string yydm, string yh, string kl, System.Data.DataSet rydj, string xxzy)",
        "public System.Data.DataSet zysjcxjk(string yh, string kl, string zybh, string xxzy)",
        "public string zyjsjk(string yydm, string yh, string kl, System.Data.DataSet jszjl, "
        "System.Data.DataSet jsmxjl, string xxzy)",
        "public string zyjstfjk(string yydm, string yh, string kl, string zybh, string xxzy)",
        "public System.Data.DataSet zyjsjgcx(string yydm, string yh, string kl, string zybh, string xxzy)",
        "public System.Data.DataSet dzjk(string yydm, string yh, string kl, string dzrq, "
        "System.Data.DataSet dzsj, string xxzy)",
    ]:
        assert signature in source, signature
    assert re.search(r'SoapDocumentMethodAttribute\("urn:ncms:his:v1/chryxxjk"', source)
    assert "public ErrorInfo ErrorInfoValue" in source


def test_user_operations_from_dotnet(identity, mono_client):
    admin = identity.admin
    key = new_hospital(admin)
    new_user(admin, permissions="ABCDEFGHIJ")
    url = identity.start_gateway()
    steps = mono_client.run(url, key, "users")
    assert steps["yhklxgjk"] == ""
    assert steps["yhklxgjk.same"] == "E1102:新旧口令相同"
    assert steps["Yhzjjk"] == ""
    assert steps["Yhzjjk.again"] == "E1103:用户已存在"
    assert steps["Yhscjk"] == ""
    assert steps["Yhscjk.self"].startswith("E1105:权限越权")
    assert steps["wrong.password"] == "E1001:用户名或口令错误"
    assert steps["wrong.key"] == "E1005:消息摘要校验失败"
    assert steps["chryxxjk"] == "<null>"
    assert steps["chryxxjk.ErrorInfo"].startswith("E9001|E9001:系统暂时不可用")
    # a typed DataSet parameter, signed by .NET code: authenticated, then not yet served
    assert steps["ypmljk"].startswith("E9001:系统暂时不可用")


def test_catalog_from_dotnet(identity, mono_client, tmp_path):
    from ncms.catalog.v1 import catalog_pb2
    from tests.test_catalog import NCMS_DRUGS, NCMS_SERVICES, ncms, write_csv

    for service in ("catalog", "enrollment", "settlement"):
        identity.start(service)
    key = new_hospital(identity.admin)
    new_user(identity.admin, permissions="ABCDEFGHIJ")
    for kind, rows in (("drug", NCMS_DRUGS), ("service", NCMS_SERVICES)):
        assert ncms(identity, "catalog", "import", "--kind", kind,
                    str(write_csv(tmp_path / f"{kind}.csv", rows))).returncode == 0
    steps = mono_client.run(identity.start_gateway(), key, "catalog")
    assert steps["ypmljk.first"] == steps["ypmljk.second"] == steps["zlmljk"] == ""
    assert steps["ypmljk.bad"] == "E2001:数据格式错误: ypml 表ypml 第2行 列dj: 不能为负数"

    def item(code, kind=catalog_pb2.ITEM_KIND_DRUG):
        return identity.catalog_admin.GetHospitalItem(catalog_pb2.GetHospitalItemRequest(
            hospital_code="450200001", kind=kind, code=code)).item

    assert (item("YPM1").price, item("YPM1").ncms_code) == ("13.8000", "X001")
    assert not item("YPM2").deleted  # Delete()d rows travel only in diffgr:before
    assert item("YPM3").deleted
    assert (item("YPM4").ncms_code, item("YPM4").price) == ("X003", "2.5000")
    assert item("ZLM1", catalog_pb2.ITEM_KIND_SERVICE).ncms_code == "T001"
    from tests.support.legacy import error_code

    assert error_code(lambda: item("YPM9")) == "NOT_FOUND"  # the bad call kept nothing


def test_settlements_from_dotnet(identity, mono_client):
    from tests.support.world import CARD, MEMBER, YEAR, build

    world = build(identity)
    steps = mono_client.run(world.url, world.key, "settlement", card=CARD, member=MEMBER, name="张三",
                            year=str(YEAR))
    # the household, read by .NET into typed columns
    assert steps["chryxxjk.chryxx.rows"] == "3"
    assert steps["chryxxjk.chryxx[0].xm"] == "String:张三"
    assert steps["chryxxjk.chryxx[1].xm"] == "String:李𠈌"
    assert steps["chryxxjk.chryxx[0].mzbclj"] == "Decimal:0.00"
    # an outpatient visit with typed decimal and DateTime columns: authenticated and settled
    assert steps["mzjsjk.mzjsjg.rows"] == "1"
    assert steps["mzjsjk.mzjsjg[0].bcje"] == "Decimal:17.50"  # (25 + 10) × 50%
    assert steps["mzjsjk.mzjsjg[0].mzbclj"] == "Decimal:17.50"
    assert steps["mzjsjk.mzjsmx[0].mxxh"] == "Int32:1" and steps["mzjsjk.mzjsmx[0].sfdj"] == "String:甲"
    assert steps["mzjsjk.again.mzjsjg[0].jsbh"] == steps["mzjsjk.mzjsjg[0].jsbh"]
    assert steps["mzjstfjk"] == ""
    assert steps["mzjsjk.bad"] == "<null>"
    assert steps["mzjsjk.bad.ErrorInfo"].startswith("E2002|E2002:金额不符")
    # an inpatient stay
    assert steps["zydjjk"] == "" and steps["zyjsjk"] == ""
    # kbfy 1000 + 200 × (1 - 0.15) = 1170; level 2: (1170 - 100) × 90% = 963.00
    assert steps["zyjsjgcx.zyjsjg[0].bcje"] == "Decimal:963.00"
    assert steps["zyjsjgcx.zyjsjg[0].qfx"] == "Decimal:100.00"
    assert steps["zyjstfjk"] == ""


# --- the MessageHeader (报文标识) -------------------------------------------------------------

PASSWORD = "Passw0rd!x"


@pytest.fixture(scope="module")
def untouched_client(tmp_path_factory):
    """A HIS that cannot be updated: its proxy generated from the WSDL as published
    before the MessageHeader extension, its code as it was (no header scenario)."""
    import subprocess

    from legacy import wsdl
    from legacy.operations import NCMS_SIDE
    from tests.support import mono

    missing = mono.missing_tools()
    if missing:
        pytest.skip(f"Mono is not installed ({', '.join(missing)} missing; apt-get install mono-devel)")
    workdir = tmp_path_factory.mktemp("mono-untouched")
    published = workdir / "NcmsService.wsdl"
    published.write_bytes(wsdl.build(NCMS_SIDE, "http://127.0.0.1/NcmsService.asmx", message_header=False))
    proxy = workdir / "NcmsProxy.cs"
    subprocess.run(["wsdl", "-nologo", "-namespace:Ncms", f"-out:{proxy}", str(published)],
                   check=True, capture_output=True, timeout=180)
    executable = workdir / "HisClient.exe"
    compiled = subprocess.run(
        ["mcs", "-nologo", "-codepage:utf8", "-define:NO_MESSAGE_HEADER", "-r:System.Web.Services.dll",
         "-r:System.Data.dll", "-r:System.Xml.dll", f"-out:{executable}", str(proxy),
         *sorted(str(p) for p in mono.MONO_SOURCES.glob("*.cs"))], capture_output=True, text=True, timeout=300)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    return mono.MonoClient(executable, proxy.read_text(encoding="utf-8"))


def test_proxy_has_the_message_header_property(mono_client, untouched_client):
    assert "public MessageHeader MessageHeaderValue" in mono_client.proxy_source
    assert "public partial class MessageHeader : System.Web.Services.Protocols.SoapHeader" in mono_client.proxy_source
    assert mono_client.proxy_source.count('[System.Web.Services.Protocols.SoapHeaderAttribute("MessageHeaderValue")]') == 14
    assert "MessageHeader" not in untouched_client.proxy_source


def test_message_header_from_dotnet(identity, mono_client):
    key = new_hospital(identity.admin)
    new_user(identity.admin, permissions="ABCDEFGHIJ")
    steps = mono_client.run(identity.start_gateway(), key, "header")
    assert steps["header.first"] == "E1102:新旧口令相同"  # authenticated
    assert steps["header.replay"].startswith("E1008:报文标识无效")
    assert steps["header.stale"].startswith("E1009:报文时间超出允许范围")
    assert steps["header.stripped"] == "E1005:消息摘要校验失败"
    assert steps["header.fresh"] == "E1102:新旧口令相同"
    assert steps["header.ypmljk"].startswith("E9001:")  # authenticated; catalog is not running
    assert steps["header.chryxxjk"] == "<null>" and steps["header.chryxxjk.ErrorInfo"].startswith("E9001|")
    assert steps["header.none"] == "E1102:新旧口令相同"


def test_the_untouched_dotnet_client_still_works(identity, untouched_client):
    from ncms.identity.v1 import identity_pb2

    key = new_hospital(identity.admin)
    new_user(identity.admin, permissions="ABCDEFGHIJ")
    url = identity.start_gateway()
    steps = untouched_client.run(url, key, "users")
    assert steps["yhklxgjk"] == "" and steps["yhklxgjk.same"] == "E1102:新旧口令相同"
    assert steps["Yhzjjk"] == "" and steps["Yhscjk"] == ""
    assert steps["wrong.key"] == "E1005:消息摘要校验失败"
    assert steps["ypmljk"].startswith("E9001:")
    # until its hospital is set to require the header
    identity.admin.SetMessageHeaderRequired(identity_pb2.SetMessageHeaderRequiredRequest(
        code="450200001", required=True))
    steps = untouched_client.run(url, key, "users", password="N3w-pass!x", new_password="N3w-pass!y")
    assert steps["yhklxgjk"].startswith("E1008:报文标识无效")
    assert steps["chryxxjk"] == "<null>" and steps["chryxxjk.ErrorInfo"].startswith("E1008|")
