"""The gateway's WSGI application: the NCMS's legacy SOAP interface (every operation
of the contract), each call authenticated by identity and answered by the service
that owns its data (handlers/)."""

from __future__ import annotations

from legacy.calls import CallProcessor
from legacy.front import SoapFront
from legacy.operations import NCMS_SIDE
from runtime.settings import Settings

from .backends import Backends
from .handlers import HANDLERS


class GatewayApp(SoapFront):
    def __init__(self, settings: Settings, *, backends: Backends | None = None) -> None:
        self.backends = backends or Backends(settings)
        processor = CallProcessor(self.backends, HANDLERS, settings.gateway_max_dataset_rows)
        super().__init__(settings, processor, NCMS_SIDE, settings.public_url)
