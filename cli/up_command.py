"""``ncms up``: every component of the suite on this machine, until Ctrl-C.

- Every port is checked before anything starts: a port another process holds stops
  ``up`` with the port and (where the system says) the process holding it.
- A component is ready when *its own* process answers: its health check answers, the
  process is alive, and (on Linux) the listening socket is that process's. Settlement
  answers NOT_SERVING until its copies of the catalog and enrolment are in sync, which
  takes minutes with a provincial list: ``up`` waits for that longer, and says so.
- A component that dies is started again after a pause that grows (1 s, 2 s, 4 s ...
  up to a minute) and ``up`` says so; one that dies five times in a row without
  staying up stops the suite.
- The components run in process groups of their own: Ctrl-C reaches ``up`` alone,
  which stops them in order and exits 0 (so ``make run`` ends without an error);
  SIGTERM and SIGHUP (the terminal closed) do the same.
- On Linux the components are told to stop (SIGTERM) when ``up`` itself dies, even by
  SIGKILL, so that no orphan keeps the suite's ports for the next ``up``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import click

from runtime import parent

from .context import CommandError, Context, pass_context
from .i18n import _
from .services import COMPONENTS, DEMO_HOSPITAL, Component

STARTUP_TIMEOUT = 60.0
SYNC_TIMEOUT = 3600.0  # settlement's first sync of a provincial enrolment list
SECRETS = ("master_key", "token_key", "admin_client_secret", "gateway_client_secret", "settlement_client_secret",
           "console_client_secret", "console_secret_key")
MAX_BACKOFF = 60.0
STABLE_AFTER = 60.0  # up this long: the next death starts the backoff afresh
GIVE_UP_AFTER = 5  # deaths in a row without staying up

# Health answers.
UNREACHABLE, NOT_SERVING, SERVING = "unreachable", "not serving", "serving"


def split_address(address: str) -> tuple[str, int]:
    host, _sep, port = address.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


# --- who holds a port (Linux /proc; elsewhere we only know that it is taken) -------------------

def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def _socket_inodes(pid: int) -> set[str]:
    found: set[str] = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                link = os.readlink(fd)
            except OSError:
                continue
            if link.startswith("socket:["):
                found.add(link[8:-1])
    except OSError:
        pass
    return found


def port_holder(port: int) -> str:
    """The process listening on ``port``, as "pid 123 (python -m services.identity)"; "" if unknown."""
    inodes = _listening_inodes(port)
    if not inodes:
        return ""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _socket_inodes(int(entry.name)) & inodes:
            try:
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            except OSError:
                command = ""
            return f"pid {entry.name} ({command[:80]})" if command else f"pid {entry.name}"
    return ""


def listens(pid: int, port: int) -> bool | None:
    """Whether process ``pid`` holds the listening socket of ``port``; None: cannot tell here."""
    if not Path("/proc/net/tcp").exists():
        return None
    inodes = _listening_inodes(port)
    return bool(inodes) and bool(_socket_inodes(pid) & inodes)


def port_free(address: str) -> bool:
    host, port = split_address(address)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return True  # an unknown host: the component itself will say so
    family, kind, protocol, _name, where = infos[0]
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(where)
        except OSError:
            return False
    return True


def check_ports(wanted: list[tuple[str, str]]) -> None:
    """Refuse to start when any port is taken, naming each one and its holder."""
    taken = []
    for name, address in wanted:
        if not port_free(address):
            holder = port_holder(split_address(address)[1])
            taken.append(_("{address} ({component}) is taken by {holder}").format(
                address=address, component=name, holder=holder or _("another process")))
    if taken:
        raise CommandError(_("cannot start the suite: {ports}. Stop that process (another `ncms up`?) or give "
                             "other addresses (NCMS_<COMPONENT>_ADDRESS)").format(ports="; ".join(taken)))


# --- health ------------------------------------------------------------------------------------

def health(component: Component, address: str, tls=None) -> str:
    """SERVING, NOT_SERVING or UNREACHABLE; gRPC health checks with ``tls``
    (runtime.tls.ClientTls; default: this process's certificate)."""
    if component.kind == "http":
        import urllib.request

        try:
            with urllib.request.urlopen(f"http://{address}/healthz", timeout=1.0) as response:  # noqa: S310
                return SERVING if response.status == 200 else NOT_SERVING
        except OSError:
            return UNREACHABLE
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from runtime.clients import open_channel

    # mutual TLS, with the certificate of the ncms command
    channel = open_channel(address) if tls is None else open_channel(address, tls=tls)
    try:
        status = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1.0).status
    except grpc.RpcError:
        return UNREACHABLE
    finally:
        channel.close()
    return SERVING if status == health_pb2.HealthCheckResponse.SERVING else NOT_SERVING


