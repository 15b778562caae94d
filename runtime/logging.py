"""Logging for every component: one line per event, text or JSON, with trace ids.

What must never reach a log: passwords, signing keys, tokens, ID numbers (身份证号),
request bodies. Code logs identifiers (hospital code, user name, operation, call id)
and outcomes, nothing more; `quiet_loggers` silences third-party loggers known to
dump whole messages.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from opentelemetry import trace

# Loggers of libraries that write whole requests (patient data) at some level.
QUIET_LOGGERS = {
    "spyne.protocol.soap.soap11.invalid": logging.CRITICAL,
    "spyne.protocol.soap.soap11": logging.WARNING,
    "spyne.protocol.soap.soap12": logging.WARNING,
    "spyne.protocol.xml": logging.WARNING,
    "spyne.protocol.cloth": logging.WARNING,
    "spyne.server.wsgi": logging.WARNING,
    "spyne.application": logging.CRITICAL,
    "spyne.interface": logging.WARNING,
    "spyne": logging.WARNING,
    "spyne.util.appreg": logging.ERROR,
    "zeep": logging.WARNING,
    "urllib3": logging.WARNING,
}


class _TraceContext(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        context = trace.get_current_span().get_span_context()
        record.trace_id = f"{context.trace_id:032x}" if context.is_valid else ""
        return True


class _JsonFormatter(logging.Formatter):
    def __init__(self, component: str) -> None:
        super().__init__()
        self.component = component

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "component": self.component,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if getattr(record, "trace_id", ""):
            entry["trace_id"] = record.trace_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(component: str, level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_TraceContext())
    if fmt == "json":
        handler.setFormatter(_JsonFormatter(component))
    else:
        handler.setFormatter(logging.Formatter(
            f"%(asctime)s %(levelname)s {component} %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    quiet_loggers()


def quiet_loggers() -> None:
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)
