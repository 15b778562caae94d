"""The audit log, written durably without costing one database commit per call.

Callers hand an event to ``AuditLog.record`` and wait until it is committed. One
writer thread takes every event queued meanwhile and inserts them in a single
transaction (group commit): under load, hundreds of decisions share one commit,
and a single caller waits about one commit. If the database is failing, the wait
times out and the caller answers "unavailable" rather than an unaudited "yes".
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert

from services.runtime.db import Database, utcnow

from .models import AuditEvent

log = logging.getLogger(__name__)

AUTHENTICATE = "authenticate"
OUTCOME = "outcome"
ADMIN = "admin"


@dataclass
class Event:
    kind: str
    outcome: str
    call_id: str = ""
    hospital_code: str = ""
    user: str = ""
    client_ip: str = ""
    operation: str = ""
    error_code: str = ""
    detail: str = ""
    actor: str = ""
    time: datetime = field(default_factory=utcnow)

    def row(self) -> dict:
        return {
            "kind": self.kind, "outcome": self.outcome, "call_id": self.call_id,
            "hospital_code": self.hospital_code[:32], "user": self.user[:64],
            "client_ip": self.client_ip[:64], "operation": self.operation[:64],
            "error_code": self.error_code[:8], "detail": self.detail[:500],
            "actor": self.actor[:120], "time": self.time,
        }


class AuditUnavailable(RuntimeError):
    pass


class AuditLog:
    def __init__(self, db: Database, max_batch: int = 2000) -> None:
        self._db = db
        self._max_batch = max_batch
        self._pending: list[tuple[Event, Future]] = []
        self._condition = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
        self._thread.start()

    def record(self, *events: Event, timeout: float = 10.0) -> None:
        """Append ``events`` and return once they are committed."""
        futures = [self.submit(event) for event in events]
        for future in futures:
            try:
                future.result(timeout=timeout)
            except Exception as exc:
                raise AuditUnavailable("the audit log could not be written") from exc

    def submit(self, event: Event) -> Future:
        future: Future = Future()
        with self._condition:
            if self._closed:
                raise AuditUnavailable("the audit log is closed")
            self._pending.append((event, future))
            self._condition.notify()
        return future

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._pending and not self._closed:
                    self._condition.wait()
                if not self._pending and self._closed:
                    return
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
            try:
                with self._db.write() as session:
                    session.execute(insert(AuditEvent), [event.row() for event, _ in batch])
            except Exception as exc:
                log.exception("audit batch of %d events not written", len(batch))
                for _, future in batch:
                    future.set_exception(exc)
            else:
                for _, future in batch:
                    future.set_result(None)

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._condition.notify()
        self._thread.join(timeout=30)
