import grpc
import pytest

from ncms.identity.v1 import identity_pb2
from services.runtime import digest
from tests.support.suite import new_hospital, new_user


def test_authenticate_roundtrip(identity):
    admin = identity.admin
    key = new_hospital(admin)
    new_user(admin)
    params = {"yydm": "450200001", "yh": "his01", "kl": "Passw0rd!x", "chzh": "1"}
    message = digest.canonical_message("chryxxjk", params)
    response = identity.gateway.Authenticate(identity_pb2.AuthenticateRequest(
        hospital_code="450200001", user="his01", password="Passw0rd!x", client_ip="127.0.0.1",
        operation="chryxxjk", digest_message=message,
        digest=digest.compute(key, "HMAC-SHA256", message)))
    assert response.principal.user == "his01"
    with pytest.raises(grpc.RpcError) as info:
        identity.gateway.Authenticate(identity_pb2.AuthenticateRequest(
            hospital_code="450200001", user="his01", password="wrong", client_ip="127.0.0.1",
            operation="chryxxjk", digest_message=message,
            digest=digest.compute(key, "HMAC-SHA256", message)))
    print(info.value.details())
