"""A reader's own copy of another service's facts, fed by that service's change feed
(runtime.change_feed): the Kubernetes informer's list-then-watch, made durable.

The follower lists the owner's state once (page by page, into the reader's own
tables), then applies every change after the sequence the list was valid at, each
batch **in one transaction together with the sequence it brings the copy to**, so a
restart resumes exactly where it stopped: nothing applied twice, nothing skipped.
When the owner says the changes asked for were trimmed, it lists again (rows the new
list did not bring are swept away at the end). With several replicas on one
database, one of them applies (it holds a lock: a PostgreSQL advisory lock, or a
file lock beside a SQLite file) and the others take over when it dies.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import grpc
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    select,
    text,
    update,
)

from . import metrics
from .clock import utcnow
from .db import Database, UTCDateTime, insert_ignoring_conflicts
from .rpc_errors import from_rpc_error

log = logging.getLogger(__name__)


def cursor_table(metadata: MetaData) -> Table:
    """Where each projection has got to, in the reader's own metadata."""
    return Table(
        "projection_cursors", metadata,
        Column("source", String(32), primary_key=True),
        # The last sequence applied (None: never listed).
        Column("sequence", BigInteger, nullable=True),
        # Bumped by each list; rows of an older generation are swept after it.
        Column("generation", Integer, nullable=False, default=0),
        # The first list and catch-up are done: the copy can be trusted.
        Column("synced", Boolean, nullable=False, default=False),
        Column("head", BigInteger, nullable=False, default=0),  # the owner's head, last seen
        Column("applied_at", UTCDateTime, nullable=True),
        # When the last change applied was made at the owner (for the lag in seconds).
        Column("change_time", UTCDateTime, nullable=True),
    )


@dataclass(frozen=True)
class Cursor:
    source: str
    sequence: int | None
    generation: int
    synced: bool
    head: int
    applied_at: datetime | None
    change_time: datetime | None

    @property
    def lag(self) -> int:
        return max(0, self.head - (self.sequence or 0))


@dataclass(frozen=True)
class Change:
    """One change of the owner's feed, decoded by the source."""

    sequence: int
    created_at: datetime | None
    entity: object


class Source(Protocol):
    """One owner's feed and the reader's tables for it."""

    name: str

    def list_page(self, page_token: str) -> tuple[list[object], int, str]:
        """(entities, the sequence the list is valid at, the next page's token)."""

    def watch(self, after: int) -> Iterator[tuple[list[Change], int]]:
        """Batches of changes after ``after`` and the owner's head, until the stream ends."""

    def apply(self, connection: Connection, entities: Sequence[object], generation: int) -> None:
        """Upsert ``entities`` (in order: a later state of an entity wins)."""

    def sweep(self, connection: Connection, generation: int) -> None:
        """Delete the rows a list of ``generation`` did not bring."""

    def counts(self, connection: Connection) -> dict[str, int]:
        """Rows per table of this projection."""

    def close(self) -> None:
        """Close the connection to the owner (ends a watch in progress)."""


