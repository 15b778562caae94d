"""Wiring of the identity service: settings → database, keys, audit, servicers, server."""

from __future__ import annotations

from datetime import timedelta

from ncms.identity.v1 import identity_pb2, identity_pb2_grpc, staff_pb2, staff_pb2_grpc
from runtime import service_main
from runtime.auth import TokenSigner, TokenVerifier, signing_key_from_secret
from runtime.clock import utcnow
from runtime.grpc_server import RunningServer, ServiceBinding, create_server
from runtime.periodic import Periodic
from runtime.settings import Settings

from . import repository
from .api.audit import AuditServicer
from .api.authentication import AuthenticationServicer
from .api.clients import ClientServicer, ensure_builtin_clients
from .api.hospital_users import HospitalUserServicer
from .api.hospitals import HospitalServicer
from .api.shared import Identity
from .api.staff import CentreOverviewServicer, StaffServicer
from .api.tokens import TokenServicer
from .api.users import UserServicer
from .audit import AuditLog
from .cache import AuthenticationCache, ChangeListener
from .keys import KeyVault
from .passwords import CredentialCache, PasswordChecker, PasswordHasher

MIGRATIONS = "services.identity.migrations"


def _name(service: str) -> str:
    return identity_pb2.DESCRIPTOR.services_by_name[service].full_name


TOKEN_SERVICE = _name("TokenService")
PUBLIC_METHODS = (f"/{TOKEN_SERVICE}/GetTokenKeys", f"/{TOKEN_SERVICE}/IssueToken")


def bindings(identity: Identity) -> list[ServiceBinding]:
    grpc = identity_pb2_grpc
    return [
        # Every legacy call's decision: short, on the event loop (see runtime.grpc_server).
        ServiceBinding(_name("AuthenticationService"), grpc.add_AuthenticationServiceServicer_to_server,
                       AuthenticationServicer(identity), inline=frozenset({"Authenticate"})),
        ServiceBinding(_name("HospitalUserService"), grpc.add_HospitalUserServiceServicer_to_server,
                       HospitalUserServicer(identity)),
        ServiceBinding(_name("HospitalService"), grpc.add_HospitalServiceServicer_to_server,
                       HospitalServicer(identity)),
        ServiceBinding(_name("UserService"), grpc.add_UserServiceServicer_to_server, UserServicer(identity)),
        ServiceBinding(_name("ClientService"), grpc.add_ClientServiceServicer_to_server, ClientServicer(identity)),
        ServiceBinding(_name("AuditService"), grpc.add_AuditServiceServicer_to_server, AuditServicer(identity)),
        ServiceBinding(TOKEN_SERVICE, grpc.add_TokenServiceServicer_to_server, TokenServicer(identity),
                       inline=frozenset({"GetTokenKeys"})),
        # The centre's staff and the web console (staff.proto).
        ServiceBinding(staff_pb2.DESCRIPTOR.services_by_name["StaffService"].full_name,
                       staff_pb2_grpc.add_StaffServiceServicer_to_server, StaffServicer(identity)),
        ServiceBinding(staff_pb2.DESCRIPTOR.services_by_name["CentreOverviewService"].full_name,
                       staff_pb2_grpc.add_CentreOverviewServiceServicer_to_server, CentreOverviewServicer(identity)),
    ]


def _forget_old_message_ids(db, settings: Settings) -> Periodic:
    """Used msgids are kept twice the allowed sendtime difference and a minute more: a
    message older than that is refused by its sendtime already (E1009)."""
    keep = timedelta(seconds=2 * settings.message_time_window_seconds + 60)

    def forget() -> None:
        with db.write(check_caller=False) as connection:
            repository.forget_message_ids(connection, utcnow() - keep)

    return Periodic("message-id-trimmer", 60.0, forget)


def build(settings: Settings, listen: str | None = None) -> RunningServer:
    settings.check_production_safety()
    vault = KeyVault(settings.secret("master_key"))
    signer = TokenSigner(signing_key_from_secret(settings.secret("token_key")), settings.token_ttl_seconds)
    db = service_main.open_database(settings, "identity", MIGRATIONS)
    audit_log = AuditLog(db)
    cache = AuthenticationCache()
    listener = None
    if not db.is_sqlite:  # replicas share the database: hear each other's changes
        listener = ChangeListener(db.engine, cache)
        listener.start()
    identity = Identity(settings, db, vault, PasswordChecker(PasswordHasher(settings.password_hash_profile),
                                                             CredentialCache()), audit_log, signer, cache)
    ensure_builtin_clients(identity)
    # Identity verifies its own tokens with its own key: no call to itself.
    verifier = TokenVerifier(lambda: {signer.key_id: signer.public_key})
    address = listen or settings.listen_address_of("identity")
    running = create_server(bindings(identity), address, verifier=verifier, public_methods=PUBLIC_METHODS,
                            max_workers=settings.grpc_max_workers,
                            **service_main.transport(settings, "identity", address))
    running.on_stop(audit_log.close)
    running.on_stop(_forget_old_message_ids(db, settings).start().stop)
    if listener is not None:
        running.on_stop(listener.stop)
    running.on_stop(db.dispose)
    return running


def main() -> None:
    service_main.run("identity", build)
