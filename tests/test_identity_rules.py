"""Identity's rules as plain functions: check order, passwords, addresses, keys at rest."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from legacy import digest
from runtime.errors import ContractError
from services.identity.authentication import (
    Attempt,
    Effect,
    HospitalRecord,
    MessageHeader,
    PasswordCheck,
    UserRecord,
    decide,
)
from services.identity.keys import KeyVault, MasterKeyMismatch, new_signing_key
from services.identity.network import BadAddressList, format_networks, is_allowed, parse_networks
from services.identity.passwords import CredentialCache, PasswordHasher, check_strength

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
KEY = "hospital-key"
HOSPITAL = HospitalRecord(1, "450200001", 2, digest.HMAC_SHA256, KEY)


def user(**changes) -> UserRecord:
    values = dict(id=7, name="his01", state="active", password_hash="h", permissions="EF",
                  allowed_ips="127.0.0.0/8", failed_attempts=0, locked_until=None,
                  credential_version=1)
    values.update(changes)
    return UserRecord(**values)


def attempt(operation="chryxxjk", password="right", ip="127.0.0.1", sign_with=KEY, **params):
    message = digest.canonical_message(operation, {"yydm": "450200001", "yh": "his01",
                                                   "kl": password, **params})
    return Attempt("450200001", "his01", password, ip, operation, message,
                   digest.compute(sign_with, digest.HMAC_SHA256, message))


def password_ok(_user, password):
    return PasswordCheck.MATCH if password == "right" else PasswordCheck.MISMATCH


def refuse(a, u=user(), hospital=HOSPITAL):
    return decide(a, hospital, u, NOW, password_ok)


def test_accepts_a_correct_call():
    assert refuse(attempt()).accepted


def test_each_check_in_contract_order():
    assert refuse(attempt(), hospital=None).error_code == "E1007"
    assert refuse(attempt(sign_with="other")).error_code == "E1005"
    assert decide(attempt(), HOSPITAL, None, NOW, password_ok).error_code == "E1001"
    assert refuse(attempt(ip="10.1.1.1")).error_code == "E1003"
    assert refuse(attempt(), user(locked_until=NOW + timedelta(minutes=1))).error_code == "E1002"
    assert refuse(attempt(password="wrong")).error_code == "E1001"
    assert refuse(attempt(), user(state="pending")).error_code == "E1006"
    assert refuse(attempt(), user(state="deleted")).error_code == "E1006"
    assert refuse(attempt("ypmljk")).error_code == "E1004"


def test_outsiders_never_reach_the_password_counter():
    # A bad digest or a disallowed address with a wrong password: refused before counting.
    assert refuse(attempt(password="wrong", sign_with="x")).effect is Effect.NONE
    assert refuse(attempt(password="wrong", ip="10.0.0.1")).effect is Effect.NONE
    assert refuse(attempt(password="wrong"), user(locked_until=NOW + timedelta(seconds=1))).effect is Effect.NONE
    assert refuse(attempt(password="wrong")).effect is Effect.COUNT_FAILURE


def test_a_lock_that_has_expired_no_longer_refuses():
    decision = refuse(attempt(), user(failed_attempts=5, locked_until=NOW - timedelta(seconds=1)))
    assert decision.accepted and decision.effect is Effect.CLEAR_FAILURES


def test_the_digest_message_must_name_the_operation():
    a = attempt()
    forged = Attempt(a.hospital_code, a.user, a.password, a.client_ip, "ypmljk", a.digest_message, a.digest)
    assert decide(forged, HOSPITAL, user(permissions="C"), NOW, password_ok).error_code == "E1005"


def test_no_attempt_left_is_a_lock_and_counts_nothing():
    decision = decide(attempt(password="wrong"), HOSPITAL, user(), NOW,
                      lambda _user, _password: PasswordCheck.NO_ATTEMPT_LEFT)
    assert (decision.error_code, decision.effect) == ("E1002", Effect.NONE)


def test_an_unknown_user_costs_a_password_check():
    checked = []
    decision = decide(attempt(password="guess"), HOSPITAL, None, NOW,
                      lambda u, password: checked.append((u, password)) or PasswordCheck.MISMATCH)
    assert decision.error_code == "E1001" and checked == [(None, "guess")]


BEIJING = timezone(timedelta(hours=8))


def with_header(message_id="m-0001", sent=NOW, **params):
    header = MessageHeader(message_id, sent.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"))
    a = attempt(**params, **{"MessageHeader.msgid": header.message_id, "MessageHeader.sendtime": header.send_time})
    return Attempt(a.hospital_code, a.user, a.password, a.client_ip, a.operation, a.digest_message, a.digest,
                   header)


def test_the_message_header_after_the_digest():
    used = set()

    def fresh(message_id):
        new = message_id not in used
        used.add(message_id)
        return new

    def check(a, hospital=HOSPITAL):
        return decide(a, hospital, user(), NOW, password_ok, message_id_fresh=fresh).error_code

    assert check(with_header("m-1")) == ""
    assert check(with_header("m-1")) == "E1008"  # used before
    assert check(with_header("m-2", NOW - timedelta(seconds=301))) == "E1009"
    assert check(with_header("m-3", NOW + timedelta(seconds=299))) == ""
    assert check(with_header("bad id!")) == "E1008"
    assert check(with_header("x" * 65)) == "E1008"
    required = HospitalRecord(1, "450200001", 2, digest.HMAC_SHA256, KEY, message_header_required=True)
    assert check(attempt(), required) == "E1008"
    assert check(with_header("m-4"), required) == ""
    assert check(attempt()) == ""  # optional where not required
    # a header is checked only once the digest verified: an outsider cannot use up msgids
    forged = with_header("m-5", sign_with="not-the-key")
    assert check(forged) == "E1005" and "m-5" not in used


def test_letter_rules():
    assert refuse(attempt("yhklxgjk"), user(permissions="")).accepted  # no letter needed
    assert refuse(attempt("dzjk"), user(permissions="I")).accepted  # F or I
    assert refuse(attempt("dzjk"), user(permissions="E")).error_code == "E1004"
    assert refuse(attempt("zyjsjgcx"), user(permissions="I")).accepted
    assert refuse(attempt("nosuchop")).error_code == "E1004"


@pytest.mark.parametrize("password,old,code", [
    ("Short1!", None, "E1101"),
    ("alllowercase1", None, "E1101"),
    ("NoDigitsHere", None, "E1101"),
    ("xHIS01-abc9", None, "E1101"),  # contains the user name, any case
    ("Passw0rd!", "Passw0rd!", "E1102"),
])
def test_weak_or_unchanged_passwords(password, old, code):
    with pytest.raises(ContractError) as info:
        check_strength("his01", password, old)
    assert info.value.code == code


@pytest.mark.parametrize("password", ["Passw0rd!", "abcDEF123", "口令Abc12345", "abc-123-xyz"])
def test_strong_enough_passwords(password):
    check_strength("his01", password, "Other0ne!")


def test_hashes_are_salted_and_verify():
    hasher = PasswordHasher("fast")
    first, second = hasher.hash("Passw0rd!"), hasher.hash("Passw0rd!")
    assert first != second and first.startswith("$argon2id$")
    assert hasher.verify(first, "Passw0rd!") and not hasher.verify(first, "passw0rd!")
    assert not hasher.verify("not a hash", "x")


def test_credential_cache_is_bound_to_user_and_stored_hash():
    cache = CredentialCache()
    cache.remember(1, "hash-a", "Passw0rd!")
    assert cache.matches(1, "hash-a", "Passw0rd!")
    assert not cache.matches(1, "hash-a", "other")
    assert not cache.matches(1, "hash-b", "Passw0rd!")  # password changed: a new stored hash
    assert not cache.matches(2, "hash-a", "Passw0rd!")
    cache.forget_user(1)
    assert not cache.matches(1, "hash-a", "Passw0rd!")


def test_address_lists_ipv4_ipv6_and_cidr():
    stored = format_networks(parse_networks(["192.168.1.10", "10.0.0.0/8", "2001:db8::/32", "::1"]))
    assert stored == "192.168.1.10,10.0.0.0/8,2001:db8::/32,::1"
    assert is_allowed(stored, "192.168.1.10")
    assert not is_allowed(stored, "192.168.1.11")
    assert is_allowed(stored, "10.200.3.4")
    assert is_allowed(stored, "::ffff:10.1.2.3")  # IPv4-mapped form of an allowed address
    assert is_allowed(stored, "2001:db8:1::5")
    assert not is_allowed(stored, "2001:db9::1")
    assert is_allowed(stored, "::1")
    assert not is_allowed(stored, "not-an-ip")
    assert not is_allowed("", "127.0.0.1")


@pytest.mark.parametrize("entry", ["10.0.0.1/8", "300.1.1.1", "localhost", "2001:db8::/129"])
def test_bad_address_entries_are_refused(entry):
    with pytest.raises(BadAddressList):
        parse_networks([entry])


def test_signing_keys_are_random_and_sealed_to_their_hospital():
    vault = KeyVault("m" * 40)
    key = new_signing_key()
    assert key != new_signing_key() and len(key) >= 43
    sealed = vault.encrypt(key, "450200001", 1)
    assert key.encode() not in sealed
    assert vault.decrypt(sealed, "450200001", 1) == key
    with pytest.raises(ValueError, match="damaged"):
        vault.decrypt(sealed, "450200002", 1)  # copied onto another hospital's row
    with pytest.raises(ValueError, match="damaged"):
        vault.decrypt(sealed, "450200001", 2)
    with pytest.raises(MasterKeyMismatch):
        KeyVault("n" * 40).decrypt(sealed, "450200001", 1)
    with pytest.raises(ValueError, match="at least 32"):
        KeyVault("short")
