"""The shared runtime: settings and secrets, exact decimals, errors, tracing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from runtime.db import Database, ScaledDecimal, UTCDateTime
from runtime.errors import ContractError, invalid_argument
from runtime.rpc_errors import from_rpc_error
from runtime.settings import ConfigurationError, Settings


def test_development_secrets_are_generated_once(tmp_path):
    settings = Settings(data_dir=tmp_path)
    first = settings.secret("master_key")
    assert len(first) >= 40 and settings.secret("master_key") == first
    assert (tmp_path / "secrets" / "master_key").stat().st_mode & 0o777 == 0o600


def test_secrets_from_variable_or_file(tmp_path):
    path = tmp_path / "token.key"
    path.write_text("from-a-file-0123456789abcdefghijklmnop\n", "utf-8")
    assert Settings(token_key_file=path).secret("token_key") == "from-a-file-0123456789abcdefghijklmnop"
    assert Settings(token_key="direct").secret("token_key") == "direct"
    with pytest.raises(ConfigurationError, match="cannot read"):
        Settings(token_key_file=tmp_path / "missing").secret("token_key")


def test_production_refuses_missing_or_placeholder_secrets_and_sqlite(tmp_path):
    production = Settings(env="production", data_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="NCMS_MASTER_KEY or NCMS_MASTER_KEY_FILE"):
        production.secret("master_key")
    with pytest.raises(ConfigurationError, match="placeholder"):
        Settings(env="production", master_key="changeme").secret("master_key")
    with pytest.raises(ConfigurationError, match="NCMS_IDENTITY_DATABASE_URL"):
        production.database_url("identity")
    with pytest.raises(ConfigurationError, match="fast"):
        Settings(env="production", password_hash_profile="fast").check_production_safety()
    with pytest.raises(ConfigurationError, match="NCMS_TLS_CA_FILE"):
        production.check_transport_safety()
    assert not (tmp_path / "secrets").exists()


def test_identity_process_refuses_to_start_in_production_without_master_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("NCMS_")}
    env.update(NCMS_ENV="production", NCMS_DATA_DIR=str(tmp_path),
               NCMS_IDENTITY_DATABASE_URL=f"sqlite:///{tmp_path}/identity.sqlite3")
    result = subprocess.run([sys.executable, "-m", "services.identity", "--listen", "127.0.0.1:0"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "NCMS_MASTER_KEY or NCMS_MASTER_KEY_FILE must be set in production" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def scratch_db(databases):
    url = databases.new("identity")
    db = Database(url)
    yield db
    db.dispose()
    databases.drop(url)


def test_exact_decimals_and_utc_times_on_the_backend(scratch_db):
    metadata = sa.MetaData()
    table = sa.Table("scratch", metadata, sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("money", ScaledDecimal(2)), sa.Column("price", ScaledDecimal(4)),
                     sa.Column("at", UTCDateTime))
    metadata.create_all(scratch_db.engine)
    beijing = timezone(timedelta(hours=8))
    values = [Decimal("0.10"), Decimal("99999999999.99"), Decimal("-12.30"), Decimal("0.01") * 3]
    with scratch_db.write() as connection:
        for number, money in enumerate(values, 1):
            connection.execute(table.insert().values(id=number, money=money, price=Decimal("12.3456"),
                                                  at=datetime(2026, 11, 25, 9, 30, tzinfo=beijing)))
    with scratch_db.read() as connection:
        rows = connection.execute(sa.select(table.c.money, table.c.price, table.c.at).order_by(table.c.id)).all()
        total = connection.execute(sa.select(sa.func.sum(table.c.money))).scalar_one()
    assert [r.money for r in rows] == values
    assert all(isinstance(r.money, Decimal) for r in rows)
    assert rows[0].price == Decimal("12.3456")
    assert rows[0].at == datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
    assert total == sum(values)
    with pytest.raises(sa.exc.StatementError, match="more than 2 decimal places"), scratch_db.write() as connection:
        connection.execute(table.insert().values(id=9, money=Decimal("0.001")))
    with pytest.raises(sa.exc.StatementError, match="exact decimal"), scratch_db.write() as connection:
        connection.execute(table.insert().values(id=9, money=0.1))


def test_contract_errors_survive_the_wire(identity):
    from ncms.identity.v1 import identity_pb2

    with pytest.raises(Exception) as info:
        identity.admin.ListUsers(identity_pb2.ListUsersRequest(hospital_code="nope"))
    error = from_rpc_error(info.value)
    assert isinstance(error, ContractError) and error.code == "E1007"
    assert error.text == "E1007:医院代码无效: 医院 nope 未登记"
    with pytest.raises(Exception) as info:
        identity.admin.CreateHospital(identity_pb2.CreateHospitalRequest(code="x", name="y", level=9))
    bad = from_rpc_error(info.value)
    assert bad.reason == "INVALID_ARGUMENT" and bad.violations[0].field == "level"
    assert invalid_argument("level", "1-5").violations[0].description == "1-5"


def test_tracing_exports_spans_without_secrets(tmp_path):
    """With OTEL_TRACES_EXPORTER=console, a service exports gRPC and database spans."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NCMS_", "OTEL_"))}
    env.update(OTEL_TRACES_EXPORTER="console", OTEL_BSP_SCHEDULE_DELAY="100",
               NCMS_DATA_DIR=str(tmp_path), NCMS_ADMIN_CLIENT_SECRET="trace-admin-secret-0123456789",
               NCMS_LOG_LEVEL="WARNING")
    script = """
import time
from runtime import telemetry
telemetry.setup("identity")
from services.identity import server
from runtime.settings import load_settings
from runtime.clients import PackageStubs, ClientCredentials, identity_channel, with_token
from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
running = server.build(load_settings(), "127.0.0.1:0")
channel = identity_channel(f"127.0.0.1:{running.port}")
credentials = ClientCredentials(identity_pb2_grpc.TokenServiceStub(channel), "ncms-admin",
                                "trace-admin-secret-0123456789")
admin = PackageStubs(with_token(channel, credentials.token), identity_pb2_grpc)
admin.CreateHospital(identity_pb2.CreateHospitalRequest(code="450200001", name="x", level=2))
admin.CreateUser(identity_pb2.CreateUserRequest(hospital_code="450200001", name="his01",
    password="Tr4ce!secret", allowed_ips=["127.0.0.1"], permissions="E"))
running.stop(0)
telemetry.shutdown()
"""
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    spans = []
    decoder = json.JSONDecoder()
    text, index = result.stdout, 0
    while True:
        start = text.find("{", index)
        if start < 0:
            break
        span, index = decoder.raw_decode(text, start)
        spans.append(span)
    names = {s["name"] for s in spans}
    assert "/ncms.identity.v1.UserService/CreateUser" in names, names
    assert any(s["attributes"].get("db.system") == "sqlite" or s["attributes"].get("db.system.name") == "sqlite"
               for s in spans)
    assert "Tr4ce!secret" not in result.stdout


