"""The database of one service: engine, transactions, migrations.

Functions that touch data receive a SQLAlchemy Core ``Connection`` and never commit;
the service frames one transaction per request with ``db.read()`` or ``db.write()``.

SQLite (the embedded default) allows one writer at a time. A write transaction
therefore starts with ``BEGIN IMMEDIATE``: it takes the write lock up front and waits
for it (``busy_timeout``), instead of failing later when a read lock cannot be
upgraded. Read transactions start deferred and run beside writers (WAL mode).
On PostgreSQL both are ordinary transactions; code that must serialise takes row
locks (``SELECT ... FOR UPDATE``), which SQLite's single writer already implies.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.resources
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    BigInteger,
    Connection,
    DateTime,
    Engine,
    MetaData,
    Numeric,
    Table,
    TypeDecorator,
    create_engine,
    event,
    text,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import StaticPool

from .deadline import ensure_caller_waiting

SQLITE_BUSY_TIMEOUT_MS = 30_000

# Constraint names the same on every backend, so that migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def declarative_base() -> type[DeclarativeBase]:
    """A fresh declarative base for one service's models (one per service database)."""

    class Base(DeclarativeBase):
        metadata = MetaData(naming_convention=NAMING_CONVENTION)

    return Base


def normalise_url(url: str) -> str:
    """The SQLAlchemy URL of ``url``: a plain ``postgresql://`` (or ``postgres://``) URL,
    as database operators and managed databases hand them out, means psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def create_database_engine(url: str, *, pool_size: int = 10) -> Engine:
    url = normalise_url(url)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_size=pool_size, max_overflow=2 * pool_size,
                             pool_pre_ping=True)
    if url in ("sqlite://", "sqlite:///:memory:"):
        engine = create_engine(url, connect_args={"check_same_thread": False},
                               poolclass=StaticPool)
    else:
        engine = create_engine(
            url, connect_args={"check_same_thread": False,
                               "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            pool_size=pool_size, max_overflow=2 * pool_size)
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own
        # transaction handling would start transactions at the wrong moment).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # Straight to the driver: a statement through SQLAlchemy costs more than this one
        # needs, on every transaction.
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.connection.driver_connection.execute(f"BEGIN {mode}")


class Database:
    """One service's database: ``read()`` and ``write()`` transactions on SQLAlchemy Core
    connections (statements built once reuse their compiled form)."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = normalise_url(url)
        self.engine = create_database_engine(self.url, pool_size=pool_size)
        self.dialect = self.engine.dialect.name
        self._write_engine = (self.engine.execution_options(sqlite_begin="IMMEDIATE")
                              if self.dialect == "sqlite" else self.engine)
        # SQLite has one writer. Threads of this process queue here, in order, instead of
        # in SQLite's busy handler, which sleeps in growing steps (up to 100 ms) and
        # would turn a short wait into a long one.
        self._write_lock = threading.Lock() if self.dialect == "sqlite" else contextlib.nullcontext()

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextlib.contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction, rolled back when the block ends."""
        with self.engine.connect() as connection:
            yield connection

    @contextlib.contextmanager
    def write(self, *, check_caller: bool = True) -> Iterator[Connection]:
        """A write transaction (BEGIN IMMEDIATE on SQLite): committed when the block ends,
        rolled back on error, and rolled back (E9001) when the gRPC caller has given up
        meanwhile (unless ``check_caller`` is off: work done for more than the current
        caller)."""
        with self._write_lock, self._write_engine.begin() as connection:
            yield connection
            if check_caller:
                ensure_caller_waiting()

    def dispose(self) -> None:
        self.engine.dispose()


# --- migrations ---------------------------------------------------------------------

def _alembic_config(url: str, migrations_package: str) -> Config:
    location = importlib.resources.files(migrations_package)
    config = Config()
    config.set_main_option("script_location", str(Path(str(location))))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


# Any fixed number: the key of the PostgreSQL advisory lock that serialises migrations.
MIGRATION_LOCK_KEY = 0x6E636D73  # "ncms"


def migrate(db: Database, migrations_package: str, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest).

    Safe to run from several processes at once (replicas' init containers during a
    rollout): on PostgreSQL they take turns on an advisory lock held for the
    migration's transaction, and whoever comes second finds nothing left to do.
    """
    config = _alembic_config(db.url, migrations_package)
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def pending_migrations(db: Database, migrations_package: str) -> list[str]:
    """Revisions not yet applied (empty when the database is current)."""
    script = ScriptDirectory.from_config(_alembic_config(db.url, migrations_package))
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    pending = []
    for revision in script.walk_revisions():
        if revision.revision in current:
            break
        pending.append(revision.revision)
    return pending if current != set(script.get_heads()) else []


