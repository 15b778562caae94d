"""The enrollment gRPC servicer. Lookups run on every hospital visit, so they read on
the raw connection; imports stage and merge in bulk (bulk.py)."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator

from sqlalchemy import select, text

from ncms.enrollment.v1 import enrollment_pb2, enrollment_pb2_grpc
from runtime.auth import ROLE_ADMIN, ROLE_INTERNAL, Principal, current_principal
from runtime.clock import utcnow
from runtime.db import Database
from runtime.errors import (
    ContractError,
    FieldViolation,
    invalid_argument,
    permission_denied,
)

from . import records
from .bulk import Importer
from .models import Enrollment, Household, Member

STATUSES = {"1": enrollment_pb2.ENROLLMENT_STATUS_ACTIVE, "0": enrollment_pb2.ENROLLMENT_STATUS_STOPPED}
CATEGORIES = {"1": enrollment_pb2.CATEGORY_ORDINARY, "2": enrollment_pb2.CATEGORY_FIVE_GUARANTEES,
              "3": enrollment_pb2.CATEGORY_SUBSISTENCE, "4": enrollment_pb2.CATEGORY_ENTITLED}
STAGING_BATCH = 10_000
MAX_SKIPPED_LISTED = 1000
ANALYZE_AFTER_CHANGED_ROWS = 10_000

_HOUSEHOLD_SQL = "SELECT card, head_name, address, region_code FROM households WHERE card = :card"
# Members of a household with their enrolment in the year, and their latest category.
_MEMBERS_SQL = """
SELECT m.member_id, m.name, m.sex, m.birth_date, m.id_number, m.relation, e.status, e.category,
       (SELECT l.category FROM enrollments l WHERE l.member_id = m.member_id
        ORDER BY l.year DESC LIMIT 1) AS latest_category
