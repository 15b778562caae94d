"""The sandbox that ``ncms up --demo`` loads: a hospital, its users, and how to call it.

Idempotent: a second start finds the sandbox in place. The hospital's signing key is
shown only when issued, so the sandbox keeps it in NCMS_DATA_DIR/demo/credentials.json
(a sandbox convenience; real keys are never written anywhere in plain text).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import grpc

from ncms.identity.v1 import identity_pb2

from .context import Context

DEMO_HOSPITAL = "450200001"
DEMO_HOSPITAL_NAME = "柳州市示范乡镇卫生院"
DEMO_LEVEL = 2
# Users of the sandbox: (name, password, letters).
DEMO_USERS = [
    ("his01", "Demo#2026his", "CDEFGHIJ"),
    ("hisadmin", "Demo#2026adm", "ABCDEFGHIJ"),
]
DEMO_IPS = ["127.0.0.0/8", "::1"]


def ensure_sandbox(ctx: Context, data_dir: Path) -> dict:
    """Create the sandbox hospital and users if missing; returns the credentials."""
    path = data_dir / "demo" / "credentials.json"
    stored = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    identity = ctx.identity
    with ctx.calling("identity"):
        try:
            key = identity.CreateHospital(identity_pb2.CreateHospitalRequest(
                code=DEMO_HOSPITAL, name=DEMO_HOSPITAL_NAME, level=DEMO_LEVEL,
                digest_algorithm=identity_pb2.DIGEST_ALGORITHM_HMAC_SHA256)).signing_key
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.ALREADY_EXISTS:
                raise
            key = stored.get("signing_key") or identity.RotateHospitalKey(
                identity_pb2.RotateHospitalKeyRequest(code=DEMO_HOSPITAL)).signing_key
        for name, password, letters in DEMO_USERS:
            try:
                identity.CreateUser(identity_pb2.CreateUserRequest(
                    hospital_code=DEMO_HOSPITAL, name=name, password=password,
                    allowed_ips=DEMO_IPS, permissions=letters))
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.ALREADY_EXISTS:
                    raise
    credentials = {
        "hospital_code": DEMO_HOSPITAL, "hospital_name": DEMO_HOSPITAL_NAME, "level": DEMO_LEVEL,
        "algorithm": "HMAC-SHA256", "signing_key": key,
        "users": [{"user": n, "password": p, "permissions": letters} for n, p, letters in DEMO_USERS],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(credentials, ensure_ascii=False, indent=2), encoding="utf-8")
    path.chmod(0o600)
    return credentials


def load_demo(ctx: Context, data_dir: Path) -> dict:
    credentials = ensure_sandbox(ctx, data_dir)
    click.echo("")
    click.echo("sandbox loaded:")
    click.echo(f"  hospital      {credentials['hospital_code']} {credentials['hospital_name']} "
               f"(level {credentials['level']})")
    click.echo(f"  signing key   {credentials['signing_key']}  ({credentials['algorithm']})")
    for entry in credentials["users"]:
        click.echo(f"  user          {entry['user']} / {entry['password']}  letters {entry['permissions']}")
    click.echo(f"  (also in {data_dir / 'demo' / 'credentials.json'})")
    click.echo(f"  SOAP endpoint {ctx.settings.public_url}  (WSDL: ?wsdl)")
    click.echo("")
    return credentials
