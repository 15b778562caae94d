"""A service's change feed: every change a reader may keep a copy of, in order.

The owner of a fact writes each change into its outbox table **in the same
transaction as the change itself**, numbered by a sequence that follows the order of
commits: the sequence comes from a counter row that the transaction updates just
before it commits, and that row's lock is held until the commit, so no transaction
can commit a lower number after a higher one has become visible (the classic outbox
gap). Readers (runtime.projection) list the current state once, then ask for every
change after the sequence they have applied, and follow new ones as they commit.

Changes carry the entity's whole new state (an upsert), so applying one twice is
harmless and the last one of an entity wins. Old changes are trimmed after a
retention period; a reader that asks for a trimmed sequence is told to list again
(``FeedTrimmed``).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Index,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    update,
)

from .clock import utcnow
from .db import Database, UTCDateTime
from .errors import DomainError, Status, invalid_argument
from .periodic import Periodic

log = logging.getLogger(__name__)


def outbox_tables(metadata: MetaData) -> tuple[Table, Table]:
    """The outbox and its counter, in a service's own metadata (its migrations create them)."""
    outbox = Table(
        "feed_changes", metadata,
        Column("feed", String(32), primary_key=True),
        Column("sequence", BigInteger, primary_key=True, autoincrement=False),
        Column("entity_key", String(200), nullable=False),  # for people reading the table
        Column("payload", LargeBinary, nullable=False),  # the change, as the feed's protobuf message
        Column("created_at", UTCDateTime, nullable=False),
        Index("ix_feed_changes_created", "feed", "created_at"),
    )
    counter = Table(
        "feed_sequences", metadata,
        Column("feed", String(32), primary_key=True),
        Column("last_sequence", BigInteger, nullable=False),
    )
    return outbox, counter


@dataclass(frozen=True)
class Change:
    sequence: int
    payload: bytes
    created_at: datetime


class FeedTrimmed(DomainError):
    """The reader asked for changes that are gone: it must list the state again."""

    def __init__(self, after: int, oldest: int) -> None:
        super().__init__(Status.FAILED_PRECONDITION, "FEED_TRIMMED",
                         f"changes after {after} are no longer kept (the oldest kept is {oldest}); list again",
                         metadata={"oldest_sequence": str(oldest)})


class ChangeFeed:
    """One feed of one service: appending in a transaction, reading, trimming."""

    def __init__(self, db: Database, name: str, outbox: Table, counter: Table) -> None:
        self.db = db
        self.name = name
        self.outbox = outbox
        self.counter = counter
        self._appended = threading.Condition()
        self._next = update(counter).where(counter.c.feed == name).values(
            last_sequence=counter.c.last_sequence + bindparam("count")).returning(counter.c.last_sequence)
        self._last = select(counter.c.last_sequence).where(counter.c.feed == name)
        self._after = (select(outbox.c.sequence, outbox.c.payload, outbox.c.created_at)
                       .where(outbox.c.feed == name, outbox.c.sequence > bindparam("after"))
                       .order_by(outbox.c.sequence).limit(bindparam("limit")))

    def ensure_counter(self) -> None:
        """The feed's counter row (once, at start)."""
        from .db import insert_ignoring_conflicts

        with self.db.write(check_caller=False) as connection:
            insert_ignoring_conflicts(connection, self.counter, {"feed": self.name, "last_sequence": 0})

    def append(self, connection: Connection, changes: Sequence[tuple[str, bytes]]) -> int:
        """Write ``changes`` ((entity key, payload) in order) into the outbox within the
        caller's transaction; returns the sequence a reader must have applied to see
        the transaction's effect: its last change's, or, when there is nothing to write,
        the last sequence committed so far (an upload sent again unchanged is in effect
        once what came before it is).

        Call it as the transaction's last statement: the counter row stays locked until
        the commit, which keeps sequences in commit order.
        """
        if not changes:
            return connection.execute(self._last).scalar_one_or_none() or 0
        last = connection.execute(self._next, {"count": len(changes)}).scalar_one()
        first = last - len(changes) + 1
        now = utcnow()
        connection.execute(insert(self.outbox), [
            {"sequence": first + index, "feed": self.name, "entity_key": key[:200], "payload": payload,
             "created_at": now} for index, (key, payload) in enumerate(changes)])
        return last

    def committed(self) -> None:
        """Wake the watchers in this process (called after a transaction that appended)."""
        with self._appended:
            self._appended.notify_all()

    def wait_for_more(self, timeout: float) -> None:
        """Block until a change is appended in this process, or ``timeout`` (other
        replicas' changes are found by polling)."""
        with self._appended:
            self._appended.wait(timeout)

    def head(self, connection: Connection) -> int:
        return connection.execute(select(self.counter.c.last_sequence).where(
            self.counter.c.feed == self.name)).scalar() or 0

    def oldest(self, connection: Connection) -> int:
        """The oldest sequence still kept (0: none kept)."""
        return connection.execute(select(func.min(self.outbox.c.sequence)).where(
            self.outbox.c.feed == self.name)).scalar() or 0

    def changes_after(self, after: int, limit: int = 1000) -> tuple[list[Change], int]:
        """The changes after ``after`` (at most ``limit``) and the head; FeedTrimmed when
        changes right after ``after`` were trimmed."""
        with self.db.read() as connection:
            # The head first: the rows read after it include every change up to it.
            head = self.head(connection)
            rows = connection.execute(self._after, {"after": after, "limit": limit}).all()
            if after < head and (not rows or rows[0].sequence != after + 1):
                oldest = self.oldest(connection)
                if oldest == 0 or oldest > after + 1:
                    raise FeedTrimmed(after, oldest)
        return [Change(row.sequence, row.payload, row.created_at) for row in rows], head

    def trim(self, retention: timedelta) -> int:
        """Drop changes older than ``retention``, keeping the newest one (so that the
        head is always known to be reachable); returns how many were dropped."""
        with self.db.write(check_caller=False) as connection:
            head = self.head(connection)
            result = connection.execute(delete(self.outbox).where(
                self.outbox.c.feed == self.name, self.outbox.c.created_at < utcnow() - retention,
                self.outbox.c.sequence < head))
            return result.rowcount or 0


