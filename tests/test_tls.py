"""Mutual TLS between components (runtime/tls.py), with identity as its own process
holding its certificate: who may connect, who may call, plaintext health checks for
probes, and certificates replaced without a restart, on both sides."""

from __future__ import annotations

import shutil

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.clients import open_channel
from runtime.tls import ClientTls, TlsFiles, make_local_certificates
from tests.support.processes import ServiceProcess


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tls")
    made = make_local_certificates(directory / "suite", ["identity", "gateway", "intruder"])
    made["foreign"] = make_local_certificates(directory / "foreign", ["gateway"])["gateway"]
    return made


@pytest.fixture(scope="module")
def identity(certificates, tmp_path_factory):
    data = tmp_path_factory.mktemp("identity-data")
    files = certificates["identity"]
    process = ServiceProcess("identity", {
        "NCMS_DATA_DIR": str(data), "NCMS_IDENTITY_DATABASE_URL": f"sqlite:///{data / 'identity.db'}",
        "NCMS_PASSWORD_HASH_PROFILE": "fast", "NCMS_TLS_CA_FILE": str(files.ca),
        "NCMS_TLS_CERT_FILE": str(files.certificate), "NCMS_TLS_KEY_FILE": str(files.key)})
    process.wait_serving()
    yield process
    process.stop()


def token_keys(address: str, tls: ClientTls | None) -> int:
    channel = open_channel(address, tls=tls)
    try:
        return len(identity_pb2_grpc.TokenServiceStub(channel).GetTokenKeys(
            identity_pb2.GetTokenKeysRequest(), timeout=5).keys)
    finally:
        channel.close()


def status_of(call) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return raised.value.code()


def test_a_component_of_the_suite_is_served(identity, certificates):
    assert token_keys(identity.address, ClientTls(certificates["gateway"])) >= 1


def test_no_certificate_or_a_foreign_one_is_not_even_connected(identity, certificates):
    assert status_of(lambda: token_keys(identity.address, None)) == grpc.StatusCode.UNAVAILABLE
    assert status_of(lambda: token_keys(identity.address, ClientTls(certificates["foreign"]))) == \
        grpc.StatusCode.UNAVAILABLE


def test_a_certificate_naming_no_allowed_component_is_refused(identity, certificates):
    # signed by the suite's authority, but not for a component that may call identity
    assert status_of(lambda: token_keys(identity.address, ClientTls(certificates["intruder"]))) == \
        grpc.StatusCode.PERMISSION_DENIED


def test_probes_get_plaintext_health_checks_and_nothing_else(identity):
    with grpc.insecure_channel(f"127.0.0.1:{identity.health_port}") as channel:
        check = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert check.status == health_pb2.HealthCheckResponse.SERVING
        assert status_of(lambda: identity_pb2_grpc.TokenServiceStub(channel).GetTokenKeys(
            identity_pb2.GetTokenKeysRequest(), timeout=5)) == grpc.StatusCode.UNIMPLEMENTED


def test_the_health_address_is_the_port_plus_10000_or_said_to_be_set(tmp_path):
    from runtime.settings import ConfigurationError, Settings

    settings = Settings(data_dir=tmp_path)
    assert settings.health_address_of("0.0.0.0:50051") == "0.0.0.0:60051"
    assert settings.health_address_of("127.0.0.1:0") == "127.0.0.1:0"
    assert settings.health_address_of("127.0.0.1:55535") == "127.0.0.1:65535"
    # gRPC takes port 66000 as 464: refused, with what to set instead
    with pytest.raises(ConfigurationError, match="NCMS_HEALTH_ADDRESS"):
        settings.health_address_of("127.0.0.1:56000")
    assert Settings(data_dir=tmp_path, health_address="127.0.0.1:9000").health_address_of(
        "127.0.0.1:56000") == "127.0.0.1:9000"


def test_the_server_takes_a_new_certificate_without_a_restart(identity, certificates, tmp_path):
    files = certificates["identity"]
    good = TlsFiles(files.ca, tmp_path / "good.pem", tmp_path / "good-key.pem")
    shutil.copy(files.certificate, good.certificate)
    shutil.copy(files.key, good.key)
    # a certificate of the same authority, but for another host than the one dialled
    elsewhere = make_local_certificates(files.ca.parent, ["identity-elsewhere"], hosts=["elsewhere.example"])
    gateway = certificates["gateway"]
    try:
        shutil.copy(elsewhere["identity-elsewhere"].key, files.key)
        shutil.copy(elsewhere["identity-elsewhere"].certificate, files.certificate)
        assert status_of(lambda: token_keys(identity.address, ClientTls(gateway))) == grpc.StatusCode.UNAVAILABLE
    finally:
        shutil.copy(good.key, files.key)
        shutil.copy(good.certificate, files.certificate)
    assert token_keys(identity.address, ClientTls(gateway)) >= 1


def test_a_client_takes_a_new_certificate_for_its_next_call(identity, certificates, tmp_path):
    mine = TlsFiles(certificates["gateway"].ca, tmp_path / "client.pem", tmp_path / "client-key.pem")
    shutil.copy(certificates["gateway"].certificate, mine.certificate)
    shutil.copy(certificates["gateway"].key, mine.key)
    channel = open_channel(identity.address, tls=ClientTls(mine, check_every=0))
    stub = identity_pb2_grpc.TokenServiceStub(channel)  # kept across the change, as services keep theirs
    try:
        assert stub.GetTokenKeys(identity_pb2.GetTokenKeysRequest(), timeout=5).keys
        shutil.copy(certificates["intruder"].key, mine.key)
        shutil.copy(certificates["intruder"].certificate, mine.certificate)
        assert status_of(lambda: stub.GetTokenKeys(identity_pb2.GetTokenKeysRequest(), timeout=5)) == \
            grpc.StatusCode.PERMISSION_DENIED
    finally:
        channel.close()
