"""EnrollmentService: households, members and their enrolment years (chryxxjk, the
settlement's check), and bulk imports of provincial lists (bulk.py)."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterable, Iterator

from sqlalchemy import text

from ncms.enrollment.v1 import enrollment_pb2, enrollment_pb2_grpc
from runtime.auth import (
    ROLE_ADMIN,
    ROLE_INTERNAL,
    STAFF_AUDITOR,
    STAFF_FUND_OFFICER,
    Principal,
    current_principal,
    require_centre,
)
from runtime.change_feed import ChangeFeed
from runtime.clock import beijing_year, utcnow
from runtime.db import Database
from runtime.errors import ContractError, FieldViolation, invalid_argument, permission_denied

from .. import records, repository
from ..bulk import Importer
from .messages import enrollment_change, enrollment_message, entry, member_change

STAGING_BATCH = 10_000
MAX_SKIPPED_LISTED = 1000
ANALYZE_AFTER_CHANGED_ROWS = 10_000


# Who at the centre reads members (beside admin and internal clients); fund officers
# see ID numbers in full (they find people by them), auditors masked.
MEMBER_READERS = (STAFF_FUND_OFFICER, STAFF_AUDITOR)


def may_see_id_numbers(principal: Principal) -> bool:
    return "E" in principal.permissions or principal.has_role(ROLE_ADMIN, STAFF_FUND_OFFICER)


def _require_reader(principal: Principal, letters: str) -> None:
    if principal.is_staff:
        require_centre(*MEMBER_READERS)
        return
    if principal.has_role(ROLE_ADMIN, ROLE_INTERNAL) and not principal.hospital_code:
        return
    if not any(letter in principal.permissions for letter in letters):
        raise ContractError("E1004", f"需要权限 {' 或 '.join(letters)}")


class EnrollmentServicer(enrollment_pb2_grpc.EnrollmentServiceServicer):
    def __init__(self, db: Database, feed: ChangeFeed) -> None:
        self.db = db
        self.feed = feed

    def GetHousehold(self, request, context):
        principal = current_principal()
        _require_reader(principal, "E")
        card = request.card.strip()
        if not card:
            raise ContractError("E2001", "card: 必填", [FieldViolation("card", "必填")])
        year = request.year or beijing_year()
        with self.db.read() as connection:
            household = repository.household(connection, card)
            members = repository.household_members(connection, card, year) if household else []
        if household is None:
            raise ContractError("E3001")
        full = may_see_id_numbers(principal)
        return enrollment_pb2.GetHouseholdResponse(
            household=enrollment_pb2.Household(card=household.card, head_name=household.head_name,
                                               address=household.address, region_code=household.region_code),
            members=[enrollment_pb2.HouseholdMember(
                member=enrollment_pb2.Member(
                    member_id=row.member_id, card=household.card, name=row.name, sex=row.sex,
                    birth_date=row.birth_date, relation=row.relation,
                    id_number=row.id_number if full else records.mask_id_number(row.id_number)),
                enrollment=enrollment_message(year, row.status, row.category, row.latest_category))
                for row in members])

    def GetMember(self, request, context):
        principal = current_principal()
        _require_reader(principal, "E")
        with self.db.read() as connection:
            member = repository.member(connection, request.member_id.strip())
            if member is None:
                raise ContractError("E3001", "个人编码不存在")
            household = repository.household(connection, member.card)
            years = repository.member_years(connection, member.member_id)
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
        with self.db.read() as connection:
            row = repository.enrollment_check(connection, request.member_id.strip(), request.year)
        if row is None:
            raise ContractError("E3001", "个人编码不存在")
        return enrollment_pb2.CheckEnrollmentResponse(
            enrolled=row.status == "1", enrollment=enrollment_message(request.year, row.status, row.category),
            card=row.card, name=row.name)

    def SearchMembers(self, request, context):
        principal = require_centre(*MEMBER_READERS)
        wanted = {"id_number": request.id_number.strip().upper(), "card": request.card.strip(),
                  "member_id": request.member_id.strip(), "name": " ".join(request.name.split())[:50]}
        if not any(wanted.values()):
            raise invalid_argument("id_number", "give an ID number, a card, a member id or a name")
        if wanted["id_number"] and not records.valid_id_number(wanted["id_number"]):
            raise ContractError("E2001", "id_number: 不是有效的身份证号 (位数或校验位不符)",
                                [FieldViolation("id_number", "不是有效的身份证号")])
        limit = min(request.page_size or 50, 200)
        with self.db.read() as connection:
            found = repository.search_members(connection, limit=limit, **wanted)
        full = may_see_id_numbers(principal)
        return enrollment_pb2.SearchMembersResponse(members=[enrollment_pb2.Member(
            member_id=row.member_id, card=row.card, name=row.name, sex=row.sex, birth_date=row.birth_date,
            relation=row.relation, id_number=row.id_number if full else records.mask_id_number(row.id_number))
            for row in found])

    # --- import --------------------------------------------------------------------------

    def ImportEnrollment(self, request_iterator, context):
        principal = current_principal()
        if not principal.has_role(ROLE_ADMIN):
            raise permission_denied(f"{principal.subject} may not import enrolment records")
        options = {"skip_bad": None, "check_only": False}
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
        bad: list[tuple[int, str]] = []  # every bad line is counted; the first ones listed
        try:
            with self.db.write() as connection:
                importer = Importer(connection)
                importer.create_staging()
                batch: list[tuple] = []
                for line, values in _rows(reader):
                    try:
                        problem = records.column_count_problem(values, len(header))
                        if problem:
                            raise records.BadRow(problem)
                        record = records.parse(values)
                    except records.BadRow as exc:
                        _bad_line(response, bad, line, str(exc))
                        continue
                    batch.append(record.as_row(line))
                    response.rows += 1
                    if len(batch) >= STAGING_BATCH:
                        importer.add(batch)
                        batch = []
                importer.add(batch)
                duplicates = importer.duplicates(limit=MAX_SKIPPED_LISTED)
                if duplicates:
                    dropped = importer.drop_duplicates()
                    response.rows -= dropped
                    for duplicate in duplicates:
                        _bad_line(response, bad, duplicate.line, f"个人编码 {duplicate.member_id} 的 {duplicate.year} "
                                                                 f"年度与第{duplicate.first_line}行重复")
                    response.skipped_total += dropped - len(duplicates)
                if bad and not options["skip_bad"] and not options["check_only"]:
                    bad.sort()
                    line, reason = bad[0]
                    more = f" (另有{response.skipped_total - 1}行错误)" if response.skipped_total > 1 else ""
                    raise ContractError("E2001", f"第{line}行: {reason}{more}; 未导入任何数据",
                                        [FieldViolation(f"line {n}", why) for n, why in bad])

                def changed(members, enrollments) -> None:
                    if options["check_only"]:  # nothing will be kept: no change to tell
                        return
                    for rows, change in ((members, member_change), (enrollments, enrollment_change)):
                        for part in rows:
                            last = self.feed.append(connection, [entry(change(row)) for row in part])
                            response.sequence = last or response.sequence

                counts = importer.merge(utcnow(), changed)
                response.members_inserted, response.members_updated = counts.members_inserted, counts.members_updated
                response.enrollments_inserted = counts.enrollments_inserted
                response.enrollments_updated = counts.enrollments_updated
                response.unchanged = counts.unchanged
                if options["check_only"]:
                    raise _Checked  # roll back: a check keeps nothing
        except _Checked:
            response.checked_only = True
            response.skipped.sort(key=lambda skipped: skipped.line_number)
            return response
        self.feed.committed()
        if counts.changed >= ANALYZE_AFTER_CHANGED_ROWS:
            self._refresh_statistics()
        response.skipped.sort(key=lambda skipped: skipped.line_number)
        return response

    def _refresh_statistics(self) -> None:
        # After a bulk load PostgreSQL's planner still believes the tables are as small
        # as before until autovacuum gets round to them; lookups meanwhile scan whole
        # tables. (SQLite plans by its indexes without statistics.)
        if self.db.is_sqlite:
            return
        with self.db.write(check_caller=False) as connection:
            connection.execute(text("ANALYZE households, members, enrollments"))



class _Checked(Exception):
    """A check_only import is done: its transaction is rolled back."""


def _bad_line(response, bad: list[tuple[int, str]], line: int, reason: str) -> None:
    response.skipped_total += 1
    if len(bad) < MAX_SKIPPED_LISTED:
        bad.append((line, reason))
        response.skipped.add(line_number=line, reason=reason)


def _lines(messages: Iterable[enrollment_pb2.ImportEnrollmentRequest], options: dict) -> Iterator[str]:
    """The file's lines (with their line ends) from the streamed chunks."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    for message in messages:
        if options["skip_bad"] is None:
            options["skip_bad"], options["check_only"] = message.skip_bad, message.check_only
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
