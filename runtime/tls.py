"""Mutual TLS between the suite's components.

Every component holds a certificate naming it (its common name: ``gateway``,
``settlement``, ``ncms``…) issued by the suite's own certificate authority, and trusts
only that authority. A service accepts a connection only from a client presenting
such a certificate, and a call only when the certificate names a component allowed to
call it (``ALLOWED_CALLERS``, the same paths as the Kubernetes NetworkPolicies) — in
addition to the caller's token, which says who the call is for.

Certificates rotate without a restart: a server reads its files again when they change
(checked at each new connection), a client opens a new channel for its next call. On
Kubernetes cert-manager writes the files (deploy/k8s/components/cert-manager); `ncms
up` makes a local authority and a certificate per component under its data directory
(``make_local_certificates``).

Without the three files (``NCMS_TLS_CA_FILE``, ``NCMS_TLS_CERT_FILE``,
``NCMS_TLS_KEY_FILE``) a component speaks plaintext gRPC, which production refuses.
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import grpc

log = logging.getLogger(__name__)

# Who may call whom (by the common name of the caller's certificate). ``internal``:
# the NCMS centre's own systems (docs/internal-grpc.md); ``hospital``: a hospital's own
# SOAP service calling its own identity.
ALLOWED_CALLERS: dict[str, frozenset[str]] = {
    "identity": frozenset({"gateway", "catalog", "enrollment", "settlement", "ncms", "console", "hospital",
                           "internal"}),
    "catalog": frozenset({"gateway", "settlement", "ncms", "console", "internal"}),
    "enrollment": frozenset({"gateway", "settlement", "ncms", "console", "internal"}),
    "settlement": frozenset({"gateway", "ncms", "console", "internal"}),
}

# Components that hold a certificate, and for which of them it is also a server's.
COMPONENTS = ("identity", "catalog", "enrollment", "settlement", "gateway", "ncms", "console", "hospital")


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    certificate: Path
    key: Path

    def read(self) -> tuple[bytes, bytes, bytes]:
        return self.ca.read_bytes(), self.certificate.read_bytes(), self.key.read_bytes()

    def stamp(self) -> tuple[float, ...]:
        """Changes when any of the files is replaced."""
        return tuple(path.stat().st_mtime_ns for path in (self.ca, self.certificate, self.key))


def files_from(settings) -> TlsFiles | None:
    """The component's TLS files from its settings; None when TLS is not configured."""
    paths = (settings.tls_ca_file, settings.tls_cert_file, settings.tls_key_file)
    if not any(paths):
        return None
    if not all(paths):
        from .settings import ConfigurationError

        raise ConfigurationError("NCMS_TLS_CA_FILE, NCMS_TLS_CERT_FILE and NCMS_TLS_KEY_FILE go together")
    return TlsFiles(*(Path(p) for p in paths))


# --- the server side ------------------------------------------------------------------------

class ServerTls:
    """A server's credentials, read again when the files change, and its callers' check."""

    def __init__(self, files: TlsFiles, service: str) -> None:
        self.files = files
        self.allowed = ALLOWED_CALLERS.get(service, frozenset())
        self._stamp = files.stamp()

    def credentials(self) -> grpc.ServerCredentials:
        return grpc.dynamic_ssl_server_credentials(self._configuration(), self._changed,
                                                   require_client_authentication=True)

    def _configuration(self):
        ca, certificate, key = self.files.read()
        return grpc.ssl_server_certificate_configuration([(key, certificate)], root_certificates=ca)

    def _changed(self):
        """Called by gRPC at each new connection: new files, or None to keep the old."""
        try:
            stamp = self.files.stamp()
            if stamp == self._stamp:
                return None
            configuration = self._configuration()
        except OSError as exc:  # a rotation half-written: keep serving with the old files
            log.warning("TLS files not readable (%s); keeping the current certificate", exc)
            return None
        self._stamp = stamp
        log.info("TLS certificate %s read again", self.files.certificate)
        return configuration

    def caller_refusal(self, auth_context: dict) -> str | None:
        """Why a call on this connection is refused (None: allowed)."""
        names = [n.decode() for n in auth_context.get("x509_common_name", [])]
        if not names:
            return "no client certificate"
        if names[0] not in self.allowed:
            return f"a client certificate for {names[0]!r} may not call this service"
        return None


# --- the client side ------------------------------------------------------------------------

class ClientTls:
    """A client's credentials; ``current()`` gives new ones after the files change."""

    def __init__(self, files: TlsFiles, check_every: float = 1.0) -> None:
        self.files = files
        self._check_every = check_every
        self._lock = threading.Lock()
        self._checked = 0.0
        self._stamp: tuple[float, ...] = ()
        self._credentials: grpc.ChannelCredentials | None = None
        self.generation = 0

    def current(self) -> tuple[int, grpc.ChannelCredentials]:
        with self._lock:
            now = time.monotonic()
            if self._credentials is None or now - self._checked >= self._check_every:
                self._checked = now
                stamp = self.files.stamp()
                if stamp != self._stamp:
                    ca, certificate, key = self.files.read()
                    self._credentials = grpc.ssl_channel_credentials(ca, key, certificate)
                    self._stamp = stamp
                    self.generation += 1
            return self.generation, self._credentials


