"""The audit log's group commit: every event committed before its caller returns."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from runtime.db import Database
from services.identity.audit import AuditLog, AuditUnavailable, Event
from services.identity.models import AuditEvent


@pytest.fixture
def audit_db(databases):
    url = databases.new("identity")
    db = Database(url)
    yield db
    db.dispose()
    databases.drop(url)


def count(db: Database, **where) -> int:
    query = sa.select(sa.func.count()).select_from(AuditEvent)
    for column, value in where.items():
        query = query.where(getattr(AuditEvent, column) == value)
    with db.read() as session:
        return session.execute(query).scalar_one()


def test_concurrent_callers_are_each_committed_once_before_returning(audit_db):
    log = AuditLog(audit_db)
    barrier = threading.Barrier(16)

    def caller(number: int) -> int:
        barrier.wait()
        for index in range(25):
            call_id = f"c{number}-{index}"
            log.record(Event(kind="authenticate", outcome="accepted", call_id=call_id))
            assert count(audit_db, call_id=call_id) == 1  # visible as soon as record returns
        return number

    with ThreadPoolExecutor(16) as pool:
        assert sorted(pool.map(caller, range(16))) == list(range(16))
    assert count(audit_db) == 16 * 25


def test_a_failing_database_refuses_and_the_next_call_recovers(audit_db, monkeypatch):
    log = AuditLog(audit_db)
    original = AuditLog._write

    def broken(self, events):
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(AuditLog, "_write", broken)
    with pytest.raises(AuditUnavailable):
        log.record(Event(kind="authenticate", outcome="refused", error_code="E1001"))
    monkeypatch.setattr(AuditLog, "_write", original)
    log.record(Event(kind="authenticate", outcome="accepted", call_id="after"))
    assert count(audit_db) == 1 and count(audit_db, call_id="after") == 1


def test_a_closed_log_refuses(audit_db):
    log = AuditLog(audit_db)
    log.close()
    with pytest.raises(AuditUnavailable):
        log.record(Event(kind="admin", outcome="succeeded"))
