"""``ncms up``: every component of the suite on this machine, until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click

from runtime.clients import serving

from .context import CommandError, Context
from .services import COMPONENTS, DEMO_HOSPITAL, Component

pass_context = click.make_pass_decorator(Context)

STARTUP_TIMEOUT = 60.0
SECRETS = ("master_key", "token_key", "admin_client_secret", "gateway_client_secret", "settlement_client_secret")


def _healthy(component: Component, address: str) -> bool:
    if component.kind == "http":
        try:
            with urllib.request.urlopen(f"http://{address}/healthz", timeout=1.0) as response:  # noqa: S310
                return response.status == 200
        except OSError:
            return False
    return serving(address)


def wait_until_ready(component: Component, address: str, process: subprocess.Popen,
                     timeout: float = STARTUP_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CommandError(f"{component.name} exited with status {process.returncode} "
                               "while starting; its log is above")
        if _healthy(component, address):
            return
        time.sleep(0.2)
    raise CommandError(f"{component.name} did not become ready at {address} within {timeout:.0f}s")


class Supervisor:
    def __init__(self, environment: dict[str, str], grace: float) -> None:
        self.environment = environment
        # One process, one /metrics port: with NCMS_METRICS_ADDRESS=host:9464 the
        # components take 9464, 9465, ... in start order.
        self.metrics_address = environment.get("NCMS_METRICS_ADDRESS")
        self.grace = grace
        self.processes: list[tuple[Component, subprocess.Popen]] = []

    def start(self, component: Component, address: str, environment: dict[str, str] | None = None) -> None:
        environment = dict(environment or self.environment)
        environment.pop("OTEL_SERVICE_NAME", None)  # each component names itself ncms-<component>
        metrics = ""
        if self.metrics_address:
            host, _, port = self.metrics_address.rpartition(":")
            environment["NCMS_METRICS_ADDRESS"] = f"{host}:{int(port) + len(self.processes)}"
            metrics = f", metrics http://{environment['NCMS_METRICS_ADDRESS']}/metrics"
        process = subprocess.Popen([sys.executable, "-m", component.module, *component.arguments], env=environment)
        self.processes.append((component, process))
        wait_until_ready(component, address, process)
        where = f"http://{address}/NcmsService.asmx" if component.kind == "http" else address
        click.echo(f"  {component.name:<11} ready on {where} (pid {process.pid}{metrics})")

    def watch(self) -> int:
        """Block until a component exits by itself; returns its status."""
        while True:
            for component, process in self.processes:
                if process.poll() is not None:
                    click.echo(f"{component.name} exited with status {process.returncode}; "
                               "stopping the suite", err=True)
                    return process.returncode or 1
            time.sleep(0.5)

    def stop(self) -> None:
        for _, process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace + 5
        for component, process in reversed(self.processes):
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                click.echo(f"{component.name} did not stop in time; killing it", err=True)
                process.kill()
                process.wait()


@click.command()
@click.option("--demo", is_flag=True,
              help="Also load a sandbox hospital, users, catalogs and households, and print "
                   "how to call them.")
@pass_context
def up(ctx: Context, demo: bool) -> None:
    """Start every service and the gateway on this machine; Ctrl-C stops them.

    Each service uses its own database: NCMS_<SERVICE>_DATABASE_URL, or a SQLite
    file under NCMS_DATA_DIR (default ./var). In development, missing secrets are
    generated under NCMS_DATA_DIR/secrets.
    """
    settings = ctx.settings
    data_dir = Path(settings.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    environment = dict(os.environ, NCMS_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    try:
        for name in SECRETS:  # create development secrets once, before any child races for them
            settings.secret(name)
    except Exception as exc:
        raise CommandError(str(exc)) from None

    click.echo(f"starting the NCMS suite ({settings.env}, data in {data_dir})")
    supervisor = Supervisor(environment, settings.shutdown_grace_seconds)
    stopping = False

    def on_signal(signum, _frame) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    status = 0
    try:
        for component in COMPONENTS:
            supervisor.start(component, settings.address_of(component.name))
        if demo:
            from .demo import HospitalSide, hospital_data_dir, load_demo

            side = HospitalSide(settings.hospital_address, settings.demo_hospital_identity_address,
                                hospital_data_dir(data_dir))
            for name in SECRETS:  # its own secrets, created before it starts
                side.settings().secret(name)
            supervisor.start(DEMO_HOSPITAL, side.soap_address, side.environment(environment))
            load_demo(ctx, data_dir, side)
        click.echo("the suite is running; press Ctrl-C to stop it")
        status = supervisor.watch()
    except KeyboardInterrupt:
        click.echo("\nstopping ...")
    finally:
        supervisor.stop()
    if status:
        raise SystemExit(status)
    click.echo("stopped")
