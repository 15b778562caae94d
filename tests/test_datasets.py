"""The DataSet codec on its own: what .NET sends, what .NET reads."""

from decimal import Decimal

import pytest
from lxml import etree

from legacy import datasets, tables
from runtime.errors import ContractError

# What a .NET client sent after AcceptChanges(), one edit, one delete and one add
# (the shape measured from Mono: typed inline schema, diffgram, before section).
DOTNET = b"""<ypml xmlns="urn:ncms:his:v1">
<xs:schema id="NewDataSet" xmlns="" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:msdata="urn:schemas-microsoft-com:xml-msdata">
 <xs:element name="NewDataSet" msdata:IsDataSet="true" msdata:UseCurrentLocale="true"><xs:complexType>
  <xs:choice minOccurs="0" maxOccurs="unbounded"><xs:element name="ypml"><xs:complexType><xs:sequence>
   <xs:element name="yyxmbm" type="xs:string" minOccurs="0"/><xs:element name="dj" type="xs:decimal" minOccurs="0"/>
  </xs:sequence></xs:complexType></xs:element></xs:choice></xs:complexType></xs:element></xs:schema>
<diffgr:diffgram xmlns:msdata="urn:schemas-microsoft-com:xml-msdata" xmlns:diffgr="urn:schemas-microsoft-com:xml-diffgram-v1">
 <NewDataSet xmlns="">
  <ypml diffgr:id="ypml1" msdata:rowOrder="0"><yyxmbm>Y1</yyxmbm><xmmc>a</xmmc><dj>1.0000</dj></ypml>
  <ypml diffgr:id="ypml2" msdata:rowOrder="1" diffgr:hasChanges="modified"><yyxmbm>Y2</yyxmbm><xmmc> b </xmmc><dj>26.0000</dj><gg/></ypml>
  <ypml diffgr:id="ypml4" msdata:rowOrder="3" diffgr:hasChanges="inserted"><yyxmbm>Y4</yyxmbm><xmmc>d</xmmc><dj>3.5</dj></ypml>
 </NewDataSet>
 <diffgr:before>
  <ypml diffgr:id="ypml2" msdata:rowOrder="1"><yyxmbm>Y2</yyxmbm><xmmc>old</xmmc><dj>2.0000</dj></ypml>
  <ypml diffgr:id="ypml3" msdata:rowOrder="2"><yyxmbm>Y3</yyxmbm><xmmc>gone</xmmc><dj>9</dj></ypml>
 </diffgr:before>
 <diffgr:errors><ypml diffgr:id="ypml4" diffgr:Error="ignored"/></diffgr:errors>
</diffgr:diffgram></ypml>"""


def test_reads_current_rows_with_state_and_ignores_before():
    dataset = datasets.read(etree.fromstring(DOTNET))
    rows = dataset.tables["ypml"]
    assert [r.value("yyxmbm") for r in rows] == ["Y1", "Y2", "Y4"]
    assert [r.state for r in rows] == [None, "modified", "inserted"]
    assert rows[1].cells == [("yyxmbm", "Y2"), ("xmmc", " b "), ("dj", "26.0000"), ("gg", "")]
    assert dataset.digest_cells()["ypml"][1][1] == ("xmmc", " b ")  # untrimmed for the digest


def test_validation_parses_trims_and_normalises():
    rows = datasets.validate("ypml", datasets.read(etree.fromstring(DOTNET)), tables.YPML, max_rows=100)
    assert rows[1]["xmmc"] == "b" and rows[1]["dj"] == "26.0000" and rows[1]["gg"] == ""
    assert rows[0]["nhbm"] is None and rows[0]["_state"] is None and rows[2]["_state"] == "inserted"


def test_schema_is_optional_and_untrusted():
    hand_built = etree.Element("{urn:ncms:his:v1}ypml")
    hand_built.extend(datasets.build_input("X", [("ypml", [[("yyxmbm", "Y9"), ("xmmc", "x"), ("dj", "1")]])]))
    assert datasets.validate("ypml", datasets.read(hand_built), tables.YPML, max_rows=5)[0]["yyxmbm"] == "Y9"


def bad(parameter: str, xml_rows: str, spec=tables.YPML, max_rows: int = 100) -> str:
    element = etree.fromstring(
        f'<p xmlns:diffgr="urn:schemas-microsoft-com:xml-diffgram-v1"><diffgr:diffgram>'
        f"<NewDataSet>{xml_rows}</NewDataSet></diffgr:diffgram></p>")
    with pytest.raises(ContractError) as info:
        datasets.validate(parameter, datasets.read(element), spec, max_rows=max_rows)
    assert info.value.code == "E2001"
    return info.value.detail


