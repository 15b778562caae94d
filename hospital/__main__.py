"""``ncms-hospital`` (or ``python -m hospital``): a hospital's own SOAP service."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click

from runtime import metrics, parent, telemetry
from runtime.clients import serving
from runtime.db import Database, migrate
from runtime.logging import configure_logging
from runtime.settings import ConfigurationError, load_settings

IDENTITY_MIGRATIONS = "services.identity.migrations"


def _settings():
    try:
        return load_settings()
    except Exception as exc:  # pydantic's ValidationError names the variable
        raise click.ClickException(f"configuration error: {exc}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """A hospital's own SOAP service: the operations the NCMS calls on a hospital
    (yhklxgjk, Yhzjjk, Yhscjk, zysjcxjk).

    Configured like the NCMS's components (NCMS_* variables, docs/hospital-side.md):
    NCMS_HOSPITAL_CODE (the 医院代码 served), NCMS_HOSPITAL_ADDRESS (SOAP, default
    127.0.0.1:8090), NCMS_IDENTITY_ADDRESS (its own users, default 127.0.0.1:50051;
    administer them with `ncms user ...` pointed there), NCMS_DATA_DIR.
    """


@main.command()
@click.option("--listen", help="SOAP address (default NCMS_HOSPITAL_ADDRESS).")
@click.option("--external-identity", is_flag=True,
              help="Use an identity service already running at NCMS_IDENTITY_ADDRESS instead of "
                   "starting one.")
def serve(listen: str | None, external_identity: bool) -> None:
    """Run the service until SIGTERM or Ctrl-C, with its own identity service (a child
    process on NCMS_IDENTITY_ADDRESS) unless --external-identity."""
    from .server import build

    parent.stop_with_parent()  # before its own identity starts: that child must not inherit it
    settings = _settings()
    configure_logging("hospital", settings.log_level, settings.log_format)
    telemetry.setup("hospital")
    metrics.serve(settings.metrics_address, "hospital")
    identity = None if external_identity else start_identity(settings)
    try:
        service = build(settings, listen=listen)
    except ConfigurationError as exc:
        print(f"ncms-hospital: configuration error: {exc}", file=sys.stderr)
        stop_identity(identity)
        sys.exit(2)
    click.echo(f"hospital {settings.hospital_code}: SOAP {service.url} (WSDL: ?wsdl), "
               f"identity {settings.identity_address}")
    try:
        service.serve_until_signalled()
    finally:
        stop_identity(identity)
    telemetry.shutdown()


def start_identity(settings) -> subprocess.Popen:
    """The hospital's identity service, as a child process; returns once it serves."""
    environment = dict(os.environ, NCMS_LISTEN_ADDRESS=settings.identity_address)
    environment.pop("NCMS_METRICS_ADDRESS", None)
    process = subprocess.Popen([sys.executable, "-m", "services.identity"], env=environment)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise click.ClickException(f"its identity service exited with status {process.returncode}; "
                                       "its log is above")
        if serving(settings.identity_address):
            return process
        time.sleep(0.2)
    process.kill()
    raise click.ClickException(f"its identity service did not start at {settings.identity_address} within 60s")


def stop_identity(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@main.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load(file: Path) -> None:
    """Add or replace in-patients in the shipped adapter's tables from a JSON file
    (fields: the contract's column names; see hospital/sql_adapter.py)."""
    from .sql_adapter import MIGRATIONS, BadRecord, load_file

    settings = _settings()
    db = Database(settings.database_url("hospital"))
    try:
        if settings.migrate_on_start:
            migrate(db, MIGRATIONS)
        count = load_file(db, file)
    except BadRecord as exc:
        raise click.ClickException(f"{exc}; nothing was loaded") from None
    finally:
        db.dispose()
    click.echo(f"{count} in-patients loaded from {file}")


@main.command("migrate")
def migrate_command() -> None:
    """Bring this service's databases (identity, in-patient tables) to the current schema."""
    from .sql_adapter import MIGRATIONS

    settings = _settings()
    for name, package in (("identity", IDENTITY_MIGRATIONS), ("hospital", MIGRATIONS)):
        db = Database(settings.database_url(name))
        try:
            migrate(db, package)
        finally:
            db.dispose()
        click.echo(f"{name}: up to date")


if __name__ == "__main__":
    main()
