"""Bulk import of enrolment rows: stage, then merge with set operations.

Rows are staged in a temporary table as the file streams in (PostgreSQL: COPY;
SQLite: batched inserts), so memory stays bounded whatever the file's size. The
merge then runs a few set-based statements in the same transaction — duplicates,
counts, upserts of households, members and enrolments — so a province's list loads in
minutes, and all or nothing. Within a file the last line of a member (or household)
decides its personal data; each (member, year) may appear once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Row, text

STAGING_COLUMNS = ("line", "card", "member_id", "name", "sex", "birth_date", "id_number", "relation",
                   "head_name", "address", "region_code", "year", "status", "category")
MEMBER_FIELDS = ("card", "name", "sex", "birth_date", "id_number", "relation")
HOUSEHOLD_FIELDS = ("head_name", "address", "region_code")
ENROLLMENT_FIELDS = ("status", "category")


@dataclass
class Counts:
    members_inserted: int = 0
    members_updated: int = 0
    enrollments_inserted: int = 0
    enrollments_updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.members_inserted + self.members_updated + self.enrollments_inserted + self.enrollments_updated


@dataclass(frozen=True)
class Duplicate:
    line: int
    first_line: int
    member_id: str
    year: int


def _differs(target: str, source: str, fields: Sequence[str]) -> str:
    return " OR ".join(f"{target}.{f} <> {source}.{f}" for f in fields)


class Importer:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    def _sql(self, statement: str, **params):
        return self.connection.execute(text(statement), params)

    def create_staging(self) -> None:
        # PostgreSQL drops these tables at commit; SQLite keeps them with the (pooled)
        # connection, so they are dropped here and after the merge.
        self._drop_staging()
        suffix = " ON COMMIT DROP" if self.postgres else ""
        self._sql(f"""CREATE TEMPORARY TABLE staging (
            line INTEGER PRIMARY KEY, card VARCHAR(30), member_id VARCHAR(30), name VARCHAR(50),
            sex VARCHAR(1), birth_date VARCHAR(10), id_number VARCHAR(18), relation VARCHAR(20),
            head_name VARCHAR(50), address VARCHAR(200), region_code VARCHAR(12), year INTEGER,
            status VARCHAR(1), category VARCHAR(1)){suffix}""")

    def add(self, rows: list[tuple]) -> None:
        if not rows:
            return
        driver = self.connection.connection.driver_connection
        columns = ", ".join(STAGING_COLUMNS)
        if self.postgres:
            with driver.cursor() as cursor, cursor.copy(f"COPY staging ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in STAGING_COLUMNS)
            driver.executemany(f"INSERT INTO staging ({columns}) VALUES ({marks})", rows)

    def duplicates(self, limit: int = 100) -> list[Duplicate]:
        self._sql("CREATE INDEX ix_staging_member_year ON staging (member_id, year)")
        rows = self._sql("""
            SELECT s.line, (SELECT min(t.line) FROM staging t
                            WHERE t.member_id = s.member_id AND t.year = s.year) AS first_line,
                   s.member_id, s.year
            FROM staging s
            WHERE EXISTS (SELECT 1 FROM staging t WHERE t.member_id = s.member_id
                          AND t.year = s.year AND t.line < s.line)
            ORDER BY s.line LIMIT :limit""", limit=limit).all()
        return [Duplicate(*row) for row in rows]

    def drop_duplicates(self) -> int:
        """Keep the first line of each (member, year); returns how many were dropped."""
        return self._sql("""DELETE FROM staging WHERE EXISTS (
            SELECT 1 FROM staging t WHERE t.member_id = staging.member_id
            AND t.year = staging.year AND t.line < staging.line)""").rowcount

    def merge(self, now: datetime, changed: Callable[[Iterator[Row], Iterator[Row]], None]) -> Counts:
        """Merge the staged rows; ``changed(members, enrollments)`` is given, before the
        temporary tables go, the members whose card or name the merge set or changed and
        the enrolment years it set or changed (for the change feed), as batches of rows."""
        postgres = self.postgres
        # SQLite keeps times as text, in the form the UTCDateTime column type writes.
        at = now if postgres else now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        for name, key, fields in (("staged_members", "member_id", ("member_id", *MEMBER_FIELDS)),
                                  ("staged_households", "card", ("card", *HOUSEHOLD_FIELDS))):
            columns = ", ".join(fields)
            self._sql(f"""CREATE TEMPORARY TABLE {name}{' ON COMMIT DROP' if postgres else ''} AS
                SELECT {columns} FROM (SELECT {columns}, ROW_NUMBER() OVER (
                    PARTITION BY {key} ORDER BY line DESC) AS position FROM staging) ranked
                WHERE position = 1""")
            self._sql(f"CREATE UNIQUE INDEX ix_{name} ON {name} ({key})")
        counts = Counts()
        counts.members_inserted = self._count("""staged_members s WHERE NOT EXISTS (
            SELECT 1 FROM members m WHERE m.member_id = s.member_id)""")
        counts.members_updated = self._count(f"""staged_members s JOIN members m
            ON m.member_id = s.member_id WHERE {_differs('m', 's', MEMBER_FIELDS)}""")
        counts.enrollments_inserted = self._count("""staging s WHERE NOT EXISTS (
            SELECT 1 FROM enrollments e WHERE e.member_id = s.member_id AND e.year = s.year)""")
        counts.enrollments_updated = self._count(f"""staging s JOIN enrollments e
            ON e.member_id = s.member_id AND e.year = s.year WHERE {_differs('e', 's', ENROLLMENT_FIELDS)}""")
        counts.unchanged = self._count(f"""staging s JOIN enrollments e
            ON e.member_id = s.member_id AND e.year = s.year
            JOIN members m ON m.member_id = s.member_id
            JOIN staged_members sm ON sm.member_id = s.member_id
            WHERE NOT ({_differs('e', 's', ENROLLMENT_FIELDS)})
              AND NOT ({_differs('m', 'sm', MEMBER_FIELDS)})""")
        # What settlement's copy needs to hear of, read before the merge changes it.
        self._sql(f"""CREATE TEMPORARY TABLE changed_members{' ON COMMIT DROP' if postgres else ''} AS
            SELECT s.member_id, s.card, s.name FROM staged_members s
            LEFT OUTER JOIN members m ON m.member_id = s.member_id
            WHERE m.member_id IS NULL OR {_differs('m', 's', ('card', 'name'))}""")
        self._sql(f"""CREATE TEMPORARY TABLE changed_enrollments{' ON COMMIT DROP' if postgres else ''} AS
            SELECT s.member_id, s.year, s.status, s.category FROM staging s
            LEFT OUTER JOIN enrollments e ON e.member_id = s.member_id AND e.year = s.year
            WHERE e.member_id IS NULL OR {_differs('e', 's', ENROLLMENT_FIELDS)}""")
        self._upsert("households", "card", HOUSEHOLD_FIELDS, "staged_households", at)
        self._upsert("members", "member_id", MEMBER_FIELDS, "staged_members", at)
        self._upsert("enrollments", "member_id, year", ENROLLMENT_FIELDS,
                     "(SELECT member_id, year, status, category FROM staging) AS s", at, alias="")
        changed(self._batches("SELECT member_id, card, name FROM changed_members ORDER BY member_id"),
                self._batches("SELECT member_id, year, status, category FROM changed_enrollments "
                              "ORDER BY member_id, year"))
        self._drop_staging()
        return counts

    def _batches(self, query: str, size: int = 10_000) -> Iterator[list[Row]]:
        result = self.connection.execute(text(query))
        while batch := result.fetchmany(size):
            yield batch

    def _drop_staging(self) -> None:
        if not self.postgres:
            for table in ("staging", "staged_members", "staged_households", "changed_members",
                          "changed_enrollments"):
                self._sql(f"DROP TABLE IF EXISTS temp.{table}")

    def _count(self, source: str) -> int:
        return self._sql(f"SELECT count(*) FROM {source}").scalar_one()

    def _upsert(self, table: str, key: str, fields: Sequence[str], source: str, at, *,
                alias: str = " AS s") -> None:
        keys = [k.strip() for k in key.split(",")]
        columns = ", ".join([*keys, *fields, "updated_at"])
        # "WHERE true": SQLite's parser needs a WHERE before ON CONFLICT in INSERT ... SELECT.
        self._sql(f"""INSERT INTO {table} ({columns})
            SELECT {', '.join(f's.{c}' for c in [*keys, *fields])}, :at FROM {source}{alias} WHERE true
            ON CONFLICT ({key}) DO UPDATE SET
                {', '.join(f'{f} = excluded.{f}' for f in fields)}, updated_at = excluded.updated_at
            WHERE {_differs(table, 'excluded', fields)}""", at=at)
