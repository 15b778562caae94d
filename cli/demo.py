"""The sandbox that ``ncms up --demo`` loads, and the walkthrough it prints.

It holds a hospital with its users and signing key, an NCMS catalog of a few hundred
items, the hospital's own catalog mapped to it, households, and the hospital's own
service (hospital/) with an in-patient, registered as the hospital's endpoint.

Idempotent: a second start finds the sandbox in place. The hospital's signing key is
shown only when issued, so the sandbox keeps it in NCMS_DATA_DIR/demo/credentials.json
(a sandbox convenience; real keys are never written anywhere in plain text).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import click
import grpc

from ncms.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from ncms.enrollment.v1 import enrollment_pb2, enrollment_pb2_grpc
from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.clients import ClientCredentials, PackageStubs, identity_channel, with_token
from runtime.settings import Settings

from . import demo_data
from .context import Context, _width
from .i18n import _

DEMO_HOSPITAL = "450200001"
DEMO_HOSPITAL_NAME = "柳州市示范乡镇卫生院"
DEMO_LEVEL = 2
# Users of the sandbox: (name, password, letters).
DEMO_USERS = [
    ("his01", "Demo#2026his", "CDEFGHIJ"),
    ("hisadmin", "Demo#2026adm", "ABCDEFGHIJ"),
]
DEMO_IPS = ["127.0.0.0/8", "::1"]
# The NCMS's account at the hospital's own service.
HOSPITAL_SIDE_USER = ("ncms01", "Demo#2026ncms", "AB")
DEMO_INPATIENT = "ZY-DEMO-0001"
# The centre's person in the web console: every role, to see every page.
DEMO_STAFF = ("demo-admin", "演示管理员", "Demo#2026con", ["administrator", "catalog-clerk", "fund-officer", "auditor"])


def credentials_path(data_dir: Path) -> Path:
    return data_dir / "demo" / "credentials.json"


def hospital_data_dir(data_dir: Path) -> Path:
    return data_dir / f"hospital-{DEMO_HOSPITAL}"


def _exists(exc: grpc.RpcError) -> bool:
    return exc.code() == grpc.StatusCode.ALREADY_EXISTS


def ensure_sandbox(ctx: Context, data_dir: Path) -> dict:
    """Create the sandbox hospital and users if missing; returns the credentials."""
    path = credentials_path(data_dir)
    stored = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    identity = ctx.identity
    with ctx.calling("identity"):
        try:
            key = identity.CreateHospital(identity_pb2.CreateHospitalRequest(
                code=DEMO_HOSPITAL, name=DEMO_HOSPITAL_NAME, level=DEMO_LEVEL,
                digest_algorithm=identity_pb2.DIGEST_ALGORITHM_HMAC_SHA256)).signing_key
        except grpc.RpcError as exc:
            if not _exists(exc):
                raise
            key = stored.get("signing_key") or identity.RotateHospitalKey(
                identity_pb2.RotateHospitalKeyRequest(code=DEMO_HOSPITAL)).signing_key
        for name, password, letters in DEMO_USERS:
            try:
                identity.CreateUser(identity_pb2.CreateUserRequest(
                    hospital_code=DEMO_HOSPITAL, name=name, password=password,
                    allowed_ips=DEMO_IPS, permissions=letters))
            except grpc.RpcError as exc:
                if not _exists(exc):
                    raise
    from ncms.identity.v1 import staff_pb2, staff_pb2_grpc

    name, display_name, staff_password, roles = DEMO_STAFF
    with ctx.calling("identity"):
        try:
            ctx.services("identity", staff_pb2_grpc).CreateStaff(staff_pb2.CreateStaffRequest(
                name=name, display_name=display_name, roles=roles, password=staff_password, keep_password=True))
        except grpc.RpcError as exc:
            if not _exists(exc):
                raise
    credentials = {
        "hospital_code": DEMO_HOSPITAL, "hospital_name": DEMO_HOSPITAL_NAME, "level": DEMO_LEVEL,
        "algorithm": "HMAC-SHA256", "signing_key": key,
        "users": [{"user": n, "password": p, "permissions": letters} for n, p, letters in DEMO_USERS],
        "console": {"url": f"http://{ctx.settings.console_address}/", "user": name, "password": staff_password,
                    "roles": roles},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(credentials, ensure_ascii=False, indent=2), encoding="utf-8")
    path.chmod(0o600)
    return credentials


# --- catalogs and households --------------------------------------------------------------

def load_catalogs(ctx: Context) -> dict:
    catalog = ctx.stub("catalog", catalog_pb2_grpc.CatalogServiceStub)
    items = demo_data.ncms_catalog()
    counts: dict = {}
    with ctx.calling("catalog"):
        for kind, drugs, label in ((catalog_pb2.ITEM_KIND_DRUG, True, "drugs"),
                                   (catalog_pb2.ITEM_KIND_SERVICE, False, "treatments")):
            rows = demo_data.ncms_rows(items, drugs)
            catalog.ImportNcmsCatalog(iter([catalog_pb2.ImportNcmsCatalogRequest(kind=kind, rows=[
                catalog_pb2.ImportRow(line_number=n + 2, values=row) for n, row in enumerate(rows)])]))
            counts[f"ncms_{label}"] = len(rows)
        hospital_drugs, hospital_services = demo_data.hospital_catalog(items)
        for kind, own, label in ((catalog_pb2.ITEM_KIND_DRUG, hospital_drugs, "drugs"),
                                 (catalog_pb2.ITEM_KIND_SERVICE, hospital_services, "treatments")):
            applied = catalog.ApplyHospitalCatalog(catalog_pb2.ApplyHospitalCatalogRequest(
                hospital_code=DEMO_HOSPITAL, kind=kind, changes=[catalog_pb2.HospitalItemChange(
                    row_number=n + 1, operation=catalog_pb2.CHANGE_OPERATION_UPSERT, code=item.code,
                    name=item.name, generic_name=item.name, specification=item.specification, unit=item.unit,
                    approval_number=item.approval_number, price=item.price, proposed_ncms_code=item.proposed_nhbm)
                    for n, item in enumerate(own)]))
            counts[f"hospital_{label}"] = len(own)
            counts[f"hospital_{label}_unmapped"] = len(_unmapped(catalog, kind)) if applied else 0
    return counts


def _unmapped(catalog, kind) -> list:
    return list(catalog.ListUnmappedItems(catalog_pb2.ListUnmappedItemsRequest(
        hospital_code=DEMO_HOSPITAL, kind=kind)).items)


def load_households(ctx: Context, year: int) -> dict:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(demo_data.ENROLLMENT_COLUMNS)
    rows = demo_data.enrollment_csv_rows(year)
    writer.writerows(rows)
    enrollment = ctx.stub("enrollment", enrollment_pb2_grpc.EnrollmentServiceStub)
    with ctx.calling("enrollment"):
        enrollment.ImportEnrollment(iter([enrollment_pb2.ImportEnrollmentRequest(
            csv_chunk=buffer.getvalue().encode("utf-8"))]))
    households = demo_data.households()
    return {"households": len(households), "members": sum(len(m) for _, _, m in households)}


# --- the hospital's own service -----------------------------------------------------------

@dataclass(frozen=True)
class HospitalSide:
    """Where ``ncms up --demo`` runs the sandbox hospital's own service."""

    soap_address: str
    identity_address: str
    data_dir: Path

    @property
    def url(self) -> str:
        return f"http://{self.soap_address}/NcmsService.asmx"

    def settings(self) -> Settings:
        return Settings(data_dir=self.data_dir, hospital_code=DEMO_HOSPITAL,
                        identity_address=self.identity_address, hospital_address=self.soap_address)

    def load_inpatients(self, records: list[dict]) -> None:
        """The HIS writes in-patients into the hospital service's tables, through its
        own command (`ncms-hospital load`)."""
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder, "inpatients.json")
            path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
            done = subprocess.run([sys.executable, "-m", "hospital", "load", str(path)], capture_output=True,
                                  text=True, env=self.environment(dict(os.environ)), check=False)
        if done.returncode:
            raise click.ClickException(_("the hospital's service did not load the in-patient: {problem}").format(
                problem=done.stderr.strip()))

    def environment(self, base: dict[str, str]) -> dict[str, str]:
        """Its process environment: the NCMS's own NCMS_* settings stay out of it (it is
        another deployment), but for the environment and logging."""
        kept = {"NCMS_ENV", "NCMS_LOG_LEVEL", "NCMS_LOG_FORMAT", "NCMS_PASSWORD_HASH_PROFILE"}
        environment = {k: v for k, v in base.items() if not k.startswith("NCMS_") or k in kept}
        environment.update(NCMS_DATA_DIR=str(self.data_dir), NCMS_HOSPITAL_CODE=DEMO_HOSPITAL,
                           NCMS_IDENTITY_ADDRESS=self.identity_address, NCMS_HOSPITAL_ADDRESS=self.soap_address)
        return environment


