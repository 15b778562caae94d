"""PolicyService: the yearly compensation policies as versioned data in settlement's
database, and the source the settlements read them from (``ImportedPolicies``).

A file is checked as a whole before anything is stored (policy.check: every problem
with its line); a version is stored with who imported it, when, and the day it takes
effect, and is never changed afterwards. The year's policy in force is its newest
version whose day has come (Beijing time). Settlements keep recording the exact
policy they used (policy_versions), so a new version never changes the explanation of
an earlier settlement.

Files left in the old policy directory (NCMS_POLICY_DIR) are imported once when the
service starts (``import_directory``): a file whose content its year never had is
stored as a new version, a bad one stops the start with every problem.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from pathlib import Path

from google.type import date_pb2
from sqlalchemy import Row

from ncms.settlement.v1 import settlement_pb2, settlement_pb2_grpc
from runtime.auth import (
    ROLE_ADMIN,
    ROLE_INTERNAL,
    STAFF_AUDITOR,
    STAFF_FUND_OFFICER,
    current_principal,
)
from runtime.clock import beijing_now
from runtime.db import Database
from runtime.errors import DomainError, FieldViolation, Status, invalid_argument, not_found
from runtime.settings import ConfigurationError
from runtime.timestamps import timestamp

from .. import calculation, repository
from ..calculation import money
from ..models import OUTPATIENT
from ..policy import (
    DEFAULT_SOURCE,
    DirectorySource,
    Found,
    Policy,
    PolicyError,
    PolicyStore,
    Problem,
    check,
    from_canonical,
)
from .shared import CATEGORY_ENUMS, KIND_ENUMS

log = logging.getLogger(__name__)

DEFAULT_SAMPLE = 200
MAX_SAMPLE = 5000
MAX_TEXT = 256 * 1024  # a policy file is a page or two
DIRECTORY = "policy directory"


def today() -> date:
    return beijing_now().date()


def version_source(row: Row) -> str:
    """How settlements name an imported version (policy_versions.source)."""
    return f"v{row.id} {row.source}"[:200]


class ImportedPolicies:
    """The store's source: the versions imported into settlement's database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._parsed: dict[int, Policy] = {}

    def find(self, year: int) -> Found | None:
        with self.db.read() as connection:
            ids = repository.policies_in_force(connection, year, today())
        if not ids:
            return None
        return Found(ids[0], lambda: self._first_usable(year, ids))

    def _first_usable(self, year: int, ids: list[int]) -> Policy | None:
        for policy_id in ids:
            policy = self._parsed.get(policy_id)
            if policy is None:
                with self.db.read() as connection:
                    row = repository.imported_policy(connection, policy_id)
                try:
                    policy = from_canonical(row.content, year=year, source=version_source(row))
                except (PolicyError, ValueError, KeyError) as exc:  # stored checked: never expected
                    log.error("stored policy v%d of %d cannot be read (%s); using the version before it",
                              policy_id, year, exc)
                    continue
                self._parsed[policy_id] = policy
            return policy
        return None


def _date(value: date | None) -> date_pb2.Date | None:
    return None if value is None else date_pb2.Date(year=value.year, month=value.month, day=value.day)


def problem_message(problem: Problem) -> settlement_pb2.PolicyProblem:
    return settlement_pb2.PolicyProblem(line=problem.line, key=problem.key, reason=problem.reason,
                                        message=problem.message, value=problem.value)


def _refused(problems: list[Problem], source: str) -> DomainError:
    first = problems[0]
    where = f"line {first.line}: " if first.line else ""
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return DomainError(
        Status.INVALID_ARGUMENT, "POLICY_INVALID", f"{source}: {where}{first}{more}; nothing was imported",
        [FieldViolation(p.key or "text", f"line {p.line}: {p.message}" if p.line else p.message)
         for p in problems])


def _text(request) -> str:
    if not request.text.strip():
        raise invalid_argument("text", "the policy file's text (YAML)")
    if len(request.text) > MAX_TEXT:
        raise invalid_argument("text", f"at most {MAX_TEXT // 1024} KiB")
    return request.text


def _year(value: int) -> int:
    if not 2003 <= value <= 2100:
        raise invalid_argument("year", "a year such as 2027")
    return value


