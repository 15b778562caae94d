"""A small centre for the console's tests: the whole suite running with two hospitals
(one named with an XSS payload), a pending user request, an NCMS catalog and a hospital
catalog with unmapped items (one named with a payload), a household (a member named
with a payload), settlements of today, a reconciliation with differences, and a staff
account per role. Built over gRPC, as a hospital's HIS and the ncms command would."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from google.type import date_pb2

from ncms.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from ncms.enrollment.v1 import enrollment_pb2, enrollment_pb2_grpc
from ncms.identity.v1 import identity_pb2, identity_pb2_grpc, staff_pb2, staff_pb2_grpc
from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc
from runtime.auth import ADMIN_CLIENT
from runtime.clients import PackageStubs, with_token
from services.enrollment.records import COLUMNS
from tests.support import people
from tests.support.legacy import authenticate_request
from tests.support.suite import ADMIN_SECRET, new_hospital, new_user
from tests.support.world import _csv, wait_for_projections

BEIJING = timezone(timedelta(hours=8))
HOSPITAL = "450200001"
OTHER = "450200002"
XSS_HOSPITAL = '<script>window.__xss="hospital"</script>示范卫生院'
XSS_ITEM = '<img src=x onerror="window.__xss=\'item\'">自制膏药'
XSS_MEMBER = '<svg onload="window.__xss=\'member\'">王五'
HIS_PASSWORD = "Passw0rd!x"
STAFF_PASSWORD = "Centre#2026pw"
STAFF = {"wang": ("王芳", ["administrator"]), "li": ("李明", ["catalog-clerk"]),
         "zhao": ("赵敏", ["fund-officer"]), "sun": ("孙伟", ["auditor"])}
CARD = "45020000100001"
MEMBER = "4502000010000101"  # 张三
XSS_MEMBER_ID = "4502000010000102"
NCMS_DRUGS = [  # nhbm, mc, gg, sfdj, zfbl, xj, pzwh
    ("X001", "阿莫西林胶囊", "0.25g*24粒", "甲", "", "15", "国药准字H44021351"),
    ("X002", "头孢克肟片", "0.1g*6片", "乙", "0.15", "", "国药准字H20030744"),
    ("X009", "黑膏药", "10贴", "乙", "0.2", "", "桂药制字Z20080099"),
]
HOSPITAL_DRUGS = [  # code, name, price, proposed nhbm
    ("YP0001", "阿莫西林胶囊", "12.50", "X001"), ("YP0002", "头孢克肟片", "20.00", "X002"),
    ("YP0009", XSS_ITEM, "5.00", ""), ("YP0010", "蒲公英颗粒", "8.00", ""),
]


class Stubs:
    """Every service of some proto modules on one channel (identity.proto with staff.proto)."""

    def __init__(self, channel, *modules) -> None:
        self._parts = [PackageStubs(channel, module) for module in modules]

    def __getattr__(self, method: str):
        for part in self._parts:
            try:
                return getattr(part, method)
            except AttributeError:
                continue
        raise AttributeError(method)


@dataclass
class ConsoleWorld:
    suite: object
    key: str
    today: datetime
    settlements: dict[str, str] = field(default_factory=dict)  # mzbh -> jsbh
    id_number: str = ""

    def identity_as(self, token) -> Stubs:
        return Stubs(with_token(self.suite.channel("identity"), token), identity_pb2_grpc, staff_pb2_grpc)

    @property
    def admin(self) -> Stubs:
        return self.identity_as(self.suite.credentials(ADMIN_CLIENT, ADMIN_SECRET).token)

    def settle(self, number: str, lines: list[tuple[str, str, str, str]], *, member: str = MEMBER,
               name: str = "张三") -> settlement_pb2.SettlementResult:
        """An outpatient bill of today, as the hospital's HIS sends it (through the admin)."""
        settlement = self.suite.services("settlement", settlement_pb2_grpc)
        bill_lines = [settlement_pb2.BillLine(
            line_number=index + 1, item_kind=settlement_pb2.ITEM_KIND_DRUG, item_code=code, item_name=item_name,
            price=price, quantity=quantity, amount=str(Decimal(price) * Decimal(quantity)))
            for index, (code, item_name, price, quantity) in enumerate(lines)]
        total = sum((Decimal(line.amount) for line in bill_lines), Decimal("0"))
        visit = settlement_pb2.OutpatientVisit(
            number=number, card=CARD, member_id=member, name=name, department="内科", doctor="刘医生",
            diagnosis="J06.900", diagnosis_name="急性上呼吸道感染", total=f"{total:.2f}")
        visit.visit_time.FromDatetime(self.today)
        result = settlement.SettleOutpatient(settlement_pb2.SettleOutpatientRequest(
            hospital_code=HOSPITAL, visit=visit, lines=bill_lines)).result
        self.settlements[number] = result.settlement_number
        return result