def local_certificates(data_dir: Path, addresses: list[str]) -> dict:
    """The suite's local certificate authority and a certificate per component under
    ``data_dir``/tls, valid for the hosts the components listen on (made once)."""
    from runtime import tls

    hosts = {"127.0.0.1", "localhost", "::1"} | {split_address(a)[0] for a in addresses}
    hosts -= {"0.0.0.0", "::", ""}  # noqa: S104 (addresses to listen on, not to dial)
    return tls.make_local_certificates(data_dir / tls.LOCAL_DIRECTORY, hosts=sorted(hosts))


@dataclass
class Running:
    component: Component
    address: str
    environment: dict[str, str]
    process: subprocess.Popen
    started: float = field(default_factory=time.monotonic)
    failures: int = 0  # deaths in a row without staying up


class Supervisor:
    def __init__(self, environment: dict[str, str], grace: float, *, sync_progress=None) -> None:
        self.environment = environment
        # One process, one /metrics port: with NCMS_METRICS_ADDRESS=host:9464 the
        # components take 9464, 9465, ... in start order.
        self.metrics_address = environment.get("NCMS_METRICS_ADDRESS")
        self.grace = grace
        self.running: list[Running] = []
        self.sync_progress = sync_progress  # () -> str: how far settlement's sync has got

    def metrics_addresses(self, count: int) -> list[str]:
        if not self.metrics_address:
            return []
        host, _sep, port = self.metrics_address.rpartition(":")
        return [f"{host}:{int(port) + n}" for n in range(count)]

    def _environment(self, index: int, environment: dict[str, str]) -> tuple[dict[str, str], str]:
        environment = dict(environment)
        environment.pop("OTEL_SERVICE_NAME", None)  # each component names itself ncms-<component>
        if not self.metrics_address:
            return environment, ""
        environment["NCMS_METRICS_ADDRESS"] = self.metrics_addresses(index + 1)[index]
        return environment, ", " + _("metrics {url}").format(url=f"http://{environment['NCMS_METRICS_ADDRESS']}/metrics")

    def _spawn(self, component: Component, environment: dict[str, str]) -> subprocess.Popen:
        # A process group of its own: Ctrl-C at the terminal reaches `up` only, which stops
        # the components in order.
        # It also stops when `up` dies, even by SIGKILL (Linux; runtime/parent.py).
        environment = {**environment, parent.ENVIRONMENT: str(os.getpid())}
        return subprocess.Popen([sys.executable, "-m", component.module, *component.arguments], env=environment,
                                process_group=0)

    def start(self, component: Component, address: str, environment: dict[str, str] | None = None) -> None:
        index = len(self.running)
        environment, metrics = self._environment(index, environment or self.environment)
        process = self._spawn(component, environment)
        entry = Running(component, address, environment, process)
        self.running.append(entry)
        self.wait_until_ready(entry)
        where = f"http://{address}{component.path}" if component.kind == "http" else address
        click.echo("  " + _("{component:<11} ready on {where} (pid {pid}{metrics})").format(
            component=component.name, where=where, pid=process.pid, metrics=metrics))

    def wait_until_ready(self, entry: Running) -> None:
        component, address, process = entry.component, entry.address, entry.process
        port = split_address(address)[1]
        deadline = time.monotonic() + STARTUP_TIMEOUT
        syncing_since = None
        reported = 0.0
        while True:
            if process.poll() is not None:
                raise CommandError(_("{component} exited with status {status} while starting; its log is above")
                                   .format(component=component.name, status=process.returncode))
            state = health(component, address)
            own = listens(process.pid, port) if state != UNREACHABLE else False
            if state != UNREACHABLE and own is False:
                holder = port_holder(port)
                raise CommandError(_("{address} is answered by {holder}, not by the {component} this command "
                                     "started (pid {pid})").format(address=address, component=component.name,
                                                                   holder=holder or _("another process"),
                                                                   pid=process.pid))
            if state == SERVING:
                if syncing_since is not None:
                    click.echo("  " + _("{component}: in sync after {seconds:.0f} s").format(
                        component=component.name, seconds=time.monotonic() - syncing_since))
                return
            now = time.monotonic()
            if state == NOT_SERVING and component.name == "settlement":
                if syncing_since is None:
                    syncing_since, deadline = now, now + SYNC_TIMEOUT
                    click.echo("  " + _("settlement is up and syncing its copies of the catalog and enrolment "
                                        "(projections); it serves once they are in sync (a provincial list takes "
                                        "minutes)"))
                if now - reported >= 10:
                    reported = now
                    detail = self.sync_progress() if self.sync_progress else ""
                    if detail:
                        click.echo("  " + _("settlement syncing: {detail}").format(detail=detail))
            if now > deadline:
                limit = SYNC_TIMEOUT if syncing_since is not None else STARTUP_TIMEOUT
                raise CommandError(_("{component} did not become ready at {address} within {seconds:.0f} s").format(
                    component=component.name, address=address, seconds=limit))
            time.sleep(0.2)

    def watch(self, stopping) -> int:
        """Restart components that die, until asked to stop; the exit status of `up`."""
        while not stopping():
            for entry in self.running:
                if entry.process.poll() is None:
                    continue
                status = entry.process.returncode
                if time.monotonic() - entry.started >= STABLE_AFTER:
                    entry.failures = 0
                entry.failures += 1
                if entry.failures >= GIVE_UP_AFTER:
                    click.echo(_("{component} exited with status {status}, {n} times in a row; stopping the "
                                 "suite (its log is above)").format(component=entry.component.name, status=status,
                                                                    n=entry.failures), err=True)
                    return status or 1
                pause = min(2.0 ** (entry.failures - 1), MAX_BACKOFF)
                click.echo(_("{component} exited with status {status}; starting it again in {seconds:.0f} s "
                             "(restart {n})").format(component=entry.component.name, status=status, seconds=pause,
                                                     n=entry.failures), err=True)
                if self._pause(pause, stopping):
                    return 0
                self._restart(entry)
            time.sleep(0.5)
        return 0

    @staticmethod
    def _pause(seconds: float, stopping) -> bool:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if stopping():
                return True
            time.sleep(0.1)
        return False

    def _restart(self, entry: Running) -> None:
        if not port_free(entry.address):
            holder = port_holder(split_address(entry.address)[1])
            click.echo(_("{address} ({component}) is taken by {holder}; trying again later").format(
                address=entry.address, component=entry.component.name, holder=holder or _("another process")),
                err=True)
            entry.started = time.monotonic()
            entry.process = _Exited()
            return
        entry.process = self._spawn(entry.component, entry.environment)
        entry.started = time.monotonic()
        try:
            self.wait_until_ready(entry)
        except CommandError as exc:
            click.echo(_("error: {message}").format(message=exc.format_message()), err=True)
            return
        click.echo(_("{component} is running again (pid {pid})").format(component=entry.component.name,
                                                                       pid=entry.process.pid), err=True)

    def stop(self) -> None:
        for entry in reversed(self.running):
            if entry.process.poll() is None:
                entry.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace + 5
        for entry in reversed(self.running):
            try:
                entry.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                click.echo(_("{component} did not stop in time; killing it").format(component=entry.component.name),
                           err=True)
                entry.process.kill()
                entry.process.wait()