def test_errors_name_table_row_and_column():
    row = "<ypml><yyxmbm>Y{0}</yyxmbm><xmmc>a</xmmc><dj>{1}</dj></ypml>"
    assert bad("ypml", row.format(1, "1") + row.format(2, "1.23456")) == "ypml 表ypml 第2行 列dj: 最多4位小数"
    assert bad("ypml", row.format(1, "-1")) == "ypml 表ypml 第1行 列dj: 不能为负数"
    assert bad("ypml", row.format(1, "1e3")).endswith("须为十进制数(不含指数和千分位)")
    assert bad("ypml", row.format(1, "1,000")).endswith("须为十进制数(不含指数和千分位)")
    assert bad("ypml", "<ypml><xmmc>a</xmmc><dj>1</dj></ypml>") == "ypml 表ypml 第1行 列yyxmbm: 必填"
    assert bad("ypml", "<ypml><yyxmbm> </yyxmbm><dj>1</dj></ypml>") == "ypml 表ypml 第1行 列yyxmbm: 必填"
    assert bad("ypml", "<ypml><yyxmbm>Y</yyxmbm><xmmc>a</xmmc><dj>1</dj><czlx>X</czlx></ypml>") == (
        "ypml 表ypml 第1行 列czlx: 须为 A/M/D 之一")
    assert bad("ypml", "<other><a>1</a></other>") == "ypml 表ypml: 至少需要1行"
    assert bad("ypml", row.format(1, "1") * 3, max_rows=2) == "ypml: 数据行过多 (最多2行)"
    # a delete needs only the key
    element = etree.fromstring(
        '<p xmlns:diffgr="urn:schemas-microsoft-com:xml-diffgram-v1"><diffgr:diffgram><NewDataSet>'
        "<ypml><yyxmbm>Y1</yyxmbm><czlx>D</czlx></ypml></NewDataSet></diffgr:diffgram></p>")
    assert datasets.validate("ypml", datasets.read(element), tables.YPML, max_rows=5)[0]["czlx"] == "D"


def test_missing_dataset_or_diffgram():
    with pytest.raises(ContractError, match="缺少数据集"):
        datasets.validate("ypml", datasets.read(None), tables.YPML, max_rows=5)
    nil = etree.fromstring('<p xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>')
    assert not datasets.read(nil).present
    schema_only = etree.fromstring(b'<p><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/></p>')
    with pytest.raises(ContractError, match="缺少 diffgram"):
        datasets.validate("ypml", datasets.read(schema_only), tables.YPML, max_rows=5)


def test_single_row_tables_and_dates():
    rows = "<mzzb><mzbh>1</mzbh></mzzb>" * 2
    assert bad("jszjl", rows, tables.MZZB) == "jszjl 表mzzb: 只能有1行"
    detail = bad("jszjl", "<mzzb><mzbh>1</mzbh><chzh>1</chzh><grbm>1</grbm><xm>x</xm>"
                          "<jzrq>2026/11/25</jzrq></mzzb>", tables.MZZB)
    assert detail == "jszjl 表mzzb 第1行 列jzrq: 须为日期 yyyy-MM-dd 或 yyyy-MM-dd HH:mm:ss"
    for text, expected in [("2026-11-25", "2026-11-25T00:00:00+08:00"),
                           ("2026-11-25 09:30:00", "2026-11-25T09:30:00+08:00"),
                           ("2026-11-25T09:30:00+08:00", "2026-11-25T09:30:00+08:00"),
                           ("2026-11-25T01:30:00Z", "2026-11-25T01:30:00+00:00")]:
        assert tables.parse_timestamp(text).isoformat() == expected


def test_written_results_are_typed_datasets():
    result = datasets.Result(((tables.MZJSJG, [{"mzbh": "MZ1", "zfy": Decimal("36.50"), "bcje": Decimal("0.00"),
                                                 "bz": None}]),
                              (tables.MZJSMX, [{"mxxh": 1, "je": Decimal("25.00")},
                                               {"mxxh": 2, "je": Decimal("11.50")}])))
    schema, diffgram = result.elements()
    assert schema.tag == f"{{{datasets.XS}}}schema"
    dataset_element = schema.find(f"{{{datasets.XS}}}element")
    assert dataset_element.get(f"{{{datasets.MSDATA}}}IsDataSet") == "true"
    types = {e.get("name"): e.get("type") for e in schema.iter(f"{{{datasets.XS}}}element") if e.get("type")}
    assert types["zfy"] == "xs:decimal" and types["mxxh"] == "xs:int" and types["mzbh"] == "xs:string"
    wrapper = etree.Element("r")
    wrapper.extend([schema, diffgram])
    read_back = datasets.read(wrapper)
    assert read_back.tables["mzjsjg"][0].cells == [("mzbh", "MZ1"), ("zfy", "36.50"), ("bcje", "0.00")]
    assert [r.value("mxxh") for r in read_back.tables["mzjsmx"]] == ["1", "2"]
