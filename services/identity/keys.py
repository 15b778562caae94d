"""Hospital signing keys: generated with a CSPRNG, stored encrypted under the master key.

Layout of a stored key: ``b"k1" | master-key fingerprint (4 bytes) | nonce (12) |
AES-256-GCM ciphertext and tag``. The hospital code and key version are the
associated data, so a ciphertext copied onto another hospital's row does not
decrypt. The fingerprint tells an operator who started a service with the wrong
master key exactly that, instead of "decryption failed".
"""

from __future__ import annotations

import hashlib
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_FORMAT = b"k1"
MIN_MASTER_KEY_LENGTH = 32


class MasterKeyMismatch(RuntimeError):
    pass


def new_signing_key() -> str:
    """A new hospital signing key: 256 random bits as URL-safe text (easy to hand over)."""
    return secrets.token_urlsafe(32)


class KeyVault:
    def __init__(self, master_secret: str) -> None:
        if len(master_secret) < MIN_MASTER_KEY_LENGTH:
            raise ValueError(f"the master key must be at least {MIN_MASTER_KEY_LENGTH} characters")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"ncms-identity",
                   info=b"hospital-signing-keys").derive(master_secret.encode("utf-8"))
        self._aead = AESGCM(key)
        self.fingerprint = hashlib.sha256(b"fingerprint" + key).digest()[:4]

    @staticmethod
    def _associated_data(hospital_code: str, key_version: int) -> bytes:
        return f"{hospital_code}\x00{key_version}".encode()

    def encrypt(self, signing_key: str, hospital_code: str, key_version: int) -> bytes:
        return self._seal(signing_key, self._associated_data(hospital_code, key_version))

    def decrypt(self, blob: bytes, hospital_code: str, key_version: int) -> str:
        return self._open(blob, self._associated_data(hospital_code, key_version),
                          f"hospital {hospital_code}'s signing key")

    # The password the NCMS uses at a hospital's own service: bound to the hospital, and
    # to its purpose, so it cannot pass for a signing key (or the reverse).
    def encrypt_endpoint_password(self, password: str, hospital_code: str) -> bytes:
        return self._seal(password, f"{hospital_code}\x00endpoint-password".encode())

    def decrypt_endpoint_password(self, blob: bytes, hospital_code: str) -> str:
        return self._open(blob, f"{hospital_code}\x00endpoint-password".encode(),
                          f"hospital {hospital_code}'s endpoint password")

    # A staff member's TOTP secret: bound to the account and its purpose.
    def encrypt_totp_secret(self, secret: str, staff_name: str) -> bytes:
        return self._seal(secret, f"staff\x00{staff_name}\x00totp".encode())

    def decrypt_totp_secret(self, blob: bytes, staff_name: str) -> str:
        return self._open(blob, f"staff\x00{staff_name}\x00totp".encode(), f"staff {staff_name}'s TOTP secret")

    def _seal(self, plain: str, associated_data: bytes) -> bytes:
        nonce = os.urandom(12)
        return _FORMAT + self.fingerprint + nonce + self._aead.encrypt(nonce, plain.encode("utf-8"),
                                                                       associated_data)

    def _open(self, blob: bytes, associated_data: bytes, what: str) -> str:
        if blob[:2] != _FORMAT:
            raise ValueError("unknown key format")
        if blob[2:6] != self.fingerprint:
            raise MasterKeyMismatch(
                f"{what} was encrypted under another master key; "
                "start identity with the master key it was created with")
        try:
            plain = self._aead.decrypt(blob[6:18], blob[18:], associated_data)
        except InvalidTag as exc:
            raise ValueError(f"{what} as stored is damaged") from exc
        return plain.decode("utf-8")