def demo_inpatient(card: str, member_id: str, name: str, number: str, admitted: datetime) -> dict:
    """An in-patient as the hospital's HIS records it, with a few days of fees, in the
    hospital service's load format (the contract's column names; `ncms-hospital load`)."""
    lines = [("普通病房床位费", "2", "3"), ("二级护理", "2", "3"), ("阿莫西林胶囊", "1", "2"),
             ("氯化钠注射液", "1", "6"), ("静脉输液", "2", "6")]
    at = f"{admitted.astimezone(demo_data.BEIJING):%Y-%m-%d %H:%M:%S}"
    fees = []
    for n, (item_name, kind, quantity) in enumerate(lines, start=1):
        item = demo_data.hospital_item(item_name)
        price = Decimal(item.price)
        fees.append({"mxxh": n, "xmlb": kind, "yyxmbm": item.code, "xmmc": item.name, "gg": item.specification,
                     "dw": item.unit, "dj": item.price, "sl": quantity,
                     "je": str((price * Decimal(quantity)).quantize(Decimal("0.01"))), "fyrq": at})
    return {"zybh": number, "chzh": card, "grbm": member_id, "xm": name, "ryrq": at, "ryks": "内科",
            "ryzd": "J18.900", "ryzdmc": "肺炎", "zyzt": "1", "fees": fees}


