"""The digest of digest.md: every published test vector, and the rules one by one."""

import json
from pathlib import Path

import pytest

from legacy import digest

# The published vectors, as the contract ships them (docs/contract/).
VECTORS = json.loads((Path(__file__).parents[1] / "docs" / "contract" / "digest-vectors.json").read_text("utf-8"))


def as_params(raw: dict) -> dict:
    """A vector's parameters in the digest's shape (DataSets: table -> rows -> cells)."""
    params = {}
    for name, value in raw.items():
        if isinstance(value, dict):
            params[name] = {table: [[(column, cell) for column, cell in row] for row in rows]
                            for table, rows in value.items()}
        else:
            params[name] = value
    return params


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_published_vector(vector):
    message = digest.canonical_message(vector["operation"], as_params(vector["params"]))
    assert message == vector["message"]
    assert digest.compute(vector["key"], vector["algorithm"], message) == vector["xxzy"]
    assert digest.verify(vector["key"], vector["algorithm"], message, vector["xxzy"].upper())


def test_every_vector_is_exercised():
    assert len(VECTORS) == 5
    assert {v["algorithm"] for v in VECTORS} == {"HMAC-SHA256", "HMAC-SM3"}


def test_escaping_order_percent_first():
    assert digest.escape("%26") == "%2526"
    assert digest.escape("a&b=c\r\n") == "a%26b%3Dc%0D%0A"


def test_absent_string_counts_as_empty_and_xxzy_is_excluded():
    assert digest.canonical_message("op", {"b": None, "a": "", "xxzy": "ff"}) == "op\na=&b="


def test_null_cells_give_no_pair_empty_cells_do():
    params = {"p": {"t": [[("x", None), ("y", "")]]}}
    assert digest.canonical_message("op", params) == "op\np.t[0].y="


def test_whitespace_is_kept():
    assert digest.canonical_message("op", {"a": " v "}) == "op\na= v "


def test_wrong_key_or_changed_message_does_not_verify():
    message = digest.canonical_message("chryxxjk", {"yydm": "1", "chzh": "2"})
    good = digest.compute("key", digest.HMAC_SHA256, message)
    assert digest.verify("key", digest.HMAC_SHA256, message, good)
    assert not digest.verify("other", digest.HMAC_SHA256, message, good)
    assert not digest.verify("key", digest.HMAC_SHA256, message + "x", good)
    assert not digest.verify("key", digest.HMAC_SM3, message, good)
    assert not digest.verify("key", digest.HMAC_SHA256, message, "")
    assert not digest.verify("key", digest.HMAC_SHA256, message, "非十六进制")


def test_unknown_algorithm_is_refused():
    with pytest.raises(ValueError, match="HMAC-SHA256 or HMAC-SM3"):
        digest.compute("k", "HMAC-MD5", "m")
