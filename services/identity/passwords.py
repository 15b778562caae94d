"""Passwords: the contract's strength rules, slow salted hashing, and a safe cache.

Hashes are argon2id. Verifying one costs tens of milliseconds by design, which is
too slow for every hospital call; ``CredentialCache`` remembers, per user and per
stored hash, an HMAC of the password that last verified (under a random key that
lives only in this process's memory). A cached check is a constant-time comparison.
Any change to the stored hash (a new password) makes old entries unreachable, and
the user's state, lock-out and letters are read fresh on every call, so nothing
that must take effect at once waits for the cache.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable

import argon2

from runtime.errors import ContractError

MIN_LENGTH = 8
MIN_CLASSES = 3

# argon2id parameters. "strong": RFC 9106's second recommended option (t=3, 64 MiB).
# "fast": for tests and demos only (refused in production by the settings).
_PROFILES = {
    "strong": {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 4},
    "fast": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
}


def character_classes(password: str) -> int:
    upper = any(c.isupper() for c in password)
    lower = any(c.islower() for c in password)
    digit = any(c.isdigit() for c in password)
    other = any(not (c.isupper() or c.islower() or c.isdigit()) for c in password)
    return upper + lower + digit + other


def check_strength(user_name: str, new_password: str, old_password: str | None = None) -> None:
    """The contract's rules for a new password; E1102 or E1101 with the reason."""
    if old_password is not None and new_password == old_password:
        raise ContractError("E1102")
    if len(new_password) < MIN_LENGTH:
        raise ContractError("E1101", f"口令至少{MIN_LENGTH}位")
    if character_classes(new_password) < MIN_CLASSES:
        raise ContractError("E1101", "口令须包含大写字母、小写字母、数字、其他字符中的至少三类")
    if user_name and user_name.casefold() in new_password.casefold():
        raise ContractError("E1101", "口令不能包含用户名")


class PasswordHasher:
    def __init__(self, profile: str = "strong") -> None:
        self._hasher = argon2.PasswordHasher(type=argon2.Type.ID, **_PROFILES[profile])
        # A hash of a random password with the same parameters: verifying against it
        # costs what a real check costs (see verify_nothing).
        self._dummy = self._hasher.hash(secrets.token_urlsafe(24))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (argon2.exceptions.VerifyMismatchError, argon2.exceptions.InvalidHashError):
            return False
        except argon2.exceptions.VerificationError:
            return False

    def verify_nothing(self, password: str) -> None:
        """Spend the time of a real check (for a user that does not exist), so that the
        answer's timing does not tell which user names exist."""
        self.verify(self._dummy, password)

    def matches_any(self, hashes: Iterable[str], password: str) -> bool:
        return any(self.verify(h, password) for h in hashes)


class CredentialCache:
    """Remembers passwords that verified, as keyed fingerprints; bounded (LRU)."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._key = secrets.token_bytes(32)
        self._entries: OrderedDict[tuple[int, str], bytes] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def _fingerprint(self, password: str) -> bytes:
        return hmac.new(self._key, password.encode("utf-8"), hashlib.sha256).digest()

    def matches(self, user_id: int, stored_hash: str, password: str) -> bool:
        with self._lock:
            expected = self._entries.get((user_id, stored_hash))
            if expected is not None:
                self._entries.move_to_end((user_id, stored_hash))
        if expected is None:
            return False
        return hmac.compare_digest(expected, self._fingerprint(password))

    def remember(self, user_id: int, stored_hash: str, password: str) -> None:
        fingerprint = self._fingerprint(password)
        with self._lock:
            self._entries[(user_id, stored_hash)] = fingerprint
            self._entries.move_to_end((user_id, stored_hash))
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def forget_user(self, user_id: int) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[0] == user_id]:
                del self._entries[key]


class PasswordChecker:
    """Verifies a password against a stored hash, through the cache when it can."""

    def __init__(self, hasher: PasswordHasher, cache: CredentialCache) -> None:
        self.hasher = hasher
        self.cache = cache

    def known_good(self, user_id: int, stored_hash: str, password: str) -> bool:
        """True when this password verified against this hash before (cheap); False
        says nothing: the password may be wrong or not yet seen."""
        return self.cache.matches(user_id, stored_hash, password)

    def check(self, user_id: int, stored_hash: str, password: str) -> bool:
        if self.cache.matches(user_id, stored_hash, password):
            return True
        if self.hasher.verify(stored_hash, password):
            self.cache.remember(user_id, stored_hash, password)
            return True
        return False
