"""Principals and the signed tokens that carry them between services.

After identity has decided a legacy call (or accepted a service client's
credentials), it issues a short-lived token: a JWT signed with Ed25519 (EdDSA).
Every service verifies tokens locally with identity's public keys, fetched once and
cached, so that each service enforces hospital isolation and permission letters
itself without calling identity per request. Only identity holds the private key:
a compromised catalog or settlement service cannot mint tokens.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import ContractError, permission_denied, unauthenticated

ISSUER = "ncms-identity"
AUDIENCE = "ncms"
ALGORITHM = "EdDSA"

ROLE_ADMIN = "admin"  # the NCMS centre's administrators (the ncms command)
ROLE_GATEWAY = "gateway"  # the SOAP gateway: may call Authenticate
ROLE_INTERNAL = "internal"  # internal systems and service-to-service calls
ROLES = frozenset({ROLE_ADMIN, ROLE_GATEWAY, ROLE_INTERNAL})  # roles a service client may be given
ROLE_CONSOLE = "console"  # the web console: signs the centre's staff in (built-in client only)

# The NCMS centre's staff, who sign in to the web console as themselves. Their tokens
# carry these roles (never a client role), act for the centre (no hospital), and every
# service checks them itself: the console's pages are not the only gate.
STAFF_ADMINISTRATOR = "administrator"  # hospitals, hospital users, service clients, staff accounts
STAFF_CATALOG_CLERK = "catalog-clerk"  # mapping hospital items to the NCMS catalog
STAFF_FUND_OFFICER = "fund-officer"  # settlements, refunds, members' years, policies
STAFF_AUDITOR = "auditor"  # reads reconciliation, supervision, reports and the audit log; changes nothing
STAFF_ROLES = (STAFF_ADMINISTRATOR, STAFF_CATALOG_CLERK, STAFF_FUND_OFFICER, STAFF_AUDITOR)
STAFF_PREFIX = "staff:"
# Roles a verified token may carry.
TOKEN_ROLES = ROLES | {ROLE_CONSOLE} | frozenset(STAFF_ROLES)

PERMISSION_LETTERS = "ABCDEFGHIJ"

# The built-in service clients, made by identity at start from their configured secrets.
ADMIN_CLIENT = "ncms-admin"  # the ncms command
GATEWAY_CLIENT = "ncms-gateway"  # the SOAP services (the gateway, a hospital's own service)
SETTLEMENT_CLIENT = "ncms-settlement"  # settlement, following the catalog's and enrolment's feeds
CONSOLE_CLIENT = "ncms-console"  # the web console (signs staff in; then calls as each person)


@dataclass(frozen=True)
class Principal:
    """Who a call speaks for."""

    subject: str
    hospital_code: str = ""  # empty: not bound to one hospital
    hospital_level: int = 0
    user: str = ""
    permissions: frozenset[str] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)
    expires_at: float = 0.0
    call_id: str = ""

    @property
    def is_hospital_user(self) -> bool:
        return bool(self.user)

    @property
    def is_staff(self) -> bool:
        """A member of the centre's staff, signed in to the console as themselves."""
        return self.subject.startswith(STAFF_PREFIX) and not self.hospital_code

    def has_role(self, *roles: str) -> bool:
        return not self.roles.isdisjoint(roles)

    def require_role(self, *roles: str) -> None:
        if not self.has_role(*roles):
            raise permission_denied(f"{self.subject} lacks the role {' or '.join(roles)}")

    def require_letter(self, letters: str) -> None:
        """The contract's permission check: E1004 without the letter (or without any
        of ``letters``, e.g. "FI" for dzjk).

        An unbound admin or internal client acts for the NCMS centre and passes.
        """
        if any(letter in self.permissions for letter in letters) or (
                not self.hospital_code and self.has_role(ROLE_ADMIN, ROLE_INTERNAL)):
            return
        raise ContractError("E1004", f"需要权限 {' 或 '.join(letters)}")

    def hospital_for(self, requested: str = "") -> str:
        """The hospital a call acts on: the principal's own, never another one (E1007).

        A principal bound to a hospital may only name its own (or none); an unbound
        admin or internal client, or a member of the centre's staff, must name one.
        """
        if self.hospital_code:
            if requested and requested != self.hospital_code:
                raise ContractError("E1007", "不能访问其他医院的数据")
            return self.hospital_code
        if not self.has_role(ROLE_ADMIN, ROLE_INTERNAL, *STAFF_ROLES):
            raise permission_denied(f"{self.subject} is not bound to a hospital")
        if not requested:
            raise ContractError("E1007", "未指定医院代码")
        return requested


def letters(text: Iterable[str]) -> frozenset[str]:
    return frozenset(c for c in text if c in PERMISSION_LETTERS)


def format_letters(held: Iterable[str]) -> str:
    return "".join(sorted(set(held)))


# --- the principal of the current request --------------------------------------------

_current: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("principal", default=None)
_current_token: contextvars.ContextVar[str] = contextvars.ContextVar("token", default="")


def current_principal() -> Principal:
    principal = _current.get()
    if principal is None:
        raise unauthenticated("this call needs a token")
    return principal


def current_token() -> str:
    """The caller's token, to pass on when this service calls another one for it."""
    return _current_token.get()


def set_current_principal(principal: Principal | None, token: str = "") -> tuple:
    return _current.set(principal), _current_token.set(token)