class RotatingChannel(grpc.Channel):
    """A channel that opens a new underlying secure channel when the client's
    certificate files change; calls in flight finish on the old one.

    Stubs keep the callables a channel gives them, so each callable looks up the
    current channel when it is called."""

    def __init__(self, address: str, tls: ClientTls, options: list) -> None:
        self._address = address
        self._tls = tls
        self._options = options
        self._lock = threading.Lock()
        self._generation = -1
        self._channel: grpc.Channel | None = None
        self._retired: list[grpc.Channel] = []

    def current(self) -> grpc.Channel:
        generation, credentials = self._tls.current()
        with self._lock:
            if generation != self._generation:
                if self._channel is not None:
                    self._retired.append(self._channel)
                self._channel = grpc.secure_channel(self._address, credentials, options=self._options)
                self._generation = generation
            return self._channel

    def _callable(self, kind: str, method: str, *args, **kwargs):
        return _RotatingCallable(self, kind, method, args, kwargs)

    def unary_unary(self, method, *args, **kwargs):
        return self._callable("unary_unary", method, *args, **kwargs)

    def unary_stream(self, method, *args, **kwargs):
        return self._callable("unary_stream", method, *args, **kwargs)

    def stream_unary(self, method, *args, **kwargs):
        return self._callable("stream_unary", method, *args, **kwargs)

    def stream_stream(self, method, *args, **kwargs):
        return self._callable("stream_stream", method, *args, **kwargs)

    def subscribe(self, callback, try_to_connect=False):
        self.current().subscribe(callback, try_to_connect)

    def unsubscribe(self, callback):
        self.current().unsubscribe(callback)

    def close(self):
        with self._lock:
            for channel in [*self._retired, *([self._channel] if self._channel else [])]:
                channel.close()
            self._retired, self._channel = [], None

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()
        return False


class _RotatingCallable:
    def __init__(self, owner: RotatingChannel, kind: str, method: str, args: tuple, kwargs: dict) -> None:
        self._owner = owner
        self._kind = kind
        self._method = method
        self._args = args
        self._kwargs = kwargs
        self._made: tuple[grpc.Channel, object] | None = None

    def _target(self):
        channel = self._owner.current()
        made = self._made
        if made is None or made[0] is not channel:
            made = (channel, getattr(channel, self._kind)(self._method, *self._args, **self._kwargs))
            self._made = made
        return made[1]

    def __call__(self, *args, **kwargs):
        return self._target()(*args, **kwargs)

    def __getattr__(self, name: str):  # with_call, future
        return getattr(self._target(), name)


_process_lock = threading.Lock()
_process_tls: ClientTls | None = None
_process_loaded = False


def process_client_tls() -> ClientTls | None:
    """This process's client credentials, from its settings (NCMS_TLS_*); None when TLS
    is not configured."""
    global _process_tls, _process_loaded
    with _process_lock:
        if not _process_loaded:
            from .settings import load_settings

            files = files_from(load_settings())
            _process_tls = ClientTls(files) if files else None
            _process_loaded = True
        return _process_tls


# --- a local authority (ncms up, tests) ---------------------------------------------------------

LOCAL_DIRECTORY = "tls"  # under the data directory


def local_files(data_dir: Path, component: str) -> TlsFiles | None:
    """A component's files as ``ncms up`` makes them under ``data_dir``; None if absent."""
    directory = Path(data_dir) / LOCAL_DIRECTORY
    files = TlsFiles(directory / "ca.pem", directory / f"{component}.pem", directory / f"{component}-key.pem")
    return files if all(p.exists() for p in (files.ca, files.certificate, files.key)) else None


def environment(files: TlsFiles) -> dict[str, str]:
    """The NCMS_TLS_* variables naming ``files``."""
    return {"NCMS_TLS_CA_FILE": str(files.ca), "NCMS_TLS_CERT_FILE": str(files.certificate),
            "NCMS_TLS_KEY_FILE": str(files.key)}


def make_local_certificates(directory: Path, components: Iterable[str] = COMPONENTS,
                            hosts: Iterable[str] = ("127.0.0.1", "localhost", "::1"),
                            days: int = 825) -> dict[str, TlsFiles]:
    """A certificate authority under ``directory`` (made once) and a certificate per
    component naming it, valid for ``hosts``; files that exist are kept. Keys are
    readable by their owner only."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = datetime.datetime.now(datetime.UTC)
    ca_file, ca_key_file = directory / "ca.pem", directory / "ca-key.pem"

    def write_key(path: Path, key) -> None:
        path.touch(mode=0o600)
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))

    if not (ca_file.exists() and ca_key_file.exists()):
        ca_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ncms local certificate authority")])
        ca = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(ca_key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
              .not_valid_after(now + datetime.timedelta(days=3650))
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .sign(ca_key, hashes.SHA256()))
        write_key(ca_key_file, ca_key)
        ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    ca = x509.load_pem_x509_certificate(ca_file.read_bytes())
    ca_key = serialization.load_pem_private_key(ca_key_file.read_bytes(), password=None)
    names = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    made = {}
    for component in components:
        files = TlsFiles(ca_file, directory / f"{component}.pem", directory / f"{component}-key.pem")
        if not (files.certificate.exists() and files.key.exists()):
            key = ec.generate_private_key(ec.SECP256R1())
            certificate = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, component)]))
                .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=days))
                .add_extension(x509.SubjectAlternativeName(names), critical=False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                      ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                .sign(ca_key, hashes.SHA256()))
            write_key(files.key, key)
            files.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        made[component] = files
    return made
