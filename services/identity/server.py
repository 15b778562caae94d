"""Wiring of the identity service: settings → database, keys, audit, servicer, server."""

from __future__ import annotations

from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime import service_main
from runtime.auth import TokenSigner, TokenVerifier, signing_key_from_secret
from runtime.grpc_server import RunningServer, ServiceBinding, create_server
from runtime.settings import Settings

from .audit import AuditLog
from .cache import AuthenticationCache, ChangeListener
from .keys import KeyVault
from .passwords import CredentialCache, PasswordChecker, PasswordHasher
from .service import IdentityService

SERVICE_NAME = identity_pb2.DESCRIPTOR.services_by_name["IdentityService"].full_name
PUBLIC_METHODS = (f"/{SERVICE_NAME}/GetTokenKeys", f"/{SERVICE_NAME}/IssueToken")
MIGRATIONS = "services.identity.migrations"


def build(settings: Settings, listen: str | None = None) -> RunningServer:
    settings.check_production_safety()
    vault = KeyVault(settings.secret("master_key"))
    signer = TokenSigner(signing_key_from_secret(settings.secret("token_key")),
                         settings.token_ttl_seconds)
    db = service_main.open_database(settings, "identity", MIGRATIONS)
    audit_log = AuditLog(db)
    cache = AuthenticationCache()
    listener = None
    if not db.is_sqlite:  # replicas share the database: hear each other's changes
        listener = ChangeListener(db.engine, cache)
        listener.start()
    servicer = IdentityService(
        settings, db, vault, PasswordChecker(PasswordHasher(settings.password_hash_profile),
                                             CredentialCache()), audit_log, signer, cache)
    servicer.ensure_builtin_clients()
    # Identity verifies its own tokens with its own key: no call to itself.
    verifier = TokenVerifier(lambda: {signer.key_id: signer.public_key})
    running = create_server(
        [ServiceBinding(SERVICE_NAME, identity_pb2_grpc.add_IdentityServiceServicer_to_server, servicer)],
        listen or settings.listen_address_of("identity"), verifier=verifier,
        public_methods=PUBLIC_METHODS, max_workers=settings.grpc_max_workers)
    running.on_stop(audit_log.close)
    if listener is not None:
        running.on_stop(listener.stop)
    running.on_stop(db.dispose)
    return running


def main() -> None:
    service_main.run("identity", build)