class _Exited:
    """A component that could not be started again yet (its port was taken)."""

    pid = 0
    returncode = 1

    def poll(self) -> int:
        return 1

    def send_signal(self, _signal) -> None:
        pass

    def wait(self, timeout=None) -> int:
        return 1

    def kill(self) -> None:
        pass


def _sync_progress(ctx: Context):
    """How far settlement's copies have got (asked with the administrator's token)."""

    def progress() -> str:
        from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc

        try:
            found = ctx.services("settlement", settlement_pb2_grpc).ListProjections(
                settlement_pb2.ListProjectionsRequest(), timeout=2).projections
        except Exception:  # not answering yet: say nothing
            return ""
        names = {settlement_pb2.PROJECTION_SOURCE_CATALOG: "catalog",
                 settlement_pb2.PROJECTION_SOURCE_ENROLLMENT: "enrollment"}
        return "; ".join(f"{names.get(p.source, '?')} " + (_("in sync") if p.synced else _("{rows:,} rows so far").format(
            rows=sum(p.rows.values()))) for p in found)

    return progress


@click.command(help=_("Start every service and the gateway on this machine; Ctrl-C stops them.") + "\n\n" + _(
    "Each service uses its own database: NCMS_<SERVICE>_DATABASE_URL, or a SQLite file under NCMS_DATA_DIR "
    "(default ./var). In development, missing secrets are generated under NCMS_DATA_DIR/secrets. A component "
    "that dies is started again."))