def follow(feed: ChangeFeed, after: int, *, batch: int = 1000, heartbeat_seconds: float = 5.0,
           poll_seconds: float = 0.2, stopping: Callable[[], bool] = lambda: False
           ) -> Iterator[tuple[list[Change], int]]:
    """Every change after ``after`` as batches with the head, then each new one as it is
    committed (found at once when appended in this process, by polling otherwise); an
    empty batch at least every ``heartbeat_seconds``. FeedTrimmed when ``after`` is gone."""
    quiet_since = time.monotonic()
    while not stopping():
        changes, head = feed.changes_after(after, batch)
        if changes:
            after = changes[-1].sequence
            quiet_since = time.monotonic()
            yield changes, head
            continue
        if time.monotonic() - quiet_since >= heartbeat_seconds:
            quiet_since = time.monotonic()
            yield [], head
        feed.wait_for_more(poll_seconds)


class PageToken:
    """A listing's place: which part of the state, the key read last there, and the
    sequence the whole listing is valid at (the head when its first page was read)."""

    def __init__(self, part: int = 0, after: str | int = "", sequence: int = 0) -> None:
        self.part, self.after, self.sequence = part, after, sequence

    @classmethod
    def parse(cls, token: str) -> PageToken | None:
        """None for the first page; invalid_argument for a token this service did not give."""
        if not token:
            return None
        try:
            part, after, sequence = json.loads(base64.urlsafe_b64decode(token.encode()))
            return cls(int(part), after, int(sequence))
        except (ValueError, TypeError, UnicodeDecodeError):
            raise invalid_argument("page_token", "not a token this service issued") from None

    def text(self) -> str:
        return base64.urlsafe_b64encode(json.dumps([self.part, self.after, self.sequence]).encode()).decode()


def page_size(requested: int) -> int:
    return min(requested or 1000, 5000)


class Trimmer(Periodic):
    """Trims feeds now and then (every ``interval`` seconds), in a thread of its own."""

    def __init__(self, feeds: Sequence[ChangeFeed], retention: timedelta, interval: float = 3600.0) -> None:
        def trim() -> None:
            for feed in feeds:
                dropped = feed.trim(retention)
                if dropped:
                    log.info("feed %s: %d changes older than %s trimmed", feed.name, dropped, retention)

        super().__init__("feed-trimmer", interval, trim)
