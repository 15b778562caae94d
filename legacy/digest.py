"""The message digest ``xxzy`` of the contract (digest.md), in one place.

The gateway builds the canonical message from the parameters it parsed; identity
verifies the digest with the hospital's key; the NCMS side signs its own calls to a
hospital the same way. The rules, in short: one ``name=value`` pair per string
parameter (absent counts as empty) and per non-null cell of a DataSet's current
rows (``PARAM.TABLE[i].COLUMN``); values escaped (``%``, ``&``, ``=``, CR, LF);
pairs sorted by name in byte order; joined with ``&``; prefixed with the operation
and a LF; HMAC-SHA256 or HMAC-SM3 under the hospital's key; lowercase hex.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac

HMAC_SHA256 = "HMAC-SHA256"
HMAC_SM3 = "HMAC-SM3"
ALGORITHMS = (HMAC_SHA256, HMAC_SM3)

# A DataSet parameter as the digest sees it: table name -> current rows in document
# order -> the row's cells (column, text as transmitted, or None for a null cell).
Cells = Sequence[tuple[str, str | None]]
DataSetCells = Mapping[str, Sequence[Cells]]
ParameterValue = str | None | DataSetCells

_ESCAPES = str.maketrans({"%": "%25", "&": "%26", "=": "%3D", "\r": "%0D", "\n": "%0A"})


def escape(value: str) -> str:
    return value.translate(_ESCAPES)


def pairs(params: Mapping[str, ParameterValue]) -> list[tuple[str, str]]:
    """The unsorted ``(name, escaped value)`` pairs of all parameters but ``xxzy``."""
    result: list[tuple[str, str]] = []
    for name, value in params.items():
        if name == "xxzy":
            continue
        if value is None or isinstance(value, str):
            result.append((name, escape(value or "")))
            continue
        for table, rows in value.items():
            for index, row in enumerate(rows):
                for column, cell in row:
                    if cell is not None:
                        result.append((f"{name}.{table}[{index}].{column}", escape(cell)))
    return result


def canonical_message(operation: str, params: Mapping[str, ParameterValue]) -> str:
    ordered = sorted(pairs(params), key=lambda pair: pair[0].encode("utf-8"))
    return operation + "\n" + "&".join(f"{name}={value}" for name, value in ordered)


def _hash(algorithm: str) -> hashes.HashAlgorithm:
    if algorithm == HMAC_SHA256:
        return hashes.SHA256()
    if algorithm == HMAC_SM3:
        return hashes.SM3()
    raise ValueError(f"unknown digest algorithm {algorithm!r}; use {' or '.join(ALGORITHMS)}")


def compute(key: str, algorithm: str, message: str) -> str:
    mac = crypto_hmac.HMAC(key.encode("utf-8"), _hash(algorithm))
    mac.update(message.encode("utf-8"))
    return mac.finalize().hex()


def verify(key: str, algorithm: str, message: str, digest: str) -> bool:
    """Whether ``digest`` (any case) is the message's digest; constant time."""
    expected = compute(key, algorithm, message)
    return hmac.compare_digest(expected.encode("ascii"), digest.strip().lower().encode("ascii", "replace"))
