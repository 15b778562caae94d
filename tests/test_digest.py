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


# --- the MessageHeader's pairs (digest.md: "the optional MessageHeader, when sent, gives two
# pairs"). The messages are written out by hand and the xxzy computed with the standard
# library's HMAC, not by the code under test.

HEADER_VECTORS = [
    {"name": "chryxxjk-with-header", "operation": "chryxxjk", "key": "demo-key-450200001",
     "algorithm": "HMAC-SHA256",
     "params": {"yydm": "450200001", "yh": "his01", "kl": "Passw0rd!", "chzh": "45020000100001"},
     "header": ("3f2a9c0e7b6d4e21a8c5f0b1d2e3f405", "2026-12-02 17:30:05"),
     "message": "chryxxjk\nMessageHeader.msgid=3f2a9c0e7b6d4e21a8c5f0b1d2e3f405"
                "&MessageHeader.sendtime=2026-12-02 17:30:05&chzh=45020000100001&kl=Passw0rd!&yh=his01"
                "&yydm=450200001",
     "xxzy": "ef7962deba94696c0664092b004de9c90f15dfa97c4ae217b91b33481661eb7f"},
    # values escaped like any other (a msgid the contract forbids still signs), an empty
    # sendtime gives "name=", a DataSet's pairs sort after the header's (upper case first)
    {"name": "ypmljk-sm3-header-escaped", "operation": "ypmljk", "key": "sm3-key-450200001",
     "algorithm": "HMAC-SM3",
     "params": {"yydm": "450200001", "yh": "u", "kl": "k",
                "ypml": {"ypml": [[("yyxmbm", "YP0001"), ("xmmc", "阿莫西林"), ("dj", "12.5000"), ("gg", None)]]}},
     "header": ("a&b=c%", ""),
     "message": "ypmljk\nMessageHeader.msgid=a%26b%3Dc%25&MessageHeader.sendtime=&kl=k&yh=u"
                "&ypml.ypml[0].dj=12.5000&ypml.ypml[0].xmmc=阿莫西林&ypml.ypml[0].yyxmbm=YP0001&yydm=450200001",
     "xxzy": "e8d841b0e8c1fe6a5cdaee0fef32b6c2ea4874084e6b7d3569f307846ec7b9ec"},
]


@pytest.mark.parametrize("vector", HEADER_VECTORS, ids=[v["name"] for v in HEADER_VECTORS])
def test_header_vector(vector):
    from legacy.client import sign, signed_message
    from legacy.message_header import MessageHeader

    header = MessageHeader(*vector["header"])
    params = {**vector["params"], **header.digest_pairs()}
    message = digest.canonical_message(vector["operation"], params)
    assert message == vector["message"]
    assert digest.compute(vector["key"], vector["algorithm"], message) == vector["xxzy"]
    # what the library's client signs for the same call
    assert signed_message(vector["operation"], vector["params"], header) == vector["message"]
    assert sign(vector["key"], vector["operation"], vector["params"], vector["algorithm"], header) == vector["xxzy"]
    if vector["algorithm"] == "HMAC-SHA256":
        import hashlib
        import hmac

        assert hmac.new(vector["key"].encode(), message.encode(), hashlib.sha256).hexdigest() == vector["xxzy"]


def test_without_the_header_the_message_is_the_old_one():
    from legacy.client import signed_message
    from legacy.message_header import MessageHeader

    params = HEADER_VECTORS[0]["params"]
    with_header = signed_message("chryxxjk", params, MessageHeader("m1", "2026-12-02 17:30:05"))
    without = signed_message("chryxxjk", params)
    assert without == "chryxxjk\nchzh=45020000100001&kl=Passw0rd!&yh=his01&yydm=450200001"  # digest.md's example
    assert with_header != without and with_header.endswith(without.split("\n", 1)[1])
