"""Authentication rows kept in memory, dropped the moment identity data changes.

Every legacy call needs its hospital and user; reading them from the database on
every call would double the cost of authentication. The cache is correct only
because it is cleared, as a whole, by every transaction that changes a hospital or
a user (a password change, a deletion, a lock-out, an approval, a key rotation):

- in this process, right after such a transaction commits;
- in other replicas sharing a PostgreSQL database, by a NOTIFY sent inside that
  transaction (delivered when it commits) to a listener in every replica. While a
  replica's listener is not connected, its cache is switched off.

A read that started before a clear never refills the cache with what it read (the
generation check), and entries expire after ``ttl_seconds`` whatever happens.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

CHANNEL = "ncms_identity_changed"


class AuthenticationCache:
    def __init__(self, *, ttl_seconds: float = 60.0, max_entries: int = 100_000,
                 enabled: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: dict[Hashable, tuple[object, float]] = {}
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._generation = 0
        self._enabled = enabled

    @property
    def generation(self) -> int:
        return self._generation

    def get(self, key: Hashable) -> object | None:
        entry = self._entries.get(key)
        if entry is None or not self._enabled:
            return None
        value, expires = entry
        if self._clock() >= expires:
            return None
        return value

    def put(self, key: Hashable, value: object, generation: int) -> None:
        """Remember ``value`` if nothing changed since ``generation`` was read."""
        with self._lock:
            if not self._enabled or generation != self._generation:
                return
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[key] = (value, self._clock() + self._ttl)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._entries = {}

    def set_enabled(self, enabled: bool) -> None:
        with self._lock:
            self._generation += 1
            self._entries = {}
            self._enabled = enabled


def notify_change(connection: Connection) -> None:
    """Tell other replicas (PostgreSQL only) to clear their caches when this commits."""
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"NOTIFY {CHANNEL}"))


class ChangeListener:
    """Clears the cache whenever another replica commits a change (PostgreSQL LISTEN)."""

    def __init__(self, engine: Engine, cache: AuthenticationCache) -> None:
        self._url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._cache = cache
        self._stopping = threading.Event()
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._run, name="identity-cache-listener", daemon=True)

    def start(self, wait_seconds: float = 5.0) -> None:
        self._cache.set_enabled(False)
        self._thread.start()
        self._connected.wait(wait_seconds)

    def _run(self) -> None:
        import psycopg

        backoff = 0.5
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._url, autocommit=True, connect_timeout=5) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self._cache.set_enabled(True)
                    self._connected.set()
                    backoff = 0.5
                    while not self._stopping.is_set():
                        for _ in connection.notifies(timeout=1.0):
                            self._cache.clear()
                            if self._stopping.is_set():
                                break
            except Exception as exc:
                if self._stopping.is_set():
                    break
                log.warning("cache listener lost its connection (%s); cache off until it is back",
                            type(exc).__name__)
            self._cache.set_enabled(False)
            self._connected.clear()
            self._stopping.wait(backoff)
            backoff = min(backoff * 2, 10.0)

    def stop(self) -> None:
        self._stopping.set()
        if self._connected.is_set():  # wake the listener now instead of at its next poll
            import psycopg

            try:
                with psycopg.connect(self._url, autocommit=True, connect_timeout=2) as connection:
                    connection.execute(f"NOTIFY {CHANNEL}")
            except Exception:
                log.debug("could not wake the cache listener; it stops at its next poll")
        self._thread.join(timeout=5)
