"""ClientService: the credentials of internal systems and of the suite's components."""

from __future__ import annotations

import hashlib
import re
import secrets

from sqlalchemy import Row

from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.auth import (
    ADMIN_CLIENT,
    GATEWAY_CLIENT,
    ROLE_ADMIN,
    ROLE_GATEWAY,
    ROLE_INTERNAL,
    ROLES,
    SETTLEMENT_CLIENT,
)
from runtime.errors import already_exists, invalid_argument
from runtime.timestamps import timestamp

from .. import repository
from .shared import Identity, admin, hospital, parse_letters

CLIENT_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def secret_hash(secret: str) -> str:
    """SHA-256: client secrets are 256-bit random values, not passwords to stretch."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def client_message(client: Row) -> identity_pb2.Client:
    return identity_pb2.Client(name=client.name, roles=[r for r in client.roles.split(",") if r],
                               hospital_code=client.hospital_code, permissions=client.permissions,
                               create_time=timestamp(client.created_at))


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


def ensure_builtin_clients(identity: Identity) -> None:
    """Create or update the built-in clients from their configured secrets."""
    builtin = {ADMIN_CLIENT: (ROLE_ADMIN, identity.settings.secret("admin_client_secret")),
               GATEWAY_CLIENT: (ROLE_GATEWAY, identity.settings.secret("gateway_client_secret")),
               SETTLEMENT_CLIENT: (ROLE_INTERNAL, identity.settings.secret("settlement_client_secret"))}
    with identity.changing() as connection:
        for name, (role, client_secret) in builtin.items():
            client = repository.client_by_name(connection, name)
            if client is None:
                repository.add_client(connection, {"name": name, "secret_hash": secret_hash(client_secret),
                                                   "roles": role, "builtin": True})
            else:
                repository.update_client(connection, client.id, secret_hash=secret_hash(client_secret),
                                         roles=role, builtin=True)
