"""Running a hospital's own SOAP service (waitress, one process) in front of an
identity service of its own, reached over gRPC at NCMS_IDENTITY_ADDRESS."""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass

from legacy.calls import CallProcessor
from legacy.front import SoapFront
from legacy.identity import Connections
from legacy.operations import HOSPITAL_SIDE
from legacy.serving import ThreadedServer
from runtime import service_main
from runtime.db import Database
from runtime.settings import ConfigurationError, Settings

from .adapter import InpatientSource
from .handlers import handlers
from .sql_adapter import MIGRATIONS, SqlInpatientSource

log = logging.getLogger(__name__)


@dataclass
class HospitalService:
    soap: ThreadedServer
    app: SoapFront
    db: Database | None
    url: str

    def stop(self) -> None:
        self.soap.stop()
        self.app.close()
        if self.db is not None:
            self.db.dispose()

    def serve_until_signalled(self) -> None:
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
        stopping.wait()
        log.info("stopping")
        self.stop()


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)  # noqa: S104 (a bare ":8090" means every interface)


def build(settings: Settings, *, source: InpatientSource | None = None, listen: str | None = None) -> HospitalService:
    """Start the SOAP service of hospital NCMS_HOSPITAL_CODE; ``source`` defaults to the
    shipped adapter on NCMS_HOSPITAL_DATABASE_URL. Its identity must be running."""
    code = (settings.hospital_code or "").strip()
    if not code:
        raise ConfigurationError("NCMS_HOSPITAL_CODE must be set: the 医院代码 this service answers for")
    db = None
    try:
        if source is None:
            db = service_main.open_database(settings, "hospital", MIGRATIONS)
            source = SqlInpatientSource(db)
        host, port = split_address(listen or settings.hospital_address)
        soap = ThreadedServer(None, host, port, name="hospital-soap")
        url = settings.hospital_public_url or f"http://{host}:{soap.port}/NcmsService.asmx"
        processor = CallProcessor(Connections(settings), handlers(source), settings.gateway_max_dataset_rows,
                                  own_hospital=code)
        app = SoapFront(settings, processor, HOSPITAL_SIDE, url)
        soap.set_app(app)
        soap.start()
    except BaseException:
        if db is not None:
            db.dispose()
        raise
    log.info("hospital %s: SOAP on %s, identity at %s", code, url, settings.identity_address)
    return HospitalService(soap, app, db, url)