class Follower:
    """Keeps one projection up to date, in a thread of its own."""

    def __init__(self, db: Database, cursors: Table, source: Source, *, retry_seconds: float = 1.0,
                 progress_seconds: float = 5.0) -> None:
        self.db = db
        self.cursors = cursors
        self.source = source
        self.progress_seconds = progress_seconds
        self.retry_seconds = retry_seconds
        self._stopping = threading.Event()
        self._applied = threading.Condition()
        self._thread = threading.Thread(target=self._run, name=f"projection-{source.name}", daemon=True)
        self._lock = _applier_lock(db, source.name)
        self.leading = False

    # --- reading the cursor (any replica) ---------------------------------------------------

    def cursor(self, connection: Connection | None = None) -> Cursor:
        with contextlib.ExitStack() as stack:
            if connection is None:
                connection = stack.enter_context(self.db.read())
            row = connection.execute(select(self.cursors).where(self.cursors.c.source == self.source.name)).first()
        if row is None:
            return Cursor(self.source.name, None, 0, False, 0, None, None)
        return Cursor(row.source, row.sequence, row.generation, row.synced, row.head, row.applied_at,
                      row.change_time)

    def wait_applied(self, sequence: int, timeout: float) -> bool:
        """Whether the projection reaches ``sequence`` within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            cursor = self.cursor()
            if (cursor.sequence or 0) >= sequence:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._applied:  # woken by this process's applier; else poll the cursor
                self._applied.wait(min(remaining, 0.05))

    # --- applying (the replica that holds the lock) ---------------------------------------------

    def start(self) -> Follower:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.source.close()  # ends the watch the thread may be waiting in
        self._thread.join(timeout=10)
        self._lock.release()

    def _run(self) -> None:
        while not self._stopping.is_set():
            if not self._lock.acquire():
                self._stopping.wait(self.retry_seconds)  # another replica applies
                continue
            if not self.leading:
                log.info("projection %s: this replica applies the feed", self.source.name)
                self.leading = True
            try:
                self._follow()
            except Exception as exc:
                if self._stopping.is_set():
                    break
                self._note_failure(exc)
                self._stopping.wait(self.retry_seconds)

    def _note_failure(self, exc: Exception) -> None:
        if isinstance(exc, grpc.RpcError):
            error = from_rpc_error(exc)
            if error.reason == "FEED_TRIMMED":
                log.warning("projection %s: the changes it needs were trimmed at the source; listing again",
                            self.source.name)
                with self.db.write(check_caller=False) as connection:
                    self._ensure_cursor(connection)
                    connection.execute(update(self.cursors).where(self.cursors.c.source == self.source.name)
                                       .values(sequence=None))
                return
            log.warning("projection %s: the source is not answering (%s: %s); retrying", self.source.name,
                        exc.code().name if hasattr(exc, "code") else "?", exc.details() if hasattr(exc, "details")
                        else error.message)
            return
        log.exception("projection %s: applying failed; retrying", self.source.name)

    def _follow(self) -> None:
        cursor = self.cursor()
        if cursor.sequence is None:
            cursor = self._list(cursor)
        for changes, head in self.source.watch(cursor.sequence):
            if self._stopping.is_set():
                return
            cursor = self._apply(cursor, changes, head)

    def _list(self, cursor: Cursor) -> Cursor:
        """The whole state again, page by page, then the rows it did not bring swept."""
        generation = cursor.generation + 1
        started, rows, token, sequence = time.monotonic(), 0, "", None
        reported = started
        log.info("projection %s: listing the source's state (generation %d)", self.source.name, generation)
        while True:
            entities, valid_at, token = self.source.list_page(token)
            sequence = valid_at if sequence is None else sequence  # the first page's
            with self.db.write(check_caller=False) as connection:
                self.source.apply(connection, entities, generation)
            rows += len(entities)
            if time.monotonic() - reported >= self.progress_seconds:
                reported = time.monotonic()
                log.info("projection %s: %d rows listed so far (%.0f rows/s)", self.source.name, rows,
                         rows / max(reported - started, 1e-6))
            if not token or self._stopping.is_set():
                break
        if self._stopping.is_set():
            return cursor
        with self.db.write(check_caller=False) as connection:
            self.source.sweep(connection, generation)
            self._ensure_cursor(connection)
            connection.execute(update(self.cursors).where(self.cursors.c.source == self.source.name).values(
                sequence=sequence, generation=generation, head=max(sequence, cursor.head), applied_at=utcnow()))
        log.info("projection %s: %d rows listed in %.1f s, valid at sequence %d", self.source.name, rows,
                 time.monotonic() - started, sequence)
        return self.cursor()

    def _apply(self, cursor: Cursor, changes: list[Change], head: int) -> Cursor:
        """One batch in one transaction with the cursor; refused if another applier moved
        the cursor meanwhile (compare and set)."""
        last = changes[-1].sequence if changes else cursor.sequence
        change_time = changes[-1].created_at if changes else cursor.change_time
        synced = cursor.synced or last >= head
        with self.db.write(check_caller=False) as connection:
            if changes:
                self.source.apply(connection, [c.entity for c in changes], cursor.generation)
            moved = connection.execute(update(self.cursors).where(
                self.cursors.c.source == self.source.name, self.cursors.c.sequence == cursor.sequence).values(
                sequence=last, head=max(head, last), synced=synced, applied_at=utcnow(),
                change_time=change_time)).rowcount
            if moved != 1:
                raise RuntimeError(f"projection {self.source.name}: the cursor moved under this applier")
        if synced and not cursor.synced:
            log.info("projection %s: in sync at sequence %d", self.source.name, last)
        with self._applied:
            self._applied.notify_all()
        new = Cursor(cursor.source, last, cursor.generation, synced, max(head, last), utcnow(), change_time)
        record_lag(new)
        return new

    def _ensure_cursor(self, connection: Connection) -> None:
        insert_ignoring_conflicts(connection, self.cursors, {"source": self.source.name, "sequence": None,
                                                             "generation": 0, "synced": False, "head": 0})


def record_lag(cursor: Cursor) -> None:
    if not metrics.enabled():
        return
    metrics.PROJECTION_LAG_SEQUENCES.labels(cursor.source).set(cursor.lag)
    seconds = 0.0
    if cursor.lag and cursor.change_time is not None:
        seconds = max(0.0, (utcnow() - cursor.change_time).total_seconds())
    metrics.PROJECTION_LAG_SECONDS.labels(cursor.source).set(seconds)


# --- one applier per database ---------------------------------------------------------------

class _ApplierLock:
    def acquire(self) -> bool: ...

    def release(self) -> None: ...


class _AdvisoryLock(_ApplierLock):
    """A PostgreSQL session-level advisory lock on a connection of its own: released by
    the server when this process dies."""

    def __init__(self, db: Database, key: int) -> None:
        self._db = db
        self._key = key
        self._connection = None

    def acquire(self) -> bool:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                return True
            except Exception:
                self._drop()
        connection = self._db.engine.connect()
        try:
            held = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}).scalar()
            connection.commit()
        except Exception:
            connection.close()
            raise
        if held:
            self._connection = connection
            return True
        connection.close()
        return False

    def _drop(self) -> None:
        with contextlib.suppress(Exception):
            self._connection.close()
        self._connection = None

    def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
            self._drop()


class _FileLock(_ApplierLock):
    """An exclusive lock on a file beside the SQLite database: released by the kernel
    when this process dies."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file = None

    def acquire(self) -> bool:
        if self._file is not None:
            return True
        handle = open(self._path, "a+")  # noqa: SIM115 (held open while leading)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class _ProcessLock(_ApplierLock):
    """An in-memory database is this process's alone."""

    def acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass


def _applier_lock(db: Database, source: str) -> _ApplierLock:
    if not db.is_sqlite:
        key = int.from_bytes(hashlib.sha256(f"ncms-projection:{source}".encode()).digest()[:8], "big", signed=True)
        return _AdvisoryLock(db, key)
    database = db.engine.url.database
    if not database or database == ":memory:":
        return _ProcessLock()
    return _FileLock(Path(f"{database}.{source}.applier.lock"))


# --- helpers for sources ----------------------------------------------------------------------

def last_per_key(entities: Iterable, key: Callable) -> list:
    """``entities`` with only the last of each key, in order of those last ones (one
    upsert statement may not touch a row twice)."""
    latest: dict = {}
    for entity in entities:
        latest.pop(key(entity), None)
        latest[key(entity)] = entity
    return list(latest.values())


def change_time(change) -> datetime | None:
    """When a feed's change (a message with ``create_time``) was made at its owner."""
    return change.create_time.ToDatetime(tzinfo=UTC) if change.HasField("create_time") else None
