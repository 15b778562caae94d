"""ClientService: the credentials of internal systems and of the suite's components.

A secret is rotated (a new one, shown once; the old one stops at once) or the client is
revoked (no token any more; the row is kept for the audit). Tokens already issued live
until they expire (NCMS_TOKEN_TTL_SECONDS, five minutes by default): services verify
them locally. The suite's own clients take their secrets from the configuration and
are neither rotated nor revoked here.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets

from sqlalchemy import Row

from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.auth import (
    ADMIN_CLIENT,
    CONSOLE_CLIENT,
    GATEWAY_CLIENT,
    ROLE_ADMIN,
    ROLE_CONSOLE,
    ROLE_GATEWAY,
    ROLE_INTERNAL,
    ROLES,
    SETTLEMENT_CLIENT,
)
from runtime.clock import utcnow
from runtime.errors import already_exists, failed_precondition, invalid_argument, not_found
from runtime.settings import ConfigurationError
from runtime.timestamps import timestamp

from .. import repository
from .shared import Identity, admin, hospital, parse_letters

CLIENT_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
log = logging.getLogger(__name__)

# Stored instead of a hash when a client is revoked: no secret's SHA-256 is ever this.
REVOKED = "revoked"


def secret_hash(secret: str) -> str:
    """SHA-256: client secrets are 256-bit random values, not passwords to stretch."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def client_message(client: Row) -> identity_pb2.Client:
    return identity_pb2.Client(name=client.name, roles=[r for r in client.roles.split(",") if r],
                               hospital_code=client.hospital_code, permissions=client.permissions,
                               create_time=timestamp(client.created_at), builtin=client.builtin,
                               secret_rotate_time=timestamp(client.secret_rotated_at),
                               revoke_time=timestamp(client.revoked_at), revoke_reason=client.revoked_reason)


class ClientServicer(identity_pb2_grpc.ClientServiceServicer):
    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def CreateClient(self, request, context):
        principal = admin()
        name = request.name.strip()
        if not CLIENT_NAME.match(name):
            raise invalid_argument("name", "lower-case letters, digits, '.', '_' or '-', at most 64")
        roles = sorted(set(request.roles))
        unknown = [r for r in roles if r not in ROLES]
        if unknown or not roles:
            raise invalid_argument("roles", f"one or more of {', '.join(sorted(ROLES))}")
        letters = parse_letters(request.permissions, "permissions")
        client_secret = secrets.token_urlsafe(32)
        with self.identity.changing() as connection:
            if request.hospital_code:
                hospital(connection, request.hospital_code.strip())
            if repository.client_by_name(connection, name) is not None:
                raise already_exists(f"client {name}")
            client = repository.add_client(connection, {
                "name": name, "secret_hash": secret_hash(client_secret), "roles": ",".join(roles),
                "hospital_code": request.hospital_code.strip(), "permissions": letters})
            message = client_message(client)
        self.identity.audit_admin(principal, "CreateClient", hospital_code=message.hospital_code,
                                  detail=f"client {name}, roles {','.join(roles)}")
        return identity_pb2.CreateClientResponse(client=message, client_secret=client_secret)

    def ListClients(self, request, context):
        admin()
        with self.identity.db.read() as connection:
            return identity_pb2.ListClientsResponse(
                clients=[client_message(c) for c in repository.clients(connection)])

    def RotateClientSecret(self, request, context):
        principal = admin()
        client_secret = secrets.token_urlsafe(32)
        with self.identity.changing() as connection:
            client = _changeable(connection, request.name)
            client = repository.update_client(connection, client.id, secret_hash=secret_hash(client_secret),
                                              secret_rotated_at=utcnow())
            message = client_message(client)
        self.identity.audit_admin(principal, "RotateClientSecret", hospital_code=message.hospital_code,
                                  detail=f"client {message.name}")
        return identity_pb2.RotateClientSecretResponse(client=message, client_secret=client_secret)

    def RevokeClient(self, request, context):
        principal = admin()
        reason = " ".join(request.reason.split())[:200]
        with self.identity.changing() as connection:
            client = _changeable(connection, request.name)
            client = repository.update_client(connection, client.id, secret_hash=REVOKED, revoked_at=utcnow(),
                                              revoked_reason=reason)
            message = client_message(client)
        self.identity.audit_admin(principal, "RevokeClient", hospital_code=message.hospital_code,
                                  detail=f"client {message.name}" + (f"; {reason}" if reason else ""))
        return identity_pb2.RevokeClientResponse(client=message)


def _changeable(connection, name: str) -> Row:
    """A client an administrator may rotate or revoke: not built in, not revoked."""
    client = repository.client_by_name(connection, name.strip())
    if client is None:
        raise not_found(f"client {name.strip()}")
    if client.builtin:
        raise failed_precondition("BUILTIN_CLIENT", f"client {client.name} is one of the suite's own: its "
                                                    "secret comes from the configuration (see docs/operations.md)")
    if client.revoked_at is not None:
        raise failed_precondition("CLIENT_REVOKED", f"client {client.name} is revoked; create a new one")
    return client


def ensure_builtin_clients(identity: Identity) -> None:
    """Create or update the built-in clients from their configured secrets."""
    builtin = {ADMIN_CLIENT: (ROLE_ADMIN, identity.settings.secret("admin_client_secret")),
               GATEWAY_CLIENT: (ROLE_GATEWAY, identity.settings.secret("gateway_client_secret")),
               SETTLEMENT_CLIENT: (ROLE_INTERNAL, identity.settings.secret("settlement_client_secret"))}
    # The web console's client: a deployment without the console need not configure it.
    try:
        builtin[CONSOLE_CLIENT] = (ROLE_CONSOLE, identity.settings.secret("console_client_secret"))
    except ConfigurationError:
        log.warning("NCMS_CONSOLE_CLIENT_SECRET is not set: the web console cannot sign anyone in")
    with identity.changing() as connection:
        for name, (role, client_secret) in builtin.items():
            client = repository.client_by_name(connection, name)
            if client is None:
                repository.add_client(connection, {"name": name, "secret_hash": secret_hash(client_secret),
                                                   "roles": role, "builtin": True})
            else:
                repository.update_client(connection, client.id, secret_hash=secret_hash(client_secret),
                                         roles=role, builtin=True)
