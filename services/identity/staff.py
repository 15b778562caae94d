"""The NCMS centre's staff: who they are, what their roles allow, how they sign in.

Plain functions on plain records (the servicer in api/staff.py loads and stores):

- ``decide`` orders a console sign-in's checks like a legacy call's: the account
  exists → not locked → password (counted towards the lock-out) → second factor when
  enrolled (a wrong code counted too) → not disabled. A locked account is refused
  before its password is tried, so a locked person cannot be confirmed by guessing;
  a disabled one is told so only after the right password.
- TOTP as RFC 6238 says (HMAC-SHA1, six digits, 30-second steps), accepting the step
  before and after for a clock that drifts, and never a step used already.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import re
import secrets
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

ADMINISTRATOR = "administrator"
CATALOG_CLERK = "catalog-clerk"
FUND_OFFICER = "fund-officer"
AUDITOR = "auditor"
ROLES = (ADMINISTRATOR, CATALOG_CLERK, FUND_OFFICER, AUDITOR)

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
DISPLAY_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,50}$")

TOTP_DIGITS = 6
TOTP_STEP = 30
TOTP_ISSUER = "NCMS"


class BadStaff(ValueError):
    """A name, display name or role list that cannot be stored; the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def parse_roles(roles: Iterable[str]) -> list[str]:
    """The roles in their fixed order; at least one, each known."""
    wanted = {r.strip() for r in roles if r.strip()}
    unknown = sorted(wanted - set(ROLES))
    if unknown:
        raise BadStaff("roles", f"unknown role {', '.join(unknown)}; roles are {', '.join(ROLES)}")
    if not wanted:
        raise BadStaff("roles", f"at least one of {', '.join(ROLES)}")
    return [r for r in ROLES if r in wanted]


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise BadStaff("name", "a login name: lower-case letters, digits, '.', '_' or '-' (at most 64)")
    return name


def check_display_name(text: str) -> str:
    text = " ".join(text.split())
    if not DISPLAY_NAME.match(text):
        raise BadStaff("display_name", "1-50 characters")
    return text


# --- TOTP (RFC 6238) ---------------------------------------------------------------------

def new_totp_secret() -> str:
    """160 random bits in base32, as authenticator apps take them."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    padded = secret.upper() + "=" * (-len(secret) % 8)
    return base64.b32decode(padded)


def totp_code(secret: str, step: int) -> str:
    digest = hmac.new(_key(secret), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10 ** TOTP_DIGITS).zfill(TOTP_DIGITS)


def totp_step(now: datetime) -> int:
    return int(now.timestamp()) // TOTP_STEP


def totp_match(secret: str, code: str, now: datetime, last_step: int = 0, window: int = 1) -> int | None:
    """The time step ``code`` belongs to (within ``window`` steps of now, after
    ``last_step``), or None."""
    code = "".join(code.split())
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    current = totp_step(now)
    for step in range(current - window, current + window + 1):
        if step > last_step and hmac.compare_digest(totp_code(secret, step), code):
            return step
    return None


# --- signing in ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Account:
    id: int
    name: str
    password_hash: str
    failed_attempts: int
    locked_until: datetime | None
    disabled: bool
    totp_secret: str | None  # decrypted, when enrolled
    totp_last_step: int


class Outcome(enum.Enum):
    ACCEPTED = "accepted"
    BAD_CREDENTIALS = "BAD_CREDENTIALS"  # unknown name, or wrong password (counted)
    LOCKED = "LOCKED"
    TOTP_REQUIRED = "TOTP_REQUIRED"  # the password was right; the code is missing
    BAD_TOTP = "BAD_TOTP"  # counted
    DISABLED = "DISABLED"


@dataclass(frozen=True)
class SignInDecision:
    outcome: Outcome
    count_failure: bool = False
    clear_failures: bool = False
    totp_step: int | None = None  # the step to remember when a code was accepted

    @property
    def accepted(self) -> bool:
        return self.outcome is Outcome.ACCEPTED


def decide(account: Account | None, password: str, totp: str, now: datetime,
           password_ok: Callable[[Account, str], bool | None]) -> SignInDecision:
    """``password_ok`` answers None when no attempt of the lock-out is left (the
    password was not verified): locked."""
    if account is None:
        return SignInDecision(Outcome.BAD_CREDENTIALS)
    if account.locked_until is not None and account.locked_until > now:
        return SignInDecision(Outcome.LOCKED)
    checked = password_ok(account, password)
    if checked is None:
        return SignInDecision(Outcome.LOCKED)
    if not checked:
        return SignInDecision(Outcome.BAD_CREDENTIALS, count_failure=True)
    step = None
    if account.totp_secret:
        if not totp.strip():
            return SignInDecision(Outcome.TOTP_REQUIRED)
        step = totp_match(account.totp_secret, totp, now, account.totp_last_step)
        if step is None:
            return SignInDecision(Outcome.BAD_TOTP, count_failure=True)
    clear = bool(account.failed_attempts or account.locked_until)
    if account.disabled:
        return SignInDecision(Outcome.DISABLED, clear_failures=clear)
    return SignInDecision(Outcome.ACCEPTED, clear_failures=clear, totp_step=step)
