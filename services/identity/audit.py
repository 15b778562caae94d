"""The audit log: every decision and administrative action, appended durably.

Each event is committed before the decision it records is answered, so that no call
is accepted (or refused) without its trace. The insert is a single prepared Core
statement in its own short transaction; on PostgreSQL concurrent commits share WAL
flushes, on SQLite (WAL mode) a commit costs no fsync. If the database cannot be
written, the caller answers "unavailable" rather than an unaudited "yes".
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text

from runtime.clock import utcnow
from runtime.db import Database

from . import repository

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


class _Batch:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.done = False
        self.error: BaseException | None = None


class AuditLog:
    """Appends events durably; concurrent callers share one commit (group commit).

    A caller adds its events to the open batch. If no one is writing, it becomes the
    writer: it commits the open batch, and then any batch that filled meanwhile, and
    wakes those waiting on them. Otherwise it waits until its batch is committed.
    No caller is answered before its events are in the database, and under load
    many decisions share one commit without a hand-off to another thread.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._condition = threading.Condition()
        self._open = _Batch()
        self._writing = False
        self._closed = False

    def record(self, *events: Event, timeout: float = 10.0) -> None:
        """Append ``events``; return once they are committed."""
        if not events:
            return
        deadline = time.monotonic() + timeout
        with self._condition:
            if self._closed:
                raise AuditUnavailable("the audit log is closed")
            mine = self._open
            mine.events.extend(events)
            while not mine.done and self._writing:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AuditUnavailable("the audit log could not be written in time")
                self._condition.wait(remaining)
            if not mine.done:
                self._writing = True  # this caller writes, for itself and the others
        if not mine.done:
            self._write_pending()
        if mine.error is not None:
            raise AuditUnavailable("the audit log could not be written") from mine.error

    def _write_pending(self) -> None:
        try:
            while True:
                with self._condition:
                    batch, self._open = self._open, _Batch()
                    if not batch.events:
                        return
                try:
                    self._write(batch.events)
                except Exception as exc:
                    log.exception("%d audit event(s) not written", len(batch.events))
                    batch.error = exc
                with self._condition:
                    batch.done = True
                    self._condition.notify_all()
        finally:
            with self._condition:
                self._writing = False
                self._condition.notify_all()

    def _write(self, events: list[Event]) -> None:
        # Not bound to one caller's deadline: the batch carries other callers' events.
        with self._db.write(check_caller=False) as connection:
            if not self._db.is_sqlite:
                # Written to the database's WAL before the caller is answered, but not
                # fsynced per batch: an identity crash loses nothing; a crash of the
                # database server itself may lose the last fraction of a second of
                # audit (never a settlement: those commit synchronously).
                connection.execute(text("SET LOCAL synchronous_commit TO OFF"))
            repository.add_audit_events(connection, [event.row() for event in events])

    def close(self) -> None:
        """Refuse new events; what was recorded is already committed."""
        with self._condition:
            self._closed = True
