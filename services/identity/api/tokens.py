"""TokenService: tokens for service clients, and the keys that verify every token."""

from __future__ import annotations

import hmac

from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.auth import Principal, public_key_bytes
from runtime.errors import unauthenticated

from .. import audit, repository
from .clients import secret_hash
from .shared import Identity, principal_message, timestamp_from_epoch


class TokenServicer(identity_pb2_grpc.TokenServiceServicer):
    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def IssueToken(self, request, context):
        identity = self.identity
        with identity.db.read() as connection:
            client = repository.client_by_name(connection, request.client_name)
            valid = client is not None and hmac.compare_digest(client.secret_hash, secret_hash(request.client_secret))
            level = 0
            if valid and client.hospital_code:
                hospital = repository.hospital_by_code(connection, client.hospital_code)
                level = hospital.level if hospital else 0
        if not valid:
            identity.audit.record(audit.Event(kind=audit.ADMIN, outcome="refused", operation="IssueToken",
                                              detail=f"client {request.client_name[:64]}",
                                              actor=f"client:{request.client_name[:64]}"))
            raise unauthenticated("unknown client or wrong secret")
        principal = Principal(subject=f"client:{client.name}", hospital_code=client.hospital_code,
                              hospital_level=level, permissions=frozenset(client.permissions),
                              roles=frozenset(r for r in client.roles.split(",") if r))
        token, expires_at = identity.token_for(
            principal, ("client", client.id, client.secret_hash, client.roles, client.permissions,
                        client.hospital_code, level))
        return identity_pb2.IssueTokenResponse(token=token, expire_time=timestamp_from_epoch(expires_at),
                                               principal=principal_message(principal))

    def GetTokenKeys(self, request, context):
        signer = self.identity.signer
        return identity_pb2.GetTokenKeysResponse(keys=[identity_pb2.TokenKey(
            key_id=signer.key_id, algorithm="EdDSA", public_key=public_key_bytes(signer.public_key))])
