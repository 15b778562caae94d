"""The audit log: every decision and administrative action, appended durably.

Each event is committed before the decision it records is answered, so that no call
is accepted (or refused) without its trace. The insert is a single prepared Core
statement in its own short transaction; on PostgreSQL concurrent commits share WAL
flushes, on SQLite (WAL mode) a commit costs no fsync. If the database cannot be
written, the caller answers "unavailable" rather than an unaudited "yes".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from services.runtime.db import Database, RawConnection, utcnow

log = logging.getLogger(__name__)

AUTHENTICATE = "authenticate"
OUTCOME = "outcome"
ADMIN = "admin"

# Runs on every legacy call, so on the raw connection (see Database.raw).
_INSERT = """
INSERT INTO audit_events (time, kind, call_id, hospital_code, "user", client_ip, operation,
                          outcome, error_code, detail, actor)
VALUES (:time, :kind, :call_id, :hospital_code, :user, :client_ip, :operation,
        :outcome, :error_code, :detail, :actor)
"""


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

    def row(self, connection: RawConnection) -> dict:
        return {
            "kind": self.kind, "outcome": self.outcome, "call_id": self.call_id,
            "hospital_code": self.hospital_code[:32], "user": self.user[:64],
            "client_ip": self.client_ip[:64], "operation": self.operation[:64],
            "error_code": self.error_code[:8], "detail": self.detail[:500],
            "actor": self.actor[:120], "time": connection.time_parameter(self.time),
        }


class AuditUnavailable(RuntimeError):
    pass


class AuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    def record(self, *events: Event) -> None:
        """Append ``events``; return once they are committed."""
        if not events:
            return
        try:
            with self._db.raw(write=True) as connection:
                connection.executemany(_INSERT, [event.row(connection) for event in events])
        except Exception as exc:
            log.exception("%d audit event(s) not written", len(events))
            raise AuditUnavailable("the audit log could not be written") from exc

    def close(self) -> None:
        """Nothing is buffered; kept so that the server's shutdown order reads plainly."""