def run_migrations_from_env(target_metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py``."""
    from alembic import context

    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_database_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as connection:
            _run(context, connection, target_metadata)
        engine.dispose()
    else:
        _run(context, connection, target_metadata)


def _run(context, connection, target_metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# --- column types shared by the services -------------------------------------------------

class UTCDateTime(TypeDecorator):
    """A point in time, always timezone-aware UTC in Python, on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class ScaledDecimal(TypeDecorator):
    """An exact decimal with a fixed number of places.

    PostgreSQL keeps it as NUMERIC; SQLite, which has no exact decimal type, as an
    integer count of the smallest unit (fen for money), so nothing passes through
    binary floating point on either backend.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, places: int = 2, precision: int = 18) -> None:
        super().__init__()
        self.places = places
        self.precision = precision
        self._quantum = Decimal(1).scaleb(-places)
        self._factor = Decimal(10) ** places

    def __repr__(self) -> str:
        # As migrations write it: the places matter (NUMERIC(18, 4) on PostgreSQL).
        return f"ScaledDecimal({self.places}, precision={self.precision})"

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.places, asdecimal=True))

    def bind_processor(self, dialect):
        # One function per dialect, without TypeDecorator's generic dispatch: a bill's
        # lines bind a few hundred of these per settlement.
        places, quantum, sqlite = self.places, self._quantum, dialect.name == "sqlite"

        def process(value):
            if value is None:
                return None
            if not isinstance(value, Decimal | int):
                raise TypeError(f"exact decimal column given {type(value).__name__}")
            scaled = Decimal(value).scaleb(places)
            units = int(scaled)
            if units != scaled:
                raise ValueError(f"{value} has more than {places} decimal places")
            return units if sqlite else Decimal(value).quantize(quantum)

        return process

    def process_bind_param(self, value, dialect):
        return self.bind_processor(dialect)(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / self._factor).quantize(self._quantum)
        return Decimal(value).quantize(self._quantum)


def new_revision(db: Database, migrations_package: str, message: str) -> None:
    """Write a migration for the difference between the models and the database (at head)."""
    config = _alembic_config(db.url, migrations_package)
    migrate(db, migrations_package)
    # Revisions are numbered 0001, 0002, ...: the order is visible in the file names.
    numbered = [p.name[:4] for p in Path(config.get_main_option("script_location"), "versions").glob("[0-9]*_*.py")]
    revision_id = f"{max((int(n) for n in numbered if n.isdigit()), default=0) + 1:04d}"
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True, rev_id=revision_id)


def insert_ignoring_conflicts(connection: Connection, table: Table, rows: list[dict] | dict) -> None:
    """INSERT ``rows``, leaving out any that would violate a unique key (ON CONFLICT DO
    NOTHING on both backends): for rows another transaction may have made meanwhile."""
    many = isinstance(rows, list)
    if many and not rows:
        return
    columns = tuple(rows[0] if many else rows)
    connection.execute(_compiled_insert(connection.dialect, table, columns, None, many), rows)


def insert_if_absent(connection: Connection, table: Table, row: dict) -> bool:
    """INSERT one row unless one with the same unique key exists; True when inserted.
    Atomic: of two transactions inserting the same key, one gets False."""
    statement = _compiled_insert(connection.dialect, table, tuple(row), None, False, returning=True)
    return connection.execute(statement, row).first() is not None


def upsert(connection: Connection, table: Table, rows: list[dict], keys: tuple[str, ...]) -> None:
    """INSERT ``rows``, or UPDATE the row with the same ``keys`` (ON CONFLICT DO UPDATE on
    both backends). No two rows may have the same keys (one statement may not change a
    row twice)."""
    if rows:
        connection.execute(_compiled_insert(connection.dialect, table, tuple(rows[0]), keys, True), rows)


@functools.lru_cache(maxsize=128)
def _compiled_insert(dialect, table: Table, columns: tuple[str, ...], keys: tuple[str, ...] | None, many: bool,
                     returning: bool = False):
    """The INSERT ... ON CONFLICT for these columns, compiled once per dialect.

    SQLAlchemy 2.0 has no cache key for ON CONFLICT statements, so it would compile one
    on every call, which costs more than running it; a compiled statement executes as is.
    ``keys`` None: DO NOTHING; else DO UPDATE the other columns on a clash of ``keys``.
    ``returning``: the primary key's first column of the rows inserted (rowcount does not
    tell on every driver).
    """
    from sqlalchemy.dialects import postgresql, sqlite

    statement = (postgresql.insert if dialect.name == "postgresql" else sqlite.insert)(table)
    if keys is None:
        statement = statement.on_conflict_do_nothing()
    else:
        statement = statement.on_conflict_do_update(
            index_elements=list(keys), set_={name: statement.excluded[name] for name in columns if name not in keys})
    if returning:
        statement = statement.returning(list(table.primary_key.columns)[0])
    return statement.compile(dialect=dialect, column_keys=list(columns), for_executemany=many)
