"""The decision on one legacy call, as the contract orders its checks.

hospital known (E1007) → digest (E1005) → user exists (E1001) → client IP allowed
(E1003) → not locked (E1002) → password (E1001, counted) → user authorised (E1006) →
permission letter (E1004). A message whose digest fails, or that comes from a
disallowed address, never reaches the password check, so an outsider cannot lock a
user out.

``decide`` is a plain function over plain records; the service loads the records,
applies the returned effect (count a failure, clear the count) and writes the audit.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from legacy import digest

from .network import is_allowed

# The permission letter of each operation (soap-interface.md). yhklxgjk needs none:
# every authorised user may change its own password. zysjcxjk, provided by a
# hospital's own service, has no letter in the contract: there every authorised user
# (the NCMS's accounts at that hospital) may query an in-patient.
OPERATION_LETTERS: dict[str, str] = {
    "Yhzjjk": "A",
    "Yhscjk": "B",
    "ypmljk": "C",
    "zlmljk": "D",
    "chryxxjk": "E",
    "mzjsjk": "F",
    "mzjstfjk": "G",
    "zydjjk": "H",
    "zyjsjk": "I",
    "zyjsjgcx": "I",
    "zyjstfjk": "J",
    "yhklxgjk": "",
    "zysjcxjk": "",
    # dzjk needs F or I (datasets.md); see required_letters.
    "dzjk": "FI",
}


def required_letters(operation: str) -> str | None:
    """Letters of which the caller needs at least one ("" for none); None: unknown."""
    return OPERATION_LETTERS.get(operation)


@dataclass(frozen=True)
class Attempt:
    hospital_code: str
    user: str
    password: str
    client_ip: str
    operation: str
    digest_message: str
    digest: str


@dataclass(frozen=True)
class HospitalRecord:
    id: int
    code: str
    level: int
    algorithm: str
    signing_key: str


@dataclass(frozen=True)
class UserRecord:
    id: int
    name: str
    state: str
    password_hash: str
    permissions: str
    allowed_ips: str
    failed_attempts: int
    locked_until: datetime | None
    credential_version: int


class Effect(enum.Enum):
    NONE = "none"
    COUNT_FAILURE = "count_failure"  # a wrong password: towards the lock-out
    CLEAR_FAILURES = "clear_failures"  # accepted after earlier failures


@dataclass(frozen=True)
class Decision:
    error_code: str  # "" when accepted
    effect: Effect = Effect.NONE
    detail: str = ""

    @property
    def accepted(self) -> bool:
        return not self.error_code


def decide(attempt: Attempt, hospital: HospitalRecord | None, user: UserRecord | None,
           now: datetime, password_ok: Callable[[UserRecord, str], bool]) -> Decision:
    if hospital is None:
        return Decision("E1007")
    if not attempt.digest_message.startswith(attempt.operation + "\n") or not digest.verify(
            hospital.signing_key, hospital.algorithm, attempt.digest_message, attempt.digest):
        return Decision("E1005")
    if user is None:
        return Decision("E1001", detail="unknown user")
    if not is_allowed(user.allowed_ips, attempt.client_ip):
        return Decision("E1003")
    if user.locked_until is not None and user.locked_until > now:
        return Decision("E1002")
    if not password_ok(user, attempt.password):
        return Decision("E1001", Effect.COUNT_FAILURE, detail="wrong password")
    clear = Effect.CLEAR_FAILURES if user.failed_attempts or user.locked_until else Effect.NONE
    if user.state != "active":
        return Decision("E1006", clear, detail=user.state)
    letters = required_letters(attempt.operation)
    if letters is None:
        return Decision("E1004", clear, detail="unknown operation")
    if letters and not any(letter in user.permissions for letter in letters):
        return Decision("E1004", clear, detail=f"needs {' or '.join(letters)}")
    return Decision("", clear)