# --- keys -----------------------------------------------------------------------------

def signing_key_from_secret(secret: str) -> Ed25519PrivateKey:
    """The Ed25519 key derived from the NCMS_TOKEN_KEY secret (any high-entropy text)."""
    seed = hashlib.sha256(b"ncms-token-key:" + secret.encode("utf-8")).digest()
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(public_key_bytes(key)).digest()[:9]).decode()


# --- signing (identity only) -----------------------------------------------------------

class TokenSigner:
    def __init__(self, private_key: Ed25519PrivateKey, ttl_seconds: int,
                 clock: Callable[[], float] = time.time) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)
        self.ttl_seconds = ttl_seconds
        self._clock = clock

    def issue(self, principal: Principal) -> tuple[str, float]:
        now = int(self._clock())
        expires = now + self.ttl_seconds
        claims = {
            "iss": ISSUER, "aud": AUDIENCE, "sub": principal.subject,
            "iat": now, "exp": expires,
            "hsp": principal.hospital_code, "lvl": principal.hospital_level,
            "usr": principal.user, "perm": format_letters(principal.permissions),
            "roles": sorted(principal.roles),
        }
        if principal.call_id:
            claims["cid"] = principal.call_id
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self.key_id})
        return token, float(expires)


# --- verification (every service) --------------------------------------------------------

KeySource = Callable[[], dict[str, Ed25519PublicKey]]


class TokenVerifier:
    """Verifies tokens with identity's public keys; caches keys and verified tokens.

    ``key_source`` returns the current keys by key id; it is asked again (at most
    every ``refresh_interval`` seconds) when a token names a key id not yet known.
    """

    def __init__(self, key_source: KeySource, *, clock: Callable[[], float] = time.time,
                 refresh_interval: float = 5.0, cache_size: int = 4096, leeway: int = 5) -> None:
        self._key_source = key_source
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._last_refresh = float("-inf")
        self._clock = clock
        self._refresh_interval = refresh_interval
        self._leeway = leeway
        self._cache: OrderedDict[str, Principal] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._refreshing = threading.Lock()

    def verify(self, token: str) -> Principal:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(token)
            if cached is not None:
                if cached.expires_at + self._leeway > now:
                    self._cache.move_to_end(token)
                    return cached
                del self._cache[token]
        principal = self._decode(token, now)
        with self._lock:
            self._cache[token] = principal
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return principal

    def _key(self, kid: str) -> Ed25519PublicKey:
        key = self._keys.get(kid)
        if key is not None:
            return key
        # One thread asks identity; the others wait for its answer instead of failing.
        with self._refreshing:
            key = self._keys.get(kid)
            if key is not None:
                return key
            if self._clock() - self._last_refresh < self._refresh_interval:
                raise unauthenticated("token signed with an unknown key")
            self._last_refresh = self._clock()
            keys = dict(self._key_source())
            with self._lock:
                self._keys = keys
        key = keys.get(kid)
        if key is None:
            raise unauthenticated("token signed with an unknown key")
        return key

    def _decode(self, token: str, now: float) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != ALGORITHM:
                raise unauthenticated("token algorithm not accepted")
            claims = jwt.decode(
                token, self._key(str(header.get("kid", ""))), algorithms=[ALGORITHM],
                audience=AUDIENCE, issuer=ISSUER, leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"], "verify_iat": False})
        except jwt.ExpiredSignatureError as exc:
            raise unauthenticated("token expired") from exc
        except jwt.PyJWTError as exc:
            raise unauthenticated("token invalid") from exc
        if claims["exp"] + self._leeway <= now:
            raise unauthenticated("token expired")
        return Principal(
            subject=str(claims["sub"]),
            hospital_code=str(claims.get("hsp", "")),
            hospital_level=int(claims.get("lvl", 0)),
            user=str(claims.get("usr", "")),
            permissions=letters(str(claims.get("perm", ""))),
            roles=frozenset(r for r in claims.get("roles", []) if r in TOKEN_ROLES),
            expires_at=float(claims["exp"]),
            call_id=str(claims.get("cid", "")),
        )


def bearer(token: str) -> tuple[tuple[str, str]]:
    """gRPC metadata carrying ``token``."""
    return (("authorization", f"Bearer {token}"),)


def require_centre_system() -> Principal:
    """The caller acts for the NCMS centre: an administrator, or an internal client not
    bound to a hospital (e.g. another service of the suite)."""
    principal = current_principal()
    if principal.hospital_code or not principal.has_role(ROLE_ADMIN, ROLE_INTERNAL):
        raise permission_denied(f"{principal.subject} does not act for the NCMS centre")
    return principal


def require_centre(*staff_roles: str) -> Principal:
    """The caller acts for the NCMS centre: an administrator client, an internal client
    not bound to a hospital, or a member of the centre's staff holding one of
    ``staff_roles`` (none given: no staff member)."""
    principal = current_principal()
    if principal.is_staff:
        if not staff_roles or not principal.has_role(*staff_roles):
            raise permission_denied(f"{principal.subject} lacks the role {' or '.join(staff_roles) or '(none)'}")
        return principal
    if principal.hospital_code or not principal.has_role(ROLE_ADMIN, ROLE_INTERNAL):
        raise permission_denied(f"{principal.subject} does not act for the NCMS centre")
    return principal
