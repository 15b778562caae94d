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
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, signing_key.encode("utf-8"),
                                    self._associated_data(hospital_code, key_version))
        return _FORMAT + self.fingerprint + nonce + sealed

    def decrypt(self, blob: bytes, hospital_code: str, key_version: int) -> str:
        if blob[:2] != _FORMAT:
            raise ValueError("unknown key format")
        if blob[2:6] != self.fingerprint:
            raise MasterKeyMismatch(
                f"hospital {hospital_code}'s signing key was encrypted under another master key; "
                "start identity with the master key it was created with")
        try:
            plain = self._aead.decrypt(blob[6:18], blob[18:],
                                       self._associated_data(hospital_code, key_version))
        except InvalidTag as exc:
            raise ValueError(f"hospital {hospital_code}'s stored signing key is damaged") from exc
        return plain.decode("utf-8")
