"""Real servers for tests: each service started on a free loopback port (port 0).

Nothing here fakes a service: a test gets the same server objects ``ncms up`` runs,
talking real gRPC over loopback, each with its own fresh database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import grpc

from ncms.identity.v1 import identity_pb2, identity_pb2_grpc
from runtime.auth import ADMIN_CLIENT, GATEWAY_CLIENT
from runtime.clients import ClientCredentials, PackageStubs, identity_channel, with_token
from runtime.grpc_server import RunningServer
from runtime.settings import Settings
from services.catalog import server as catalog_server
from services.enrollment import server as enrollment_server
from services.identity import server as identity_server
from services.settlement import server as settlement_server

from .databases import DatabaseFactory

BUILDERS = {"identity": identity_server.build, "catalog": catalog_server.build,
            "enrollment": enrollment_server.build, "settlement": settlement_server.build}

ADMIN_SECRET = "test-admin-client-secret-0123456789abcdef"
GATEWAY_SECRET = "test-gateway-client-secret-0123456789abcdef"
SETTLEMENT_SECRET = "test-settlement-client-secret-0123456789abcdef"


def base_settings(data_dir, **overrides) -> Settings:
    values = dict(
        env="development", data_dir=data_dir, password_hash_profile="fast",
        master_key="test-master-key-0123456789-abcdefghijklmnop",
        token_key="test-token-key-0123456789-abcdefghijklmnop",
        admin_client_secret=ADMIN_SECRET, gateway_client_secret=GATEWAY_SECRET,
        settlement_client_secret=SETTLEMENT_SECRET,
        grpc_max_workers=16, log_level="WARNING",
        # An upload answers once settlement has applied it; on a loaded machine that can
        # take longer than the production default of 3 s, and no test waits for it to fail.
        projection_wait_seconds=30,
    )
    values.update(overrides)
    return Settings(**values)


@dataclass
class Suite:
    databases: DatabaseFactory
    data_dir: object
    overrides: dict = field(default_factory=dict)
    servers: dict[str, RunningServer] = field(default_factory=dict)
    urls: dict[str, str] = field(default_factory=dict)
    replicas: list[RunningServer] = field(default_factory=list)
    _gateways: list = field(default_factory=list)
    hospitals: list = field(default_factory=list)
    _channels: list[grpc.Channel] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        addresses = {f"{name}_address": f"127.0.0.1:{s.port}" for name, s in self.servers.items()}
        urls = {f"{name}_database_url": url for name, url in self.urls.items()}
        return base_settings(self.data_dir, **{**urls, **addresses, **self.overrides})

    def start(self, service: str) -> RunningServer:
        self.urls.setdefault(service, self.databases.new(service))
        running = BUILDERS[service](self.settings, "127.0.0.1:0")
        self.servers[service] = running
        return running

    def start_replica(self, service: str) -> RunningServer:
        """Another instance of a running service, on the same database."""
        running = BUILDERS[service](self.settings, "127.0.0.1:0")
        self.replicas.append(running)
        return running

    def start_gateway(self, host: str = "127.0.0.1", **overrides) -> str:
        """The gateway's WSGI app served in-process (HTTP/1.1, threads); returns its URL."""
        from gateway.app import GatewayApp
        from legacy.serving import ThreadedServer

        server = ThreadedServer(None, host, 0, name="gateway")
        url = f"http://{host}:{server.port}/NcmsService.asmx"
        settings = self.settings.model_copy(update={"gateway_public_url": url, **overrides})
        app = GatewayApp(settings)
        server.set_app(app)
        self._gateways.append((server.start(), app))
        return url

    def start_hospital(self, code: str = "450200001", **overrides):
        """A hospital's own service: its identity (gRPC) and its SOAP interface, with
        databases of their own; returns (the running hospital.server.HospitalService,
        the address of its identity)."""
        from hospital.server import build

        data_dir = self.data_dir / f"hospital-{code}"
        settings = base_settings(
            data_dir, hospital_code=code, hospital_address="127.0.0.1:0",
            identity_database_url=self.databases.new("identity"),
            hospital_database_url=self.databases.new("hospital"), **overrides)
        identity = identity_server.build(settings, "127.0.0.1:0")
        settings = settings.model_copy(update={"identity_address": f"127.0.0.1:{identity.port}"})
        try:
            service = build(settings)
        except BaseException:
            identity.stop(0)
            raise
        self.hospitals.append((service, identity, settings))
        return service, settings.identity_address

    def address(self, service: str) -> str:
        return f"127.0.0.1:{self.servers[service].port}"

    def channel(self, service: str, address: str | None = None) -> grpc.Channel:
        channel = identity_channel(address or self.address(service))
        self._channels.append(channel)
        return channel

    def credentials(self, name: str, secret: str) -> ClientCredentials:
        stub = PackageStubs(self.channel("identity"), identity_pb2_grpc)
        return ClientCredentials(stub, name, secret)

    def identity_as(self, name: str, secret: str) -> PackageStubs:
        credentials = self.credentials(name, secret)
        return PackageStubs(with_token(self.channel("identity"), credentials.token), identity_pb2_grpc)

    def stub(self, service: str, stub_class: type, token=None):
        """A stub of ``service`` whose calls carry ``token()`` (default: the administrator's)."""
        token = token or self.credentials(ADMIN_CLIENT, ADMIN_SECRET).token
        return stub_class(with_token(self.channel(service), token))

    def services(self, service: str, grpc_module, token=None) -> PackageStubs:
        """Every gRPC service of ``service``'s package, with ``token()`` (default: the
        administrator's)."""
        token = token or self.credentials(ADMIN_CLIENT, ADMIN_SECRET).token
        return PackageStubs(with_token(self.channel(service), token), grpc_module)

    @property
    def catalog_admin(self):
        from ncms.catalog.v1 import catalog_pb2_grpc

        return self.stub("catalog", catalog_pb2_grpc.CatalogServiceStub)

    @property
    def admin(self) -> PackageStubs:
        return self.identity_as(ADMIN_CLIENT, ADMIN_SECRET)

    @property
    def gateway(self) -> PackageStubs:
        return self.identity_as(GATEWAY_CLIENT, GATEWAY_SECRET)

    def stop(self) -> None:
        for service, identity, settings in self.hospitals:
            service.stop()
            identity.stop(grace=0)
            self.databases.drop(settings.identity_database_url)
            self.databases.drop(settings.hospital_database_url)
        for server, app in self._gateways:
            server.stop()
            app.close()
        for channel in self._channels:
            channel.close()
        for running in [*self.replicas, *reversed(list(self.servers.values()))]:
            running.stop(grace=0)
        for url in self.urls.values():
            self.databases.drop(url)


def new_hospital(admin, code="450200001", level=2, algorithm=identity_pb2.DIGEST_ALGORITHM_HMAC_SHA256,
                 name="测试乡镇卫生院", endpoint="") -> str:
    """Register a hospital; returns its signing key."""
    response = admin.CreateHospital(identity_pb2.CreateHospitalRequest(
        code=code, name=name, level=level, digest_algorithm=algorithm, endpoint=endpoint))
    return response.signing_key


def new_user(admin, hospital="450200001", name="his01", password="Passw0rd!x",
             ips=("127.0.0.0/8", "::1"), permissions="ABCDEFGHIJ"):
    return admin.CreateUser(identity_pb2.CreateUserRequest(
        hospital_code=hospital, name=name, password=password, allowed_ips=list(ips),
        permissions=permissions)).user