class PolicyServicer(settlement_pb2_grpc.PolicyServiceServicer):
    def __init__(self, db: Database, store: PolicyStore) -> None:
        self.db = db
        self.store = store

    def CheckPolicy(self, request, context):
        current_principal().require_role(ROLE_ADMIN)
        policy, problems = check(_text(request), year=None, source=request.source or "policy")
        if policy is None:
            return settlement_pb2.CheckPolicyResponse(problems=[problem_message(p) for p in problems])
        return settlement_pb2.CheckPolicyResponse(content=policy.canonical_json(), digest=policy.digest)

    def ImportPolicy(self, request, context):
        principal = current_principal()
        principal.require_role(ROLE_ADMIN)
        year, text = _year(request.year), _text(request)
        source = (request.source.strip() or f"{year}.yaml")[:200]
        start = today()
        if request.HasField("effective_from"):
            try:
                start = date(request.effective_from.year, request.effective_from.month, request.effective_from.day)
            except ValueError:
                raise invalid_argument("effective_from", "a date such as 2027-01-01") from None
            if start < today():
                raise invalid_argument("effective_from", f"not before today ({today().isoformat()}): "
                                                         "settlements already made keep the policy they used")
        who = principal.subject if not request.operator.strip() else f"{request.operator.strip()[:60]} ({principal.subject})"
        row, unchanged = import_text(self.db, year, text, source, start, who, request.note.strip()[:500])
        self.store.refresh(year)
        with self.db.read() as connection:
            in_force = repository.policies_in_force(connection, year, today())[:1] == [row.id]
        return settlement_pb2.ImportPolicyResponse(policy=self._message(row, today(), in_force=in_force),
                                                   unchanged=unchanged)

    def ListPolicies(self, request, context):
        current_principal().require_role(ROLE_ADMIN, ROLE_INTERNAL, STAFF_FUND_OFFICER, STAFF_AUDITOR)
        day = today()
        with self.db.read() as connection:
            rows = repository.imported_policies(connection, request.year)
            in_force = {year: repository.policies_in_force(connection, year, day)[:1]
                        for year in {row.year for row in rows}}
        return settlement_pb2.ListPoliciesResponse(policies=[
            self._message(row, day, in_force=row.id in in_force[row.year]) for row in rows])

    def GetPolicy(self, request, context):
        current_principal().require_role(ROLE_ADMIN, ROLE_INTERNAL, STAFF_FUND_OFFICER, STAFF_AUDITOR)
        day = today()
        with self.db.read() as connection:
            if request.id:
                row = repository.imported_policy(connection, request.id)
                if row is None:
                    raise not_found(f"policy version {request.id}")
                in_force = repository.policies_in_force(connection, row.year, day)[:1] == [row.id]
                return settlement_pb2.GetPolicyResponse(policy=self._message(row, day, in_force=in_force,
                                                                             full=True))
            year = _year(request.year)
            ids = repository.policies_in_force(connection, year, day)
            row = repository.imported_policy(connection, ids[0]) if ids else None
        if row is not None:
            return settlement_pb2.GetPolicyResponse(policy=self._message(row, day, in_force=True, full=True))
        if not self.store.default_fallback:
            raise not_found(f"a policy of {year} (none imported, and the default policy is turned off)")
        default = self.store.default
        return settlement_pb2.GetPolicyResponse(policy=settlement_pb2.PolicyVersion(
            year=year, digest=default.digest, source=DEFAULT_SOURCE, in_force=True, default_policy=True,
            content=default.canonical_json(), text=_default_text()))

    def TryPolicy(self, request, context):
        current_principal().require_role(ROLE_ADMIN)
        year, text = _year(request.year), _text(request)
        size = request.sample_size or DEFAULT_SAMPLE
        if not 1 <= size <= MAX_SAMPLE:
            raise invalid_argument("sample_size", f"1 to {MAX_SAMPLE}")
        candidate, problems = check(text, year=year, source=request.source or "policy")
        if candidate is None:
            return settlement_pb2.TryPolicyResponse(problems=[problem_message(p) for p in problems])
        current = self.store.for_year(year)
        with self.db.read() as connection:
            records = repository.recent_settlements(connection, year, size)
        response = settlement_pb2.TryPolicyResponse(candidate_digest=candidate.digest,
                                                    current_digest=current.digest if current else "")
        sums = {"recorded": Decimal(0), "current": Decimal(0), "candidate": Decimal(0)}
        for record in records:
            row = record.settlement
            priced = {"recorded": row.compensation,
                      "current": price_again(record, current) if current else None,
                      "candidate": price_again(record, candidate)}
            for name, amount in priced.items():
                sums[name] += amount or 0
            response.trials.add(
                settlement_number=row.settlement_number, kind=KIND_ENUMS[row.kind], hospital_code=row.hospital_code,
                hospital_level=row.hospital_level, category=CATEGORY_ENUMS[row.category], total=money(row.total),
                **{name: "" if amount is None else money(amount) for name, amount in priced.items()})
        response.recorded_total, response.candidate_total = money(sums["recorded"]), money(sums["candidate"])
        response.current_total = money(sums["current"]) if current else ""
        return response

    @staticmethod
    def _message(row: Row, day: date, *, in_force: bool | None = None,
                 full: bool = False) -> settlement_pb2.PolicyVersion:
        message = settlement_pb2.PolicyVersion(
            id=row.id, year=row.year, effective_from=_date(row.effective_from), digest=row.digest,
            source=row.source, imported_by=row.imported_by, import_time=timestamp(row.imported_at), note=row.note,
            in_force=bool(in_force))
        if full:
            message.content, message.text = row.content, row.text
        return message