@click.option("--demo", is_flag=True,
              help=_("Also load a sandbox hospital, users, catalogs and households, and print how to call them."))
@pass_context
def up(ctx: Context, demo: bool) -> None:
    settings = ctx.settings
    data_dir = Path(settings.data_dir).resolve()
    components = [(c, settings.address_of(c.name)) for c in COMPONENTS]
    side = None
    if demo:
        from .demo import HospitalSide, hospital_data_dir

        side = HospitalSide(settings.hospital_address, settings.demo_hospital_identity_address,
                            hospital_data_dir(data_dir))
    wanted = [(c.name, address) for c, address in components]
    if side is not None:
        wanted += [(DEMO_HOSPITAL.name, side.soap_address), (_("hospital's identity"), side.identity_address)]
    environment = dict(os.environ, NCMS_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    supervisor = Supervisor(environment, settings.shutdown_grace_seconds, sync_progress=_sync_progress(ctx))
    wanted += [(_("metrics"), address) for address in supervisor.metrics_addresses(len(components) + bool(side))]
    check_ports(wanted)
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        for name in SECRETS:  # create development secrets once, before any child races for them
            settings.secret(name)
    except Exception as exc:
        raise CommandError(str(exc)) from None
    from runtime import tls

    # Mutual TLS between the components, as in production: each gets its certificate,
    # this command (and `ncms` in another terminal, same data directory) the ncms one.
    certificates = local_certificates(data_dir, [address for _name, address in wanted])
    if tls.files_from(settings) is None:
        os.environ.update(tls.environment(certificates["ncms"]))

    def with_certificate(name: str, base: dict[str, str]) -> dict[str, str]:
        return {**base, **tls.environment(certificates[name])}

    click.echo(_("starting the NCMS suite ({env}, data in {path})").format(env=settings.env, path=data_dir))
    stop_requested = False

    def on_signal(signum, _frame) -> None:
        nonlocal stop_requested
        if stop_requested:
            return
        stop_requested = True
        raise KeyboardInterrupt

    # Ctrl-C, a stop from a supervisor, the terminal closed. SIGINT is set here too: a
    # shell starts background commands with SIGINT ignored, and Python then leaves it so.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    status = 0
    try:
        for component, address in components:
            supervisor.start(component, address, with_certificate(component.name, environment))
        if side is not None:
            from .demo import load_demo

            for name in SECRETS:  # its own secrets, created before it starts
                side.settings().secret(name)
            # the sandbox hospital's own service and its identity: certificates of the same
            # local authority, so that this command may administer them too
            supervisor.start(DEMO_HOSPITAL, side.soap_address,
                             with_certificate("hospital", side.environment(environment)))
            load_demo(ctx, data_dir, side)
        click.echo(_("the suite is running; press Ctrl-C to stop it"))
        status = supervisor.watch(lambda: stop_requested)
    except KeyboardInterrupt:
        click.echo("\n" + _("stopping ..."))
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the stop short
        supervisor.stop()
    if status:
        raise SystemExit(status)
    click.echo(_("stopped"))
