"""Running a hospital's own service: its identity (gRPC, for its SOAP interface and
for `ncms` pointed at it) and its SOAP interface (waitress), in one process."""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass

from gateway.app import GatewayApp
from gateway.operations import HOSPITAL_SIDE
from gateway.waitress_server import ThreadedServer
from services.identity import server as identity_server
from services.runtime import service_main
from services.runtime.db import Database
from services.runtime.grpc_server import RunningServer
from services.runtime.settings import ConfigurationError, Settings

from .adapter import InpatientSource
from .handlers import handlers
from .sql_adapter import MIGRATIONS, SqlInpatientSource

log = logging.getLogger(__name__)


@dataclass
class HospitalService:
    identity: RunningServer
    soap: ThreadedServer
    app: GatewayApp
    db: Database | None
    url: str

    @property
    def identity_address(self) -> str:
        return f"127.0.0.1:{self.identity.port}"

    def stop(self, grace: float = 5.0) -> None:
        self.soap.stop()
        self.app.close()
        self.identity.stop(grace)
        if self.db is not None:
            self.db.dispose()

    def serve_until_signalled(self, grace: float) -> None:
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
        stopping.wait()
        log.info("stopping")
        self.stop(grace)


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104 (a bare ":8090" means every interface)


def build(settings: Settings, *, source: InpatientSource | None = None, listen: str | None = None) -> HospitalService:
    """Start the service of hospital NCMS_HOSPITAL_CODE; ``source`` defaults to the
    shipped adapter on NCMS_HOSPITAL_DATABASE_URL."""
    code = (settings.hospital_code or "").strip()
    if not code:
        raise ConfigurationError("NCMS_HOSPITAL_CODE must be set: the 医院代码 this service answers for")
    identity = identity_server.build(settings, settings.identity_address)
    db = None
    try:
        if source is None:
            db = service_main.open_database(settings, "hospital", MIGRATIONS)
            source = SqlInpatientSource(db)
        host, port = split_address(listen or settings.hospital_address)
        soap = ThreadedServer(None, host, port, name="hospital-soap")
        url = settings.hospital_public_url or f"http://{host}:{soap.port}/NcmsService.asmx"
        # The SOAP interface reaches the identity started above, wherever it bound.
        settings = settings.model_copy(update={"identity_address": f"127.0.0.1:{identity.port}"})
        app = GatewayApp(settings, operations=HOSPITAL_SIDE, handlers=handlers(source), own_hospital=code,
                         public_url=url)
        soap.set_app(app)
        soap.start()
    except BaseException:
        identity.stop(0)
        if db is not None:
            db.dispose()
        raise
    log.info("hospital %s: SOAP on %s, identity on 127.0.0.1:%d", code, url, identity.port)
    return HospitalService(identity, soap, app, db, url)
