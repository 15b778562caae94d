"""Password checks in tests: the test profile hashes in microseconds, the production
one in tens of milliseconds; some properties (parallel guesses) need the latter's
duration to show."""

from __future__ import annotations

import time


def slow_hash(monkeypatch, seconds: float = 0.05) -> list:
    """Password checks that take as long as the production hash's (which the test
    profile's do not), so that parallel checks overlap; returns the list of checks made."""
    from services.identity.passwords import PasswordHasher

    made = []
    original = PasswordHasher.verify

    def verify(self, stored_hash, password):
        made.append(password)
        time.sleep(seconds)
        return original(self, stored_hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", verify)
    return made
