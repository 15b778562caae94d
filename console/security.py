"""Who is asking, and that they meant to: sessions, CSRF tokens, security headers.

- **The session** is identity's: signing in returns an opaque secret, kept in the
  person's cookie (HttpOnly; SameSite=Lax; Secure and named ``__Host-…`` behind TLS).
  The console keeps no session of its own, only, per process, the person's current
  token, renewed from identity (``RefreshSession``) at most a minute after the last
  renewal and well before it expires: a session ended by sign-out, idleness, a
  password reset, a lock-out or disabling stops working within that minute.
- **Every form** carries a CSRF token: an HMAC of the session secret under the
  console's own key (NCMS_CONSOLE_SECRET_KEY); before sign-in, of a random
  pre-session cookie. A POST without the right token is refused, and so is one whose
  Origin names another site.
- **Every answer** sends a strict Content-Security-Policy (scripts and styles from the
  console only; no inline script, style or event handler; no frames), and pages with
  personal data are never cached.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from flask import Request, Response

SESSION_COOKIE = "ncms_console"
PRESESSION_COOKIE = "ncms_console_pre"
LANGUAGE_COOKIE = "ncms_console_lang"
CSRF_FIELD = "csrf_token"
RENEW_AFTER = 60.0  # seconds since the last renewal
RENEW_SHARE = 0.5  # of the token's life left

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def cookie_name(base: str, secure: bool) -> str:
    """``__Host-`` cookies must be Secure, for the whole host, from that host only."""
    return f"__Host-{base}" if secure else base


class Csrf:
    def __init__(self, key: str) -> None:
        self._key = hashlib.sha256(b"ncms-console-csrf:" + key.encode("utf-8")).digest()

    def token(self, bound_to: str) -> str:
        return hmac.new(self._key, bound_to.encode("utf-8"), hashlib.sha256).hexdigest()

    def valid(self, bound_to: str, token: str) -> bool:
        return bool(bound_to) and bool(token) and hmac.compare_digest(self.token(bound_to), token)


def new_presession() -> str:
    return secrets.token_urlsafe(24)


@dataclass
class Person:
    """Who signed in, as identity last said."""

    name: str
    display_name: str
    roles: frozenset[str]
    must_change_password: bool
    totp_enabled: bool
    token: str
    expires_at: float
    renewed_at: float = field(default_factory=time.monotonic)

    def due(self) -> bool:
        now = time.time()
        life_left = self.expires_at - now
        return time.monotonic() - self.renewed_at > RENEW_AFTER or life_left < 60 or life_left <= 0

    def has(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)


class People:
    """Per process: the person behind each live session secret (by its hash)."""

    def __init__(self, size: int = 2000) -> None:
        self._people: OrderedDict[str, Person] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    @staticmethod
    def key(session: str) -> str:
        return hashlib.sha256(session.encode("utf-8")).hexdigest()

    def get(self, session: str) -> Person | None:
        with self._lock:
            person = self._people.get(self.key(session))
            if person is not None:
                self._people.move_to_end(self.key(session))
            return person

    def put(self, session: str, person: Person) -> None:
        with self._lock:
            self._people[self.key(session)] = person
            self._people.move_to_end(self.key(session))
            while len(self._people) > self._size:
                self._people.popitem(last=False)

    def forget(self, session: str) -> None:
        with self._lock:
            self._people.pop(self.key(session), None)


def client_ip(request: Request, trusted_proxies: str) -> str:
    """The person's address: the nearest one that is not a trusted proxy."""
    remote = request.remote_addr or ""
    networks = []
    for entry in (e.strip() for e in trusted_proxies.split(",")):
        if entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                continue
    if not networks:
        return remote

    def trusted(address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in networks)

    if not trusted(remote):
        return remote
    chain = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",") if a.strip()]
    for address in reversed(chain):
        if not trusted(address):
            return address
    return remote


def secure_headers(response: Response, *, secure: bool) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
    if secure:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    if not response.mimetype.startswith(("text/css", "application/javascript", "text/javascript", "font/")):
        headers["Cache-Control"] = "no-store"
    return response