def set_up_hospital_side(ctx: Context, side: HospitalSide, key: str, year: int) -> None:
    """The hospital installs its key and an account for the NCMS; the NCMS registers
    the endpoint; the hospital's HIS has one in-patient."""
    settings = side.settings()
    channel = identity_channel(side.identity_address)
    try:
        token = ClientCredentials(identity_pb2_grpc.TokenServiceStub(channel), "ncms-admin",
                                  settings.secret("admin_client_secret")).token
        hospital_identity = PackageStubs(with_token(channel, token), identity_pb2_grpc)
        try:
            hospital_identity.CreateHospital(identity_pb2.CreateHospitalRequest(
                code=DEMO_HOSPITAL, name=DEMO_HOSPITAL_NAME, level=DEMO_LEVEL, signing_key=key))
        except grpc.RpcError as exc:
            if not _exists(exc):
                raise
            hospital_identity.RotateHospitalKey(identity_pb2.RotateHospitalKeyRequest(
                code=DEMO_HOSPITAL, signing_key=key))
        name, password, letters = HOSPITAL_SIDE_USER
        try:
            hospital_identity.CreateUser(identity_pb2.CreateUserRequest(
                hospital_code=DEMO_HOSPITAL, name=name, password=password, allowed_ips=DEMO_IPS,
                permissions=letters))
        except grpc.RpcError as exc:
            if not _exists(exc):
                raise
    finally:
        channel.close()
    with ctx.calling("identity"):
        ctx.identity.SetHospitalEndpoint(identity_pb2.SetHospitalEndpointRequest(
            code=DEMO_HOSPITAL, endpoint=side.url, user=HOSPITAL_SIDE_USER[0], password=HOSPITAL_SIDE_USER[1]))
    grandmother = demo_data.households()[0][2][3]
    side.load_inpatients([demo_inpatient(grandmother.card, grandmother.member_id, grandmother.name, DEMO_INPATIENT,
                                         datetime(year, 1, 6, 8, 40, tzinfo=demo_data.BEIJING))])


# --- loading and the walkthrough ----------------------------------------------------------

def load_demo(ctx: Context, data_dir: Path, side: HospitalSide | None) -> dict:
    year = demo_data.this_year()
    credentials = ensure_sandbox(ctx, data_dir)
    catalogs = load_catalogs(ctx)
    people = load_households(ctx, year)
    if side is not None:
        set_up_hospital_side(ctx, side, credentials["signing_key"], year)
    rows = [
        (_("hospital"), f"{credentials['hospital_code']} {credentials['hospital_name']} "
                        + _("(level {level})").format(level=credentials["level"])),
        (_("signing key"), f"{credentials['signing_key']}  ({credentials['algorithm']})"),
        *[(_("user"), f"{entry['user']} / {entry['password']}  " + _("letters {letters}").format(
            letters=entry["permissions"])) for entry in credentials["users"]],
        ("", _("(also in {path})").format(path=credentials_path(data_dir))),
        (_("NCMS catalog"), _("{drugs} drugs, {treatments} treatments").format(
            drugs=catalogs["ncms_drugs"], treatments=catalogs["ncms_treatments"])),
        (_("its catalog"), _("{drugs} drugs ({unmapped} unmapped), {treatments} treatments").format(
            drugs=catalogs["hospital_drugs"], unmapped=catalogs["hospital_drugs_unmapped"],
            treatments=catalogs["hospital_treatments"])),
        (_("households"), _("{households} households, {members} members, enrolled {last} and {this}").format(
            households=people["households"], members=people["members"], last=year - 1, this=year)),
    ]
    if side is not None:
        rows.append((_("its service"), _("{url} (zysjcxjk; the NCMS calls as {user})").format(
            url=side.url, user=HOSPITAL_SIDE_USER[0])))
    rows.append((_("SOAP endpoint"), f"{ctx.settings.public_url}  (WSDL: ?wsdl)"))
    console = credentials["console"]
    rows.append((_("web console"), _("{url}  sign in as {user} / {password} (every role)").format(
        url=console["url"], user=console["user"], password=console["password"])))
    width = max(_width(label) for label, _value in rows) + 2
    click.echo("")
    click.echo(_("sandbox loaded:"))
    for label, value in rows:
        click.echo(f"  {label}{' ' * (width - _width(label))}{value}")
    click.echo("")
    click.echo(_("try, in another terminal:"))
    click.echo("  .venv/bin/ncms demo                 " + _("act as the hospital's HIS, printing every call"))
    click.echo(f"  .venv/bin/ncms enrollment household --card {demo_data.WALKTHROUGH_CARD}")
    click.echo(f"  .venv/bin/ncms catalog unmapped --hospital {DEMO_HOSPITAL}")
    if side is not None:
        click.echo(f"  .venv/bin/ncms inpatient query --hospital {DEMO_HOSPITAL} --zybh {DEMO_INPATIENT}")
    click.echo("  .venv/bin/ncms audit --limit 20")
    click.echo("")
    return credentials