def _default_text() -> str:
    from ..policy import DEFAULT_FILE

    return DEFAULT_FILE.read_text(encoding="utf-8")


def price_again(record: repository.SettlementRecord, policy: Policy) -> Decimal:
    """A recorded settlement's bcje under ``policy``: the same lines with the catalog
    facts they were settled with, the same member total before it."""
    row = record.settlement
    lines = [calculation.Line(line.line_number, line.price, line.quantity, line.amount, line.charge_class,
                              line.self_pay_ratio if line.charge_class == calculation.CLASS_B else None,
                              line.price_limit, bool(line.ncms_code))
             for line in record.lines]
    if row.kind == OUTPATIENT:
        result = calculation.outpatient(lines, level=row.hospital_level, policy=policy,
                                        year_total=row.year_total_before)
    else:
        result = calculation.inpatient(lines, level=row.hospital_level, category=row.category,
                                       referral=row.referral, diagnosis=row.diagnosis, policy=policy,
                                       year_total=row.year_total_before)
    return result.compensation


def import_text(db: Database, year: int, text: str, source: str, start: date, who: str,
                note: str = "") -> tuple[Row, bool]:
    """Check and store a version (or find it already in force from that day)."""
    policy, problems = check(text, year=year, source=source)
    if policy is None:
        raise _refused(problems, source)
    with db.write() as connection:
        repository.lock_policies(connection)
        ids = repository.policies_in_force(connection, year, start)
        if ids:
            current = repository.imported_policy(connection, ids[0])
            if current.digest == policy.digest:
                return current, True
        row = repository.add_imported_policy(connection, {
            "year": year, "effective_from": start, "digest": policy.digest, "source": source, "text": text,
            "content": policy.canonical_json(), "note": note, "imported_by": who})
    log.info("policy of %d imported as v%d (%s, digest %s) by %s, in force from %s",
             year, row.id, source, policy.digest, who, start.isoformat())
    return row, False


def import_directory(db: Database, directory: Path) -> None:
    """Import, once, the files of the old policy directory whose content their year
    never had; a bad file stops the start with every problem."""
    files = DirectorySource(directory).files()
    if not files:
        return
    bad: list[str] = []
    for year, path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            bad.append(f"{path}: cannot read ({exc})")
            continue
        policy, problems = check(text, year=year, source=path.name)
        if policy is None:
            bad.append(str(PolicyError(problems, prefix=f"{path}: ")))
            continue
        with db.read() as connection:
            known = {row.digest for row in repository.imported_policies(connection, year)}
        if policy.digest in known:
            continue
        try:
            import_text(db, year, text, path.name, today(), DIRECTORY, f"imported from {path} at start")
        except DomainError as exc:  # checked above; only a race could bring this
            bad.append(f"{path}: {exc.message}")
    if bad:
        raise ConfigurationError(
            "policy files that cannot be imported (fix them, check them with `ncms policy check FILE`, "
            "or move them out of the policy directory): " + " | ".join(bad))