def build(suite) -> ConsoleWorld:
    for service in ("identity", "catalog", "enrollment", "settlement"):
        if service not in suite.servers:
            suite.start(service)
    admin = Stubs(with_token(suite.channel("identity"), suite.credentials(ADMIN_CLIENT, ADMIN_SECRET).token),
                  identity_pb2_grpc, staff_pb2_grpc)
    key = new_hospital(admin, HOSPITAL, name=XSS_HOSPITAL, level=2)
    new_hospital(admin, OTHER, name="柳江区人民医院", level=3)
    new_user(admin, HOSPITAL, "his01", HIS_PASSWORD, permissions="ABCDEFGHIJ")
    # his01 asks for a new user (Yhzjjk): pending until the centre approves it.
    token = suite.gateway.Authenticate(authenticate_request(key, "Yhzjjk", {
        "yydm": HOSPITAL, "fqyh": "his01", "fqyhkl": HIS_PASSWORD})).token
    PackageStubs(with_token(suite.channel("identity"), lambda: token), identity_pb2_grpc).RequestUser(
        identity_pb2.RequestUserRequest(user="nurse7", password="Nurse#2026c", allowed_ips="127.0.0.1",
                                        permissions="CDEF"))
    for name, (display, roles) in STAFF.items():
        admin.CreateStaff(staff_pb2.CreateStaffRequest(name=name, display_name=display, roles=roles,
                                                       password=STAFF_PASSWORD, keep_password=True))

    catalog = suite.stub("catalog", catalog_pb2_grpc.CatalogServiceStub)
    catalog.ImportNcmsCatalog(iter([catalog_pb2.ImportNcmsCatalogRequest(kind=catalog_pb2.ITEM_KIND_DRUG, rows=[
        catalog_pb2.ImportRow(line_number=i + 2, values=dict(zip(("nhbm", "mc", "gg", "sfdj", "zfbl", "xj", "pzwh"),
                                                                  row, strict=True)))
        for i, row in enumerate(NCMS_DRUGS)])]))
    catalog_sequence = catalog.ApplyHospitalCatalog(catalog_pb2.ApplyHospitalCatalogRequest(
        hospital_code=HOSPITAL, kind=catalog_pb2.ITEM_KIND_DRUG, changes=[catalog_pb2.HospitalItemChange(
            row_number=i + 1, operation=catalog_pb2.CHANGE_OPERATION_UPSERT, code=code, name=name, price=price,
            proposed_ncms_code=proposed) for i, (code, name, price, proposed) in enumerate(HOSPITAL_DRUGS)])).sequence
    # A hospital item that changed since it was uploaded (and stays unmapped).
    catalog_sequence = catalog.ApplyHospitalCatalog(catalog_pb2.ApplyHospitalCatalogRequest(
        hospital_code=HOSPITAL, kind=catalog_pb2.ITEM_KIND_DRUG, changes=[catalog_pb2.HospitalItemChange(
            row_number=1, operation=catalog_pb2.CHANGE_OPERATION_UPSERT, code="YP0010", name="蒲公英颗粒",
            specification="15g*10袋", price="8.50")])).sequence

    year = datetime.now(BEIJING).year
    household = [people.row(CARD, MEMBER, "张三", year), people.row(CARD, XSS_MEMBER_ID, XSS_MEMBER, year,
                                                                   relation="子", birth="2001-09-09")]
    enrollment = suite.stub("enrollment", enrollment_pb2_grpc.EnrollmentServiceStub)
    enrollment_sequence = enrollment.ImportEnrollment(iter([enrollment_pb2.ImportEnrollmentRequest(
        csv_chunk=_csv(household, COLUMNS))])).sequence
    wait_for_projections(suite, catalog=catalog_sequence, enrollment=enrollment_sequence)

    today = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    world = ConsoleWorld(suite, key, today, id_number=household[0]["sfzh"])
    world.settle("MZ-0001", [("YP0001", "阿莫西林胶囊", "12.50", "1"), ("YP0009", XSS_ITEM, "5.00", "2")])
    world.settle("MZ-0002", [("YP0002", "头孢克肟片", "20.00", "1")], member=XSS_MEMBER_ID, name=XSS_MEMBER)
    # The hospital reconciles the day: it recorded MZ-0001 with another amount, missed
    # MZ-0002, and has a visit the NCMS never settled.
    day = today.astimezone(BEIJING).date()
    suite.services("settlement", settlement_pb2_grpc).Reconcile(settlement_pb2.ReconcileRequest(
        hospital_code=HOSPITAL, date=date_pb2.Date(year=day.year, month=day.month, day=day.day), entries=[
            settlement_pb2.ReconcileEntry(kind=settlement_pb2.SETTLEMENT_KIND_OUTPATIENT, number="MZ-0001",
                                          settlement_number=world.settlements["MZ-0001"],
                                          business=settlement_pb2.BUSINESS_TYPE_SETTLEMENT, total="22.50",
                                          compensation="1.00"),
            settlement_pb2.ReconcileEntry(kind=settlement_pb2.SETTLEMENT_KIND_OUTPATIENT, number="MZ-0099",
                                          business=settlement_pb2.BUSINESS_TYPE_SETTLEMENT, total="30.00",
                                          compensation="10.00")]))
    return world
