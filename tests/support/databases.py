"""Test databases: a migrated template per service, cloned for every test.

SQLite: the template is a file, copied per test. PostgreSQL: the template is a
database, and each test gets ``CREATE DATABASE ... TEMPLATE``, dropped afterwards.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import sqlalchemy as sa

from runtime.db import Database, migrate

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"

MIGRATIONS = {
    "identity": "services.identity.migrations",
    "catalog": "services.catalog.migrations",
    "enrollment": "services.enrollment.migrations",
    "settlement": "services.settlement.migrations",
    "hospital": "hospital.migrations",
}


def postgres_reachable() -> str | None:
    """None when PostgreSQL answers; otherwise why not."""
    try:
        engine = sa.create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means: not usable here
        return f"PostgreSQL at 127.0.0.1:5432 is not reachable ({type(exc).__name__})"


class DatabaseFactory:
    def __init__(self, backend: str, workdir: Path) -> None:
        self.backend = backend
        self.workdir = workdir
        self.run_id = uuid.uuid4().hex[:8]
        self._templates: dict[str, str] = {}
        self._created: list[str] = []
        self._admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT") \
            if backend == "postgresql" else None

    def _template(self, service: str) -> str:
        if service in self._templates:
            return self._templates[service]
        if self.backend == "sqlite":
            path = self.workdir / f"template-{service}.sqlite3"
            url = f"sqlite:///{path}"
        else:
            name = f"ncms_test_{self.run_id}_{service}_template"
            self._execute(f'CREATE DATABASE "{name}"')
            self._created.append(name)
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        db = Database(url)
        migrate(db, MIGRATIONS[service])
        db.dispose()
        self._templates[service] = url
        return url

    def new(self, service: str) -> str:
        """The URL of a fresh, migrated database for ``service``."""
        template = self._template(service)
        suffix = uuid.uuid4().hex[:10]
        if self.backend == "sqlite":
            path = self.workdir / f"{service}-{suffix}.sqlite3"
            shutil.copyfile(template.removeprefix("sqlite:///"), path)
            return f"sqlite:///{path}"
        name = f"ncms_test_{self.run_id}_{service}_{suffix}"
        template_name = template.rsplit("/", 1)[1]
        # FILE_COPY copies a small template faster than PostgreSQL 15's default WAL_LOG.
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_name}" STRATEGY FILE_COPY')
        self._created.append(name)
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

    def _execute(self, statement: str) -> None:
        with self._admin.connect() as connection:
            connection.execute(sa.text(statement))

    def drop(self, url: str) -> None:
        if self.backend == "postgresql":
            name = url.rsplit("/", 1)[1]
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if name in self._created:
                self._created.remove(name)

    def close(self) -> None:
        if self._admin is None:
            return
        for name in reversed(self._created):
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin.dispose()