FROM members m
LEFT OUTER JOIN enrollments e ON e.member_id = m.member_id AND e.year = :year
WHERE m.card = :card
ORDER BY m.member_id
"""
_CHECK_SQL = """
SELECT m.card, m.name, e.status, e.category
FROM members m
LEFT OUTER JOIN enrollments e ON e.member_id = m.member_id AND e.year = :year
WHERE m.member_id = :member_id
"""


def may_see_id_numbers(principal: Principal) -> bool:
    return "E" in principal.permissions or principal.has_role(ROLE_ADMIN)


def _require_reader(principal: Principal, letters: str) -> None:
    if principal.has_role(ROLE_ADMIN, ROLE_INTERNAL) and not principal.hospital_code:
        return
    if not any(letter in principal.permissions for letter in letters):
        raise ContractError("E1004", f"需要权限 {' 或 '.join(letters)}")


def enrollment_message(year: int, status: str | None, category: str | None,
                       fallback_category: str | None = None) -> enrollment_pb2.Enrollment:
    return enrollment_pb2.Enrollment(
        year=year, status=STATUSES.get(status or "", enrollment_pb2.ENROLLMENT_STATUS_NONE),
        category=CATEGORIES.get(category or fallback_category or "", enrollment_pb2.CATEGORY_UNSPECIFIED))


class EnrollmentService(enrollment_pb2_grpc.EnrollmentServiceServicer):
    def __init__(self, db: Database) -> None:
        self.db = db

    def GetHousehold(self, request, context):
        principal = current_principal()
        _require_reader(principal, "E")
        if not request.card.strip():
            raise ContractError("E2001", "chzh: 必填")
        year = request.year or utcnow().year
        with self.db.raw() as connection:
            household = connection.execute(_HOUSEHOLD_SQL, {"card": request.card.strip()}).fetchone()
            members = connection.execute(_MEMBERS_SQL, {"card": request.card.strip(), "year": year}).fetchall() \
                if household else []
        if household is None:
            raise ContractError("E3001", "参合证号不存在")
        full = may_see_id_numbers(principal)
        return enrollment_pb2.GetHouseholdResponse(
            household=enrollment_pb2.Household(card=household[0], head_name=household[1],
                                               address=household[2], region_code=household[3]),
            members=[enrollment_pb2.HouseholdMember(
                member=enrollment_pb2.Member(
                    member_id=row[0], card=household[0], name=row[1], sex=row[2], birth_date=row[3],
                    id_number=row[4] if full else records.mask_id_number(row[4]), relation=row[5]),
                enrollment=enrollment_message(year, row[6], row[7], row[8])) for row in members])

    def GetMember(self, request, context):
        principal = current_principal()
        _require_reader(principal, "E")
        with self.db.read() as session:
            member = session.get(Member, request.member_id.strip())
            if member is None:
                raise ContractError("E3001", "个人编码不存在")
            household = session.get(Household, member.card)
            years = session.scalars(select(Enrollment).where(Enrollment.member_id == member.member_id)
                                    .order_by(Enrollment.year)).all()
        full = may_see_id_numbers(principal)
        return enrollment_pb2.GetMemberResponse(
            member=enrollment_pb2.Member(
                member_id=member.member_id, card=member.card, name=member.name, sex=member.sex,
                birth_date=member.birth_date, relation=member.relation,
                id_number=member.id_number if full else records.mask_id_number(member.id_number)),
            household=enrollment_pb2.Household(card=household.card, head_name=household.head_name,
                                               address=household.address, region_code=household.region_code),
            enrollments=[enrollment_message(e.year, e.status, e.category) for e in years])

    def CheckEnrollment(self, request, context):
        _require_reader(current_principal(), "EFHI")
        if not request.year:
            raise invalid_argument("year", "the year of the visit or admission")
        with self.db.raw() as connection:
            row = connection.execute(_CHECK_SQL, {"member_id": request.member_id.strip(),
                                                  "year": request.year}).fetchone()
        if row is None:
            raise ContractError("E3001", "个人编码不存在")
        return enrollment_pb2.CheckEnrollmentResponse(
            enrolled=row[2] == "1", enrollment=enrollment_message(request.year, row[2], row[3]),
            card=row[0], name=row[1])

    # --- import --------------------------------------------------------------------------

    def ImportEnrollment(self, request_iterator, context):
        principal = current_principal()
        if not principal.has_role(ROLE_ADMIN):
            raise permission_denied(f"{principal.subject} may not import enrolment records")
        options = {"skip_bad": None}
        reader = csv.DictReader(_lines(request_iterator, options))
        try:
            header = [name.strip() for name in (reader.fieldnames or [])]
        except UnicodeDecodeError:
            raise ContractError("E2001", "第1行: 文件不是 UTF-8 编码") from None
        missing = [c for c in records.REQUIRED if c not in header]
        if missing:
            raise ContractError("E2001", f"第1行: 表头缺少 {', '.join(missing)}")
        reader.fieldnames = header
        response = enrollment_pb2.ImportEnrollmentResponse()
        with self.db.write() as session:
            importer = Importer(session)
            importer.create_staging()
            batch: list[tuple] = []
            for line, values in _rows(reader):
                try:
                    record = records.parse(values)
                except records.BadRow as exc:
                    self._bad_line(response, options["skip_bad"], line, str(exc))
                    continue
                batch.append(record.as_row(line))
                response.rows += 1
                if len(batch) >= STAGING_BATCH:
                    importer.add(batch)
                    batch = []
            importer.add(batch)
            duplicates = importer.duplicates()
            if duplicates and not options["skip_bad"]:
                first = duplicates[0]
                raise ContractError("E2001", f"第{first.line}行: 个人编码 {first.member_id} 的 {first.year} 年度"
                                             f"与第{first.first_line}行重复; 未导入任何数据")
            for duplicate in duplicates:
                self._bad_line(response, True, duplicate.line,
                               f"{duplicate.year} 年度与第{duplicate.first_line}行重复")
            response.rows -= importer.drop_duplicates() if duplicates else 0
            counts = importer.merge(utcnow())
        if counts.changed >= ANALYZE_AFTER_CHANGED_ROWS:
            self._refresh_statistics()
        response.members_inserted, response.members_updated = counts.members_inserted, counts.members_updated
        response.enrollments_inserted = counts.enrollments_inserted
        response.enrollments_updated = counts.enrollments_updated
        response.unchanged = counts.unchanged
        return response

    def _refresh_statistics(self) -> None:
        # After a bulk load PostgreSQL's planner still believes the tables are as small
        # as before until autovacuum gets round to them; lookups meanwhile scan whole
        # tables. (SQLite plans by its indexes without statistics.)
        if self.db.is_sqlite:
            return
        with self.db.write() as session:
            session.execute(text("ANALYZE households, members, enrollments"))

    @staticmethod
    def _bad_line(response, skip_bad: bool, line: int, reason: str) -> None:
        if not skip_bad:
            raise ContractError("E2001", f"第{line}行: {reason}; 未导入任何数据",
                                [FieldViolation(f"line {line}", reason)])
        response.skipped_total += 1
        if len(response.skipped) < MAX_SKIPPED_LISTED:
            response.skipped.add(line_number=line, reason=reason)


def _lines(messages: Iterable[enrollment_pb2.ImportEnrollmentRequest], options: dict) -> Iterator[str]:
    """The file's lines (with their line ends) from the streamed chunks."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    for message in messages:
        if options["skip_bad"] is None:
            options["skip_bad"] = message.skip_bad
        pending += decoder.decode(message.csv_chunk)
        lines = pending.splitlines(keepends=True)
        pending = lines.pop() if lines and not lines[-1].endswith(("\n", "\r")) else ""
        yield from lines
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def _rows(reader: csv.DictReader) -> Iterator[tuple[int, dict]]:
    try:
        for values in reader:
            yield reader.line_num, values
    except UnicodeDecodeError:
        raise ContractError("E2001", f"第{reader.line_num + 1}行: 文件不是 UTF-8 编码; 未导入任何数据") from None
    except csv.Error as exc:
        raise ContractError("E2001", f"第{reader.line_num}行: CSV 格式错误 ({exc}); 未导入任何数据") from None
