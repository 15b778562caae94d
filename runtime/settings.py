"""Settings of every component, read from ``NCMS_*`` environment variables.

One flat settings class for the whole suite: each process reads the fields it needs.
Secrets (the master key, the token signing key, the built-in client secrets) come
from ``NCMS_<NAME>`` or from a file named by ``NCMS_<NAME>_FILE`` (a mounted
Kubernetes Secret). In development, a missing secret is generated once under
``$NCMS_DATA_DIR/secrets/`` so that ``ncms up`` works on a fresh machine; in
production a missing or placeholder secret stops the process with a message saying
which variable to set.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICE_NAMES = ("identity", "catalog", "enrollment", "settlement")
# Components with a database: the services, and a hospital's own service (hospital/).
DATABASE_OWNERS = (*SERVICE_NAMES, "hospital")

# Values that people paste from examples; refused for secrets outside development.
_PLACEHOLDERS = {"", "changeme", "change-me", "change_me", "secret", "placeholder", "example",
                 "password", "replace-me", "todo", "xxx"}


class ConfigurationError(RuntimeError):
    """The configuration cannot work; the message says what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NCMS_", extra="ignore", frozen=True)

    env: Literal["development", "production"] = "development"
    data_dir: Path = Path("var")
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Apply database migrations when a service starts. Default: on in development,
    # off in production (run `ncms migrate` as a separate step there).
    auto_migrate: bool | None = None

    # Where each component listens and is reached. A process binds to
    # NCMS_LISTEN_ADDRESS when set (e.g. 0.0.0.0:50051 in a container).
    identity_address: str = "127.0.0.1:50051"
    catalog_address: str = "127.0.0.1:50052"
    enrollment_address: str = "127.0.0.1:50053"
    settlement_address: str = "127.0.0.1:50054"
    gateway_address: str = "127.0.0.1:8080"
    # The centre's web console (HTTP; behind TLS in production).
    console_address: str = "127.0.0.1:8070"
    listen_address: str | None = None

    # One database per service; default: one SQLite file per service in data_dir.
    identity_database_url: str | None = None
    catalog_database_url: str | None = None
    enrollment_database_url: str | None = None
    settlement_database_url: str | None = None

    # host:port where the process serves /metrics for Prometheus; unset: no metrics.
    metrics_address: str | None = None

    # gRPC plumbing.
    grpc_max_workers: int = Field(16, ge=1)
    grpc_deadline_seconds: float = Field(5.0, gt=0)
    shutdown_grace_seconds: float = Field(10.0, ge=0)

    # Identity: the contract's numbers, configurable.
    lockout_threshold: int = Field(5, ge=1)
    lockout_minutes: int = Field(15, ge=1)
    # The MessageHeader's sendtime may differ this much from the NCMS clock (E1009);
    # used msgids are kept at least twice as long (soap-interface.md).
    message_time_window_seconds: int = Field(300, ge=10, le=86400)
    password_history: int = Field(5, ge=0)
    # "strong" is argon2id at the RFC 9106 second recommendation; "fast" is for tests
    # and demos only and is refused in production.
    password_hash_profile: Literal["strong", "fast"] = "strong"  # noqa: S105 (a profile name)
    token_ttl_seconds: int = Field(300, ge=10, le=3600)

    # Settlement: the directory of the yearly policy files (<year>.yaml; default
    # data_dir/policies), and whether a year without one uses the shipped default policy.
    policy_dir: Path | None = None
    policy_default_fallback: bool = True
    # Supervision: the rules file (default: the shipped rules.yaml).
    supervision_rules: Path | None = None
    # How long the catalog and enrolment keep their changes for readers that catch up
    # (a reader further behind lists the whole state again).
    feed_retention_hours: float = Field(168.0, gt=0)
    # How long a catalog upload (ypmljk, zlmljk) waits for settlement to apply it, so
    # that the next bill is priced with it.
    projection_wait_seconds: float = Field(3.0, ge=0)
    # Rows per page when settlement lists an owner's state (each page is one write
    # transaction in settlement's database).
    projection_page_size: int = Field(2000, ge=10, le=5000)

    # Gateway (the legacy SOAP front door).
    # The address hospitals use, published as the WSDL's soap:address (behind a proxy
    # or ingress, its public URL); default: http://<gateway_address>/NcmsService.asmx.
    gateway_public_url: str | None = None
    # Proxies whose X-Forwarded-For is believed (comma-separated IPs or CIDRs).
    gateway_trusted_proxies: str = ""
    gateway_max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024)
    gateway_max_dataset_rows: int = Field(20_000, ge=1)
    gateway_workers: int = Field(2, ge=1)
    gateway_threads: int = Field(4, ge=1)
    # HTTPS at the SOAP edge when both are set (PEM files; on Kubernetes TLS ends at
    # the ingress instead).
    gateway_tls_cert_file: Path | None = None
    gateway_tls_key_file: Path | None = None
    # Slow clients: a request's line and headers must arrive within
    # gateway_header_timeout_seconds; its body within gateway_body_timeout_seconds plus
    # one second per gateway_min_body_rate bytes received. Bodies are read whole before
    # a worker thread is taken; each worker process keeps at most
    # gateway_max_connections connections and gateway_max_buffered_bytes of bodies.
    gateway_header_timeout_seconds: float = Field(10.0, gt=0)
    gateway_body_timeout_seconds: float = Field(30.0, gt=0)
    gateway_min_body_rate: int = Field(1024, ge=1)
    gateway_max_connections: int = Field(1000, ge=1)
    gateway_max_buffered_bytes: int = Field(64 * 1024 * 1024, ge=1024)

    # A hospital's own service (hospital/, deployed by a hospital): the hospital it
    # serves, where its SOAP interface listens, the address its WSDL publishes, and
    # the database of the shipped in-patient adapter.
    hospital_code: str | None = None
    hospital_address: str = "127.0.0.1:8090"
    hospital_public_url: str | None = None
    hospital_database_url: str | None = None
    # `ncms up --demo` runs the sandbox hospital's own service beside the suite: its
    # SOAP interface on hospital_address, its identity here.
    demo_hospital_identity_address: str = "127.0.0.1:50061"
    # The NCMS side: how long a call to a hospital's own service may take.
    hospital_call_timeout_seconds: float = Field(10.0, gt=0)

    # The web console (console/): the address people use (for links and redirects;
    # default http://<console_address>/), whether its cookies are sent over TLS only
    # (default: in production), proxies whose X-Forwarded-For/-Proto are believed, and
    # its worker threads.
    console_public_url: str | None = None
    console_secure_cookies: bool | None = None
    console_trusted_proxies: str = ""
    console_threads: int = Field(8, ge=1)
    # Staff sessions (identity): ended after this long without a request, and at the
    # latest after max hours (then the person signs in again).
    staff_session_idle_minutes: int = Field(30, ge=1)
    staff_session_max_hours: int = Field(12, ge=1)

    # Secrets (see module docstring).
    master_key: SecretStr | None = None
    master_key_file: Path | None = None
    token_key: SecretStr | None = None
    token_key_file: Path | None = None
    admin_client_secret: SecretStr | None = None
    admin_client_secret_file: Path | None = None
    gateway_client_secret: SecretStr | None = None
    gateway_client_secret_file: Path | None = None
    # Settlement's own credentials, for following the catalog's and enrolment's feeds.
    settlement_client_secret: SecretStr | None = None
    settlement_client_secret_file: Path | None = None

    # Mutual TLS between components (runtime/tls.py): the suite's certificate authority
    # and this component's certificate and key; all three or none (plaintext).
    tls_ca_file: Path | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    # With TLS, where plaintext health checks are answered (default: gRPC port + 10000).
    health_address: str | None = None
    # The web console's own credentials (it signs the centre's staff in), and the key of
    # its CSRF tokens.
    console_client_secret: SecretStr | None = None
    console_client_secret_file: Path | None = None
    console_secret_key: SecretStr | None = None
    console_secret_key_file: Path | None = None

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def migrate_on_start(self) -> bool:
        return (not self.production) if self.auto_migrate is None else self.auto_migrate

    def address_of(self, component: str) -> str:
        return getattr(self, f"{component}_address")

    def listen_address_of(self, component: str) -> str:
        return self.listen_address or self.address_of(component)

    @property
    def policies_path(self) -> Path:
        return self.policy_dir or self.data_dir / "policies"

    @property
    def public_url(self) -> str:
        return self.gateway_public_url or f"http://{self.gateway_address}/NcmsService.asmx"

    def database_url(self, service: str) -> str:
        if service not in DATABASE_OWNERS:
            raise ValueError(f"unknown service {service!r}")
        url = getattr(self, f"{service}_database_url")
        if url:
            return url
        if self.production:
            raise ConfigurationError(
                f"NCMS_{service.upper()}_DATABASE_URL must be set in production "
                "(a PostgreSQL URL such as postgresql+psycopg://user@host/ncms_"
                f"{service})")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / f'{service}.sqlite3').resolve()}"

    def secret(self, name: str) -> str:
        """The secret ``name`` (e.g. ``master_key``) as text.

        Looks at NCMS_<NAME>, then NCMS_<NAME>_FILE; in development only, falls back
        to a generated file under data_dir/secrets.
        """
        value: SecretStr | None = getattr(self, name)
        path: Path | None = getattr(self, f"{name}_file")
        env_name = f"NCMS_{name.upper()}"
        if value is not None:
            text = value.get_secret_value()
        elif path is not None:
            try:
                text = path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigurationError(f"{env_name}_FILE={path}: cannot read ({exc.strerror})") from exc
        elif self.production:
            raise ConfigurationError(
                f"{env_name} or {env_name}_FILE must be set in production; "
                "see docs/operations.md for how to generate it")
        else:
            text = _development_secret(self.data_dir / "secrets" / name)
        if self.production and text.strip().lower() in _PLACEHOLDERS:
            raise ConfigurationError(f"{env_name} holds a placeholder value; set a real secret")
        return text

    def health_address_of(self, listen: str) -> str:
        """Where a server with TLS answers plaintext health checks (Kubernetes' gRPC
        probes speak no TLS): NCMS_HEALTH_ADDRESS, else the same host on the gRPC port
        plus 10000 (identity 50051 → 60051)."""
        if self.health_address:
            return self.health_address
        host, _, text = listen.rpartition(":")
        port = int(text)
        if not port:
            return f"{host}:0"
        if port + 10000 > 65535:  # gRPC would wrap it round to a low port that others own
            raise ConfigurationError(f"the health checks of {listen} would listen on port {port + 10000}, "
                                     "beyond 65535: set NCMS_HEALTH_ADDRESS (host:port)")
        return f"{host}:{port + 10000}"

    def check_production_safety(self) -> None:
        """Refuse settings that are only acceptable on a developer's machine."""
        if self.production and self.password_hash_profile != "strong":  # noqa: S105
            raise ConfigurationError("NCMS_PASSWORD_HASH_PROFILE=fast is refused in production")

    def check_transport_safety(self) -> None:
        """Production speaks TLS between components: passwords and tokens cross them."""
        if self.production and not (self.tls_ca_file and self.tls_cert_file and self.tls_key_file):
            raise ConfigurationError("production needs NCMS_TLS_CA_FILE, NCMS_TLS_CERT_FILE and NCMS_TLS_KEY_FILE "
                                     "(mutual TLS between the components; docs/security.md)")


def _development_secret(path: Path) -> str:
    """Read, or create once (race-free across processes), a random development secret."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(32))
    # Another process may have just created the file and not written it yet.
    for _ in range(100):
        text = path.read_text(encoding="utf-8").strip()
        if text:
            return text
        time.sleep(0.01)
    raise ConfigurationError(f"development secret {path} stays empty; delete it and retry")


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (used by tests and `ncms up`)."""
    return Settings(**overrides)