def test_plain_postgresql_urls_mean_psycopg():
    from runtime.db import normalise_url

    # the form a database operator's generated secret (or a managed database) gives
    assert normalise_url("postgresql://app:pw@ncms-identity-db-rw:5432/app") == \
        "postgresql+psycopg://app:pw@ncms-identity-db-rw:5432/app"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    for unchanged in ("postgresql+psycopg://u@h/db", "sqlite:////var/lib/ncms/identity.sqlite3"):
        assert normalise_url(unchanged) == unchanged


@pytest.mark.postgresql_only
def test_replicas_migrating_at_once_take_turns(databases):
    """Init containers of several replicas run `ncms migrate` together during a rollout."""
    from runtime.db import migrate, pending_migrations
    from tests.support.databases import POSTGRES_ADMIN_URL

    name = f"ncms_test_{uuid.uuid4().hex[:10]}_fresh"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    failures: list[BaseException] = []

    def replica() -> None:
        db = Database(url)
        try:
            migrate(db, "services.identity.migrations")
        except BaseException as exc:  # collected and reported below
            failures.append(exc)
        finally:
            db.dispose()

    try:
        threads = [threading.Thread(target=replica, daemon=True) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "migrations deadlocked"
        assert failures == []
        db = Database(url)
        assert pending_migrations(db, "services.identity.migrations") == []
        db.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_readiness_decided_after_stop_changes_nothing():
    """A thread that decides readiness (settlement's, once its copies are in sync) may finish
    after the server has stopped and its loop has closed: the server stays stopped, quietly."""
    from runtime.auth import TokenVerifier
    from runtime.grpc_server import create_server

    running = create_server([], "127.0.0.1:0", verifier=TokenVerifier(lambda: {}), serving=False)
    running.stop(0)
    assert running.loop.is_closed()
    running.set_serving(True)  # before the fix: RuntimeError('Event loop is closed') in that thread
