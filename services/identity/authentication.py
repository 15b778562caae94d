"""The decision on one legacy call, as the contract orders its checks.

hospital known (E1007) → digest (E1005) → message header: sendtime within the allowed
difference (E1009), msgid new, or the header present where the hospital requires it
(E1008) → hospital not disabled (E1007) → user exists (E1001) → client IP allowed
(E1003) → not locked (E1002) → password (E1001, counted) → user authorised (E1006),
and not waiting to change a password an administrator reset (E1006 but for yhklxgjk)
→ permission letter (E1004). During a key overlap after a rotation the previous key
verifies too, until the overlap ends. A disabled hospital is refused only after the
digest verified, so that only the key's holder learns why. A message whose digest
fails, or that comes from a disallowed address, never reaches the password check, so
an outsider cannot lock a user out; the header is checked right after the digest, so
only the key's holder can make one, and a replayed message is refused before anything
is done.

``decide`` is a plain function over plain records. What needs the database or costs
time is given to it as functions: ``password_check`` (which, for a password not seen
before, takes one of the lock-out's attempts before verifying, so that parallel
guesses cannot exceed it; and for a user that does not exist spends the time of a real
check) and ``message_id_fresh`` (records the msgid, False when it was used). The
service applies the returned effect and writes the audit.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from legacy import digest
from runtime.clock import BEIJING

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
class MessageHeader:
    """The contract's MessageHeader as sent (both values are among the signed pairs)."""

    message_id: str
    send_time: str


@dataclass(frozen=True)
class Attempt:
    hospital_code: str
    user: str
    password: str
    client_ip: str
    operation: str
    digest_message: str
    digest: str
    message_header: MessageHeader | None = None


@dataclass(frozen=True)
class HospitalRecord:
    id: int
    code: str
    level: int
    algorithm: str
    signing_key: str
    # During a key overlap: the previous key, and when it stops verifying.
    previous_key: str | None = None
    previous_key_until: datetime | None = None
    disabled: bool = False
    message_header_required: bool = False


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
    must_change_password: bool = False


class Effect(enum.Enum):
    NONE = "none"
    COUNT_FAILURE = "count_failure"  # a wrong password: towards the lock-out
    CLEAR_FAILURES = "clear_failures"  # a right password: the failures are forgotten


class PasswordCheck(enum.Enum):
    MATCH = "match"
    MISMATCH = "mismatch"
    # Every attempt of the lock-out is taken (by other attempts in flight): the
    # password was not evaluated.
    NO_ATTEMPT_LEFT = "no_attempt_left"


# What the caller is told beside the code (the contract's texts are Chinese).
HOSPITAL_DISABLED = "医院已停用"
MUST_CHANGE_FIRST = "口令已由管理员重置, 请先修改口令 (yhklxgjk)"
SELF_SERVICE_OPERATION = "yhklxgjk"  # the one call a reset user may make
HEADER_REQUIRED = "本医院须发送报文标识 (MessageHeader)"
MESSAGE_ID_MALFORMED = "msgid 须为1至64位字母、数字、_ 或 -"
MESSAGE_ID_USED = "msgid 已使用, 重发请使用新的 msgid"
SEND_TIME_MALFORMED = "sendtime 须为 yyyy-MM-dd HH:mm:ss (北京时间)"

# soap-interface.md: msgid is 1–64 of A–Z a–z 0–9 _ -; sendtime is Beijing time.
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def check_message_header(header: MessageHeader | None, required: bool, now: datetime,
                         allowed_seconds: float) -> Decision | None:
    """The header's own checks (E1008, E1009); None when it passes or is optional and
    absent. Whether the msgid was used before is the caller's (message_id_fresh)."""
    if header is None:
        return Decision("E1008", detail="message header missing", message=HEADER_REQUIRED) if required else None
    if not _MESSAGE_ID.fullmatch(header.message_id):
        return Decision("E1008", detail="malformed msgid", message=MESSAGE_ID_MALFORMED)
    try:
        sent = datetime.strptime(header.send_time, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
    except ValueError:
        return Decision("E1009", detail="malformed sendtime", message=SEND_TIME_MALFORMED)
    difference = abs((now - sent).total_seconds())
    if difference > allowed_seconds:
        return Decision("E1009", detail=f"sendtime {header.send_time} off by {difference:.0f} s",
                        message=f"报文时间与中心时间相差{difference:.0f}秒, 允许{allowed_seconds:.0f}秒")
    return None


@dataclass(frozen=True)
class Decision:
    error_code: str  # "" when accepted
    effect: Effect = Effect.NONE
    detail: str = ""  # for the audit log
    message: str = ""  # for the caller, after the contract's text

    @property
    def accepted(self) -> bool:
        return not self.error_code


def decide(attempt: Attempt, hospital: HospitalRecord | None, user: UserRecord | None,
           now: datetime, password_check: Callable[[UserRecord | None, str], PasswordCheck], *,
           message_id_fresh: Callable[[str], bool] = lambda _message_id: True,
           header_allowed_seconds: float = 300.0) -> Decision:
    if hospital is None:
        return Decision("E1007")
    if not attempt.digest_message.startswith(attempt.operation + "\n"):
        return Decision("E1005")
    signed_with_previous = False
    if not digest.verify(hospital.signing_key, hospital.algorithm, attempt.digest_message, attempt.digest):
        in_overlap = (hospital.previous_key is not None and hospital.previous_key_until is not None
                      and now < hospital.previous_key_until)
        if not in_overlap or not digest.verify(hospital.previous_key, hospital.algorithm,
                                               attempt.digest_message, attempt.digest):
            return Decision("E1005")
        signed_with_previous = True
    header = attempt.message_header
    refusal = check_message_header(header, hospital.message_header_required, now, header_allowed_seconds)
    if refusal is not None:
        return refusal
    if header is not None and not message_id_fresh(header.message_id):
        return Decision("E1008", detail=f"msgid {header.message_id} used before", message=MESSAGE_ID_USED)
    if hospital.disabled:
        return Decision("E1007", detail="hospital disabled", message=HOSPITAL_DISABLED)
    if user is None:
        password_check(None, attempt.password)  # as long as a wrong password takes
        return Decision("E1001", detail="unknown user")
    if not is_allowed(user.allowed_ips, attempt.client_ip):
        return Decision("E1003")
    if user.locked_until is not None and user.locked_until > now:
        return Decision("E1002")
    checked = password_check(user, attempt.password)
    if checked is PasswordCheck.NO_ATTEMPT_LEFT:
        return Decision("E1002", detail="every attempt of the lock-out taken")
    if checked is PasswordCheck.MISMATCH:
        return Decision("E1001", Effect.COUNT_FAILURE, detail="wrong password")
    clear = Effect.CLEAR_FAILURES if user.failed_attempts or user.locked_until else Effect.NONE
    if user.state != "active":
        return Decision("E1006", clear, detail=user.state)
    if user.must_change_password and attempt.operation != SELF_SERVICE_OPERATION:
        return Decision("E1006", clear, detail="must change the password first", message=MUST_CHANGE_FIRST)
    letters = required_letters(attempt.operation)
    if letters is None:
        return Decision("E1004", clear, detail="unknown operation")
    if letters and not any(letter in user.permissions for letter in letters):
        return Decision("E1004", clear, detail=f"needs {' or '.join(letters)}")
    return Decision("", clear, detail="signed with the previous key" if signed_with_previous else "")
