"""A small world for settlement tests: the whole suite running, a hospital with its
catalog mapped to an NCMS catalog, and an enrolled household."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from ncms.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from ncms.enrollment.v1 import enrollment_pb2, enrollment_pb2_grpc
from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc
from runtime.clients import PackageStubs
from services.enrollment.records import COLUMNS
from tests.support import people
from tests.support.soap import Legacy
from tests.support.suite import new_hospital, new_user

BEIJING = timezone(timedelta(hours=8))
YEAR = datetime.now(BEIJING).year
HOSPITAL = "450200001"
CARD = "45020000100001"
MEMBER = "4502000010000101"  # 张三, ordinary, enrolled this year
SPOUSE = "4502000010000102"  # 李𠈌, 低保, enrolled this year
CHILD = "4502000010000103"  # 张小明, enrolment stopped this year

NCMS_DRUGS = [  # nhbm, mc, gg, sfdj, zfbl, xj
    ("X001", "阿莫西林胶囊", "0.25g*24粒", "甲", "", "15"),
    ("X002", "头孢克肟片", "0.1g*6片", "乙", "0.15", ""),
    ("X003", "复方甘草片", "100片", "乙", "", ""),
    ("X005", "人参归脾丸", "9g*10丸", "丙", "", ""),
]
NCMS_SERVICES = [("T001", "静脉注射", "", "甲", "", ""), ("T002", "普通门诊诊查费", "", "甲", "", "")]
HOSPITAL_DRUGS = [  # yyxmbm, name, price, proposed nhbm
    ("YP0001", "阿莫西林胶囊", "12.50", "X001"), ("YP0002", "头孢克肟片", "20.00", "X002"),
    ("YP0003", "复方甘草片", "3.00", "X003"), ("YP0005", "人参归脾丸", "30.00", "X005"),
    ("YP0009", "自制膏药", "5.00", ""),
]
HOSPITAL_SERVICES = [("ZL0001", "静脉注射", "10.00", "T001"), ("ZL0002", "普通门诊诊查费", "5.00", "T002")]


def _csv(rows: list[dict], columns) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


@dataclass
class World:
    suite: object
    key: str
    url: str

    def his(self, **kwargs) -> Legacy:
        return Legacy(self.url, self.key, **kwargs)

    @property
    def settlement_admin(self) -> PackageStubs:
        return self.suite.services("settlement", settlement_pb2_grpc)


def build(suite, *, level: int = 2, gateway_overrides: dict | None = None) -> World:
    for service in ("catalog", "enrollment", "settlement"):
        if service not in suite.servers:
            suite.start(service)
    key = new_hospital(suite.admin, HOSPITAL, level=level)
    new_user(suite.admin, HOSPITAL, "his01", "Passw0rd!x", permissions="ABCDEFGHIJ")
    catalog = suite.stub("catalog", catalog_pb2_grpc.CatalogServiceStub)
    for kind, rows in ((catalog_pb2.ITEM_KIND_DRUG, NCMS_DRUGS), (catalog_pb2.ITEM_KIND_SERVICE, NCMS_SERVICES)):
        catalog.ImportNcmsCatalog(iter([catalog_pb2.ImportNcmsCatalogRequest(kind=kind, rows=[
            catalog_pb2.ImportRow(line_number=i + 2, values=dict(zip(("nhbm", "mc", "gg", "sfdj", "zfbl", "xj"),
                                                                      row, strict=True)))
            for i, row in enumerate(rows)])]))
    for kind, rows in ((catalog_pb2.ITEM_KIND_DRUG, HOSPITAL_DRUGS), (catalog_pb2.ITEM_KIND_SERVICE, HOSPITAL_SERVICES)):
        catalog_sequence = catalog.ApplyHospitalCatalog(catalog_pb2.ApplyHospitalCatalogRequest(
            hospital_code=HOSPITAL, kind=kind, changes=[catalog_pb2.HospitalItemChange(
                row_number=i + 1, operation=catalog_pb2.CHANGE_OPERATION_UPSERT, code=code, name=name,
                price=price, proposed_ncms_code=proposed) for i, (code, name, price, proposed) in enumerate(rows)])).sequence
    enrollment = suite.stub("enrollment", enrollment_pb2_grpc.EnrollmentServiceStub)
    household = [
        people.row(CARD, MEMBER, "张三", YEAR),
        people.row(CARD, SPOUSE, "李𠈌", YEAR, category="3", sex="2", birth="1972-07-01", relation="配偶"),
        people.row(CARD, CHILD, "张小明", YEAR, status="0", birth="2001-09-09", relation="子"),
        people.row(CARD, CHILD, "张小明", YEAR - 1, birth="2001-09-09", relation="子"),
    ]
    enrollment_sequence = enrollment.ImportEnrollment(iter([enrollment_pb2.ImportEnrollmentRequest(
        csv_chunk=_csv(household, COLUMNS))])).sequence
    # Settlement's copies have taken all of it in: bills are priced from them.
    wait_for_projections(suite, catalog=catalog_sequence, enrollment=enrollment_sequence)
    url = suite.start_gateway(**(gateway_overrides or {}))
    return World(suite, key, url)


def wait_for_projections(suite, *, catalog: int = 0, enrollment: int = 0) -> None:
    """Until settlement's copies have applied these sequences of the owners' feeds."""
    projections = suite.services("settlement", settlement_pb2_grpc)
    for source, sequence in ((settlement_pb2.PROJECTION_SOURCE_CATALOG, catalog),
                             (settlement_pb2.PROJECTION_SOURCE_ENROLLMENT, enrollment)):
        if sequence:
            assert projections.AwaitProjection(settlement_pb2.AwaitProjectionRequest(
                source=source, sequence=sequence, timeout_seconds=20), timeout=30).applied


def line(number, kind, code, name, price, quantity, amount, fee_time=None):
    cells = [("mxxh", str(number)), ("xmlb", kind), ("yyxmbm", code), ("xmmc", name), ("dj", price),
             ("sl", quantity), ("je", amount)]
    if fee_time:
        cells.append(("fyrq", fee_time))
    return cells


def outpatient_call(number: str, lines: list, *, member=MEMBER, name="张三", card=CARD, total=None,
                    visit=None, diagnosis="J06.900") -> dict:
    amount = total if total is not None else str(sum(Decimal(dict(cells)["je"]) for cells in lines))
    main = [("mzbh", number), ("chzh", card), ("grbm", member), ("xm", name),
            ("jzrq", visit or f"{YEAR}-06-01 09:30:00"), ("ksmc", "内科"), ("zdbm", diagnosis),
            ("zdmc", "急性上呼吸道感染"), ("zfy", amount)]
    return {"jszjl": {"mzzb": [main]}, "jsmxjl": {"mzmx": lines}}
